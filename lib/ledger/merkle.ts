import { createHash, hash } from 'node:crypto';

/**
 * RFC 6962 / RFC 9162 Merkle tree over the ledger's leaves: leaf hashes SHA-256(0x00 ‖ data),
 * interior nodes SHA-256(0x01 ‖ left ‖ right), the tree of n leaves split at the largest power of
 * two below n. Inclusion and consistency proofs are made and checked exactly as the RFCs say, so
 * any RFC 9162 verifier agrees with ours.
 */

const sha256 = (...parts: Uint8Array[]) => {
  const h = createHash('sha256');
  for (const p of parts) h.update(p);
  return h.digest();
};

const LEAF_PREFIX = Buffer.of(0);
// One-shot hashing of a reused 65-byte buffer: the tree hashes a node per leaf, and this is about
// three times faster than a Hash object with three updates.
const node = Buffer.alloc(65, 1);

/** SHA-256(0x00 ‖ data): the hash of one leaf (`data` is the event's canonical JSON). */
export function leafHash(data: Uint8Array): Buffer {
  return hash('sha256', Buffer.concat([LEAF_PREFIX, data]), 'buffer');
}

/** The leaf of canonical JSON held as a string: the same bytes as leafHash(UTF-8 of `text`), without a copy. */
export function leafHashOfText(text: string): Buffer {
  // U+0000 is the single byte 0x00 in UTF-8: the RFC 6962 leaf prefix.
  return hash('sha256', `\u0000${text}`, 'buffer');
}

/** SHA-256(0x01 ‖ left ‖ right). */
export function nodeHash(left: Uint8Array, right: Uint8Array): Buffer {
  if (left.length !== 32 || right.length !== 32) return sha256(Buffer.of(1), left, right);
  node.set(left, 1);
  node.set(right, 33);
  return hash('sha256', node, 'buffer');
}

/** The largest power of two strictly below n (n ≥ 2). */
function split(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

/** The Merkle tree hash of leaves [from, to) (RFC 6962 2.1); the empty tree is SHA-256(""). */
export function treeHash(leaves: readonly Uint8Array[], from = 0, to = leaves.length): Buffer {
  const n = to - from;
  if (n === 0) return sha256();
  if (n === 1) return Buffer.from(leaves[from] as Uint8Array);
  const k = split(n);
  return nodeHash(treeHash(leaves, from, from + k), treeHash(leaves, from + k, to));
}

/**
 * The leaf ranges [from, to) whose tree hashes make the audit path of leaf `index` in the tree of
 * `size` leaves (RFC 6962 2.1.1), leaf side first. Kept apart from hashing so that a store which
 * caches subtree hashes can answer with them.
 */
export function inclusionRanges(index: number, size: number): [number, number][] {
  if (index < 0 || index >= size) throw new RangeError(`leaf ${index} is not in a tree of ${size}`);
  const path = (m: number, from: number, to: number): [number, number][] => {
    const n = to - from;
    if (n <= 1) return [];
    const k = split(n);
    return m < k ? [...path(m, from, from + k), [from + k, to]] : [...path(m - k, from + k, to), [from, from + k]];
  };
  return path(index, 0, size);
}

/** The audit path of leaf `index` in the tree of `size` leaves (RFC 6962 2.1.1), leaf side first. */
export function inclusionProof(leaves: readonly Uint8Array[], index: number, size = leaves.length): Buffer[] {
  if (size > leaves.length) throw new RangeError(`leaf ${index} is not in a tree of ${size}`);
  return inclusionRanges(index, size).map(([from, to]) => treeHash(leaves, from, to));
}

/**
 * Walks a proof path the RFC 9162 way, from the node at `fn` of the last node `sn`: each hash is a
 * left sibling (`left`) or a right one (`right`). True when the path ends exactly at the root.
 */
function walk(fn: number, sn: number, path: readonly Uint8Array[], left: (p: Uint8Array) => void, right: (p: Uint8Array) => void): boolean {
  for (const p of path) {
    if (sn === 0) return false;
    if (fn % 2 === 1 || fn === sn) {
      left(p);
      while (fn % 2 === 0 && fn !== 0) {
        fn = Math.floor(fn / 2);
        sn = Math.floor(sn / 2);
      }
    } else {
      right(p);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return sn === 0;
}

/** Whether `proof` shows leaf `hash` at `index` in the tree of `size` leaves whose root is `root` (RFC 9162 2.1.3.2). */
export function verifyInclusion(hash: Uint8Array, index: number, size: number, proof: readonly Uint8Array[], root: Uint8Array): boolean {
  if (index < 0 || index >= size) return false;
  let r: Buffer = Buffer.from(hash);
  const ended = walk(index, size - 1, proof, (p) => (r = nodeHash(p, r)), (p) => (r = nodeHash(r, p)));
  return ended && r.equals(root);
}

/** The leaf ranges [from, to) whose tree hashes make the proof that the tree of `first` leaves is a prefix of the tree of `second` (RFC 6962 2.1.2). */
export function consistencyRanges(first: number, second: number): [number, number][] {
  if (first < 1 || first > second) throw new RangeError(`no consistency proof from ${first} to ${second}`);
  const sub = (m: number, from: number, to: number, whole: boolean): [number, number][] => {
    const n = to - from;
    if (m === n) return whole ? [] : [[from, to]];
    const k = split(n);
    return m <= k ? [...sub(m, from, from + k, whole), [from + k, to]] : [...sub(m - k, from + k, to, false), [from, from + k]];
  };
  return sub(first, 0, second, true);
}

/** The proof that the tree of `first` leaves is a prefix of the tree of `second` (RFC 6962 2.1.2). */
export function consistencyProof(leaves: readonly Uint8Array[], first: number, second = leaves.length): Buffer[] {
  if (second > leaves.length) throw new RangeError(`no consistency proof from ${first} to ${second}`);
  return consistencyRanges(first, second).map(([from, to]) => treeHash(leaves, from, to));
}

/**
 * Tree hashes over leaves held in one flat buffer (32 bytes each), remembering the hash of every
 * perfect, aligned subtree of 256 leaves or more it computes: those never change, so the proofs between a thousand
 * checkpoints of a million leaves cost about one pass over the leaves, not a thousand.
 */
export class FlatTree {
  private readonly memo = new Map<number, Buffer>();

  constructor(private readonly leaves: Buffer) {}

  get size(): number {
    return this.leaves.length / 32;
  }

  /** The tree hash of leaves [from, to). */
  hash(from: number, to: number): Buffer {
    const n = to - from;
    if (n === 0) return sha256();
    if (n === 1) return this.leaves.subarray(from * 32, from * 32 + 32);
    // Only subtrees of 256 leaves or more are kept: 2 hashes per 256 leaves at most.
    const perfect = n >= 256 && (n & (n - 1)) === 0 && from % n === 0;
    // Key: the subtree's first leaf and height, unique for aligned perfect subtrees.
    const key = perfect ? from * 64 + Math.log2(n) : -1;
    const known = perfect ? this.memo.get(key) : undefined;
    if (known) return known;
    const k = split(n);
    const h = nodeHash(this.hash(from, from + k), this.hash(from + k, to));
    if (perfect) this.memo.set(key, h);
    return h;
  }
}

/**
 * Whether `proof` shows the tree of `first` leaves (root `firstRoot`) is a prefix of the tree of
 * `second` leaves (root `secondRoot`): the log only grew (RFC 9162 2.1.4.2).
 */
export function verifyConsistency(first: number, second: number, firstRoot: Uint8Array, secondRoot: Uint8Array, proof: readonly Uint8Array[]): boolean {
  if (first < 1 || first > second) return false;
  if (first === second) return proof.length === 0 && Buffer.from(firstRoot).equals(secondRoot);
  const path = (first & (first - 1)) === 0 ? [Buffer.from(firstRoot), ...proof.map((p) => Buffer.from(p))] : proof.map((p) => Buffer.from(p));
  if (path.length === 0) return false;
  let fn = first - 1;
  let sn = second - 1;
  while (fn % 2 === 1) {
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  let fr = path[0] as Buffer;
  let sr = path[0] as Buffer;
  const ended = walk(
    fn,
    sn,
    path.slice(1),
    (c) => {
      fr = nodeHash(c, fr);
      sr = nodeHash(c, sr);
    },
    (c) => {
      sr = nodeHash(sr, c);
    },
  );
  return ended && fr.equals(firstRoot) && sr.equals(secondRoot);
}

/**
 * The Merkle tree of a growing log kept as its compact range: the roots of the perfect subtrees
 * that make up its leaves (at most log2(n) + 1 hashes). Appending is amortised O(1) hashes and the
 * root is O(log n), so the ledger never rereads its history to sign a checkpoint.
 */
export class TreeBuilder {
  // The subtree roots, tallest first: one for each set bit of the size, so their heights are implied.
  private readonly stack: Buffer[] = [];
  private count = 0;

  /** Starts from a compact range saved by `frontier()` (oldest, tallest subtree first). */
  constructor(saved?: { size: number; hashes: readonly Uint8Array[] }) {
    if (!saved) return;
    let subtrees = 0;
    for (let rest = saved.size; rest > 0; rest = Math.floor(rest / 2)) subtrees += rest % 2;
    if (subtrees !== saved.hashes.length) throw new RangeError(`a tree of ${saved.size} leaves has ${subtrees} subtrees, not ${saved.hashes.length}`);
    for (const h of saved.hashes) this.stack.push(Buffer.from(h));
    this.count = saved.size;
  }

  get size(): number {
    return this.count;
  }

  /** Adds one leaf hash. */
  push(leaf: Uint8Array): void {
    // Each trailing set bit of the size is a subtree as tall as the one being carried: merge them.
    let carried: Buffer | null = null;
    for (let c = this.count; c % 2 === 1; c = (c - 1) / 2) carried = nodeHash(this.stack.pop() as Buffer, carried ?? leaf);
    this.stack.push(carried ?? Buffer.from(leaf));
    this.count += 1;
  }

  /** The tree hash of every leaf pushed so far (RFC 6962 2.1). */
  root(): Buffer {
    const last = this.stack.at(-1);
    if (!last) return sha256();
    let r: Buffer = last;
    for (let i = this.stack.length - 2; i >= 0; i--) r = nodeHash(this.stack[i] as Buffer, r);
    return r;
  }

  /** The compact range, to save and resume from. */
  frontier(): { size: number; hashes: Buffer[] } {
    return { size: this.count, hashes: [...this.stack] };
  }
}
