import { randomUUID } from 'node:crypto';
import { audited } from '../audit/audited';
import { auditEvent } from '../audit/event';
import type { ServerContext } from '../context';

/**
 * An agent process started and removed what an earlier run left behind: its sandboxes that were
 * still running are lost with it. Both are recorded, with the agent as the actor.
 */
export async function recordReconcile(deps: Pick<ServerContext, 'db' | 'ledger'>, agentId: string, removed: string[]): Promise<void> {
  const agent = await deps.db.agent.findUnique({ where: { id: agentId } });
  await audited(deps, async (tx, record) => {
    const lost = await tx.sandbox.findMany({ where: { agentId, state: { in: ['starting', 'running'] } }, select: { id: true } });
    await tx.sandbox.updateMany({
      where: { id: { in: lost.map((l) => l.id) } },
      data: { state: 'failed', stateReason: 'host agent restarted', endedAt: new Date() },
    });
    await record(
      auditEvent(
        { actor: { type: 'agent', id: agentId, name: agent?.hostname ?? agentId }, sourceIp: null, userAgent: null, requestId: randomUUID() },
        { action: 'agent.reconcile', details: { removed, lost: lost.map((l) => l.id) } },
        { type: 'agent', id: agentId, name: agent?.hostname ?? agentId },
        lost.length > 0 ? 'failure' : 'success',
      ),
    );
  });
}
