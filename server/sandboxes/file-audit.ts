import type { AuditAction, AuditTarget } from '../../lib/audit/events';
import { audited } from '../audit/audited';
import { auditEvent, type RequestMeta } from '../audit/event';
import type { ServerContext } from '../context';

type FileDetails = Omit<Extract<AuditAction, { action: 'sandbox.file' }>['details'], 'phase'>;
type Deps = Pick<ServerContext, 'db' | 'ledger' | 'log'>;

/** Records that a file operation is about to happen; throws when it cannot be (then it must not happen). */
export async function recordFileStart(deps: Deps, meta: RequestMeta, target: AuditTarget, details: FileDetails): Promise<void> {
  await audited(deps, (_tx, record) => record(auditEvent(meta, { action: 'sandbox.file', details: { ...details, phase: 'start' } }, target)));
}

/**
 * Records how a file operation ended (size and SHA-256, or the error). The operation already
 * happened, so a failure to record it is logged, not thrown.
 */
export async function recordFileEnd(deps: Deps, meta: RequestMeta, target: AuditTarget, details: FileDetails): Promise<void> {
  const outcome = details.error === undefined ? 'success' : 'failure';
  await audited(deps, (_tx, record) => record(auditEvent(meta, { action: 'sandbox.file', details: { ...details, phase: 'end' } }, target, outcome))).catch(
    (err: unknown) => deps.log.error({ err, path: details.path }, `could not record the end of a file ${details.op}`),
  );
}
