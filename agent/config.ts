import { createHash } from 'node:crypto';
import path from 'node:path';
import { z } from 'zod';

const ConfigSchema = z.object({
  SBX_AGENT_STATE_DIR: z.string().min(1).default('/var/lib/sbx-agent'),
  SBX_AGENT_HEARTBEAT_SECONDS: z.coerce.number().int().min(1).max(300).default(10),
  SBX_AGENT_SANDBOX_SLOTS: z.coerce.number().int().min(0).max(10_000).optional(),
  SBX_AGENT_WARM_POOL: z.coerce.number().int().min(0).max(64).default(2),
  SBX_AGENT_PLATFORM: z.enum(['systrap', 'ptrace'], { message: 'expected systrap or ptrace' }).default('systrap'),
  SBX_AGENT_LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** Whether sandboxes on this host may have a network (allowlisted egress); off: no interface at all. */
  SBX_AGENT_EGRESS: z.enum(['on', 'off'], { message: 'expected on or off' }).default('on'),
  SBX_AGENT_NETWORK_POOL: z
    .string()
    .regex(/^\d{1,3}(\.\d{1,3}){3}\/(1[6-9]|2[0-8])$/, 'expected an IPv4 network from /16 to /28, e.g. 10.250.0.0/16')
    .default('10.250.0.0/16'),
  /** The resolver the agent asks for allowed names (ip or ip:port); by default the host's first nameserver. */
  SBX_AGENT_DNS_UPSTREAM: z
    .string()
    .regex(/^\d{1,3}(\.\d{1,3}){3}(:\d{1,5})?$/, 'expected an IPv4 address, optionally with :port')
    .optional(),
  /** Networks no sandbox may reach besides the built-in deny floor (comma-separated CIDRs). */
  SBX_AGENT_DENY_EXTRA: z
    .string()
    .regex(/^(\d{1,3}(\.\d{1,3}){3}\/\d{1,2})?(,\d{1,3}(\.\d{1,3}){3}\/\d{1,2})*$/, 'expected comma-separated IPv4 CIDRs')
    .default(''),
  /** Egress decisions are aggregated over this window before they are sent (and audited). */
  SBX_AGENT_EGRESS_AUDIT_SECONDS: z.coerce.number().int().min(1).max(300).default(60),
  /** Below this much free space where the audit spool lives, new sandboxes are refused (fail closed). */
  SBX_AGENT_SPOOL_MIN_FREE_MIB: z.coerce.number().int().min(0).max(1_048_576).default(64),
  /** Where runsc's state and the sandboxes' specs (their environment) live: must be in memory (tmpfs). Default: under /dev/shm, one per state directory. */
  SBX_AGENT_RUN_DIR: z.string().min(1).optional(),
  /** Where a checkpoint is written in plaintext before it is encrypted: must be in memory (tmpfs). */
  SBX_AGENT_STAGING_DIR: z.string().min(1).default('/dev/shm/sbx-agent'),
  /** How runsc compresses a checkpoint before it is encrypted. */
  SBX_AGENT_CHECKPOINT_COMPRESSION: z.enum(['flate-best-speed', 'none']).default('flate-best-speed'),
});

export type AgentConfig = {
  stateDir: string;
  heartbeatSeconds: number;
  sandboxSlots: number | undefined;
  platform: 'systrap' | 'ptrace';
  /** Started sandboxes of the default size kept ready on this host. */
  warmPool: number;
  logLevel: z.infer<typeof ConfigSchema>['SBX_AGENT_LOG_LEVEL'];
  spoolMinFreeBytes: number;
  stagingDir: string;
  runDir: string;
  checkpointCompression: 'flate-best-speed' | 'none';
  egress: {
    enabled: boolean;
    pool: string;
    upstream: { host: string; port: number } | null;
    extraFloor: string[];
    auditWindowSeconds: number;
  };
};

/** Parses the agent's environment once; a bad value names the variable and what it expects. */
export function parseAgentConfig(env: Record<string, string | undefined>): AgentConfig {
  const r = ConfigSchema.safeParse(env);
  if (!r.success) {
    const issue = r.error.issues[0];
    const name = issue?.path.join('.') ?? 'environment';
    throw new Error(`${name}: ${issue?.code === 'invalid_type' ? `expected ${issue.expected}` : issue?.message}`);
  }
  return {
    stateDir: r.data.SBX_AGENT_STATE_DIR,
    heartbeatSeconds: r.data.SBX_AGENT_HEARTBEAT_SECONDS,
    sandboxSlots: r.data.SBX_AGENT_SANDBOX_SLOTS,
    platform: r.data.SBX_AGENT_PLATFORM,
    warmPool: r.data.SBX_AGENT_WARM_POOL,
    logLevel: r.data.SBX_AGENT_LOG_LEVEL,
    spoolMinFreeBytes: r.data.SBX_AGENT_SPOOL_MIN_FREE_MIB * 1024 * 1024,
    stagingDir: r.data.SBX_AGENT_STAGING_DIR,
    runDir: r.data.SBX_AGENT_RUN_DIR ?? `/dev/shm/sbx-agent-run-${createHash('sha256').update(path.resolve(r.data.SBX_AGENT_STATE_DIR)).digest('hex').slice(0, 12)}`,
    checkpointCompression: r.data.SBX_AGENT_CHECKPOINT_COMPRESSION,
    egress: {
      enabled: r.data.SBX_AGENT_EGRESS === 'on',
      pool: r.data.SBX_AGENT_NETWORK_POOL,
      upstream: r.data.SBX_AGENT_DNS_UPSTREAM
        ? { host: r.data.SBX_AGENT_DNS_UPSTREAM.split(':')[0] ?? '', port: Number(r.data.SBX_AGENT_DNS_UPSTREAM.split(':')[1] ?? 53) }
        : null,
      extraFloor: r.data.SBX_AGENT_DENY_EXTRA.split(',').filter((c) => c.length > 0),
      auditWindowSeconds: r.data.SBX_AGENT_EGRESS_AUDIT_SECONDS,
    },
  };
}

/** The agent's configuration, from its environment. */
export function loadAgentConfig(): AgentConfig {
  return parseAgentConfig(process.env);
}
