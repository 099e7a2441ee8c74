import { createHash } from 'node:crypto';
import { hashedContent } from '../../lib/audit/chain';
import { AuditEventInput, type AuditRecord } from '../../lib/audit/events';
import { leafHash } from '../../lib/ledger/merkle';
import type { Tx } from '../db/client';
import type { ChainHead } from './ledger';
import { rowOfEvent } from './record-of-row';

/** An event placed in the chain: its record and its ledger leaf. */
export type Appended = { record: AuditRecord; leaf: Buffer };

/** Places events after `head` (which moves to the last of them): chain hash and ledger leaf of each. */
export function chainEvents(head: ChainHead, events: readonly AuditEventInput[]): Appended[] {
  return events.map((event) => {
    const seq = head.seq + 1;
    const content = Buffer.from(hashedContent(seq, head.hash, event));
    const hash = createHash('sha256').update(content).digest('hex');
    const record = { ...event, seq, prevHash: head.hash, hash } as AuditRecord;
    head.seq = seq;
    head.hash = hash;
    return { record, leaf: leafHash(content) };
  });
}

/**
 * Appends events to the chain inside the caller's transaction, after `head` (moved along). The
 * caller runs inside the ledger's lock and hands the leaves to the ledger once the transaction
 * committed (see audited).
 */
export async function appendAuditEvents(tx: Tx, head: ChainHead, inputs: readonly AuditEventInput[]): Promise<Appended[]> {
  const appended = chainEvents(
    head,
    inputs.map((i) => AuditEventInput.parse(i)),
  );
  const rows = appended.map(({ record, leaf }) => rowOfEvent(record.seq, record.prevHash, record.hash, record, leaf.toString('hex')));
  if (rows.length === 1) await tx.auditEvent.create({ data: rows[0] as (typeof rows)[number] });
  else if (rows.length > 1) await tx.auditEvent.createMany({ data: rows });
  return appended;
}
