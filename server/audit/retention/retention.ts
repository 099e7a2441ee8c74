import { randomUUID } from 'node:crypto';
import type { PurgeView, RetentionView } from '../../../lib/api/audit';
import { AppError } from '../../../lib/errors';
import type { Principal } from '../../auth/principal';
import type { ServerContext } from '../../context';
import type { AuditPurge } from '../../db/generated/client';
import { getSettings } from '../../settings/get-settings';
import { audited } from '../audited';
import { auditEvent, type RequestMeta } from '../event';

type Deps = Pick<ServerContext, 'db' | 'ledger'> & Partial<Pick<ServerContext, 'policies'>>;

const target = (id: string) => ({ type: 'system' as const, id, name: 'audit-retention' });

/** The instant before which events are past retention. */
function cutoffOf(years: number, now = new Date()): string {
  const d = new Date(now);
  d.setUTCFullYear(d.getUTCFullYear() - years);
  return d.toISOString();
}

/** Events that may be removed: past retention, not yet tombstones, and under a signed checkpoint. */
function expiredWhere(cutoff: string, signedSize: number) {
  return { at: { lt: cutoff }, tombstone: false, seq: { lte: signedSize } };
}

function view(p: AuditPurge): PurgeView {
  return {
    id: p.id,
    cutoff: p.cutoff,
    events: p.events,
    requestedBy: p.requestedBy,
    requestedAt: p.requestedAt.toISOString(),
    approvedBy: p.approvedBy,
    approvedAt: p.approvedAt?.toISOString() ?? null,
    state: p.state === 'done' ? 'done' : 'pending',
  };
}

/** Years kept: the Settings' retention, or longer where a policy in force asks for longer (retentionYears). */
async function retentionYearsOf(deps: Deps): Promise<{ years: number; legalHold: boolean }> {
  const settings = await getSettings(deps);
  const byPolicy = deps.policies?.current?.policies.map((p) => p.audit.retentionYears) ?? [];
  return { years: Math.max(settings.auditRetentionYears, ...byPolicy), legalHold: settings.auditLegalHold };
}

/** The retention in force, how many events are past it, and the purges asked for or done. */
export async function retentionStatus(deps: Deps): Promise<RetentionView> {
  const { years, legalHold } = await retentionYearsOf(deps);
  const cutoff = cutoffOf(years);
  const expiredEvents = await deps.db.auditEvent.count({ where: expiredWhere(cutoff, deps.ledger.latest()?.size ?? 0) });
  const purges = await deps.db.auditPurge.findMany({ orderBy: { requestedAt: 'desc' }, take: 50 });
  return { retentionYears: years, legalHold, cutoff, expiredEvents, purges: purges.map(view) };
}

function adminOf(caller: Principal): string {
  if (caller.role !== 'admin') throw new AppError('permission_denied', 'Only an admin may remove audit events.');
  return caller.username;
}

/** One admin asks to remove the events past retention; nothing is removed until another approves. */
export async function requestPurge(deps: Deps, caller: Principal, meta: RequestMeta): Promise<PurgeView> {
  const who = adminOf(caller);
  const { years, legalHold } = await retentionYearsOf(deps);
  if (legalHold) throw new AppError('conflict', 'A legal hold is on: no audit event may be removed until it is lifted in Settings.');
  const cutoff = cutoffOf(years);
  const events = await deps.db.auditEvent.count({ where: expiredWhere(cutoff, deps.ledger.latest()?.size ?? 0) });
  if (events === 0) throw new AppError('conflict', `No audit event is past the ${years}-year retention (nothing before ${cutoff}).`);
  const id = `purge-${randomUUID().slice(0, 8)}`;
  const row = await audited(deps, async (tx, record) => {
    const created = await tx.auditPurge.create({ data: { id, cutoff, events, requestedBy: who, state: 'pending' } });
    await record(auditEvent(meta, { action: 'audit.purge_request', details: { purgeId: id, cutoff, events } }, target(id)));
    return created;
  });
  return view(row);
}

/**
 * A second admin approves a purge, which happens at once: the events before its cutoff become
 * tombstones (their number, time, chain hash and leaf stay, so the tree and every old checkpoint
 * still verify) in the same transaction as the `audit.purge` event that records the range.
 */
export async function approvePurge(deps: Deps, caller: Principal, id: string, meta: RequestMeta): Promise<PurgeView> {
  const who = adminOf(caller);
  const purge = await deps.db.auditPurge.findUnique({ where: { id } });
  if (!purge) throw new AppError('not_found', `There is no purge request ${id}.`);
  if (purge.state !== 'pending') throw new AppError('conflict', `Purge ${id} was carried out already.`);
  if (purge.requestedBy === who) throw new AppError('permission_denied', `Purge ${id} was asked for by ${who}: another admin must approve it.`);
  if ((await getSettings(deps)).auditLegalHold) throw new AppError('conflict', 'A legal hold is on: no audit event may be removed until it is lifted in Settings.');
  const where = expiredWhere(purge.cutoff, deps.ledger.latest()?.size ?? 0);
  const row = await audited(deps, async (tx, record) => {
    const first = await tx.auditEvent.findFirst({ where, orderBy: { seq: 'asc' }, select: { seq: true } });
    const last = await tx.auditEvent.findFirst({ where, orderBy: { seq: 'desc' }, select: { seq: true } });
    const done = await tx.auditEvent.updateMany({
      where,
      data: { tombstone: true, actorType: 'system', actorId: null, actorName: '', action: 'tombstone', targetType: null, targetId: null, targetName: null, outcome: 'success', sourceIp: null, userAgent: null, requestId: '', details: '{}', originAgent: null },
    });
    const updated = await tx.auditPurge.update({ where: { id }, data: { state: 'done', approvedBy: who, approvedAt: new Date(), events: done.count } });
    await record(
      auditEvent(
        meta,
        { action: 'audit.purge', details: { purgeId: id, requestedBy: purge.requestedBy, cutoff: purge.cutoff, events: done.count, fromSeq: first?.seq ?? 0, toSeq: last?.seq ?? 0 } },
        target(id),
      ),
    );
    return updated;
  });
  return view(row);
}
