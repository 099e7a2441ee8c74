import { z } from 'zod';
import { Role } from '../roles';

/** Who did it. `system` is the appliance itself; `anonymous` is a caller not yet signed in. */
export const AuditActor = z.object({
  type: z.enum(['user', 'api_key', 'system', 'anonymous', 'agent']),
  id: z.string().nullable(),
  name: z.string(),
});
export type AuditActor = z.infer<typeof AuditActor>;

/** What it was done to. */
/** How a root key is supplied: made in the data directory, a key file, or a passphrase. */
export const RootKeyKind = z.enum(['generated', 'file', 'passphrase']);

export const AuditTarget = z.object({
  type: z.enum(['user', 'api_key', 'session', 'setting', 'system', 'agent', 'join_token', 'certificate', 'sandbox', 'siem', 'kek', 'policy']),
  id: z.string().nullable(),
  name: z.string().nullable(),
});
export type AuditTarget = z.infer<typeof AuditTarget>;

export const AuditOutcome = z.enum(['success', 'failure', 'denied']);
export type AuditOutcome = z.infer<typeof AuditOutcome>;

const change = <T extends z.ZodType>(t: T) => z.object({ from: t, to: t });

const SignInFailure = z.enum(['bad_password', 'unknown_user', 'locked', 'disabled']);

/**
 * Every auditable action, with the shape of its details. A discriminated union on `action`, so an
 * event of the wrong shape cannot be written and a reader knows exactly what each one holds.
 */
export const AuditAction = z.discriminatedUnion('action', [
  z.object({
    action: z.literal('auth.sign_in'),
    details: z.object({ reason: SignInFailure.optional(), failures: z.number().int().optional() }),
  }),
  z.object({
    action: z.literal('auth.sign_out'),
    details: z.object({ reason: z.enum(['user', 'idle', 'expired']) }),
  }),
  z.object({
    action: z.literal('auth.password_change'),
    details: z.object({ forced: z.boolean(), reason: z.string().optional() }),
  }),
  z.object({
    action: z.literal('auth.account_locked'),
    details: z.object({ failures: z.number().int(), until: z.string() }),
  }),
  z.object({
    action: z.literal('user.create'),
    details: z.object({ username: z.string(), role: Role }),
  }),
  z.object({
    action: z.literal('user.update'),
    details: z.object({
      role: change(Role).optional(),
      disabled: change(z.boolean()).optional(),
      unlocked: z.boolean().optional(),
    }),
  }),
  z.object({
    action: z.literal('apikey.create'),
    details: z.object({ name: z.string(), team: z.string().optional(), role: Role, expiresAt: z.string().nullable(), owner: z.string() }),
  }),
  z.object({
    action: z.literal('apikey.revoke'),
    details: z.object({ name: z.string(), owner: z.string() }),
  }),
  z.object({
    action: z.literal('settings.update'),
    details: z.object({ changes: z.record(z.string(), change(z.string())) }),
  }),
  z.object({
    action: z.literal('jointoken.create'),
    details: z.object({ labels: z.record(z.string(), z.string()), expiresAt: z.string() }),
  }),
  z.object({
    action: z.literal('jointoken.use'),
    details: z.object({ reason: z.enum(['unknown', 'reused', 'expired', 'malformed']).optional(), hostname: z.string() }),
  }),
  z.object({
    action: z.literal('agent.enroll'),
    details: z.object({ hostname: z.string(), labels: z.record(z.string(), z.string()), tokenId: z.string() }),
  }),
  z.object({
    action: z.literal('certificate.issue'),
    details: z.object({ serial: z.string(), notAfter: z.string(), renewal: z.boolean(), purpose: z.enum(['agent', 'gateway', 'console']) }),
  }),
  z.object({
    action: z.literal('agent.handshake_refused'),
    details: z.object({
      reason: z.enum(['protocol_version', 'no_certificate', 'unknown_ca', 'expired', 'revoked', 'unknown_agent', 'other']),
      detail: z.string(),
      suppressed: z.number().int().optional(),
    }),
  }),
  z.object({
    action: z.literal('agent.revoke'),
    details: z.object({ serials: z.array(z.string()), channelClosed: z.boolean() }),
  }),
  z.object({
    action: z.literal('agent.connect'),
    details: z.object({ serial: z.string() }),
  }),
  z.object({
    action: z.literal('agent.disconnect'),
    details: z.object({ code: z.number().int(), reason: z.string() }),
  }),
  z.object({
    action: z.literal('sandbox.create'),
    details: z.object({
      host: z.string(),
      image: z.string(),
      cpus: z.number(),
      memoryMiB: z.number(),
      pids: z.number(),
      diskMiB: z.number(),
      timeoutSeconds: z.number(),
      envNames: z.array(z.string()),
      network: z.unknown().optional(),
      /** The key-encryption key of its data at rest. */
      kek: z.string().optional(),
      /** The policy it was made under. */
      policy: z.string().optional(),
    }),
  }),
  z.object({ action: z.literal('sandbox.start'), details: z.object({ startMs: z.number() }) }),
  z.object({
    action: z.literal('sandbox.stop'),
    details: z.object({ reason: z.enum(['killed', 'expired', 'idle', 'failed', 'memory_limit_exceeded']), detail: z.string().optional() }),
  }),
  z.object({
    action: z.literal('sandbox.exec'),
    details: z.object({
      phase: z.enum(['start', 'end', 'kill']),
      command: z.string(),
      commandId: z.string().optional(),
      background: z.boolean().optional(),
      exitCode: z.number().int().nullable().optional(),
      signal: z.string().nullable().optional(),
      timedOut: z.boolean().optional(),
      durationMs: z.number().optional(),
    }),
  }),
  z.object({
    action: z.literal('sandbox.file'),
    details: z.object({
      op: z.enum(['write', 'read', 'remove', 'mkdir']),
      phase: z.enum(['start', 'end']),
      path: z.string(),
      size: z.number().int().optional(),
      sha256: z.string().optional(),
      recursive: z.boolean().optional(),
      error: z.string().optional(),
    }),
  }),
  z.object({
    action: z.literal('sandbox.network'),
    /** `policyVersion`: narrowed by that policy version (not asked for by a user). */
    details: z.object({ before: z.unknown(), after: z.unknown(), policyVersion: z.number().int().optional() }),
  }),
  z.object({
    /** An egress decision of a host agent (aggregated: `count` alike between firstAt and lastAt). */
    action: z.literal('sandbox.egress'),
    // In sorted order, as the wire's NetworkDecision: parsed, the details are canonical already.
    details: z.object({
      addresses: z.array(z.string()).optional(),
      count: z.number().int(),
      destination: z.string().optional(),
      firstAt: z.string(),
      kind: z.enum(['dns', 'connection']),
      lastAt: z.string(),
      name: z.string().optional(),
      port: z.number().int().optional(),
      protocol: z.string().optional(),
      queryType: z.string().optional(),
      reason: z.string(),
      rule: z.string().optional(),
      verdict: z.enum(['allowed', 'denied']),
    }),
  }),
  z.object({
    /** Sequence numbers of an agent's spool that never arrived (lost on the agent, shown, not hidden). */
    action: z.literal('agent.audit_gap'),
    details: z.object({ fromSeq: z.number().int(), toSeq: z.number().int() }),
  }),
  z.object({
    action: z.literal('agent.reconcile'),
    details: z.object({ removed: z.array(z.string()), lost: z.array(z.string()) }),
  }),
  z.object({
    action: z.literal('system.start'),
    /** `chainVerified` is in events written before the ledger's self-check became its own event. */
    details: z.object({ version: z.string(), chainVerified: z.boolean().optional() }),
  }),
  z.object({
    /** The ledger recomputed and checked against its signed checkpoints (at start, daily, on demand). */
    action: z.literal('ledger.self_check'),
    details: z.object({
      trigger: z.enum(['start', 'daily', 'manual']),
      ok: z.boolean(),
      size: z.number().int(),
      root: z.string().nullable(),
      firstBadSeq: z.number().int().nullable(),
      reason: z.string().nullable(),
      durationMs: z.number(),
    }),
  }),
  z.object({
    /** An evidence bundle made (`start`, before any data is read) and finished (`end`, with the bundle's digest). */
    action: z.literal('audit.export'),
    details: z.object({
      phase: z.enum(['start', 'end']),
      exportId: z.string(),
      from: z.string().nullable(),
      to: z.string().nullable(),
      fromSeq: z.number().int().optional(),
      toSeq: z.number().int().optional(),
      treeSize: z.number().int().optional(),
      events: z.number().int().optional(),
      bytes: z.number().int().optional(),
      sha256: z.string().optional(),
      error: z.string().optional(),
    }),
  }),
  z.object({
    /** An admin asks to remove the events past retention (before `cutoff`); a second admin must approve. */
    action: z.literal('audit.purge_request'),
    details: z.object({ purgeId: z.string(), cutoff: z.string(), events: z.number().int() }),
  }),
  z.object({
    /** Events before `cutoff` (up to `toSeq`) became tombstones: their leaves and hashes stay in the tree. */
    action: z.literal('audit.purge'),
    details: z.object({ purgeId: z.string(), requestedBy: z.string(), cutoff: z.string(), events: z.number().int(), fromSeq: z.number().int(), toSeq: z.number().int() }),
  }),
  z.object({
    action: z.literal('siem.create'),
    details: z.object({ name: z.string(), kind: z.string(), target: z.string() }),
  }),
  z.object({
    action: z.literal('siem.delete'),
    details: z.object({ name: z.string(), kind: z.string(), target: z.string(), lastSeq: z.number().int() }),
  }),
  z.object({
    /** A sandbox checkpointed into an encrypted image on its host and stopped (its memory freed). */
    action: z.literal('sandbox.pause'),
    /** `networkRemoved`: its network (which allowed nothing) went with the pause; it resumes without one. */
    details: z.object({ bytes: z.number().int(), kek: z.object({ name: z.string(), version: z.number().int() }), networkRemoved: z.literal(true).optional() }),
  }),
  z.object({
    action: z.literal('sandbox.resume'),
    details: z.object({ remainingSeconds: z.number().int() }),
  }),
  z.object({
    /** A data key handed to an agent (issue) or unwrapped for it (unwrap), for one object of a sandbox. */
    action: z.literal('key.use'),
    details: z.object({ name: z.string(), version: z.number().int(), op: z.enum(['issue', 'unwrap', 'rewrap']), context: z.string(), sandboxId: z.string(), reason: z.string().optional() }),
  }),
  z.object({
    /** A rewrap was started: stored data keys move to the KEK's latest version, the data stays as it is. */
    action: z.literal('key.rewrap'),
    details: z.object({ name: z.string(), version: z.number().int(), objects: z.number().int() }),
  }),
  z.object({
    /** A new version of the policy set: what changed, field by field, and where the change came from. */
    action: z.literal('policy.apply'),
    details: z.object({
      version: z.number().int(),
      hash: z.string(),
      previousVersion: z.number().int().nullable(),
      source: z.unknown(),
      /** Field by field: path, before, after. */
      changes: z.unknown(),
      /** Whole policies that came and went (their every field is the after, or the before). */
      addedPolicies: z.array(z.unknown()).optional(),
      removedPolicies: z.array(z.unknown()).optional(),
    }),
  }),
  z.object({
    /** A host agent acknowledged a policy version: it enforces it from now on. */
    action: z.literal('policy.enforce'),
    details: z.object({ version: z.number().int(), hash: z.string() }),
  }),
  z.object({
    /** A host agent refused a policy version (forged or unverifiable signature, not newer than its own). */
    action: z.literal('policy.refuse'),
    details: z.object({ version: z.number().int(), hash: z.string(), reason: z.string(), message: z.string() }),
  }),
  z.object({
    action: z.literal('key.create'),
    details: z.object({ name: z.string(), version: z.number().int() }),
  }),
  z.object({
    /** A new version: new data keys are wrapped with it from now on. */
    action: z.literal('key.rotate'),
    details: z.object({ name: z.string(), version: z.number().int() }),
  }),
  z.object({
    action: z.literal('key.update'),
    details: z.object({
      name: z.string(),
      minDecryptVersion: change(z.number().int()).optional(),
      version: z.number().int().optional(),
      state: change(z.enum(['active', 'disabled'])).optional(),
    }),
  }),
  z.object({
    /** Crypto-shredding: the version's material is gone, and with it every data key it wrapped. */
    action: z.literal('key.destroy'),
    details: z.object({ name: z.string(), version: z.number().int() }),
  }),
  z.object({
    action: z.literal('ledger.key_rotate'),
    details: z.object({ version: z.number().int(), verifierKey: z.string() }),
  }),
  z.object({
    /** The root key was rotated (offline, while the control plane was stopped): every secret it seals was sealed again. */
    action: z.literal('system.root_key_rotate'),
    details: z.object({ kind: RootKeyKind, previousKind: RootKeyKind, rotatedAt: z.string() }),
  }),
  z.object({
    action: z.literal('system.bootstrap'),
    details: z.object({ admin: z.string(), caFingerprint: z.string() }),
  }),
]);
export type AuditAction = z.infer<typeof AuditAction>;
export type AuditActionName = AuditAction['action'];

/** Every action name, for filters and forms. */
export const auditActionNames = AuditAction.options.map((o) => o.shape.action.value) as AuditActionName[];

const Context = z.object({
  actor: AuditActor,
  target: AuditTarget.nullable(),
  outcome: AuditOutcome,
  sourceIp: z.string().nullable(),
  userAgent: z.string().nullable(),
  requestId: z.string(),
  at: z.iso.datetime(),
  /** For events a host agent spooled: the agent and its sequence number (ingest is idempotent on them). */
  origin: z.object({ agentId: z.string(), seq: z.number().int().positive() }).optional(),
});

/** An event as a service hands it to the ledger, before it is placed in the chain. */
export const AuditEventInput = z.intersection(Context, AuditAction);
export type AuditEventInput = z.infer<typeof AuditEventInput>;

/** An event as stored: its place in the chain, the previous event's hash and its own. */
export const AuditRecord = z.intersection(
  z.intersection(Context, AuditAction),
  z.object({ seq: z.number().int().positive(), prevHash: z.string(), hash: z.string() }),
);
export type AuditRecord = z.infer<typeof AuditRecord>;

/** The hash that stands before the first event. */
export const GENESIS_HASH = '0'.repeat(64);
