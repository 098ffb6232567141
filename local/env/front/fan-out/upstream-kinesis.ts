import { Agent, request } from 'node:http';

/** kinesalite checks that a request is signed in form, not the signature; the front's own reads name no caller. */
const UPSTREAM_AUTHORIZATION = 'AWS4-HMAC-SHA256 Credential=LOCALFRONT/20260101/us-east-1/kinesis/aws4_request, SignedHeaders=host;x-amz-date, Signature=0';

export class UpstreamKinesisError extends Error {
  public override readonly name = 'UpstreamKinesisError';
  public constructor(
    public readonly operation: string,
    public readonly type: string,
    message: string,
  ) {
    super(`${operation} on the Kinesis emulator failed: ${type}: ${message}`);
  }
}

/**
 * The front's own calls to the Kinesis emulator (what a subscription reads), straight to it and
 * past the front's guards: enhanced fan-out reads do not spend a shard's five GetRecords a second.
 */
export class UpstreamKinesis {
  private readonly agent = new Agent({ keepAlive: true, maxSockets: 64 });
  private readonly url: URL;

  public constructor(upstream: string) {
    this.url = new URL(upstream);
  }

  public call<T>(operation: string, input: unknown): Promise<T> {
    const body = Buffer.from(JSON.stringify(input));
    return new Promise<T>((resolve, reject) => {
      const outgoing = request(
        {
          host: this.url.hostname,
          port: this.url.port,
          method: 'POST',
          path: '/',
          agent: this.agent,
          headers: {
            'content-type': 'application/x-amz-json-1.1',
            'x-amz-target': `Kinesis_20131202.${operation}`,
            'x-amz-date': '20260101T000000Z',
            authorization: UPSTREAM_AUTHORIZATION,
            'content-length': String(body.length),
          },
        },
        (answer) => {
          const chunks: Buffer[] = [];
          answer.on('data', (chunk: Buffer) => chunks.push(chunk));
          answer.on('error', reject);
          answer.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            let json: Record<string, unknown>;
            try {
              json = text === '' ? {} : (JSON.parse(text) as Record<string, unknown>);
            } catch {
              reject(new UpstreamKinesisError(operation, 'InvalidResponse', text.slice(0, 200)));
              return;
            }
            if ((answer.statusCode ?? 500) >= 300) {
              const type = String(json['__type'] ?? 'InternalFailure').split('#').pop() ?? 'InternalFailure';
              reject(new UpstreamKinesisError(operation, type, String(json['message'] ?? json['Message'] ?? '')));
              return;
            }
            resolve(json as T);
          });
        },
      );
      outgoing.on('error', reject);
      outgoing.end(body);
    });
  }

  public close(): void {
    this.agent.destroy();
  }
}
