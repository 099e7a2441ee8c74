import { hashedContent } from '../../lib/audit/chain';
import { leafHash, TreeBuilder } from '../../lib/ledger/merkle';
import type { Db } from '../db/client';
import { Ledger, type LedgerOptions } from './ledger';
import { loadLedgerKeys } from './ledger-key';
import { recordOfRow } from './record-of-row';

const BATCH = 5000;

/** Computes the leaf of events stored before the ledger kept leaves (once; later starts find none). */
async function backfillLeaves(db: Db): Promise<number> {
  let done = 0;
  for (;;) {
    const rows = await db.auditEvent.findMany({ where: { leaf: '' }, orderBy: { seq: 'asc' }, take: BATCH });
    if (rows.length === 0) return done;
    await db.$transaction(
      rows.map((row) => {
        const r = recordOfRow(row);
        const leaf = leafHash(Buffer.from(hashedContent(r.seq, r.prevHash, r))).toString('hex');
        return db.auditEvent.update({ where: { seq: row.seq }, data: { leaf } });
      }),
    );
    done += rows.length;
  }
}

/**
 * Opens the ledger at start: the signing keys (made on first start), the tree resumed from the
 * latest checkpoint's compact range plus the leaves after it, and the chain head. When the
 * resumed tree does not give the latest checkpoint's root, the stored log no longer matches what
 * was signed: start-up stops rather than sign over it.
 */
export async function openLedger(db: Db, rootKey: Buffer, origin: string, options: LedgerOptions): Promise<{ ledger: Ledger; backfilled: number }> {
  const backfilled = await backfillLeaves(db);
  const keys = await loadLedgerKeys(db, rootKey, origin);
  const latest = await db.ledgerCheckpoint.findFirst({ orderBy: { size: 'desc' } });
  const tree = latest
    ? new TreeBuilder({ size: latest.size, hashes: (JSON.parse(latest.frontier) as string[]).map((h) => Buffer.from(h, 'hex')) })
    : new TreeBuilder();
  if (latest && tree.root().toString('hex') !== latest.root) throw new Error(`the ledger's saved tree at ${latest.size} does not match its signed checkpoint`);
  let after = latest?.size ?? 0;
  for (;;) {
    const rows = await db.auditEvent.findMany({ where: { seq: { gt: after } }, orderBy: { seq: 'asc' }, take: BATCH, select: { seq: true, leaf: true } });
    if (rows.length === 0) break;
    for (const r of rows) {
      if (r.seq !== after + 1) throw new Error(`the audit log has no event ${after + 1}`);
      tree.push(Buffer.from(r.leaf, 'hex'));
      after = r.seq;
    }
  }
  const head = await db.auditEvent.findFirst({ orderBy: { seq: 'desc' }, select: { seq: true, hash: true } });
  const ledger = new Ledger(
    db,
    keys,
    tree,
    head,
    latest ? { size: latest.size, root: latest.root, note: latest.note, keyVersion: latest.keyVersion, createdAt: latest.createdAt } : null,
    options,
  );
  return { ledger, backfilled };
}

