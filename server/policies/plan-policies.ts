import type { PlanPoliciesBody, PolicyPlan } from '../../lib/api/policies';
import { diffIsEmpty, diffPolicies } from '../../lib/policy/diff';
import type { ServerContext } from '../context';
import { getPolicies } from './get-policies';

/** What applying `body.policies` would change against the version in force (nothing is stored). */
export async function planPolicies(deps: Pick<ServerContext, 'db'>, body: PlanPoliciesBody): Promise<PolicyPlan> {
  const current = await getPolicies(deps);
  const changes = diffPolicies(current.policies, body.policies);
  return { version: current.version.version, hash: current.version.hash, changes, changed: !diffIsEmpty(changes) };
}
