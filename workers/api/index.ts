import type { StartRole } from '../runtime/worker-runtime.js';
import { ApiServer } from './api-server.js';
import { TokenVerifier } from './auth/token-verifier.js';
import { UserRateLimiter } from './auth/user-rate-limiter.js';
import { InsightsQuery } from './insights-query.js';
import { PageAssets } from './page-assets.js';

/**
 * The read API role: the insights page and `GET /users/:id/insights` for bearer tokens of the
 * configured issuer, on API_PORT. Thin wiring; logic in `ApiServer`, `TokenVerifier` and the read model.
 */
export const start: StartRole<'api'> = async ({ env, logger, aws, health }) => {
  const limiter = new UserRateLimiter({ ratePerSecond: env.API_USER_RATE_PER_SEC, burst: env.API_USER_BURST });
  const server = new ApiServer({
    insights: new InsightsQuery({ dynamodb: aws.dynamodb, tableName: env.VIEW_TABLE_NAME }),
    verifier: new TokenVerifier({ issuer: env.AUTH_ISSUER, audience: env.AUTH_AUDIENCE, jwksUrl: env.AUTH_JWKS_URL, userClaim: env.AUTH_USER_CLAIM }),
    limiter,
    page: new PageAssets({ userClaim: env.AUTH_USER_CLAIM, signInUrl: env.AUTH_SIGN_IN_URL }),
    logger,
  });
  const port = await server.listen(env.API_PORT, env.API_HOST);
  health.addCheck('api', () => ({ port, ...server.stats, throttledUsers: limiter.trackedUsers }));
  logger.info({ host: env.API_HOST, port, view: env.VIEW_TABLE_NAME, issuer: env.AUTH_ISSUER }, 'read API listening');
  return { close: () => server.close() };
};
