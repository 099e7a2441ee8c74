import type { ApplyPoliciesBody, PolicyVersionView } from '../../lib/api/policies';
import type { RequestMeta } from '../audit/event';
import { createPolicyVersion, type PolicyDeps } from './create-policy-version';
import { versionView } from './policy-store';

/** Replaces the whole policy set at once (a new signed version, rolled out); `changed` is false when it equals the one in force. */
export async function applyPolicies(deps: PolicyDeps, body: ApplyPoliciesBody, meta: RequestMeta): Promise<{ version: PolicyVersionView; changed: boolean }> {
  const { row, changed } = await createPolicyVersion(deps, body.policies, body.source, meta, body.expectedVersion);
  return { version: versionView(row), changed };
}
