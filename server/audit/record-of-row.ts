import { AuditRecord } from '../../lib/audit/events';
import type { AuditEvent } from '../db/generated/client';

/** Rebuilds the chained record from its row; a row that no longer parses is reported, not hidden. */
export function recordOfRow(row: AuditEvent): AuditRecord {
  return AuditRecord.parse({
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
    prevHash: row.prevHash,
    hash: row.hash,
  });
}
