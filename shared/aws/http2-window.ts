import type { ClientHttp2Session } from 'node:http2';
import type { NodeHttp2Handler } from '@smithy/node-http-handler';

/** The seam of `NodeHttp2Handler` this reaches: its connection manager's `connect(url)` (@smithy/node-http-handler 4.x), which every session comes from. */
interface SessionFactory {
  connect(url: string): ClientHttp2Session;
}

/** The handler's shape changed under an SDK upgrade: the connection window can no longer be widened. */
export class Http2WindowSeamError extends Error {
  public constructor(detail: string) {
    super(`cannot widen the HTTP/2 connection window of NodeHttp2Handler: ${detail} (@smithy/node-http-handler changed; see shared/aws/http2-window.ts)`);
    this.name = 'Http2WindowSeamError';
  }
}

/**
 * Makes every session of `handler` open its connection-level receive window to `bytes`.
 *
 * HTTP/2 has two receive windows: each stream's, which SETTINGS_INITIAL_WINDOW_SIZE sets (the
 * handler's `nodeHttp2ConnectOptions.settings`), and the connection's, which SETTINGS cannot change:
 * it stays at 65,535 bytes until the receiver sends a WINDOW_UPDATE on stream 0 (RFC 9113,
 * 6.9.2; Node's `session.setLocalWindowSize`). `NodeHttp2Handler` passes only the settings, so a
 * SubscribeToShard stream with a 2 MiB window still had at most 64 KiB in flight on its session,
 * and every 64 KiB waited for the reader's event loop to send a WINDOW_UPDATE and the sender's to
 * read it: on two busy cores that capped a results-stream subscription at about 0.7 MB/s, under
 * a shard's 1 MiB/s of writes (bench/README, session 9).
 *
 * @throws Http2WindowSeamError when the handler has no connection manager to hook (an SDK
 * upgrade): construction fails at once, in the tests, rather than pushes silently narrowing again.
 */
export function widenConnectionWindow(handler: NodeHttp2Handler, bytes: number): NodeHttp2Handler {
  if (!Number.isInteger(bytes) || bytes < 65_535 || bytes > 2 ** 31 - 1) throw new RangeError(`bytes must be an integer from 65,535 to 2^31 - 1, got ${bytes}`);
  const manager = (handler as unknown as { connectionManager?: Partial<SessionFactory> }).connectionManager;
  if (manager === undefined || typeof manager.connect !== 'function') throw new Http2WindowSeamError('it has no connectionManager.connect(url)');
  const connect = manager.connect.bind(manager);
  manager.connect = (url: string): ClientHttp2Session => {
    const session = connect(url);
    // Node refuses the call before the session's socket is up.
    session.once('connect', () => {
      if (!session.destroyed) session.setLocalWindowSize(bytes);
    });
    return session;
  };
  return handler;
}
