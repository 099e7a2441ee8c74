import { randomUUID } from 'node:crypto';
import type { AuditEventInput } from '../../lib/audit/events';
import type { SpooledEvent } from '../../lib/wire/protocol';
import { rawConnection, type Db } from '../db/client';
import { chainEvents, insertAppended } from './append-event';
import { auditEvent, type RequestMeta } from './event';
import type { Ledger } from './ledger';
import { recordingOf } from '../policies/recording';
import type { PolicyState } from '../policies/policy-state';

/**
 * Takes a batch of an agent's spooled events into the ledger, exactly once: in one transaction
 * with the agent's cursor, it appends the events above the cursor (a resent batch appends
 * nothing), records any sequence numbers that never arrived as an `agent.audit_gap`, and moves the
 * cursor. Returns the highest sequence now held, which the agent may then forget. An egress
 * decision about a sandbox the agent does not run is not recorded against that sandbox: an agent
 * speaks for its own sandboxes only (its sequence number is consumed all the same). A policy
 * version the agent refused is recorded as `policy.refuse`.
 */
export async function ingestAgentEvents(deps: { db: Db; ledger: Ledger; policies?: Pick<PolicyState, 'current'> }, agentId: string, events: readonly SpooledEvent[]): Promise<{ acked: number }> {
  const agent = await deps.db.agent.findUnique({ where: { id: agentId }, select: { hostname: true } });
  const ids = [...new Set(events.flatMap((e) => (e.event.type === 'egress' ? [e.event.decision.sandboxId] : [])))];
  const mine = new Map((await deps.db.sandbox.findMany({ where: { id: { in: ids }, agentId }, select: { id: true, image: true, policy: true } })).map((s) => [s.id, s]));
  const meta: RequestMeta = { actor: { type: 'agent', id: agentId, name: agent?.hostname ?? agentId }, sourceIp: null, userAgent: null, requestId: randomUUID() };
  const agentTarget = { type: 'agent' as const, id: agentId, name: meta.actor.name };
  const sorted = [...events].sort((a, b) => a.seq - b.seq);
  const connection = await rawConnection(deps.db);
  return deps.ledger.run(async () => {
    const head = deps.ledger.chainHead();
    let leaves: Buffer[] = [];
    // Synchronous on Prisma's own connection: nothing else runs until it committed or rolled back.
    const acked = connection.transaction(() => {
      const cursor = connection.prepare('SELECT lastSeq FROM AgentSpoolCursor WHERE agentId = ?').get(agentId) as { lastSeq: bigint | number } | undefined;
      let last = Number(cursor?.lastSeq ?? 0);
      let missing = 0;
      const inputs: AuditEventInput[] = [];
      for (const e of sorted) {
        if (e.seq <= last) continue;
        if (e.seq > last + 1) {
          inputs.push(auditEvent(meta, { action: 'agent.audit_gap', details: { fromSeq: last + 1, toSeq: e.seq - 1 } }, agentTarget, 'failure'));
          missing += e.seq - last - 1;
        }
        if (e.event.type === 'policy_refused') {
          const { type: _type, ...details } = e.event;
          const target = { type: 'policy' as const, id: String(details.version), name: details.hash.slice(0, 16) };
          inputs.push({ ...auditEvent(meta, { action: 'policy.refuse', details }, target, 'denied'), at: e.at, origin: { agentId, seq: e.seq } });
          last = e.seq;
          continue;
        }
        const { sandboxId, ...details } = e.event.decision;
        const sandbox = mine.get(sandboxId);
        // An allowed decision is left out when the sandbox's policy says so (denials are always recorded).
        if (sandbox && (details.verdict === 'denied' || !deps.policies || recordingOf(deps.policies, sandbox.policy).egress)) {
          const target = { type: 'sandbox' as const, id: sandboxId, name: sandbox.image };
          const outcome = details.verdict === 'allowed' ? 'success' : 'failure';
          inputs.push({ ...auditEvent(meta, { action: 'sandbox.egress', details }, target, outcome), at: e.at, origin: { agentId, seq: e.seq } });
        }
        last = e.seq;
      }
      const appended = chainEvents(head, inputs);
      insertAppended(connection, appended);
      connection
        .prepare(
          `INSERT INTO AgentSpoolCursor (agentId, lastSeq, missing, updatedAt) VALUES (?, ?, ?, ?)
           ON CONFLICT(agentId) DO UPDATE SET lastSeq = excluded.lastSeq, missing = missing + excluded.missing, updatedAt = excluded.updatedAt`,
        )
        .run(agentId, last, missing, new Date().toISOString().replace('Z', '+00:00'));
      leaves = appended.map((a) => a.leaf);
      return last;
    })();
    await deps.ledger.committed(head, leaves);
    return { acked };
  });
}
