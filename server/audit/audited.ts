import { AppError } from '../../lib/errors';
import type { AuditEventInput } from '../../lib/audit/events';
import type { Db, Tx } from '../db/client';
import { appendAuditEvents } from './append-event';
import type { Ledger } from './ledger';

export type AuditDeps = { db: Db; ledger: Ledger };
export type Record = (event: AuditEventInput) => Promise<void>;

class AuditWriteFailed extends Error {}

/**
 * Runs a change and its audit events in one database transaction (fail closed): when an event
 * cannot be written, the transaction rolls back and the caller gets `audit_unavailable` (503), so
 * no change ever happens unrecorded. A change that records no event at all is refused as a bug.
 * The ledger takes the events in only once the transaction committed.
 */
export async function audited<T>(deps: AuditDeps, work: (tx: Tx, record: Record) => Promise<T>): Promise<T> {
  try {
    return await deps.ledger.run(async () => {
      const head = deps.ledger.chainHead();
      const leaves: Buffer[] = [];
      const result = await deps.db.$transaction(async (tx) => {
        const record: Record = async (event) => {
          try {
            const [appended] = await appendAuditEvents(tx, head, [event]);
            if (appended) leaves.push(appended.leaf);
          } catch (error) {
            throw new AuditWriteFailed(error instanceof Error ? error.message : String(error));
          }
        };
        const value = await work(tx, record);
        if (leaves.length === 0) throw new Error('an audited change recorded no audit event');
        return value;
      });
      await deps.ledger.committed(head, leaves);
      return result;
    });
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
