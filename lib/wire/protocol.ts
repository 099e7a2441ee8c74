import { z } from 'zod';
import { NetworkSpec } from '../api/network';
import { SignedPolicySet } from '../policy/signed-policy';

/**
 * The agent channel's wire protocol: JSON messages over one WebSocket per agent, inside mutual
 * TLS 1.3. Either side sends requests with an id; the other side answers each with a response of
 * the same id. A response is the application-level acknowledgement: with TLS 1.3 a finished
 * handshake proves nothing about whether the peer accepted our certificate.
 */
export const PROTOCOL_VERSION = 1;

/** Where agents open their channel on the gateway. */
export const CHANNEL_PATH = '/agent/v1/channel';

export const Capacity = z.object({
  cpus: z.number().int().positive(),
  memoryMiB: z.number().int().positive(),
  sandboxSlots: z.number().int().nonnegative(),
  /** Whether this host enforces egress allowlists (sandboxes with a network may be placed here). */
  egress: z.boolean().default(false),
});
export type Capacity = z.infer<typeof Capacity>;

export const Health = z.object({
  status: z.enum(['ok', 'degraded', 'failing']),
  problems: z.array(z.string().max(500)).max(20),
});
export type Health = z.infer<typeof Health>;

export const Heartbeat = z.object({
  agentVersion: z.string().max(64),
  runscVersion: z.string().max(128).nullable(),
  kernel: z.string().max(256),
  platform: z.string().max(64),
  capacity: Capacity,
  health: Health,
  sandboxes: z.number().int().nonnegative(),
  certificateNotAfter: z.iso.datetime(),
  /** The policy version it enforces (null: none yet). */
  policy: z.object({ version: z.number().int().positive(), hash: z.string() }).nullable().default(null),
});
export type Heartbeat = z.infer<typeof Heartbeat>;


/** Sandbox ids: fixed length, since runsc resolves ids by prefix. */
export const SandboxId = z.string().regex(/^sbx-[a-z0-9]{20}$/, 'expected a sandbox id (sbx- and 20 letters or digits)');

export const SandboxLimits = z.object({
  cpus: z.number().positive().max(64),
  memoryMiB: z.number().int().min(32).max(65_536),
  pids: z.number().int().min(32).max(32_768),
  diskMiB: z.number().int().min(16).max(65_536),
});
export type SandboxLimits = z.infer<typeof SandboxLimits>;

export const ExecOutcome = z.object({
  exitCode: z.number().int().nullable(),
  signal: z.string().nullable(),
  timedOut: z.boolean(),
  memoryLimitExceeded: z.boolean(),
  durationMs: z.number(),
});
export type ExecOutcome = z.infer<typeof ExecOutcome>;

/** A path inside a sandbox: absolute, no NUL byte (relative paths are resolved by the control plane). */
export const SandboxPath = z
  .string()
  .startsWith('/', 'expected an absolute path')
  .max(4096, 'expected at most 4096 characters')
  .refine((p) => !p.includes('\0'), 'expected no NUL byte');

/** One entry of a directory inside a sandbox. */
export const FileEntry = z.object({
  name: z.string(),
  path: z.string(),
  type: z.enum(['file', 'dir', 'symlink', 'other']),
  size: z.number().int().nonnegative(),
  /** Permission bits in octal, e.g. "644". */
  mode: z.string().max(8),
  modifiedAt: z.iso.datetime(),
});
export type FileEntry = z.infer<typeof FileEntry>;

/** A file moved whole, as the agent counted it; the control plane checks both against its own count. */
export const FileDigest = z.object({ size: z.number().int().nonnegative(), sha256: z.string().regex(/^[0-9a-f]{64}$/) });
export type FileDigest = z.infer<typeof FileDigest>;

/** What a sandbox uses now, read from its cgroup. */
export const SandboxUsage = z.object({
  memoryBytes: z.number().int().nonnegative(),
  memoryPeakBytes: z.number().int().nonnegative(),
  cpuSeconds: z.number().nonnegative(),
  pids: z.number().int().nonnegative(),
});
export type SandboxUsage = z.infer<typeof SandboxUsage>;

/**
 * One egress decision of a host agent, aggregated: `count` identical decisions between `firstAt`
 * and `lastAt`. DNS decisions carry the name and query type; connection decisions the destination,
 * port and protocol; both the reason and, where one matched, the rule.
 */
export const NetworkDecision = z.object({
  sandboxId: SandboxId,
  // The rest in sorted order: parsed, the details come out canonical already (see canonicalJson).
  addresses: z.array(z.string().max(64)).max(16).optional(),
  count: z.number().int().positive(),
  destination: z.string().max(64).optional(),
  firstAt: z.iso.datetime(),
  kind: z.enum(['dns', 'connection']),
  lastAt: z.iso.datetime(),
  name: z.string().max(253).optional(),
  port: z.number().int().min(0).max(65_535).optional(),
  protocol: z.string().max(16).optional(),
  queryType: z.string().max(16).optional(),
  reason: z.string().max(64),
  rule: z.string().max(300).optional(),
  verdict: z.enum(['allowed', 'denied']),
});
export type NetworkDecision = z.infer<typeof NetworkDecision>;


/** What a host agent audits on its own (kept in its spool until the control plane holds it). */
export const AgentAuditEvent = z.discriminatedUnion('type', [
  z.object({ type: z.literal('egress'), decision: NetworkDecision }),
  /** A policy version the agent refused (its signature, or not newer than the one it holds). */
  z.object({
    type: z.literal('policy_refused'),
    version: z.number().int(),
    hash: z.string().max(128),
    reason: z.string().max(64),
    message: z.string().max(500),
  }),
]);
export type AgentAuditEvent = z.infer<typeof AgentAuditEvent>;

/** An event of an agent's spool: its per-agent sequence number (from 1, no gaps) and when it was spooled. */
export const SpooledEvent = z.object({ seq: z.number().int().positive(), at: z.iso.datetime(), event: AgentAuditEvent });
export type SpooledEvent = z.infer<typeof SpooledEvent>;

/** Names one encrypted object of a sandbox: what it is, its sandbox, its file. */
export const KeyContext = z.string().regex(/^checkpoint:sbx-[a-z0-9]{20}:[A-Za-z0-9._-]{1,100}$/, 'expected checkpoint:SANDBOX:FILE');
const KekRef = z.object({ id: z.string().min(1).max(64), version: z.number().int().positive() });
const Base64Key = z.string().regex(/^[A-Za-z0-9+/]{43}=$/, 'expected a 32-byte key in base64');

/** Requests an agent sends to the control plane, with their parameters and results. */
export const agentMethods = {
  heartbeat: { params: Heartbeat, result: z.object({ serverTime: z.iso.datetime() }) },
  renew: {
    params: z.object({ csr: z.string().min(1).max(16_384) }),
    result: z.object({ certificate: z.string(), notAfter: z.iso.datetime() }),
  },
  /**
   * Events from the agent's audit spool, in sequence order. The control plane appends the ones it
   * has not seen (idempotent on agent and sequence) and answers with the highest sequence it holds
   * durably: the agent may forget everything up to it.
   */
  'audit.ingest': {
    params: z.object({ events: z.array(SpooledEvent).min(1).max(2000) }),
    result: z.object({ acked: z.number().int().nonnegative() }),
  },
  /**
   * A fresh data key for one object of a sandbox of this agent (`context` names it), wrapped with
   * the latest version of the sandbox's KEK. KEKs never leave the control plane; it records every
   * key it hands out, and the agent keeps the clear key in memory only while it encrypts.
   */
  'keys.issue': {
    params: z.object({ sandboxId: SandboxId, context: KeyContext }),
    result: z.object({ dataKey: Base64Key, kek: KekRef, wrappedKey: z.string().max(512) }),
  },
  /** The data key a stored object's header wraps, for a sandbox of this agent; refused once its KEK version is destroyed or disabled. */
  'keys.unwrap': {
    params: z.object({ sandboxId: SandboxId, context: KeyContext, kek: KekRef, wrappedKey: z.string().max(512) }),
    result: z.object({ dataKey: Base64Key }),
  },
  /** The same data key wrapped with the KEK's latest version (no clear key leaves the control plane). */
  'keys.rewrap': {
    params: z.object({ sandboxId: SandboxId, context: KeyContext, kek: KekRef, wrappedKey: z.string().max(512) }),
    result: z.object({ kek: KekRef, wrappedKey: z.string().max(512) }),
  },
} as const;

/** Requests the control plane sends to an agent (pushes). */
export const controlMethods = {
  echo: { params: z.object({ nonce: z.string().max(256) }), result: z.object({ nonce: z.string() }) },
  'sandbox.create': {
    params: z.object({
      id: SandboxId,
      image: z.string().max(64),
      limits: SandboxLimits,
      env: z.record(z.string(), z.string()),
      timeoutSeconds: z.number().int().positive(),
      idleTimeoutSeconds: z.number().int().positive().optional(),
      /** Absent: no network (an agent of an earlier version). */
      network: NetworkSpec.optional(),
      /** The policy it is made under: the agent checks the request against its own signed copy. */
      policy: z.string().max(63),
    }),
    result: z.object({ startedAt: z.iso.datetime(), startMs: z.number() }),
  },
  'sandbox.exec': {
    params: z.object({
      id: SandboxId,
      execId: z.string().max(64),
      cmd: z.array(z.string().max(65_536)).min(1).max(1024),
      env: z.record(z.string(), z.string()).optional(),
      cwd: z.string().max(4096).optional(),
      timeoutMs: z.number().int().positive().max(24 * 3_600_000).optional(),
      stdin: z.string().max(1024 * 1024).optional(),
      /**
       * Output bytes the agent may send ahead of the control plane's `exec.credit`; past it the
       * command's output is no longer read (its pipes fill and it waits). Absent: no window.
       */
      window: z.number().int().min(64 * 1024).max(64 * 1024 * 1024).optional(),
    }),
    result: ExecOutcome,
  },
  /** Kills one running command (a background command, or one whose caller gave up). */
  'sandbox.exec.kill': { params: z.object({ id: SandboxId, execId: z.string().max(64) }), result: z.object({ killed: z.boolean() }) },
  'sandbox.kill': { params: z.object({ id: SandboxId }), result: z.object({ killed: z.boolean() }) },
  /**
   * Checkpoints a sandbox (files, memory, processes) into an encrypted image on the agent and stops
   * it, which frees its memory. Refused while commands run.
   */
  /** `networkRemoved`: it had a network that allowed nothing; it was removed, and the sandbox resumes without one. */
  'sandbox.pause': { params: z.object({ id: SandboxId }), result: z.object({ bytes: z.number().int(), kek: KekRef, networkRemoved: z.boolean().default(false) }) },
  /** Restores a paused sandbox from its image; `timeoutSeconds` is what was left of its time. */
  /** Moves the data keys of a paused sandbox's image to the latest version of KEK `kekId`, headers only (the data is not touched). */
  'sandbox.rewrap': { params: z.object({ id: SandboxId, kekId: z.string().min(1).max(64) }), result: z.object({ files: z.number().int(), rewrapped: z.number().int(), kek: KekRef.nullable() }) },
  'sandbox.resume': { params: z.object({ id: SandboxId, timeoutSeconds: z.number().int().positive() }), result: z.object({ resumeMs: z.number() }) },
  /** Replaces a running sandbox's egress rules (live, one nftables transaction). */
  'sandbox.network': { params: z.object({ id: SandboxId, network: NetworkSpec, policy: z.string().max(63) }), result: z.object({ applied: z.boolean() }) },
  /**
   * A new signed version of the policy set. The agent takes it only when the signature chains to
   * its CA and the version is newer than its own, keeps it on disk as last-known-good, and answers
   * with its hash (the acknowledgement); anything else is refused and audited.
   */
  'policy.apply': { params: SignedPolicySet, result: z.object({ version: z.number().int(), hash: z.string() }) },
  'sandbox.usage': { params: z.object({ id: SandboxId }), result: SandboxUsage },
  /** Receives the bytes of `transferId` (transfer.* events) into `path`; replaces the file only once all arrived. */
  'files.write': { params: z.object({ id: SandboxId, transferId: z.string().max(64), path: SandboxPath }), result: FileDigest },
  /** Sends the file's bytes as transfer.* events, then answers with their count and digest. */
  'files.read': { params: z.object({ id: SandboxId, transferId: z.string().max(64), path: SandboxPath }), result: FileDigest },
  'files.stat': { params: z.object({ id: SandboxId, path: SandboxPath }), result: FileEntry },
  'files.list': { params: z.object({ id: SandboxId, path: SandboxPath }), result: z.object({ entries: z.array(FileEntry).max(10_000) }) },
  'files.remove': { params: z.object({ id: SandboxId, path: SandboxPath, recursive: z.boolean() }), result: z.object({ removed: z.boolean() }) },
  'files.mkdir': { params: z.object({ id: SandboxId, path: SandboxPath }), result: z.object({ created: z.boolean() }) },
} as const;

/** One-way messages an agent sends while a request runs (output of a command). */
export const ExecOutput = z.object({ execId: z.string().max(64), stream: z.enum(['stdout', 'stderr']), data: z.string() });
export type ExecOutput = z.infer<typeof ExecOutput>;

/** Output bytes of a command the control plane sends ahead of a reader before it holds the command back. */
export const EXEC_WINDOW_BYTES = 4 * 1024 * 1024;

/** The control plane passed `bytes` of a command's output on to its reader; the agent may send as many more. */
export const ExecCredit = z.object({ execId: z.string().max(64), bytes: z.number().int().positive().max(1024 * 1024 * 1024) });
export type ExecCredit = z.infer<typeof ExecCredit>;

/** Sent once after an agent process starts: what it removed of an earlier run's sandboxes. */
export const AgentReconciled = z.object({ removed: z.array(z.string().max(64)).max(10_000) });

/** An agent's word that a sandbox ended without being asked (its deadline, or the memory limit). */
export const SandboxStopped = z.object({ id: SandboxId, reason: z.enum(['expired', 'idle', 'memory_limit_exceeded', 'failed']) });

export type AgentMethod = keyof typeof agentMethods;
export type ControlMethod = keyof typeof controlMethods;

export const Request = z.object({
  v: z.literal(PROTOCOL_VERSION),
  kind: z.literal('request'),
  id: z.string().min(1).max(64),
  method: z.string().min(1).max(64),
  params: z.unknown(),
});
export type Request = z.infer<typeof Request>;

export const ProtocolError = z.object({ code: z.string().max(64), message: z.string().max(2000) });

export const Response = z.object({
  v: z.literal(PROTOCOL_VERSION),
  kind: z.literal('response'),
  id: z.string().min(1).max(64),
  ok: z.boolean(),
  result: z.unknown().optional(),
  error: ProtocolError.optional(),
});
export type Response = z.infer<typeof Response>;

/** A message that wants no answer (streamed output); `topic` says what it carries. */
export const Event = z.object({
  v: z.literal(PROTOCOL_VERSION),
  kind: z.literal('event'),
  topic: z.string().min(1).max(64),
  payload: z.unknown(),
});
export type Event = z.infer<typeof Event>;

export const Message = z.discriminatedUnion('kind', [Request, Response, Event]);
export type Message = z.infer<typeof Message>;

/** Close codes of the channel (4000-4999 are the application's). */
export const CloseCode = {
  revoked: 4403,
  replaced: 4409,
  protocol: 4400,
  shutdown: 4503,
} as const;

/** Largest message either side accepts. */
export const MAX_MESSAGE_BYTES = 1024 * 1024;
