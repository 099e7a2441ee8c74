import { z } from 'zod';
import { KekName } from './keys';
import { ExecOutcome, SandboxId } from '../wire/protocol';
import { NetworkSpec } from './network';

import { DEFAULT_SANDBOX_IMAGE } from './images';

export { DEFAULT_SANDBOX_IMAGE };

/** The sandbox user's home and working directory; relative file paths are resolved against it. */
export const SANDBOX_HOME = '/home/user';

/** The size a sandbox gets when none is asked for; the warm pool keeps sandboxes of this size. */
export const DEFAULT_LIMITS = { cpus: 1, memoryMiB: 512, pids: 256, diskMiB: 256 } as const;

const YEAR_SECONDS = 365 * 86_400;

const EnvName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,127}$/, 'expected an environment variable name');

/** `POST /api/v1/sandboxes`. */
export const CreateSandboxBody = z.strictObject({
  image: z.literal(DEFAULT_SANDBOX_IMAGE, { message: `expected image "${DEFAULT_SANDBOX_IMAGE}"` }).default(DEFAULT_SANDBOX_IMAGE),
  cpus: z.number().positive('expected more than 0 CPUs').max(16, 'expected at most 16 CPUs').default(DEFAULT_LIMITS.cpus),
  memoryMiB: z.number().int().min(64, 'expected at least 64 MiB').max(16_384, 'expected at most 16384 MiB').default(DEFAULT_LIMITS.memoryMiB),
  pids: z.number().int().min(64, 'expected at least 64').max(4096, 'expected at most 4096').default(DEFAULT_LIMITS.pids),
  diskMiB: z.number().int().min(16, 'expected at least 16 MiB').max(16_384, 'expected at most 16384 MiB').default(DEFAULT_LIMITS.diskMiB),
  /** Lifetime; at most the appliance's maximum (Settings, 24 hours unless an admin changed it). */
  timeoutSeconds: z.number().int().min(1, 'expected at least 1 second').max(YEAR_SECONDS, 'expected at most a year').default(300),
  /** Stop the sandbox after this long without a command (never while one runs). */
  idleTimeoutSeconds: z.number().int().min(1, 'expected at least 1 second').max(YEAR_SECONDS, 'expected at most a year').optional(),
  /** Place the sandbox only on a host carrying all these labels. */
  hostLabels: z.record(z.string().max(63), z.string().max(63)).default({}),
  env: z.record(EnvName, z.string().max(32_768)).default({}),
  metadata: z.record(z.string().max(64), z.string().max(256)).default({}),
  /** Its network; by default an allowlist with nothing in it (no egress). `open` needs an admin's consent in Settings. */
  network: NetworkSpec.default({ mode: 'allowlist', allow: [] }),
  /** The key-encryption key (by name) of its data at rest, say a team's own; by default the appliance's default key. */
  kek: KekName.optional(),
});
export type CreateSandboxBody = z.infer<typeof CreateSandboxBody>;

/** `PUT /api/v1/sandboxes/{id}/network`: the running sandbox's new network rules (applied live). */
export const SetNetworkBody = NetworkSpec;
export type SetNetworkBody = z.infer<typeof SetNetworkBody>;

export const SandboxState = z.enum(['starting', 'running', 'paused', 'stopped', 'expired', 'failed']);

export const SandboxView = z.object({
  id: SandboxId,
  hostId: z.string(),
  owner: z.string(),
  image: z.string(),
  cpus: z.number(),
  memoryMiB: z.number().int(),
  pids: z.number().int(),
  diskMiB: z.number().int(),
  state: SandboxState,
  stateReason: z.string().nullable(),
  metadata: z.record(z.string(), z.string()),
  network: NetworkSpec,
  /** The id of the key-encryption key its data at rest is wrapped with (null: the default key). */
  kekId: z.string().nullable(),
  createdAt: z.string(),
  deadlineAt: z.string(),
  endedAt: z.string().nullable(),
});
export type SandboxView = z.infer<typeof SandboxView>;

/** `POST /api/v1/sandboxes/{id}/exec`; the answer is NDJSON, one ExecEvent per line. */
export const ExecBody = z.strictObject({
  cmd: z.array(z.string().max(65_536)).min(1, 'expected a command').max(1024),
  env: z.record(EnvName, z.string().max(32_768)).optional(),
  cwd: z.string().startsWith('/', 'expected an absolute path').max(4096).optional(),
  timeoutMs: z.number().int().min(1).max(24 * 3_600_000).optional(),
  stdin: z.string().max(1024 * 1024).optional(),
  /** Answer at once with the command's id; wait for it or kill it later under /commands/{commandId}. */
  background: z.boolean().default(false),
});
export type ExecBody = z.infer<typeof ExecBody>;

export const CommandState = z.enum(['running', 'exited', 'killed', 'timed_out', 'failed', 'lost']);

/** A command run in a sandbox, as its history keeps it (never its output). */
export const CommandView = z.object({
  id: z.string(),
  sandboxId: SandboxId,
  actor: z.string(),
  command: z.string(),
  background: z.boolean(),
  state: CommandState,
  exitCode: z.number().int().nullable(),
  signal: z.string().nullable(),
  startedAt: z.string(),
  endedAt: z.string().nullable(),
  durationMs: z.number().int().nullable(),
});
export type CommandView = z.infer<typeof CommandView>;

export const ExecEvent = z.discriminatedUnion('type', [
  /** First line of every exec stream: the command's id (to kill it, or find it in the history). */
  z.object({ type: z.literal('start'), commandId: z.string() }),
  z.object({ type: z.literal('stdout'), data: z.string() }),
  z.object({ type: z.literal('stderr'), data: z.string() }),
  z.object({ type: z.literal('exit') }).extend(ExecOutcome.shape),
  z.object({ type: z.literal('error'), error: z.object({ code: z.string(), message: z.string() }) }),
  /** Output older than what the control plane keeps of a background command was left out here. */
  z.object({ type: z.literal('dropped'), bytes: z.number().int() }),
]);
export type ExecEvent = z.infer<typeof ExecEvent>;

/** The output bytes an event carries (its data is base64); 0 for events that are not output. */
export function outputBytes(e: ExecEvent): number {
  if (e.type !== 'stdout' && e.type !== 'stderr') return 0;
  const pad = e.data.endsWith('==') ? 2 : e.data.endsWith('=') ? 1 : 0;
  return Math.max(0, Math.floor((e.data.length * 3) / 4) - pad);
}
