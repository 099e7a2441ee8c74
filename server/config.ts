import path from 'node:path';
import { z } from 'zod';
import type { RootKeySource } from './keys/root-key';

const projectRoot = path.resolve(import.meta.dirname, '..');

const port = z.coerce.number().int().min(0).max(65535);
const positiveInt = z.coerce.number().int().positive();

/**
 * Every setting of the control plane, read from the environment once per process. Nothing here is
 * a secret: the root key is named by the path of a key file or passphrase file the operator
 * supplies (or made in the data directory on first start), the other secrets are sealed with it.
 */
const ConfigSchema = z.object({
  SBX_DATA_DIR: z.string().min(1).default(path.join(projectRoot, 'data')),
  SBX_CONSOLE_HOST: z.string().min(1).default('::'),
  SBX_CONSOLE_PORT: port.default(8443),
  SBX_PUBLIC_URL: z.url({ protocol: /^https$/, message: 'expected an https:// URL' }).optional(),
  SBX_AGENT_GATEWAY_PORT: port.default(8444),
  SBX_AGENT_GATEWAY_HOST: z.string().min(1).default('::'),
  SBX_AGENT_GATEWAY_URL: z.url({ protocol: /^wss$/, message: 'expected a wss:// URL' }).optional(),
  SBX_AGENT_CERT_TTL_SECONDS: positiveInt.min(10).max(30 * 86_400).default(86_400),
  SBX_LOCAL_AGENT: z.enum(['true', 'false'], { message: 'expected true or false' }).default('true'),
  SBX_SESSION_IDLE_SECONDS: positiveInt.max(86_400).default(900),
  SBX_SESSION_MAX_HOURS: positiveInt.max(168).default(12),
  SBX_LOCKOUT_THRESHOLD: positiveInt.max(100).default(5),
  SBX_LOCKOUT_MINUTES: positiveInt.max(1440).default(15),
  SBX_ADMIN_USERNAME: z
    .string()
    .regex(/^[a-z0-9][a-z0-9._-]{1,62}$/, 'expected 2-63 lower-case letters, digits, dot, dash, underscore')
    .default('admin'),
  SBX_TLS_CERT_DAYS: positiveInt.max(397).default(30),
  SBX_LEDGER_CHECKPOINT_EVENTS: positiveInt.max(1_000_000).default(10_000),
  SBX_LEDGER_CHECKPOINT_SECONDS: positiveInt.max(86_400).default(60),
  SBX_LEDGER_SELF_CHECK_HOURS: positiveInt.max(24 * 30).default(24),
  /** Where checkpoints also go: an https:// URL (POSTed as text) or syslog+tls://host:port. */
  SBX_LEDGER_CHECKPOINT_SINK: z
    .string()
    .regex(/^(https:\/\/\S+|syslog\+tls:\/\/[^\s/]+:\d+)$/, 'expected an https:// URL or syslog+tls://host:port')
    .optional(),
  /** The CA that checkpoint sinks and SIEM endpoints chain to, when not the system's. */
  SBX_SINK_CA_FILE: z.string().min(1).optional(),
  SBX_LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** The root key as a file of 32 bytes in base64 (say, on removable or encrypted media). */
  SBX_ROOT_KEY_FILE: z.string().min(1).optional(),
  /** The root key as a passphrase in a file (stretched with scrypt). */
  SBX_ROOT_PASSPHRASE_FILE: z.string().min(1).optional(),
});

export type Config = {
  projectRoot: string;
  dataDir: string;
  databaseFile: string;
  console: { host: string; port: number; publicUrl: string };
  agentGateway: { host: string; port: number; url: string; agentCertTtlSeconds: number };
  localAgent: boolean;
  session: { idleSeconds: number; maxHours: number };
  lockout: { threshold: number; minutes: number };
  adminUsername: string;
  tlsCertDays: number;
  sinkCaFile: string | null;
  ledger: { checkpointEvents: number; checkpointSeconds: number; selfCheckHours: number; checkpointSink: string | null };
  logLevel: z.infer<typeof ConfigSchema>['SBX_LOG_LEVEL'];
  rootKey: RootKeySource;
  /** The environment child processes (the local agent) inherit. */
  inheritedEnv: NodeJS.ProcessEnv;
};

/** Thrown with a one-line message naming the variable and what it expects. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** Parses the environment into the process's one Config. */
export function parseConfig(env: Record<string, string | undefined>): Config {
  const result = ConfigSchema.safeParse(env);
  if (!result.success) {
    const issue = result.error.issues[0];
    const name = issue?.path.join('.') ?? 'environment';
    const got = typeof issue?.path[0] === 'string' ? env[issue.path[0]] : undefined;
    const expected = issue?.code === 'invalid_type' ? `expected ${issue.expected}` : issue?.message;
    throw new ConfigError(`${name}: ${expected}${got === undefined ? '' : ` (got ${JSON.stringify(got)})`}`);
  }
  const c = result.data;
  if (c.SBX_ROOT_KEY_FILE && c.SBX_ROOT_PASSPHRASE_FILE) throw new ConfigError('SBX_ROOT_KEY_FILE and SBX_ROOT_PASSPHRASE_FILE: expected one of them, not both');
  const dataDir = path.resolve(c.SBX_DATA_DIR);
  return {
    projectRoot,
    dataDir,
    databaseFile: path.join(dataDir, 'control-plane.db'),
    console: {
      host: c.SBX_CONSOLE_HOST,
      port: c.SBX_CONSOLE_PORT,
      publicUrl: (c.SBX_PUBLIC_URL ?? `https://localhost:${c.SBX_CONSOLE_PORT}`).replace(/\/$/, ''),
    },
    agentGateway: {
      host: c.SBX_AGENT_GATEWAY_HOST,
      port: c.SBX_AGENT_GATEWAY_PORT,
      url: (
        c.SBX_AGENT_GATEWAY_URL ??
        `wss://${new URL(c.SBX_PUBLIC_URL ?? 'https://localhost').hostname}:${c.SBX_AGENT_GATEWAY_PORT}`
      ).replace(/\/$/, ''),
      agentCertTtlSeconds: c.SBX_AGENT_CERT_TTL_SECONDS,
    },
    localAgent: c.SBX_LOCAL_AGENT === 'true',
    session: { idleSeconds: c.SBX_SESSION_IDLE_SECONDS, maxHours: c.SBX_SESSION_MAX_HOURS },
    lockout: { threshold: c.SBX_LOCKOUT_THRESHOLD, minutes: c.SBX_LOCKOUT_MINUTES },
    adminUsername: c.SBX_ADMIN_USERNAME,
    tlsCertDays: c.SBX_TLS_CERT_DAYS,
    sinkCaFile: c.SBX_SINK_CA_FILE ?? null,
    ledger: {
      checkpointEvents: c.SBX_LEDGER_CHECKPOINT_EVENTS,
      checkpointSeconds: c.SBX_LEDGER_CHECKPOINT_SECONDS,
      selfCheckHours: c.SBX_LEDGER_SELF_CHECK_HOURS,
      checkpointSink: c.SBX_LEDGER_CHECKPOINT_SINK ?? null,
    },
    logLevel: c.SBX_LOG_LEVEL,
    rootKey: c.SBX_ROOT_KEY_FILE
      ? { kind: 'file', file: path.resolve(c.SBX_ROOT_KEY_FILE) }
      : c.SBX_ROOT_PASSPHRASE_FILE
        ? { kind: 'passphrase', file: path.resolve(c.SBX_ROOT_PASSPHRASE_FILE) }
        : { kind: 'generated' },
    inheritedEnv: { ...env } as NodeJS.ProcessEnv,
  };
}

/** The process's configuration, from its environment. */
export function loadConfig(): Config {
  return parseConfig(process.env);
}
