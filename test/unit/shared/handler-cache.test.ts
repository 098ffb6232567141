import { expect } from 'chai';
import { GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import type { HttpHandlerOptions } from '@smithy/types';
import { createDynamoDbClient } from '../../../shared/aws/clients.js';

/** Answers every call with an empty JSON object, recording the signal each request was sent with. */
function fakeHandler(signals: (AbortSignal | undefined)[]) {
  return {
    metadata: { handlerProtocol: 'http/1.1' },
    handle: (_request: unknown, options: HttpHandlerOptions = {}) => {
      signals.push(options.abortSignal as AbortSignal | undefined);
      if (options.abortSignal?.aborted) return Promise.reject(Object.assign(new Error('aborted'), { name: 'AbortError' }));
      return Promise.resolve({ response: { statusCode: 200, headers: { 'content-type': 'application/x-amz-json-1.0' }, body: new TextEncoder().encode('{}') } });
    },
    updateHttpClientConfig: () => undefined,
    httpHandlerConfigs: () => ({}),
    destroy: () => undefined,
  };
}

function countResolutions(): { count: () => number; restore: () => void } {
  const prototype = GetItemCommand.prototype as unknown as { resolveMiddleware: (...args: unknown[]) => unknown };
  const original = prototype.resolveMiddleware;
  let count = 0;
  prototype.resolveMiddleware = function (this: unknown, ...args: unknown[]) {
    count += 1;
    return original.apply(this, args);
  };
  return { count: () => count, restore: () => (prototype.resolveMiddleware = original) };
}

describe('Function: reuseHandlersPerSignal (through createDynamoDbClient)', () => {
  const options = { endpoint: 'http://127.0.0.1:9', region: 'us-east-1', credentials: { accessKeyId: 'a', secretAccessKey: 'b' } };
  const get = (name: string) => new GetItemCommand({ TableName: 't', Key: { name: { S: name } } });

  it('resolves the middleware once per command class and signal, and sends each call with its own input and signal', async () => {
    // Prepare
    const signals: (AbortSignal | undefined)[] = [];
    const resolutions = countResolutions();
    const client = createDynamoDbClient(options, { requestHandler: fakeHandler(signals) });
    const inputs: unknown[] = [];
    client.middlewareStack.add((next) => async (args) => (inputs.push(args.input), next(args)), { step: 'initialize', name: 'recordInput' });
    const [first, second] = [new AbortController().signal, new AbortController().signal];

    // Act
    try {
      await client.send(get('a'), { abortSignal: first });
      await client.send(get('b'), { abortSignal: first });
      await client.send(get('c'), { abortSignal: second });
      await client.send(get('d'));
      await client.send(get('e'), {});
      await client.send(new PutItemCommand({ TableName: 't', Item: { name: { S: 'f' } } }), { abortSignal: first });
    } finally {
      resolutions.restore();
      client.destroy();
    }

    // Assess: one resolution per (signal, class) and one for calls without a signal.
    expect(resolutions.count()).to.equal(3);
    expect(inputs.map((i) => (i as { Key?: { name: { S: string } }; Item?: { name: { S: string } } }).Key?.name.S ?? (i as { Item: { name: { S: string } } }).Item.name.S)).to.deep.equal(['a', 'b', 'c', 'd', 'e', 'f']);
    expect(signals).to.deep.equal([first, first, second, undefined, undefined, first]);
  });

  it('still refuses a call whose signal has aborted', async () => {
    // Prepare
    const client = createDynamoDbClient({ ...options, maxAttempts: 1 }, { requestHandler: fakeHandler([]) });
    const controller = new AbortController();
    await client.send(get('a'), { abortSignal: controller.signal });

    // Act
    controller.abort();
    const outcome = await client.send(get('b'), { abortSignal: controller.signal }).then(
      () => 'sent',
      (error: Error) => error.name,
    );
    client.destroy();

    // Assess
    expect(outcome).to.equal('AbortError');
  });
});
