import { Health } from '../../lib/wire/protocol';
import { AppError } from '../../lib/errors';
import type { ServerContext } from '../context';

/**
 * Places a sandbox on a connected, unrevoked, healthy host with a free slot that carries every
 * label asked for (and, for a sandbox with egress, enforces egress rules): the least loaded one
 * (running sandboxes over slots).
 */
export async function pickHost(
  deps: Pick<ServerContext, 'db' | 'agents'>,
  labels: Record<string, string> = {},
  needs: { egress?: boolean; allowed?: (labels: Record<string, string>) => boolean; policy?: string } = {},
): Promise<{ id: string; hostname: string }> {
  const connected = deps.agents.connectedIds();
  if (connected.length === 0) throw new AppError('no_capacity', 'No host is connected: add a host on the Hosts page, or start one.');
  const wanted = Object.entries(labels);
  const labelled = (await deps.db.agent.findMany({ where: { id: { in: connected }, revokedAt: null } })).filter((a) => {
    const have = JSON.parse(a.labels) as Record<string, string>;
    return wanted.every(([k, v]) => have[k] === v);
  });
  if (labelled.length === 0 && wanted.length > 0) {
    throw new AppError('no_capacity', `No connected host has the labels ${wanted.map(([k, v]) => `${k}=${v}`).join(', ')}.`);
  }
  // Hosts claimed by another policy's labels run that policy's sandboxes only.
  const agents = labelled.filter((a) => needs.allowed?.(JSON.parse(a.labels) as Record<string, string>) ?? true);
  if (agents.length === 0 && labelled.length > 0) {
    throw new AppError('no_capacity', `No connected host${wanted.length > 0 ? ' with these labels' : ''} may run sandboxes of policy "${needs.policy ?? ''}": hosts with other policies' labels are kept for those.`);
  }
  const counts = await deps.db.sandbox.groupBy({ by: ['agentId'], where: { state: { in: ['starting', 'running'] } }, _count: { _all: true } });
  const running = new Map(counts.map((c) => [c.agentId, c._count._all]));
  const candidates = agents
    .map((a) => {
      const health = a.health ? Health.safeParse(JSON.parse(a.health)) : null;
      const cap = a.capacity ? (JSON.parse(a.capacity) as { sandboxSlots?: number; egress?: boolean }) : {};
      const slots = cap.sandboxSlots ?? 0;
      const fits = !needs.egress || cap.egress === true;
      return { a, ok: health?.success === true && health.data.status === 'ok' && fits, slots, load: (running.get(a.id) ?? 0) / Math.max(1, slots), used: running.get(a.id) ?? 0 };
    })
    .filter((c) => c.ok && c.used < c.slots)
    .sort((x, y) => x.load - y.load);
  const best = candidates[0];
  if (!best) {
    const reasons = agents.map((a) => {
      if (needs.egress && !(a.capacity && (JSON.parse(a.capacity) as { egress?: boolean }).egress)) return `${a.hostname}: does not enforce egress rules`;
      return `${a.hostname}: ${a.health ? (JSON.parse(a.health) as { problems?: string[] }).problems?.join('; ') || 'full' : 'no heartbeat yet'}`;
    });
    throw new AppError('no_capacity', `No host has capacity for a sandbox (${reasons.join(', ') || 'none connected'}).`);
  }
  return { id: best.a.id, hostname: best.a.hostname };
}
