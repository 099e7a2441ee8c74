import { randomUUID } from 'node:crypto';
import type { NetworkDecision } from '../../lib/wire/protocol';
import { audited } from '../audit/audited';
import { auditEvent } from '../audit/event';
import type { ServerContext } from '../context';

/**
 * Records an agent's egress decisions (already aggregated per window) as `sandbox.egress` audit
 * events: allowed ones as successes, denied ones as failures, each on its sandbox. Decisions
 * about sandboxes the agent does not run are ignored: an agent speaks for its own sandboxes only.
 */
export async function recordEgressDecisions(deps: Pick<ServerContext, 'db' | 'ledger'>, agentId: string, decisions: NetworkDecision[]): Promise<number> {
  const ids = [...new Set(decisions.map((d) => d.sandboxId))];
  const sandboxes = new Map(
    (await deps.db.sandbox.findMany({ where: { id: { in: ids }, agentId }, select: { id: true, image: true } })).map((s) => [s.id, s]),
  );
  const mine = decisions.filter((d) => sandboxes.has(d.sandboxId));
  if (mine.length === 0) return 0;
  const agent = await deps.db.agent.findUnique({ where: { id: agentId }, select: { hostname: true } });
  const meta = { actor: { type: 'agent' as const, id: agentId, name: agent?.hostname ?? agentId }, sourceIp: null, userAgent: null, requestId: randomUUID() };
  await audited(deps, async (_tx, record) => {
    for (const d of mine) {
      const { sandboxId, ...details } = d;
      const target = { type: 'sandbox' as const, id: sandboxId, name: sandboxes.get(sandboxId)?.image ?? '' };
      await record(auditEvent(meta, { action: 'sandbox.egress', details }, target, d.verdict === 'allowed' ? 'success' : 'failure'));
    }
  });
  return mine.length;
}
