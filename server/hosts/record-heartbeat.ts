import type { Heartbeat } from '../../lib/wire/protocol';
import type { ServerContext } from '../context';

/** Stores what an agent last reported about itself (telemetry, not a change: not audited). */
export async function recordHeartbeat(deps: Pick<ServerContext, 'db'>, agentId: string, hb: Heartbeat): Promise<void> {
  await deps.db.agent.update({
    where: { id: agentId },
    data: {
      lastSeenAt: new Date(),
      agentVersion: hb.agentVersion,
      runscVersion: hb.runscVersion,
      kernel: hb.kernel,
      platform: hb.platform,
      capacity: JSON.stringify(hb.capacity),
      health: JSON.stringify(hb.health),
      sandboxes: hb.sandboxes,
      // What it enforces now (after an offline restart, its last good version).
      policyVersion: hb.policy?.version ?? null,
      policyHash: hb.policy?.hash ?? null,
    },
  });
}
