import { createHash } from 'node:crypto';

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

/** SHA-256(0x00 ‖ data): the hash of one leaf (`data` is the event's canonical JSON). */
export function leafHash(data: Uint8Array): Buffer {
  return sha256(Buffer.of(0), data);
}

/** SHA-256(0x01 ‖ left ‖ right). */
export function nodeHash(left: Uint8Array, right: Uint8Array): Buffer {
  return sha256(Buffer.of(1), left, right);
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

/** The audit path of leaf `index` in the tree of `size` leaves (RFC 6962 2.1.1), leaf side first. */
export function inclusionProof(leaves: readonly Uint8Array[], index: number, size = leaves.length): Buffer[] {
  if (index < 0 || index >= size || size > leaves.length) throw new RangeError(`leaf ${index} is not in a tree of ${size}`);
  const path = (m: number, from: number, to: number): Buffer[] => {
    const n = to - from;
    if (n <= 1) return [];
    const k = split(n);
    return m < k ? [...path(m, from, from + k), treeHash(leaves, from + k, to)] : [...path(m - k, from + k, to), treeHash(leaves, from, from + k)];
  };
  return path(index, 0, size);
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

/** The proof that the tree of `first` leaves is a prefix of the tree of `second` (RFC 6962 2.1.2). */
export function consistencyProof(leaves: readonly Uint8Array[], first: number, second = leaves.length): Buffer[] {
  if (first < 1 || first > second || second > leaves.length) throw new RangeError(`no consistency proof from ${first} to ${second}`);
  const sub = (m: number, from: number, to: number, whole: boolean): Buffer[] => {
    const n = to - from;
    if (m === n) return whole ? [] : [treeHash(leaves, from, to)];
    const k = split(n);
    return m <= k ? [...sub(m, from, from + k, whole), treeHash(leaves, from + k, to)] : [...sub(m - k, from + k, to, false), treeHash(leaves, from, from + k)];
  };
  return sub(first, 0, second, true);
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
