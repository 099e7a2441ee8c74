import type { AuditAction, AuditActor, AuditEventInput, AuditOutcome, AuditTarget } from '../../lib/audit/events';

/** Who is asking, from where: what every audit event of a request carries. */
export type RequestMeta = {
  actor: AuditActor;
  sourceIp: string | null;
  userAgent: string | null;
  requestId: string;
};

export const SYSTEM_ACTOR: AuditActor = { type: 'system', id: null, name: 'system' };

/** Builds an audit event of `meta`'s request, stamped now. */
export function auditEvent(
  meta: RequestMeta,
  action: AuditAction,
  target: AuditTarget | null,
  outcome: AuditOutcome = 'success',
): AuditEventInput {
  return {
    ...action,
    actor: meta.actor,
    target,
    outcome,
    sourceIp: meta.sourceIp,
    userAgent: meta.userAgent,
    requestId: meta.requestId,
    at: new Date().toISOString(),
  };
}
