import { verifyChain, type ChainBreak } from '../../lib/audit/chain';
import type { AuditRecord } from '../../lib/audit/events';
import type { ServerContext } from '../context';
import type { AuditEvent } from '../db/generated/client';
import { recordOfRow } from './record-of-row';

export type TrailCheck = { events: number; head: string | null; break: ChainBreak | null };

/** Recomputes the whole hash chain in batches and reports the first break, if any. */
export async function verifyAuditTrail(deps: Pick<ServerContext, 'db'>, batch = 2000): Promise<TrailCheck> {
  let prev: { seq: number; hash: string } | null = null;
  let events = 0;
  for (;;) {
    const rows: AuditEvent[] = await deps.db.auditEvent.findMany({
      where: prev ? { seq: { gt: prev.seq } } : {},
      orderBy: { seq: 'asc' },
      take: batch,
    });
    if (rows.length === 0) break;
    let records: AuditRecord[];
    try {
      records = rows.map(recordOfRow);
    } catch {
      return { events, head: prev?.hash ?? null, break: { seq: rows[0]?.seq ?? 0, reason: 'hash_mismatch' } };
    }
    const broken = verifyChain(records, prev);
    if (broken) return { events, head: prev?.hash ?? null, break: broken };
    events += records.length;
    const last: AuditRecord | undefined = records.at(-1);
    if (last) prev = { seq: last.seq, hash: last.hash };
  }
  return { events, head: prev?.hash ?? null, break: null };
}
