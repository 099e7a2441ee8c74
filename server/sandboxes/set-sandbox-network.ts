import { NetworkSpec } from '../../lib/api/network';
import type { SandboxView } from '../../lib/api/sandboxes';
import { AppError } from '../../lib/errors';
import { audited } from '../audit/audited';
import { auditEvent, type RequestMeta } from '../audit/event';
import type { Principal } from '../auth/principal';
import type { ServerContext } from '../context';
import { getSettings } from '../settings/get-settings';
import { networkViolations } from '../../lib/policy/policy-set';
import { askAgent, findRunningSandbox } from './running-sandbox';
import { toSandboxView } from './sandbox-view';

type Deps = Pick<ServerContext, 'db' | 'ledger' | 'agents' | 'log' | 'policies'>;

/**
 * Replaces a running sandbox's network rules. The change, its audit event (before and after) and
 * the agent's confirmation go together: if the agent cannot apply the rules, nothing is recorded
 * and the old rules stay; if the change cannot be audited, the agent is never asked.
 */
export async function setSandboxNetwork(deps: Deps, caller: Principal, id: string, network: NetworkSpec, meta: RequestMeta): Promise<SandboxView> {
  const sandbox = await findRunningSandbox(deps, caller, id);
  if (network.mode === 'open' && !(await getSettings(deps)).egressOpenAllowed) {
    throw new AppError('permission_denied', 'mode: "open" is not allowed on this appliance (an admin can allow it in Settings).', 'mode');
  }
  const policy = deps.policies.current?.policies.find((p) => p.name === sandbox.policy);
  if (!policy) throw new AppError('permission_denied', `Sandbox ${id} was made under policy "${sandbox.policy ?? '(none)'}", which is no longer in force; create a new sandbox.`, 'policy');
  const problems = networkViolations(policy, network);
  const first = problems[0];
  if (first) throw new AppError('permission_denied', problems.map((p) => `${p.field.replace(/^network\./, '')}: ${p.message}`).join('; '), first.field.replace(/^network\./, ''));
  const before = NetworkSpec.parse(JSON.parse(sandbox.network));
  if (before.mode === 'none' && (network.mode !== 'allowlist' || network.allow.length > 0)) {
    throw new AppError('invalid_argument', `Sandbox ${id} has no network (mode none: it was created without one, or paused while it allowed nothing); create a new sandbox to give it one.`, 'mode');
  }
  const row = await audited(deps, async (tx, record) => {
    const r = await tx.sandbox.update({ where: { id }, data: { network: JSON.stringify(network) } });
    await record(auditEvent(meta, { action: 'sandbox.network', details: { before, after: network } }, { type: 'sandbox', id, name: sandbox.image }));
    await askAgent(deps, sandbox.agentId, id, 'sandbox.network', { id, network, policy: policy.name }, 10_000);
    return r;
  });
  return toSandboxView(row);
}
