import { z } from 'zod';

const ConfigSchema = z.object({
  SBX_AGENT_STATE_DIR: z.string().min(1).default('/var/lib/sbx-agent'),
  SBX_AGENT_HEARTBEAT_SECONDS: z.coerce.number().int().min(1).max(300).default(10),
  SBX_AGENT_SANDBOX_SLOTS: z.coerce.number().int().min(0).max(10_000).optional(),
  SBX_AGENT_WARM_POOL: z.coerce.number().int().min(0).max(64).default(2),
  SBX_AGENT_PLATFORM: z.enum(['systrap', 'ptrace'], { message: 'expected systrap or ptrace' }).default('systrap'),
  SBX_AGENT_LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
});

export type AgentConfig = {
  stateDir: string;
  heartbeatSeconds: number;
  sandboxSlots: number | undefined;
  platform: 'systrap' | 'ptrace';
  /** Started sandboxes of the default size kept ready on this host. */
  warmPool: number;
  logLevel: z.infer<typeof ConfigSchema>['SBX_AGENT_LOG_LEVEL'];
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
  };
}

/** The agent's configuration, from its environment. */
export function loadAgentConfig(): AgentConfig {
  return parseAgentConfig(process.env);
}
