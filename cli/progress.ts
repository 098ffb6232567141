/**
 * Progress for people, results for machines: steps go to stderr (redrawn in place on a terminal),
 * so stdout carries only the result, which `--json` makes a single JSON document.
 */
export class Progress {
  private readonly started = performance.now();
  private readonly tty: boolean;
  private live = false;
  /** When the last status line went to a log (not a terminal). */
  private lastLogged = -Infinity;

  /**
   * @param sparseMs on output that is not a terminal (a log, CI, `| tee`), a status line at most
   *   this often, so a long run shows it is alive without flooding the log. @default 10 s, or
   *   $INSIGHTS_STATUS_EVERY_MS
   */
  public constructor(
    private readonly enabled: boolean = true,
    private readonly stream: NodeJS.WriteStream = process.stderr,
    private readonly sparseMs: number = Number(process.env['INSIGHTS_STATUS_EVERY_MS'] ?? '') || 10_000,
  ) {
    this.tty = stream.isTTY === true;
  }

  private stamp(): string {
    return `${((performance.now() - this.started) / 1000).toFixed(1).padStart(5)}s`;
  }

  /** A finished step: stays on screen. */
  public step(message: string): void {
    if (!this.enabled) return;
    this.clearLive();
    this.stream.write(`${this.stamp()}  ${message}\n`);
  }

  /** A changing status line (counters); redrawn on a terminal, printed sparingly otherwise. */
  public status(message: string): void {
    if (!this.enabled) return;
    if (this.tty) {
      this.stream.write(`\r\x1b[2K${this.stamp()}  ${message}`);
      this.live = true;
      return;
    }
    const now = performance.now();
    if (now - this.lastLogged < this.sparseMs) return;
    this.lastLogged = now;
    this.stream.write(`${this.stamp()}  ${message}\n`);
  }

  public done(): void {
    this.clearLive();
  }

  private clearLive(): void {
    if (this.live) {
      this.stream.write('\r\x1b[2K');
      this.live = false;
    }
  }
}

/** Prints a JSON result to stdout, or hands a human rendering to `print`. */
export function output(json: boolean, value: unknown, print: () => void): void {
  if (json) process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
  else print();
}
