import { z } from 'zod';
import { Capacity, Health } from '../wire/protocol';
import { JoinTokenString } from '../wire/join-token';

export const MAX_JOIN_TOKEN_MINUTES = 24 * 60;

/** Host labels: lower-case keys, short values; they decide which policies apply to the host. */
export const Labels = z
  .record(
    z.string().regex(/^[a-z0-9]([a-z0-9._/-]{0,61}[a-z0-9])?$/, 'expected a label key of lower-case letters, digits, . _ / -'),
    z.string().max(63, 'expected a label value of at most 63 characters').regex(/^[A-Za-z0-9._-]*$/, 'expected letters, digits, . _ -'),
  )
  .refine((l) => Object.keys(l).length <= 32, 'expected at most 32 labels');
export type Labels = z.infer<typeof Labels>;

export const CreateJoinTokenBody = z.strictObject({
  labels: Labels.default({}),
  ttlMinutes: z
    .number()
    .int('expected a whole number of minutes')
    .min(1, 'expected at least 1 minute')
    .max(MAX_JOIN_TOKEN_MINUTES, `expected at most ${MAX_JOIN_TOKEN_MINUTES} minutes (24 hours)`)
    .default(15),
});
export type CreateJoinTokenBody = z.infer<typeof CreateJoinTokenBody>;

export const CreatedJoinToken = z.object({
  id: z.string(),
  token: z.string(),
  expiresAt: z.string(),
  labels: Labels,
  /** The exact command to run on the new host. */
  command: z.string(),
});
export type CreatedJoinToken = z.infer<typeof CreatedJoinToken>;

/** What an agent sends to enrol (on the console's HTTPS port, after pinning the CA). */
export const EnrollBody = z.strictObject({
  token: JoinTokenString,
  csr: z.string().min(1).max(16_384),
  hostname: z.string().trim().min(1).max(253),
});
export type EnrollBody = z.infer<typeof EnrollBody>;

export const EnrollResult = z.object({
  agentId: z.string(),
  certificate: z.string(),
  caCertificate: z.string(),
  gatewayUrl: z.string(),
  notAfter: z.string(),
  labels: Labels,
});
export type EnrollResult = z.infer<typeof EnrollResult>;

export const HostView = z.object({
  id: z.string(),
  hostname: z.string(),
  labels: Labels,
  status: z.enum(['online', 'offline', 'revoked']),
  enrolledAt: z.string(),
  lastSeenAt: z.string().nullable(),
  revokedAt: z.string().nullable(),
  agentVersion: z.string().nullable(),
  runscVersion: z.string().nullable(),
  kernel: z.string().nullable(),
  platform: z.string().nullable(),
  capacity: Capacity.nullable(),
  health: Health.nullable(),
  sandboxes: z.number().int(),
  certificate: z
    .object({ serial: z.string(), notBefore: z.string(), notAfter: z.string(), lifeSpent: z.number() })
    .nullable(),
  /** True once the certificate has passed 80 % of its life without being renewed. */
  renewalOverdue: z.boolean(),
  /** The agent's audit spool as the ledger holds it: the last sequence received and how many never arrived. */
  auditSpool: z.object({ lastSeq: z.number().int(), missing: z.number().int() }).nullable(),
  /** The policy version it enforces (null: none yet). */
  policyVersion: z.number().int().nullable(),
});
export type HostView = z.infer<typeof HostView>;

/** Parses `k=v, k2=v2` (as typed in the console or the CLI) into labels; the schema checks them after. */
export function parseLabelText(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of text.split(',').map((p) => p.trim()).filter(Boolean)) {
    const eq = part.indexOf('=');
    if (eq < 1) throw new Error(`expected key=value, got "${part}"`);
    out[part.slice(0, eq).trim()] = part.slice(eq + 1).trim();
  }
  return out;
}
