import type { JsonHttpHandler } from '../shared/aws/json-http-handler.js';

type Handled = Awaited<ReturnType<JsonHttpHandler['handle']>>;

/**
 * A request handler for measuring the SDK's own CPU per call: while `recording` it passes each
 * call to the real handler and keeps the answer; after, it answers every call at once with the
 * kept one (a fresh header object each time, the same body bytes), so the SDK serialises, signs,
 * runs its middleware and parses a real answer of the call, and no socket is touched.
 */
export class ReplayHandler {
  public readonly metadata = { handlerProtocol: 'http/1.1' };
  public recording = true;
  /** Calls passed to the real handler: a replaying run that moves it touched the network. */
  public realCalls = 0;
  private kept: Handled['response'] | undefined;

  public constructor(private readonly real: JsonHttpHandler) {}

  public async handle(...args: Parameters<JsonHttpHandler['handle']>): Promise<Handled> {
    if (this.recording || this.kept === undefined) {
      this.realCalls += 1;
      const answer = await this.real.handle(...args);
      this.kept = answer.response;
      return answer;
    }
    return { response: { ...this.kept, headers: { ...this.kept.headers } } };
  }

  public updateHttpClientConfig(): void {}

  public httpHandlerConfigs(): Record<string, never> {
    return {};
  }

  public destroy(): void {
    this.real.destroy();
  }
}
