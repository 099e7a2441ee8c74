import { z } from 'zod';
import { AuditOutcome, AuditRecord } from '../audit/events';

export const AUDIT_PAGE_MAX = 200;

/** Query string of `GET /api/v1/audit`: filters and keyset paging by sequence number. */
export const AuditQuery = z.strictObject({
  actor: z.string().trim().min(1).max(100).optional(),
  action: z.string().trim().min(1).max(64).optional(),
  /** Events about this target only (a sandbox, user, host... id). */
  target: z.string().trim().min(1).max(100).optional(),
  outcome: AuditOutcome.optional(),
  from: z.iso.datetime({ offset: true, message: 'expected an ISO 8601 time' }).optional(),
  to: z.iso.datetime({ offset: true, message: 'expected an ISO 8601 time' }).optional(),
  /** Return events with a sequence number below this one (the previous page's `nextCursor`). */
  before: z.coerce.number().int().positive().optional(),
  limit: z.coerce.number().int().min(1).max(AUDIT_PAGE_MAX).default(50),
});
export type AuditQuery = z.infer<typeof AuditQuery>;

export const AuditPage = z.object({
  events: z.array(AuditRecord),
  nextCursor: z.number().int().nullable(),
});
export type AuditPage = z.infer<typeof AuditPage>;
