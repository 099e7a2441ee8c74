import { hash as digest } from 'node:crypto';
import { hashedContent } from '../../lib/audit/chain';
import { AuditEventInput, type AuditRecord } from '../../lib/audit/events';
import { leafHashOfText } from '../../lib/ledger/merkle';
import type { RawConnection, Tx } from '../db/client';
import type { ChainHead } from './ledger';
import { rowOfEvent } from './record-of-row';

/** An event placed in the chain: its record and its ledger leaf. */
export type Appended = { record: AuditRecord; leaf: Buffer };

/** Places events after `head` (which moves to the last of them): chain hash and ledger leaf of each. */
export function chainEvents(head: ChainHead, events: readonly AuditEventInput[]): Appended[] {
  return events.map((event) => {
    const seq = head.seq + 1;
    const content = hashedContent(seq, head.hash, event);
    const hash = digest('sha256', content, 'hex');
    const record = { ...event, seq, prevHash: head.hash, hash } as AuditRecord;
    head.seq = seq;
    head.hash = hash;
    return { record, leaf: leafHashOfText(content) };
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

/** The columns a bulk insert writes, in order. */
export const AUDIT_COLUMNS = ['seq', 'at', 'actorType', 'actorId', 'actorName', 'action', 'targetType', 'targetId', 'targetName', 'outcome', 'sourceIp', 'userAgent', 'requestId', 'details', 'prevHash', 'hash', 'leaf', 'originAgent', 'originSeq'] as const;
const inserts = new WeakMap<RawConnection, ReturnType<RawConnection['prepare']>>();

/**
 * Inserts chained events with one prepared statement on the raw connection (bulk ingest: about
 * twenty times faster than Prisma's createMany here). The caller runs it inside a transaction on
 * that connection, under the ledger's lock.
 */
export function insertAppended(connection: RawConnection, appended: readonly Appended[]): void {
  let insert = inserts.get(connection);
  if (!insert) {
    insert = connection.prepare(`INSERT INTO AuditEvent (${AUDIT_COLUMNS.map((c) => `"${c}"`).join(', ')}) VALUES (${AUDIT_COLUMNS.map(() => '?').join(', ')})`);
    inserts.set(connection, insert);
  }
  for (const { record, leaf } of appended) {
    const row = rowOfEvent(record.seq, record.prevHash, record.hash, record, leaf.toString('hex'));
    // Positional parameters: binding by name costs a lookup per column.
    insert.run(AUDIT_COLUMNS.map((c) => row[c]));
  }
}
