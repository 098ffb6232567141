import { stopSharedLocalEnv } from './local-env.js';

// Loaded by mocha before any test: keeps the AWS SDK's Node-version notice out of test output.
process.env['AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED'] ??= 'true';

/** Root hooks: the shared embedded environment stops after the last test, whatever failed. */
export const mochaHooks = {
  async afterAll(this: Mocha.Context): Promise<void> {
    this.timeout(30_000);
    await stopSharedLocalEnv();
  },
};
