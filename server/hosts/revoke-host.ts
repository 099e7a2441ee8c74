import { CloseCode } from '../../lib/wire/protocol';
import { AppError } from '../../lib/errors';
import { audited } from '../audit/audited';
import { auditEvent, type RequestMeta } from '../audit/event';
import type { ServerContext } from '../context';

type Deps = Pick<ServerContext, 'db' | 'ledger' | 'agents'>;

/**
 * Revokes a host: the agent and every certificate it was issued go on the deny list (checked at
 * every handshake, and published in the CRL), and its open channel is closed at once.
 */
export async function revokeHost(deps: Deps, agentId: string, meta: RequestMeta): Promise<{ serials: string[]; channelClosed: boolean }> {
  const agent = await deps.db.agent.findUnique({ where: { id: agentId }, include: { certificates: true } });
  if (!agent) throw new AppError('not_found', `No host with id ${agentId}.`);
  if (agent.revokedAt) throw new AppError('conflict', `Host ${agent.hostname} (${agentId}) is already revoked.`);
  const serials = agent.certificates.map((c) => c.serial);
  const connected = deps.agents.isConnected(agentId);
  const now = new Date();
  await audited(deps, async (tx, record) => {
    await tx.agent.update({ where: { id: agentId }, data: { revokedAt: now } });
    await tx.agentCertificate.updateMany({ where: { agentId, revokedAt: null }, data: { revokedAt: now } });
    await record(auditEvent(meta, { action: 'agent.revoke', details: { serials, channelClosed: connected } }, { type: 'agent', id: agentId, name: agent.hostname }));
  });
  await deps.agents.refreshRevocations();
  const closed = deps.agents.disconnect(agentId, CloseCode.revoked, 'host revoked');
  return { serials, channelClosed: closed };
}
