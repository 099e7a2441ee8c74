import { AppError } from '../../lib/errors';
import type { AuditEventInput } from '../../lib/audit/events';
import type { Db, Tx } from '../db/client';
import type { SerialLock } from '../serial-lock';
import { appendAuditEvent } from './append-event';

export type AuditDeps = { db: Db; auditLock: SerialLock };
export type Record = (event: AuditEventInput) => Promise<void>;

class AuditWriteFailed extends Error {}

/**
 * Runs a change and its audit events in one database transaction (fail closed): when an event
 * cannot be written, the transaction rolls back and the caller gets `audit_unavailable` (503), so
 * no change ever happens unrecorded. A change that records no event at all is refused as a bug.
 */
export async function audited<T>(deps: AuditDeps, work: (tx: Tx, record: Record) => Promise<T>): Promise<T> {
  try {
    return await deps.auditLock.run(() =>
      deps.db.$transaction(async (tx) => {
        let recorded = 0;
        const record: Record = async (event) => {
          try {
            await appendAuditEvent(tx, event);
            recorded += 1;
          } catch (error) {
            throw new AuditWriteFailed(error instanceof Error ? error.message : String(error));
          }
        };
        const result = await work(tx, record);
        if (recorded === 0) throw new Error('an audited change recorded no audit event');
        return result;
      }),
    );
  } catch (error) {
    if (error instanceof AuditWriteFailed) {
      throw new AppError(
        'audit_unavailable',
        'The change was not made because its audit event could not be recorded. Try again; if it persists, check the control plane log.',
      );
    }
    throw error;
  }
}
