import { randomUUID } from 'node:crypto';
import { audited } from '../audit/audited';
import { auditEvent } from '../audit/event';
import type { ServerContext } from '../context';

const STATE = { killed: 'stopped', expired: 'expired', idle: 'stopped', failed: 'failed', memory_limit_exceeded: 'failed' } as const;
const REASON = { killed: null, expired: 'deadline reached', idle: 'idle timeout', failed: null, memory_limit_exceeded: 'memory limit exceeded' } as const;

/** Records that a sandbox ended (by the agent's word: it is the actor), unless it already had. */
export async function markStopped(
  deps: Pick<ServerContext, 'db' | 'ledger'>,
  agentId: string,
  id: string,
  reason: keyof typeof STATE,
): Promise<void> {
  const agent = await deps.db.agent.findUnique({ where: { id: agentId } });
  await audited(deps, async (tx, record) => {
    const r = await tx.sandbox.updateMany({
      where: { id, state: { in: ['starting', 'running'] } },
      data: { state: STATE[reason], stateReason: REASON[reason], endedAt: new Date() },
    });
    await record(
      auditEvent(
        { actor: { type: 'agent', id: agentId, name: agent?.hostname ?? agentId }, sourceIp: null, userAgent: null, requestId: randomUUID() },
        { action: 'sandbox.stop', details: { reason } },
        { type: 'sandbox', id, name: null },
        r.count > 0 && reason !== 'failed' && reason !== 'memory_limit_exceeded' ? 'success' : 'failure',
      ),
    );
  });
}
