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

/** The result of the ledger's integrity self-check. */
export const LedgerSelfCheck = z.object({
  ok: z.boolean(),
  trigger: z.enum(['start', 'daily', 'manual']),
  checkedAt: z.string(),
  /** Events recomputed: every event up to the checkpoint checked against. */
  size: z.number().int(),
  root: z.string().nullable(),
  checkpoint: z.object({ size: z.number().int(), root: z.string(), note: z.string() }).nullable(),
  firstBadSeq: z.number().int().nullable(),
  reason: z.string().nullable(),
  durationMs: z.number(),
});
export type LedgerSelfCheck = z.infer<typeof LedgerSelfCheck>;

/** `GET /api/v1/audit/ledger`: the ledger now, its keys and the last self-check. */
export const LedgerStatus = z.object({
  origin: z.string(),
  size: z.number().int(),
  root: z.string(),
  latestCheckpoint: z.object({ size: z.number().int(), root: z.string(), note: z.string(), keyVersion: z.number().int(), createdAt: z.string() }).nullable(),
  keys: z.array(z.object({ version: z.number().int(), verifierKey: z.string(), retiredAt: z.string().nullable() })),
  lastCheck: LedgerSelfCheck.nullable(),
});
export type LedgerStatus = z.infer<typeof LedgerStatus>;

/** `GET /api/v1/audit/events/{seq}/proof`: an event's inclusion proof in the latest checkpoint. */
export const InclusionProofView = z.object({
  seq: z.number().int(),
  leaf: z.string(),
  treeSize: z.number().int(),
  root: z.string(),
  checkpoint: z.string(),
  proof: z.array(z.string()),
  verified: z.boolean(),
});
export type InclusionProofView = z.infer<typeof InclusionProofView>;

/** `POST /api/v1/audit/exports`: an evidence bundle of the events between two times (both optional). */
export const ExportBody = z
  .strictObject({
    from: z.iso.datetime({ offset: true, message: 'expected an ISO 8601 time' }).optional(),
    to: z.iso.datetime({ offset: true, message: 'expected an ISO 8601 time' }).optional(),
  })
  .refine((b) => !b.from || !b.to || Date.parse(b.from) <= Date.parse(b.to), { message: 'expected a time after from', path: ['to'] });
export type ExportBody = z.infer<typeof ExportBody>;

/** An export being made or made: its progress, then its bundle's size and digest. */
export const ExportView = z.object({
  id: z.string(),
  state: z.enum(['running', 'done', 'failed']),
  from: z.string().nullable(),
  to: z.string().nullable(),
  createdAt: z.string(),
  /** Positions of the ledger read so far, of `total` (the tree size: a range export still carries every leaf). */
  done: z.number().int(),
  total: z.number().int(),
  events: z.number().int(),
  bytes: z.number().int().nullable(),
  sha256: z.string().nullable(),
  fileName: z.string(),
  error: z.string().nullable(),
});
export type ExportView = z.infer<typeof ExportView>;

/** A removal of events past retention: asked by one admin, approved (and carried out) by another. */
export const PurgeView = z.object({
  id: z.string(),
  cutoff: z.string(),
  events: z.number().int(),
  requestedBy: z.string(),
  requestedAt: z.string(),
  approvedBy: z.string().nullable(),
  approvedAt: z.string().nullable(),
  state: z.enum(['pending', 'done']),
});
export type PurgeView = z.infer<typeof PurgeView>;

/** `GET /api/v1/audit/retention`: the retention in force, what is past it, and the purges. */
export const RetentionView = z.object({
  retentionYears: z.number().int(),
  legalHold: z.boolean(),
  cutoff: z.string(),
  expiredEvents: z.number().int(),
  purges: z.array(PurgeView),
});
export type RetentionView = z.infer<typeof RetentionView>;
