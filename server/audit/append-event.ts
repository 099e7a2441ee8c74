import { chainHash } from '../../lib/audit/chain';
import { AuditEventInput, GENESIS_HASH, type AuditRecord } from '../../lib/audit/events';
import type { Tx } from '../db/client';
import { rowOfEvent } from './record-of-row';

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
  await tx.auditEvent.create({ data: rowOfEvent(seq, prevHash, hash, event) });
  return { ...event, seq, prevHash, hash } as AuditRecord;
}
