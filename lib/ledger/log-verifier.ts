import { hash as digest, type KeyObject } from 'node:crypto';
import { verifyCheckpoint, type Checkpoint } from './checkpoint';
import { leafHash, TreeBuilder } from './merkle';

/** A key trusted to sign checkpoints: its signed-note name and Ed25519 public key. */
export type TrustedKey = { name: string; publicKey: KeyObject };

/** What is wrong, naming the first bad event where it can be told (null: the checkpoint itself). */
export type Problem = { seq: number | null; reason: string };

export type Verdict =
  | { ok: true; size: number; root: Buffer; checkpoints: number; events: number }
  /** `at`: how many positions were taken when it was found (0: a bad checkpoint; Infinity: only at the end). */
  | { ok: false; firstBadSeq: number | null; reason: string; at: number };

/**
 * One position of the log: its leaf, and where the event is at hand its canonical JSON, the
 * previous event's hash it names and, if stored with it, its own chain hash.
 */
export type Entry = {
  seq: number;
  leaf: Buffer;
  /** Without `prevHash` the chain is not checked (the leaves and signed roots prove the order on their own). */
  event?: { content: Buffer; prevHash?: string; hash?: string };
  /** For a position without its event (a tombstone): the chain hash it had, so the next event still links. */
  hash?: string;
};

/**
 * Checks a log in one pass, position by position, against signed checkpoints: every event's
 * canonical JSON must give its leaf (else it was altered) and name the hash of the event before it
 * (else events were removed or swapped); the leaves must give every checkpoint's signed root (else
 * history was rewritten, chain and all); no checkpoint may cover more than is there (else the tail
 * was cut off). Memory stays O(log n): the tree is kept as its compact range. The control plane's
 * self-check and the offline verifier of an export both run it.
 */
export class LogVerifier {
  private readonly tree = new TreeBuilder();
  private readonly checkpoints: Checkpoint[] = [];
  private next = 0;
  private lastGood = 0;
  private previous: { seq: number; hash: string } | null = null;
  private events = 0;
  private problem: Problem | null = null;
  private problemAt = 0;
  private earlier: { checkpoint: Checkpoint; matched: boolean } | null = null;

  /**
   * @param notes the signed checkpoints (signed notes) to hold the log to
   * @param trusted the keys allowed to sign them
   * @param earlier optionally a checkpoint seen before: the log must extend it (it only grew)
   */
  constructor(notes: readonly string[], trusted: readonly TrustedKey[], earlier?: string) {
    for (const [i, note] of notes.entries()) {
      const c = verifyCheckpoint(note, [...trusted]);
      if (!c) {
        this.problem = { seq: null, reason: `checkpoint ${i + 1}: no valid signature by a trusted key (forged or altered)` };
        return;
      }
      this.checkpoints.push(c);
    }
    this.checkpoints.sort((a, b) => a.size - b.size);
    if (earlier !== undefined) {
      const c = verifyCheckpoint(earlier, [...trusted]);
      if (!c) this.problem = { seq: null, reason: 'the earlier checkpoint has no valid signature by a trusted key' };
      else this.earlier = { checkpoint: c, matched: c.size === 0 };
    }
  }

  /** Whether a problem was found already (later entries are then ignored). */
  get failed(): boolean {
    return this.problem !== null;
  }

  /** The problem found so far, if any (a forged checkpoint is known before any entry). */
  get found(): Problem | null {
    return this.problem;
  }

  /** Takes the next position of the log (positions start at 1 and must not skip). */
  add(entry: Entry): void {
    if (this.problem) return;
    const seq = this.tree.size + 1;
    this.problemAt = seq - 1;
    if (entry.seq !== seq) {
      this.problem = { seq, reason: `event ${seq}: missing here, found event ${entry.seq} instead (deleted, swapped or out of order)` };
      return;
    }
    if (entry.event) {
      const { content, prevHash } = entry.event;
      const chained = prevHash !== undefined || entry.event.hash !== undefined;
      const hash = chained ? digest('sha256', content, 'hex') : '';
      if (!leafHash(content).equals(entry.leaf) || (entry.event.hash !== undefined && entry.event.hash !== hash)) {
        this.problem = { seq, reason: `event ${seq}: altered (its content does not give its leaf hash)` };
        return;
      }
      if (prevHash !== undefined && this.previous?.seq === seq - 1 && this.previous.hash !== prevHash) {
        this.problem = { seq, reason: `event ${seq}: does not follow event ${seq - 1} in the hash chain (an event was removed or swapped)` };
        return;
      }
      this.previous = chained ? { seq, hash } : null;
      this.events += 1;
    } else if (entry.hash !== undefined) {
      this.previous = { seq, hash: entry.hash };
    }
    this.tree.push(entry.leaf);
    this.atSize();
  }

  /** Takes the leaves of positions size+1..size+count, packed 32 bytes each from `offset` (a tree check without the events). */
  addLeaves(leaves: Uint8Array, count: number, offset = 0): void {
    for (let i = 0; i < count && !this.problem; i++) {
      const at = offset + i * 32;
      this.tree.push(leaves.subarray(at, at + 32));
      this.atSize();
    }
  }

  private atSize(): void {
    const size = this.tree.size;
    this.problemAt = size;
    if (this.earlier && this.earlier.checkpoint.size === size) {
      if (!this.tree.root().equals(this.earlier.checkpoint.root)) {
        // Which of the first events changed cannot be told from a root alone.
        this.problem = { seq: null, reason: `the log did not only grow since the earlier checkpoint at ${size}: its first ${size} events differ` };
        return;
      }
      this.earlier.matched = true;
    }
    while (this.checkpoints[this.next]?.size === size) {
      const c = this.checkpoints[this.next] as Checkpoint;
      if (!this.tree.root().equals(c.root)) {
        this.problem = {
          seq: this.lastGood + 1,
          reason: `events ${this.lastGood + 1}..${size} do not match the signed checkpoint at ${size} (rewritten, with a recomputed chain)`,
        };
        return;
      }
      this.lastGood = size;
      this.next += 1;
    }
  }

  /** The verdict once every position was added. */
  finish(): Verdict {
    const size = this.tree.size;
    const beyond = this.checkpoints[this.next];
    if (!this.problem) this.problemAt = Infinity;
    if (!this.problem && beyond) {
      this.problem = { seq: size + 1, reason: `the log is cut off after event ${size}: a signed checkpoint covers ${beyond.size} events` };
    }
    if (!this.problem && this.earlier && !this.earlier.matched) {
      this.problem = { seq: size + 1, reason: `the log is cut off after event ${size}: the earlier checkpoint covers ${this.earlier.checkpoint.size} events` };
    }
    if (this.problem) return { ok: false, firstBadSeq: this.problem.seq, reason: this.problem.reason, at: this.problemAt };
    return { ok: true, size, root: this.tree.root(), checkpoints: this.checkpoints.length, events: this.events };
  }
}

/** What holding a bundle's leaves to its checkpoints needs (see `verifyTree`). */
export type TreeInput = { leaves: Uint8Array; size: number; notes: readonly string[]; trusted: readonly TrustedKey[]; earlier?: string };

/**
 * Holds the first `size` leaves (32 bytes each; fewer if there are fewer) to the signed checkpoints
 * and, if given, an earlier checkpoint: the tree half of checking a bundle, apart from its events.
 */
export function verifyTree(input: TreeInput): Verdict {
  const verifier = new LogVerifier(input.notes, input.trusted, input.earlier);
  verifier.addLeaves(input.leaves, Math.min(Math.floor(input.leaves.length / 32), input.size));
  return verifier.finish();
}
