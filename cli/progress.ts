/**
 * Progress for people, results for machines: steps go to stderr (redrawn in place on a terminal),
 * so stdout carries only the result, which `--json` makes a single JSON document.
 */
export class Progress {
  private readonly started = performance.now();
  private readonly tty: boolean;
  private live = false;

  public constructor(
    private readonly enabled: boolean = true,
    private readonly stream: NodeJS.WriteStream = process.stderr,
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
    }
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
