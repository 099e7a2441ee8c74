import { chainHash } from '../../lib/audit/chain';
import { AuditEventInput, GENESIS_HASH, type AuditRecord } from '../../lib/audit/events';
import type { Tx } from '../db/client';

/**
 * Appends one event to the hash chain inside the caller's transaction: it reads the chain's head,
 * hashes the event with the head's hash and inserts it. Callers hold the audit lock (see audited).
 */
export async function appendAuditEvent(tx: Tx, input: AuditEventInput): Promise<AuditRecord> {
  const event = AuditEventInput.parse(input);
  const head = await tx.auditEvent.findFirst({ orderBy: { seq: 'desc' }, select: { seq: true, hash: true } });
  const seq = (head?.seq ?? 0) + 1;
  const prevHash = head?.hash ?? GENESIS_HASH;
  const hash = chainHash(seq, prevHash, event);
  await tx.auditEvent.create({
    data: {
      seq,
      at: event.at,
      actorType: event.actor.type,
      actorId: event.actor.id,
      actorName: event.actor.name,
      action: event.action,
      targetType: event.target?.type ?? null,
      targetId: event.target?.id ?? null,
      targetName: event.target?.name ?? null,
      outcome: event.outcome,
      sourceIp: event.sourceIp,
      userAgent: event.userAgent,
      requestId: event.requestId,
      details: JSON.stringify(event.details),
      prevHash,
      hash,
    },
  });
  return { ...event, seq, prevHash, hash } as AuditRecord;
}
