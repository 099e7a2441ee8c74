import type { InclusionProofView } from '../../lib/api/audit';
import { AppError } from '../../lib/errors';
import { inclusionRanges, nodeHash, treeHash, verifyInclusion } from '../../lib/ledger/merkle';
import type { Db } from '../db/client';
import type { Ledger } from './ledger';

const BLOCK = 256;

/** Leaves [from, to) (0-based positions) from the store. */
async function leavesOf(db: Db, from: number, to: number): Promise<Buffer[]> {
  const rows = await db.auditEvent.findMany({ where: { seq: { gt: from, lte: to } }, orderBy: { seq: 'asc' }, select: { leaf: true } });
  if (rows.length !== to - from) throw new AppError('internal', `the ledger is missing events between ${from + 1} and ${to}`);
  return rows.map((r) => Buffer.from(r.leaf, 'hex'));
}

/**
 * The tree hash of leaves [from, to). Whole aligned blocks of 256 leaves never change once full,
 * so their hashes are kept (8 KiB per 64k events): a proof in a tree of a million events then reads
 * at most a few blocks' leaves.
 */
async function subtreeHash(db: Db, cache: Map<number, Buffer>, from: number, to: number): Promise<Buffer> {
  const n = to - from;
  if (n === BLOCK && from % BLOCK === 0) {
    const cached = cache.get(from / BLOCK);
    if (cached) return cached;
    const hash = treeHash(await leavesOf(db, from, to));
    cache.set(from / BLOCK, hash);
    return hash;
  }
  if (n <= BLOCK) return treeHash(await leavesOf(db, from, to));
  let k = 1;
  while (k * 2 < n) k *= 2;
  return nodeHash(await subtreeHash(db, cache, from, from + k), await subtreeHash(db, cache, from + k, to));
}

/** An event's inclusion proof in the ledger's latest checkpoint, checked before it is handed out. */
export async function proveInclusion(deps: { db: Db; ledger: Ledger }, seq: number): Promise<InclusionProofView> {
  const checkpoint = deps.ledger.latest();
  if (!checkpoint || seq > checkpoint.size) {
    throw new AppError('not_found', `Event ${seq} is not covered by a signed checkpoint yet; checkpoints are signed at least once a minute.`);
  }
  const row = await deps.db.auditEvent.findUnique({ where: { seq }, select: { leaf: true } });
  if (!row) throw new AppError('not_found', `There is no audit event ${seq}.`);
  const proof: Buffer[] = [];
  for (const [from, to] of inclusionRanges(seq - 1, checkpoint.size)) proof.push(await subtreeHash(deps.db, deps.ledger.subtrees, from, to));
  const leaf = Buffer.from(row.leaf, 'hex');
  return {
    seq,
    leaf: row.leaf,
    treeSize: checkpoint.size,
    root: checkpoint.root,
    checkpoint: checkpoint.note,
    proof: proof.map((p) => p.toString('hex')),
    verified: verifyInclusion(leaf, seq - 1, checkpoint.size, proof, Buffer.from(checkpoint.root, 'hex')),
  };
}
