/** Bodies up to this size are parsed whole; above it a top-level field is found by a scan first (PutRecords bodies reach 5 MiB). */
const PARSE_WHOLE_BYTES = 64 * 1024;

/** The body as JSON, or undefined when it is empty or not JSON (the emulator then answers the client's mistake). */
export function parseJson(body: Buffer): unknown {
  if (body.length === 0) return undefined;
  try {
    return JSON.parse(body.toString('utf8')) as unknown;
  } catch {
    return undefined;
  }
}

/** A memoised parse: the body is parsed at most once, and only if someone asks. */
export function lazyJson(body: Buffer): () => unknown {
  let parsed = false;
  let value: unknown;
  return () => {
    if (!parsed) {
      value = parseJson(body);
      parsed = true;
    }
    return value;
  };
}

/**
 * A string field of the request's top-level object (`StreamName`), read without parsing a large
 * body: the needle `"Field":"` occurring exactly once can only be the top-level field, because
 * inside a JSON string a quote is escaped. Otherwise the body is parsed.
 */
export function topLevelString(body: Buffer, field: string, json: () => unknown): string | undefined {
  if (body.length > PARSE_WHOLE_BYTES) {
    const needle = Buffer.from(`"${field}":"`);
    const first = body.indexOf(needle);
    if (first === -1) return undefined;
    if (body.indexOf(needle, first + 1) === -1) {
      const start = first + needle.length;
      const end = body.indexOf(0x22, start);
      if (end !== -1) return body.toString('utf8', start, end);
    }
  }
  const value = (json() as Record<string, unknown> | undefined)?.[field];
  return typeof value === 'string' ? value : undefined;
}

export const asRecord = (value: unknown): Record<string, unknown> => (typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : {});
