import type { FrontCall, FrontResponse } from './types.js';

/** The call with another JSON body (a guard forwarding fewer records), body and parsed JSON in step. */
export function withJsonBody(call: FrontCall, json: unknown): FrontCall {
  return { ...call, body: Buffer.from(JSON.stringify(json)), json };
}

/** An answer's body as JSON; undefined when it is not JSON. */
export function responseJson(response: FrontResponse): unknown {
  try {
    return JSON.parse(response.body.toString('utf8')) as unknown;
  } catch {
    return undefined;
  }
}

/** A 200 JSON answer in a JSON protocol's content type (a guard merging answers). */
export function jsonResponse(template: FrontResponse, json: unknown): FrontResponse {
  const body = Buffer.from(JSON.stringify(json));
  return { status: template.status, headers: { ...template.headers, 'content-length': String(body.length) }, body };
}
