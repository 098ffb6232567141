import { Random } from '../../models/synthetic/index.js';

/** What the broker does to one request besides answering it. */
export const Fault = {
  None: 'none',
  /** Answer 500, 502 or 503 instead of the page. */
  ServerError: 'server-error',
  /** Send the headers and half the body, then drop the connection: a network error mid-page. */
  Reset: 'reset',
} as const;

export type FaultValue = (typeof Fault)[keyof typeof Fault];

const SERVER_ERRORS = [500, 502, 503] as const;

/** Seeded, so a run with the same seed and the same request order fails the same requests. */
export class FaultInjector {
  private readonly random: Random;

  public constructor(
    private readonly errorRate: number,
    private readonly resetRate: number,
    seed: number,
  ) {
    // Its own stream: turning faults on does not change the generated lines.
    this.random = new Random(seed, 0x4641554c);
  }

  public draw(): FaultValue {
    if (this.errorRate === 0 && this.resetRate === 0) return Fault.None;
    const x = this.random.next();
    if (x < this.errorRate) return Fault.ServerError;
    if (x < this.errorRate + this.resetRate) return Fault.Reset;
    return Fault.None;
  }

  public serverErrorStatus(): number {
    return this.random.pick(SERVER_ERRORS);
  }
}
