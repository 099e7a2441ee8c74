import { randomUUID } from 'node:crypto';
import { RootKeyKind } from '../../lib/audit/events';
import { audited } from '../audit/audited';
import { auditEvent, SYSTEM_ACTOR } from '../audit/event';
import type { ServerContext } from '../context';

/**
 * Writes root key rotations made offline since the last start to the audit ledger, each in one
 * transaction with its mark as recorded (a start that cannot record them does not go on).
 */
export async function recordRootKeyRotations(deps: Pick<ServerContext, 'db' | 'ledger'>): Promise<number> {
  const rotations = await deps.db.rootKeyRotation.findMany({ where: { recordedAt: null }, orderBy: { id: 'asc' } });
  for (const r of rotations) {
    await audited(deps, async (tx, record) => {
      await tx.rootKeyRotation.update({ where: { id: r.id }, data: { recordedAt: new Date() } });
      await record(
        auditEvent(
          { actor: SYSTEM_ACTOR, sourceIp: null, userAgent: null, requestId: randomUUID() },
          { action: 'system.root_key_rotate', details: { kind: RootKeyKind.parse(r.kind), previousKind: RootKeyKind.parse(r.previousKind), rotatedAt: r.rotatedAt.toISOString() } },
          { type: 'system', id: null, name: 'root key' },
        ),
      );
    });
  }
  return rotations.length;
}
