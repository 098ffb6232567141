/**
 * The SDK builds each call's handler by resolving the whole middleware stack (about a tenth of a
 * small call's CPU here). With `cacheMiddleware: true` (a documented client option) it resolves
 * once per command class, but only for calls made without options: a call with `{ abortSignal }`
 * resolves again and also drops the cache, so one GetRecords loop with a signal undoes it for every
 * other call of the client. A handler resolved with `{ abortSignal: s }` is the same for every later
 * call with that same signal (the roles pass one signal per shard or per run), so this keeps one
 * per (signal, command class), and sends calls with an empty options object (`{}`) as calls
 * without options. Any other options, or a callback, go to the SDK's own `send` unchanged.
 */

type Handler = (command: unknown) => Promise<{ output: unknown }>;

interface ResolvingCommand {
  resolveMiddleware(stack: unknown, config: unknown, options: unknown): Handler;
}

interface SendingClient {
  send(command: unknown, options?: unknown, callback?: unknown): Promise<unknown>;
  destroy(): void;
  readonly middlewareStack: unknown;
  readonly config: unknown;
}

/** `options` carries an abort signal and nothing else, or nothing at all. */
function signalOnly(options: object): { signal: AbortSignal | undefined } | undefined {
  let signal: AbortSignal | undefined;
  for (const [key, value] of Object.entries(options)) {
    if (key !== 'abortSignal') return undefined;
    signal = value as AbortSignal | undefined;
  }
  return { signal };
}

export function reuseHandlersPerSignal<C>(client: C): C {
  const target = client as unknown as SendingClient;
  const prototypeSend = Object.getPrototypeOf(target).send as SendingClient['send'];
  let handlers = new WeakMap<AbortSignal, WeakMap<object, Handler>>();
  const send = (command: unknown, options?: unknown, callback?: unknown): Promise<unknown> => {
    const current = Object.getPrototypeOf(target).send as SendingClient['send'];
    // A test double put on the class since (aws-sdk-client-mock) must see every call.
    if (current !== prototypeSend || callback !== undefined || typeof options !== 'object' || options === null) return current.call(target, command, options, callback);
    const only = signalOnly(options);
    if (only === undefined) return current.call(target, command, options);
    if (only.signal === undefined) return current.call(target, command);
    let byCommand = handlers.get(only.signal);
    if (byCommand === undefined) {
      byCommand = new WeakMap();
      handlers.set(only.signal, byCommand);
    }
    const commandClass = (command as { constructor: object }).constructor;
    let handler = byCommand.get(commandClass);
    if (handler === undefined) {
      handler = (command as ResolvingCommand).resolveMiddleware(target.middlewareStack, target.config, { abortSignal: only.signal });
      byCommand.set(commandClass, handler);
    }
    return handler(command).then((result) => result.output);
  };
  const destroy = target.destroy.bind(target);
  Object.assign(target, {
    send,
    destroy: () => {
      handlers = new WeakMap();
      destroy();
    },
  });
  return client;
}
