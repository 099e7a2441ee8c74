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

/** The row that stores an event at its place in the chain. */
export function rowOfEvent(seq: number, prevHash: string, hash: string, event: AuditEventInput, leaf: string): AuditEvent {
  return {
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
    leaf,
    originAgent: event.origin?.agentId ?? null,
    originSeq: event.origin?.seq ?? null,
    tombstone: false,
  };
}
