import { createHash, generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { signCheckpoint, verifierKey, verifyCheckpoint } from '../../../lib/ledger/checkpoint';
import { FlatTree, TreeBuilder, leafHashOfText, consistencyProof, consistencyRanges, inclusionProof, leafHash, nodeHash, treeHash, verifyConsistency, verifyInclusion } from '../../../lib/ledger/merkle';

const leaves = Array.from({ length: 40 }, (_, i) => leafHash(Buffer.from(`{"seq":${i + 1}}`)));

describe('RFC 6962 Merkle tree', () => {
  it('hashes a leaf given as text exactly as its UTF-8 bytes', () => {
    for (const t of ['{"a":1}', 'é\u2028😀', '']) expect(leafHashOfText(t)).toEqual(leafHash(Buffer.from(t)));
  });

  it('hashes leaves and nodes with their domain-separation bytes', () => {
    expect(leafHash(Buffer.from('x')).toString('hex')).toBe(createHash('sha256').update(Buffer.from([0, 0x78])).digest('hex'));
    expect(treeHash([])).toEqual(createHash('sha256').digest());
    expect(treeHash(leaves.slice(0, 3))).toEqual(nodeHash(nodeHash(leaves[0] as Buffer, leaves[1] as Buffer), leaves[2] as Buffer));
  });

  it('proves and verifies the inclusion of every leaf in every tree size', () => {
    for (let size = 1; size <= leaves.length; size++) {
      const root = treeHash(leaves, 0, size);
      for (let i = 0; i < size; i++) {
        const proof = inclusionProof(leaves, i, size);
        expect(verifyInclusion(leaves[i] as Buffer, i, size, proof, root), `${i}/${size}`).toBe(true);
        // The wrong leaf, index or root fails.
        expect(verifyInclusion(leaves[(i + 1) % size] as Buffer, i, size, proof, root) && size > 1).toBe(false);
        if (size > 1) expect(verifyInclusion(leaves[i] as Buffer, (i + 1) % size, size, proof, root)).toBe(false);
      }
    }
  });

  it('proves and verifies that every smaller tree is a prefix of every larger one', () => {
    for (let n = 1; n <= 32; n++) {
      for (let m = 1; m <= n; m++) {
        const proof = consistencyProof(leaves, m, n);
        expect(verifyConsistency(m, n, treeHash(leaves, 0, m), treeHash(leaves, 0, n), proof), `${m}->${n}`).toBe(true);
      }
    }
  });

  it('refuses consistency when history was rewritten', () => {
    const edited = [...leaves];
    edited[2] = leafHash(Buffer.from('{"seq":3,"edited":true}'));
    const proof = consistencyProof(edited, 5, 20);
    expect(verifyConsistency(5, 20, treeHash(leaves, 0, 5), treeHash(edited, 0, 20), proof)).toBe(false);
    expect(verifyConsistency(7, 20, treeHash(leaves, 0, 7), treeHash(leaves, 0, 20), consistencyProof(leaves, 6, 20))).toBe(false);
  });
});

describe('TreeBuilder (compact range)', () => {
  it('has the tree hash of every prefix, and resumes from a saved frontier', () => {
    const tree = new TreeBuilder();
    expect(tree.root()).toEqual(treeHash([]));
    for (let n = 1; n <= leaves.length; n++) {
      tree.push(leaves[n - 1] as Buffer);
      expect(tree.root(), `size ${n}`).toEqual(treeHash(leaves, 0, n));
      const resumed = new TreeBuilder(tree.frontier());
      for (const leaf of leaves.slice(n)) resumed.push(leaf);
      expect(resumed.root(), `resumed at ${n}`).toEqual(treeHash(leaves));
    }
  });

  it('FlatTree gives the same hashes and proofs over one flat buffer (remembered subtrees included)', () => {
    const many = Array.from({ length: 1100 }, (_, i) => leafHash(Buffer.from(String(i))));
    const flat = new FlatTree(Buffer.concat(many));
    for (const [m, n] of [[1, 1100], [256, 1100], [513, 1024], [1000, 1100], [1099, 1100]] as const) {
      const proof = consistencyRanges(m, n).map(([a, b]) => flat.hash(a, b));
      expect(proof).toEqual(consistencyProof(many, m, n));
      expect(verifyConsistency(m, n, flat.hash(0, m), flat.hash(0, n), proof)).toBe(true);
    }
    expect(flat.hash(0, 1100)).toEqual(treeHash(many));
  });

  it('refuses a frontier that cannot belong to its size', () => {
    expect(() => new TreeBuilder({ size: 3, hashes: [leaves[0] as Buffer] })).toThrow(/2 subtrees/);
  });
});

describe('C2SP signed checkpoints', () => {
  const key = generateKeyPairSync('ed25519');
  const next = generateKeyPairSync('ed25519');
  const cp = { origin: 'sbx.example/ledger', size: 40, root: treeHash(leaves) };

  it('signs and verifies, and a rotated key keeps old checkpoints verifiable', () => {
    const note = signCheckpoint(cp, 'ledger-v1', key.privateKey);
    expect(note).toMatch(/^sbx\.example\/ledger\n40\n[A-Za-z0-9+/]{43}=\n\n\u2014 ledger-v1 [A-Za-z0-9+/]+=*\n$/);
    expect(verifyCheckpoint(note, [{ name: 'ledger-v1', publicKey: key.publicKey }])).toEqual(cp);
    const later = signCheckpoint({ ...cp, size: 41 }, 'ledger-v2', next.privateKey);
    const trusted = [{ name: 'ledger-v1', publicKey: key.publicKey }, { name: 'ledger-v2', publicKey: next.publicKey }];
    expect(verifyCheckpoint(note, trusted)?.size).toBe(40);
    expect(verifyCheckpoint(later, trusted)?.size).toBe(41);
    expect(verifierKey('ledger-v1', key.publicKey)).toMatch(/^ledger-v1\+[0-9a-f]{8}\+[A-Za-z0-9+/]+=*$/);
  });

  it('refuses a forged or altered checkpoint and an unknown key', () => {
    const note = signCheckpoint(cp, 'ledger-v1', key.privateKey);
    const trusted = [{ name: 'ledger-v1', publicKey: key.publicKey }];
    expect(verifyCheckpoint(note.replace('\n40\n', '\n39\n'), trusted)).toBeNull();
    const forged = signCheckpoint(cp, 'ledger-v1', next.privateKey);
    expect(verifyCheckpoint(forged, trusted)).toBeNull();
    expect(verifyCheckpoint(note, [{ name: 'other', publicKey: key.publicKey }])).toBeNull();
    expect(verifyCheckpoint('garbage', trusted)).toBeNull();
  });
});
