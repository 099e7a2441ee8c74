import { randomUUID } from 'node:crypto';
import { NetworkSpec } from '../../lib/api/network';
import { canonicalJson } from '../../lib/canonical-json';
import { narrowNetwork } from '../../lib/policy/policy-set';
import { audited } from '../audit/audited';
import { auditEvent, SYSTEM_ACTOR } from '../audit/event';
import { askAgent } from '../sandboxes/running-sandbox';
import type { PolicyDeps } from './create-policy-version';

/**
 * Applies a new policy version to running sandboxes' egress at once: rules it no longer allows are
 * taken away (live, one nftables transaction on the host), each change recorded as a
 * `sandbox.network` event naming the version. Nothing is ever added. Limits of running sandboxes
 * stay as they started. `only` names one sandbox (a resumed one).
 */
export async function narrowRunningSandboxes(deps: PolicyDeps, only?: string): Promise<number> {
  const current = deps.policies.current;
  if (!current) return 0;
  let narrowed = 0;
  for (const s of await deps.db.sandbox.findMany({ where: { state: 'running', ...(only ? { id: only } : {}) } })) {
    const before = NetworkSpec.parse(JSON.parse(s.network));
    const policy = current.policies.find((p) => p.name === s.policy);
    const after = narrowNetwork(policy, before);
    if (canonicalJson(after) === canonicalJson(before)) continue;
    const meta = { actor: SYSTEM_ACTOR, sourceIp: null, userAgent: null, requestId: randomUUID() };
    try {
      await audited(deps, async (tx, record) => {
        await tx.sandbox.update({ where: { id: s.id }, data: { network: JSON.stringify(after) } });
        await record(auditEvent(meta, { action: 'sandbox.network', details: { before, after, policyVersion: current.version } }, { type: 'sandbox', id: s.id, name: s.image }));
        await askAgent(deps, s.agentId, s.id, 'sandbox.network', { id: s.id, network: after, policy: policy?.name ?? s.policy ?? '' }, 10_000);
      });
      narrowed += 1;
    } catch (err) {
      deps.log.error({ err, sandbox: s.id }, 'could not narrow a running sandbox to the new policy');
    }
  }
  return narrowed;
}
