import type { Logger } from '../../shared/logger.js';

/** One named clean-up step of a role's `close()`. */
export type CloseStep = readonly [name: string, run: () => Promise<unknown>];

/**
 * Runs a role's clean-up steps in order, each even when an earlier one failed (a stuck queue must
 * not leave Redis connections open), logging every failure with the step's name.
 */
export async function runCloseSteps(steps: readonly CloseStep[], logger: Logger): Promise<void> {
  for (const [step, run] of steps) {
    try {
      await run();
    } catch (error) {
      logger.error({ err: error, step }, 'close step failed');
    }
  }
}
