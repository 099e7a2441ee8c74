import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { chainHash } from '../../../lib/audit/chain';
import { GENESIS_HASH, type AuditRecord } from '../../../lib/audit/events';
import { signCheckpoint } from '../../../lib/ledger/checkpoint';
import { treeHash } from '../../../lib/ledger/merkle';
import { recordLeaf, verifyLog } from '../../../lib/ledger/verify-log';

const key = generateKeyPairSync('ed25519');
const trusted = [{ name: 'ledger-v1', publicKey: key.publicKey }];

/** A chained log of `n` events, as the control plane writes them. */
function chained(n: number, edit?: (i: number) => Partial<AuditRecord>): AuditRecord[] {
  const out: AuditRecord[] = [];
  let prev = GENESIS_HASH;
  for (let i = 1; i <= n; i++) {
    const base = {
      at: new Date(Date.UTC(2026, 10, 28, 10, 0, i)).toISOString(), actor: { type: 'user' as const, id: 'u1', name: 'alice' },
      target: { type: 'sandbox' as const, id: `sbx-${String(i).padStart(20, '0')}`, name: 'debian-host' }, outcome: 'success' as const,
      sourceIp: null, userAgent: null, requestId: `r${i}`, action: 'sandbox.stop' as const, details: { reason: 'killed' as const }, ...edit?.(i),
    } as AuditRecord;
    const hash = chainHash(i, prev, base);
    out.push({ ...base, seq: i, prevHash: prev, hash });
    prev = hash;
  }
  return out;
}

const checkpointOf = (records: AuditRecord[], size: number) =>
  signCheckpoint({ origin: 'sbx.test/ledger', size, root: treeHash(records.map(recordLeaf), 0, size) }, 'ledger-v1', key.privateKey);

describe('offline log verification', () => {
  const log = chained(30);
  const notes = [checkpointOf(log, 10), checkpointOf(log, 30)];

  it('accepts an untouched log with its checkpoints, and proves it only grew since an earlier one', () => {
    const early = checkpointOf(log.slice(0, 7), 7);
    expect(verifyLog(log, notes, trusted, early)).toMatchObject({ ok: true, size: 30, checkpoints: 2 });
  });

  it('names the first bad event: edited, deleted, swapped, cut off', () => {
    const edited = log.map((r) => (r.seq === 12 ? { ...r, requestId: 'forged' } : r));
    expect(verifyLog(edited, notes, trusted)).toMatchObject({ ok: false, firstBadSeq: 12 });
    const deleted = log.filter((r) => r.seq !== 5);
    expect(verifyLog(deleted, notes, trusted)).toMatchObject({ ok: false, firstBadSeq: 5 });
    const swapped = [...log];
    [swapped[7], swapped[8]] = [swapped[8] as AuditRecord, swapped[7] as AuditRecord];
    expect(verifyLog(swapped, notes, trusted)).toMatchObject({ ok: false, firstBadSeq: 8 });
    expect(verifyLog(log.slice(0, 25), notes, trusted)).toMatchObject({ ok: false, firstBadSeq: 26 });
  });

  it('catches history rewritten with a recomputed chain, by the signed roots', () => {
    const rewritten = chained(30, (i) => (i === 17 ? { requestId: 'rewritten' } : {}));
    expect(verifyLog(rewritten, notes, trusted)).toMatchObject({ ok: false, firstBadSeq: 11 });
  });

  it('refuses a forged checkpoint, and an earlier checkpoint the log no longer extends', () => {
    const mallory = generateKeyPairSync('ed25519');
    const forged = signCheckpoint({ origin: 'sbx.test/ledger', size: 30, root: treeHash(log.map(recordLeaf)) }, 'ledger-v1', mallory.privateKey);
    expect(verifyLog(log, [forged], trusted)).toMatchObject({ ok: false, firstBadSeq: null });
    const other = chained(8, () => ({ requestId: 'another history' }));
    expect(verifyLog(log, notes, trusted, checkpointOf(other, 8))).toMatchObject({ ok: false, firstBadSeq: null, reason: expect.stringMatching(/did not only grow since the earlier checkpoint at 8/) });
  });
});
