import { roleGrants, renderRoleStatements } from '../../../../shared/iam/render.js';
import type { ContractRoleName } from '../../../../shared/iam/grants.js';
import type { Statement } from '../../../../shared/iam/policy.js';
import { refLabel } from '../../../../shared/iam/resources.js';
import { LOCAL_ACCOUNT_ID, LOCAL_REGION, localStackArns } from '../identities.js';
import type { FrontCall, FrontContext, FrontMiddleware, FrontResponse, MiddlewareFactory } from '../types.js';
import { accessDenied, deniedMessage, missingAuthentication, unrecognizedClient } from './answers.js';
import { evaluate } from './evaluate.js';
import { IamRecorder } from './iam-recorder.js';

/** The usage file is rewritten at most this often while calls flow (and once more on close). */
const FLUSH_EVERY_MS = 2000;

interface RolePolicy {
  readonly statements: readonly Statement[];
  /** Per statement (by Sid), the contract's resource labels, index for index with the statement's resources. */
  readonly resourceLabels: ReadonlyMap<string, readonly string[]>;
}

/** Each (stack, role)'s policy, rendered once with that stack's local ARNs, as infra renders it with the cloud's. */
class PolicyCache {
  private readonly policies = new Map<string, RolePolicy>();

  public get(stack: string, role: ContractRoleName): RolePolicy {
    const key = `${stack}/${role}`;
    let policy = this.policies.get(key);
    if (policy === undefined) {
      // Stand-ins (the Firehose archiver) get what their stand-in work needs on top of the AWS role.
      const options = { localStandIn: true };
      const grants = roleGrants(role, options);
      policy = {
        statements: renderRoleStatements(role, localStackArns(stack), options),
        resourceLabels: new Map(grants.map((g) => [g.sid, g.resources.map(refLabel)])),
      };
      this.policies.set(key, policy);
    }
    return policy;
  }
}

/**
 * IAM, first in every front's chain: the caller's access key names its (stack, role); each
 * (action, resource) pair the call needs is evaluated against that role's statements from the
 * contract; the first one refused is answered as AWS answers it, naming the role, the action and
 * the resource. The operator's key may do anything. With enforcement off, every call passes.
 */
export class IamMiddleware implements FrontMiddleware {
  public readonly name = 'iam';
  private readonly policies = new PolicyCache();
  private readonly recorder: IamRecorder;
  private readonly timer: NodeJS.Timeout;

  public constructor(private readonly context: FrontContext) {
    this.recorder = new IamRecorder(context.service, context.recordDir);
    this.timer = setInterval(() => this.recorder.flush(), FLUSH_EVERY_MS);
    this.timer.unref();
  }

  public wrap(next: (call: FrontCall) => Promise<FrontResponse>): (call: FrontCall) => Promise<FrontResponse> {
    return async (call) => {
      const refusal = this.context.enforce.iam ? this.check(call) : undefined;
      if (refusal !== undefined) return refusal;
      return next(call);
    };
  }

  public stats(): Record<string, unknown> {
    return { enforced: this.context.enforce.iam, ...this.recorder.stats() };
  }

  public close(): Promise<void> {
    clearInterval(this.timer);
    this.recorder.flush(true);
    return Promise.resolve();
  }

  private check(call: FrontCall): FrontResponse | undefined {
    const principal = call.principal;
    const first = call.access[0] ?? { action: call.action, resource: '*' };
    const refuse = (kind: 'unrecognized' | 'unsigned', response: FrontResponse, message: string): FrontResponse => {
      this.recorder.denied({ at: new Date().toISOString(), service: call.service, operation: call.operation, kind, stack: undefined, role: undefined, principal: principal.accessKeyId, action: first.action, resource: first.resource, message });
      return response;
    };
    if (principal.kind === 'anonymous') return refuse('unsigned', missingAuthentication(call), `unsigned ${call.operation} request`);
    if (principal.kind === 'unknown') return refuse('unrecognized', unrecognizedClient(call, principal.accessKeyId), `unknown access key id ${principal.accessKeyId}`);
    if (principal.kind === 'operator') {
      this.recorder.passed();
      return undefined;
    }

    const policy = this.policies.get(principal.stack, principal.role);
    const globals = { 'aws:PrincipalArn': principal.arn, 'aws:PrincipalAccount': LOCAL_ACCOUNT_ID, 'aws:RequestedRegion': LOCAL_REGION, 'aws:SecureTransport': 'true' };
    for (const request of call.access) {
      const decision = evaluate(policy.statements, { action: request.action, resource: request.resource, context: { ...globals, ...request.context } });
      if (decision.effect === 'allow') {
        const sid = decision.statement.Sid ?? '';
        this.recorder.used(principal.role, sid, request.action, policy.resourceLabels.get(sid)?.[decision.resourceIndex] ?? request.resource);
        continue;
      }
      const explicit = decision.effect === 'explicit-deny';
      this.recorder.denied({
        at: new Date().toISOString(),
        service: call.service,
        operation: call.operation,
        kind: 'denied',
        stack: principal.stack,
        role: principal.role,
        principal: principal.arn,
        action: request.action,
        resource: request.resource,
        message: deniedMessage(principal.arn, request.action, request.resource, explicit, call.service === 's3'),
      });
      return accessDenied(call, principal.arn, request.action, request.resource, explicit);
    }
    return undefined;
  }
}

export const iamMiddleware: MiddlewareFactory = (context) => new IamMiddleware(context);
