import { AuditRecord } from '../../lib/audit/events';
import type { AuditEventInput } from '../../lib/audit/events';
import type { AuditEvent } from '../db/generated/client';

/** Rebuilds the chained record from its row; a row that no longer parses is reported, not hidden. */
export function recordOfRow(row: AuditEvent): AuditRecord {
  return AuditRecord.parse(rowRecord(row));
}

/**
 * The record a row holds, not validated: for hashing it (self-check, export), where an altered row
 * must come out as it is so that its leaf fails, and where a million rows cannot each pay for a
 * schema check. Throws only when the details are not JSON at all.
 */
export function rowRecord(row: AuditEvent): AuditRecord {
  return {
    seq: row.seq,
    at: row.at,
    actor: { type: row.actorType, id: row.actorId, name: row.actorName },
    action: row.action,
    target: row.targetType ? { type: row.targetType, id: row.targetId, name: row.targetName } : null,
    outcome: row.outcome,
    sourceIp: row.sourceIp,
    userAgent: row.userAgent,
    requestId: row.requestId,
    details: JSON.parse(row.details) as unknown,
    ...(row.originAgent !== null && row.originSeq !== null ? { origin: { agentId: row.originAgent, seq: row.originSeq } } : {}),
    prevHash: row.prevHash,
    hash: row.hash,
  } as AuditRecord;
}

/** The columns a bulk insert writes, in the order of `rowValues`. */
export const AUDIT_COLUMNS = ['seq', 'at', 'actorType', 'actorId', 'actorName', 'action', 'targetType', 'targetId', 'targetName', 'outcome', 'sourceIp', 'userAgent', 'requestId', 'details', 'prevHash', 'hash', 'leaf', 'originAgent', 'originSeq'] as const;
type Column = (typeof AUDIT_COLUMNS)[number];

/**
 * The values of the row that stores an event at its place in the chain, in AUDIT_COLUMNS order
 * (positional binding: by name costs a lookup per column). `detailsJson` is the details as JSON,
 * if already made.
 */
export function rowValues(seq: number, prevHash: string, hash: string, event: AuditEventInput, leaf: string, detailsJson?: string): AuditEvent[Column][] {
  const { actor, target, origin } = event;
  return [
    seq, event.at, actor.type, actor.id, actor.name, event.action, target?.type ?? null, target?.id ?? null, target?.name ?? null, event.outcome,
    event.sourceIp, event.userAgent, event.requestId, detailsJson ?? JSON.stringify(event.details), prevHash, hash, leaf, origin?.agentId ?? null, origin?.seq ?? null,
  ];
}

/** The row that stores an event at its place in the chain. */
export function rowOfEvent(seq: number, prevHash: string, hash: string, event: AuditEventInput, leaf: string): AuditEvent {
  const values = rowValues(seq, prevHash, hash, event, leaf);
  const row: Record<string, unknown> = { tombstone: false };
  AUDIT_COLUMNS.forEach((c, i) => (row[c] = values[i]));
  return row as AuditEvent;
}
