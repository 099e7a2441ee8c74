import type { KeyObject } from 'node:crypto';
import { hashedContent, verifyChain } from '../audit/chain';
import type { AuditRecord } from '../audit/events';
import { verifyCheckpoint, type Checkpoint } from './checkpoint';
import { leafHash, treeHash } from './merkle';

export type LogVerdict =
  | { ok: true; size: number; root: Buffer; checkpoints: number }
  | { ok: false; firstBadSeq: number | null; reason: string };

/** The ledger leaf of a record: SHA-256(0x00 ‖ its canonical JSON, RFC 8785). */
export function recordLeaf(r: AuditRecord): Buffer {
  return leafHash(Buffer.from(hashedContent(r.seq, r.prevHash, r)));
}

/**
 * Checks a log offline: the records (ascending, from the first), the signed checkpoints that
 * cover them and the keys trusted to sign them; optionally a checkpoint seen earlier, to prove the
 * log only grew since. Names the first bad event where it can: an edited event, a deleted one,
 * two swapped, a cut-off tail; a forged checkpoint is refused by its signature.
 */
export function verifyLog(
  records: readonly AuditRecord[],
  notes: readonly string[],
  trusted: { name: string; publicKey: KeyObject }[],
  earlier?: string,
): LogVerdict {
  const chainBreak = verifyChain(records);
  if (chainBreak) {
    const what = { seq_gap: 'an event is missing or out of order', prev_mismatch: 'the chain is broken (events swapped or removed)', hash_mismatch: 'the event was altered' }[chainBreak.reason];
    return { ok: false, firstBadSeq: chainBreak.seq, reason: `event ${chainBreak.seq}: ${what}` };
  }
  const leaves = records.map(recordLeaf);
  const checkpoints: Checkpoint[] = [];
  for (const [i, note] of notes.entries()) {
    const c = verifyCheckpoint(note, trusted);
    if (!c) return { ok: false, firstBadSeq: null, reason: `checkpoint ${i + 1}: no valid signature by a trusted key (forged or altered)` };
    checkpoints.push(c);
  }
  checkpoints.sort((a, b) => a.size - b.size);
  let goodUpTo = 0;
  for (const c of checkpoints) {
    if (c.size > leaves.length) {
      return { ok: false, firstBadSeq: leaves.length + 1, reason: `the log is cut off: a signed checkpoint covers ${c.size} events, ${leaves.length} are present` };
    }
    if (!treeHash(leaves, 0, c.size).equals(c.root)) {
      return { ok: false, firstBadSeq: goodUpTo + 1, reason: `events ${goodUpTo + 1}..${c.size} do not match the signed checkpoint at ${c.size} (rewritten with a recomputed chain)` };
    }
    goodUpTo = c.size;
  }
  if (earlier !== undefined) {
    const before = verifyCheckpoint(earlier, trusted);
    if (!before) return { ok: false, firstBadSeq: null, reason: 'the earlier checkpoint has no valid signature by a trusted key' };
    if (before.size > leaves.length || !treeHash(leaves, 0, before.size).equals(before.root)) {
      // Which of the first events changed cannot be told without them: the earlier checkpoint signs a root only.
      return { ok: false, firstBadSeq: null, reason: `the log did not only grow since the checkpoint at ${before.size}: its first ${before.size} events differ or are gone` };
    }
  }
  return { ok: true, size: leaves.length, root: treeHash(leaves), checkpoints: checkpoints.length };
}
