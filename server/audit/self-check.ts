import { randomUUID } from 'node:crypto';
import { LogVerifier } from '../../lib/ledger/log-verifier';
import { recordContent } from '../../lib/ledger/verify-log';
import type { LedgerSelfCheck as SelfCheck } from '../../lib/api/audit';
import type { Db } from '../db/client';
import { audited } from './audited';
import { SYSTEM_ACTOR, auditEvent } from './event';
import type { Ledger } from './ledger';
import { rowRecord } from './record-of-row';


const BATCH = 5000;

/**
 * The ledger's integrity self-check: signs a checkpoint of everything so far, then recomputes every
 * event's chain hash and leaf and the tree, and holds them to every checkpoint the ledger signed
 * (with every version of its key). The result is itself an audit event and stays on the ledger,
 * so a failure shows on the console until a later check passes.
 */
export async function selfCheckLedger(deps: { db: Db; ledger: Ledger }, trigger: SelfCheck['trigger']): Promise<SelfCheck> {
  const started = Date.now();
  const latest = await deps.ledger.checkpoint();
  const size = latest?.size ?? 0;
  const checkpoints = await deps.db.ledgerCheckpoint.findMany({ where: { size: { lte: size } }, orderBy: { size: 'asc' }, select: { note: true } });
  const trusted = deps.ledger.signingKeys().all.map((k) => ({ name: k.name, publicKey: k.publicKey }));
  const verifier = new LogVerifier(
    checkpoints.map((c) => c.note),
    trusted,
  );
  // A tombstone is lawful only inside an approved purge (itself an event in the ledger).
  const purges = (await deps.db.auditEvent.findMany({ where: { action: 'audit.purge', tombstone: false }, select: { details: true } })).map(
    (r) => JSON.parse(r.details) as { cutoff: string; toSeq: number },
  );
  let unlawful: { seq: number; reason: string } | null = null;
  let after = 0;
  while (after < size && !verifier.failed && !unlawful) {
    const rows = await deps.db.auditEvent.findMany({ where: { seq: { gt: after, lte: size } }, orderBy: { seq: 'asc' }, take: BATCH });
    if (rows.length === 0) break;
    for (const row of rows) {
      if (row.tombstone) {
        if (!purges.some((p) => row.at < p.cutoff && row.seq <= p.toSeq)) {
          unlawful = { seq: row.seq, reason: `event ${row.seq}: removed without an approved purge covering it` };
          break;
        }
        verifier.add({ seq: row.seq, leaf: Buffer.from(row.leaf, 'hex'), hash: row.hash });
        continue;
      }
      let content: Buffer;
      try {
        content = recordContent(rowRecord(row));
      } catch {
        // Details that are not JSON any more: the row was altered, and this content fails its leaf.
        content = Buffer.from(`unreadable event ${row.seq}`);
      }
      verifier.add({ seq: row.seq, leaf: Buffer.from(row.leaf, 'hex'), event: { content, prevHash: row.prevHash, hash: row.hash } });
    }
    after = rows.at(-1)?.seq ?? size;
  }
  const found = verifier.found;
  const verdict = unlawful && (!found || (found.seq ?? Infinity) > unlawful.seq) ? { ok: false as const, firstBadSeq: unlawful.seq, reason: unlawful.reason } : verifier.finish();
  const result: SelfCheck = {
    ok: verdict.ok,
    trigger,
    checkedAt: new Date().toISOString(),
    size,
    root: verdict.ok ? verdict.root.toString('hex') : null,
    checkpoint: latest ? { size: latest.size, root: latest.root, note: latest.note } : null,
    firstBadSeq: verdict.ok ? null : verdict.firstBadSeq,
    reason: verdict.ok ? null : verdict.reason,
    durationMs: Date.now() - started,
  };
  deps.ledger.lastCheck = result;
  await audited(deps, (_tx, record) =>
    record(
      auditEvent(
        { actor: SYSTEM_ACTOR, sourceIp: null, userAgent: null, requestId: randomUUID() },
        {
          action: 'ledger.self_check',
          details: { trigger, ok: result.ok, size, root: result.root, firstBadSeq: result.firstBadSeq, reason: result.reason, durationMs: result.durationMs },
        },
        { type: 'system', id: null, name: 'audit-ledger' },
        result.ok ? 'success' : 'failure',
      ),
    ),
  );
  return result;
}
