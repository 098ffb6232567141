import type { StartRole } from '../runtime/worker-runtime.js';
import { ApiServer } from './api-server.js';
import { InsightsQuery } from './insights-query.js';

/** The read API role: `GET /users/:id/insights` on API_PORT. Thin wiring; logic in `ApiServer` and `InsightsQuery`. */
export const start: StartRole<'api'> = async ({ env, logger, aws, health }) => {
  const server = new ApiServer({ query: new InsightsQuery({ dynamodb: aws.dynamodb, tableName: env.VIEW_TABLE_NAME }), logger });
  const port = await server.listen(env.API_PORT);
  health.addCheck('api', () => ({ port, ...server.stats }));
  logger.info({ port, view: env.VIEW_TABLE_NAME }, 'read API listening');
  return { close: () => server.close() };
};
