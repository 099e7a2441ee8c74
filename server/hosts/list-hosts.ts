import { Capacity, Health } from '../../lib/wire/protocol';
import { Labels, type HostView } from '../../lib/api/hosts';
import { AppError } from '../../lib/errors';
import type { ServerContext } from '../context';
import type { Agent, AgentCertificate } from '../db/generated/client';

/** A certificate past this share of its life without renewal is flagged on the console. */
export const RENEWAL_WARNING_AT = 0.8;

function parseJson<T>(text: string | null, schema: { safeParse: (v: unknown) => { success: boolean; data?: T } }): T | null {
  if (!text) return null;
  const r = schema.safeParse(JSON.parse(text));
  return r.success ? (r.data ?? null) : null;
}

type SpoolCursor = { lastSeq: number; missing: number };

export function toHostView(a: Agent & { certificates: AgentCertificate[] }, connected: boolean, spool: SpoolCursor | null = null, now = new Date()): HostView {
  const current = a.certificates.filter((c) => !c.revokedAt).sort((x, y) => y.notAfter.getTime() - x.notAfter.getTime())[0] ?? null;
  const lifeSpent = current ? (now.getTime() - current.notBefore.getTime()) / (current.notAfter.getTime() - current.notBefore.getTime()) : 0;
  return {
    id: a.id,
    hostname: a.hostname,
    labels: Labels.parse(JSON.parse(a.labels)),
    status: a.revokedAt ? 'revoked' : connected ? 'online' : 'offline',
    enrolledAt: a.enrolledAt.toISOString(),
    lastSeenAt: a.lastSeenAt?.toISOString() ?? null,
    revokedAt: a.revokedAt?.toISOString() ?? null,
    agentVersion: a.agentVersion,
    runscVersion: a.runscVersion,
    kernel: a.kernel,
    platform: a.platform,
    capacity: parseJson(a.capacity, Capacity),
    health: parseJson(a.health, Health),
    sandboxes: a.sandboxes,
    certificate: current
      ? { serial: current.serial, notBefore: current.notBefore.toISOString(), notAfter: current.notAfter.toISOString(), lifeSpent: Math.round(lifeSpent * 1000) / 1000 }
      : null,
    renewalOverdue: !a.revokedAt && current !== null && lifeSpent >= RENEWAL_WARNING_AT,
    auditSpool: spool ? { lastSeq: spool.lastSeq, missing: spool.missing } : null,
    policyVersion: a.policyVersion,
  };
}

export async function listHosts(deps: Pick<ServerContext, 'db' | 'agents'>): Promise<HostView[]> {
  const agents = await deps.db.agent.findMany({ include: { certificates: true }, orderBy: { enrolledAt: 'asc' } });
  const cursors = new Map((await deps.db.agentSpoolCursor.findMany()).map((c) => [c.agentId, c]));
  return agents.map((a) => toHostView(a, deps.agents.isConnected(a.id), cursors.get(a.id) ?? null));
}

export async function getHost(deps: Pick<ServerContext, 'db' | 'agents'>, id: string): Promise<HostView> {
  const agent = await deps.db.agent.findUnique({ where: { id }, include: { certificates: true } });
  if (!agent) throw new AppError('not_found', `No host with id ${id}.`);
  return toHostView(agent, deps.agents.isConnected(id), await deps.db.agentSpoolCursor.findUnique({ where: { agentId: id } }));
}
