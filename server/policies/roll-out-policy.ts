import { randomUUID } from 'node:crypto';
import type { SignedPolicySet } from '../../lib/policy/signed-policy';
import { audited } from '../audit/audited';
import { auditEvent } from '../audit/event';
import type { ServerContext } from '../context';

type Deps = Pick<ServerContext, 'db' | 'ledger' | 'agents' | 'log' | 'policies'>;
type Outcome = { agentId: string; ok: true; version: number; hash: string } | { agentId: string; ok: false; hash: string; error: string };

/** How long an agent has to verify, store and acknowledge a version. */
const ACK_TIMEOUT_MS = 15_000;

async function push(deps: Deps, agentId: string, signed: SignedPolicySet): Promise<Outcome> {
  try {
    const r = await deps.agents.call(agentId, 'policy.apply', signed, ACK_TIMEOUT_MS);
    if (r.hash !== signed.hash || r.version !== signed.version) return { agentId, ok: false, hash: signed.hash, error: `acknowledged version ${r.version} (${r.hash.slice(0, 12)}) instead of ${signed.version}` };
    return { agentId, ok: true, version: r.version, hash: r.hash };
  } catch (error) {
    return { agentId, ok: false, hash: signed.hash, error: (error as Error).message.slice(0, 500) };
  }
}

/**
 * Records acknowledgements (in one audited transaction: the host enforces that version from now
 * on) and failures (on the host's row; an agent audits its own refusals).
 */
async function recordOutcomes(deps: Deps, outcomes: Outcome[]): Promise<void> {
  const now = new Date();
  const acks = outcomes.filter((o): o is Extract<Outcome, { ok: true }> => o.ok);
  if (acks.length > 0) {
    const names = new Map((await deps.db.agent.findMany({ where: { id: { in: acks.map((a) => a.agentId) } }, select: { id: true, hostname: true } })).map((a) => [a.id, a.hostname]));
    await audited(deps, async (tx, record) => {
      for (const a of acks) {
        await tx.agent.update({ where: { id: a.agentId }, data: { policyVersion: a.version, policyHash: a.hash, policyAt: now, policyError: null } });
        const meta = { actor: { type: 'agent' as const, id: a.agentId, name: names.get(a.agentId) ?? a.agentId }, sourceIp: null, userAgent: null, requestId: randomUUID() };
        await record(auditEvent(meta, { action: 'policy.enforce', details: { version: a.version, hash: a.hash } }, { type: 'policy', id: String(a.version), name: a.hash.slice(0, 16) }));
      }
    });
  }
  for (const o of outcomes) {
    if (o.ok) {
      deps.policies.refused.delete(o.agentId);
      continue;
    }
    deps.policies.refused.set(o.agentId, o.hash);
    await deps.db.agent.update({ where: { id: o.agentId }, data: { policyError: o.error } }).catch(() => undefined);
  }
}

/** Pushes the version in force to every connected host at once and records who acknowledged it. */
export async function rollOutToAll(deps: Deps): Promise<void> {
  const signed = deps.policies.current;
  if (!signed) return;
  const outcomes = await Promise.all(deps.agents.connectedIds().map((id) => push(deps, id, signed)));
  await recordOutcomes(deps, outcomes);
}

/**
 * Brings one host to the version in force when it is not there yet (on connect, on a heartbeat
 * that reports an older version, before a sandbox is placed on it). One push per host at a time.
 */
export async function syncHostPolicy(deps: Deps, agentId: string, opts: { force?: boolean; holds?: string | null } = {}): Promise<void> {
  const signed = deps.policies.current;
  if (!signed) return;
  const running = deps.policies.inflight.get(agentId);
  if (running) return running;
  if (!opts.force) {
    // A version this agent refused is offered again on its next connect, not on every heartbeat.
    if (deps.policies.refused.get(agentId) === signed.hash) return;
    const holds = 'holds' in opts ? opts.holds : (await deps.db.agent.findUnique({ where: { id: agentId }, select: { policyHash: true } }))?.policyHash;
    if (holds === signed.hash) return;
  }
  const work = push(deps, agentId, signed)
    .then((o) => recordOutcomes(deps, [o]))
    .finally(() => deps.policies.inflight.delete(agentId));
  deps.policies.inflight.set(agentId, work);
  return work;
}
