import { jsonError, s3Error } from '../aws-errors.js';
import type { FrontCall, FrontResponse } from '../types.js';

/**
 * The answers AWS gives a caller IAM refuses, per protocol: Kinesis and DynamoDB answer HTTP 400
 * with `__type` ending in `AccessDeniedException`; S3 answers 403 with an XML `AccessDenied` (its
 * message quotes the resource). The message names the principal, the action and the resource.
 */
export function deniedMessage(principalArn: string, action: string, resource: string, explicit: boolean, quoteResource = false): string {
  const on = quoteResource ? `"${resource}"` : resource;
  const why = explicit ? 'with an explicit deny in an identity-based policy' : `because no identity-based policy allows the ${action} action`;
  return `User: ${principalArn} is not authorized to perform: ${action} on resource: ${on} ${why}`;
}

export function accessDenied(call: FrontCall, principalArn: string, action: string, resource: string, explicit: boolean): FrontResponse {
  if (call.service === 's3') return s3Error(call, 403, 'AccessDenied', deniedMessage(principalArn, action, resource, explicit, true));
  return jsonError(call.service, 400, 'AccessDeniedException', deniedMessage(principalArn, action, resource, explicit));
}

/** A key id no identity has: the JSON services' `UnrecognizedClientException`, S3's `InvalidAccessKeyId`. */
export function unrecognizedClient(call: FrontCall, accessKeyId: string): FrontResponse {
  if (call.service === 's3') return s3Error(call, 403, 'InvalidAccessKeyId', 'The AWS Access Key Id you provided does not exist in our records.', { AWSAccessKeyId: accessKeyId });
  return jsonError(call.service, 400, 'UnrecognizedClientException', 'The security token included in the request is invalid.');
}

/** An unsigned request. */
export function missingAuthentication(call: FrontCall): FrontResponse {
  if (call.service === 's3') return s3Error(call, 403, 'AccessDenied', 'Access Denied');
  return jsonError(call.service, 400, 'MissingAuthenticationTokenException', 'Missing Authentication Token');
}
