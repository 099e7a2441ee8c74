import { randomUUID } from 'node:crypto';
import { audited } from '../audit/audited';
import { auditEvent } from '../audit/event';
import type { ServerContext } from '../context';

const STATE = { killed: 'stopped', expired: 'expired', idle: 'stopped', failed: 'failed', memory_limit_exceeded: 'failed' } as const;
const REASON = { killed: null, expired: 'deadline reached', idle: 'idle timeout', failed: null, memory_limit_exceeded: 'memory limit exceeded' } as const;

/**
 * Records that a sandbox ended (by the agent's word: it is the actor), unless it already had. An
 * agent speaks for its own sandboxes only: a stop it reports for a sandbox that runs on another
 * host (or none) changes nothing and is recorded as denied.
 */
export async function markStopped(
  deps: Pick<ServerContext, 'db' | 'ledger'>,
  agentId: string,
  id: string,
  reason: keyof typeof STATE,
): Promise<void> {
  const agent = await deps.db.agent.findUnique({ where: { id: agentId } });
  const meta = { actor: { type: 'agent' as const, id: agentId, name: agent?.hostname ?? agentId }, sourceIp: null, userAgent: null, requestId: randomUUID() };
  await audited(deps, async (tx, record) => {
    const sandbox = await tx.sandbox.findUnique({ where: { id }, select: { agentId: true } });
    const target = { type: 'sandbox' as const, id, name: null };
    if (sandbox?.agentId !== agentId) {
      await record(auditEvent(meta, { action: 'sandbox.stop', details: { reason, detail: 'refused: the sandbox does not run on this host' } }, target, 'denied'));
      return;
    }
    const r = await tx.sandbox.updateMany({
      where: { id, agentId, state: { in: ['starting', 'running'] } },
      data: { state: STATE[reason], stateReason: REASON[reason], endedAt: new Date() },
    });
    await record(auditEvent(meta, { action: 'sandbox.stop', details: { reason } }, target, r.count > 0 && reason !== 'failed' && reason !== 'memory_limit_exceeded' ? 'success' : 'failure'));
  });
}
