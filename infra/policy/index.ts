import { PolicyPack } from '@pulumi/policy';
import { RESOURCE_POLICIES, STACK_POLICIES } from './policies.js';

/**
 * The realtime-insights policy pack (CrossGuard). Built to CommonJS by `npm run policy:build` into
 * infra/policy/dist and applied with `pulumi preview --policy-pack infra/policy/dist`; every
 * policy is mandatory, so a violation stops the preview or update.
 */
new PolicyPack('realtime-insights', {
  enforcementLevel: 'mandatory',
  policies: [...RESOURCE_POLICIES, ...STACK_POLICIES],
});
