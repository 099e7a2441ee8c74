import type { AuditPage, AuditQuery } from '../../lib/api/audit';
import type { ServerContext } from '../context';
import type { Prisma } from '../db/generated/client';
import { recordOfRow } from './record-of-row';

/**
 * One page of the audit trail, newest first. Paging is by sequence number (keyset), and each filter
 * has an index that ends in `seq`, so a page costs the same on the millionth event as on the first.
 */
export async function listAuditEvents(deps: Pick<ServerContext, 'db'>, q: AuditQuery): Promise<AuditPage> {
  // Events removed under retention are tombstones: in the tree, not in the list.
  const where: Prisma.AuditEventWhereInput = { tombstone: false };
  if (q.actor) where.actorName = q.actor;
  if (q.action) where.action = q.action;
  if (q.outcome) where.outcome = q.outcome;
  if (q.target) where.targetId = q.target;
  if (q.before) where.seq = { lt: q.before };
  if (q.from || q.to) {
    where.at = {
      ...(q.from ? { gte: new Date(q.from).toISOString() } : {}),
      ...(q.to ? { lte: new Date(q.to).toISOString() } : {}),
    };
  }
  const rows = await deps.db.auditEvent.findMany({ where, orderBy: { seq: 'desc' }, take: q.limit + 1 });
  const page = rows.slice(0, q.limit);
  return {
    events: page.map(recordOfRow),
    nextCursor: rows.length > q.limit ? (page.at(-1)?.seq ?? null) : null,
  };
}
