import { describe, expect, it } from 'vitest';
import { chainHash, verifyChain } from '../../../lib/audit/chain';
import { AuditEventInput, GENESIS_HASH, type AuditRecord } from '../../../lib/audit/events';

function event(i: number): AuditEventInput {
  return AuditEventInput.parse({
    action: 'user.create',
    details: { username: `u${i}`, role: 'developer' },
    actor: { type: 'user', id: 'a1', name: 'admin' },
    target: { type: 'user', id: `id${i}`, name: `u${i}` },
    outcome: 'success',
    sourceIp: '127.0.0.1',
    userAgent: 'test',
    requestId: `r${i}`,
    at: new Date(Date.UTC(2026, 0, 1, 0, 0, i)).toISOString(),
  });
}

function chain(n: number): AuditRecord[] {
  const out: AuditRecord[] = [];
  let prev = GENESIS_HASH;
  for (let i = 1; i <= n; i++) {
    const e = event(i);
    const hash = chainHash(i, prev, e);
    out.push({ ...e, seq: i, prevHash: prev, hash } as AuditRecord);
    prev = hash;
  }
  return out;
}

describe('audit hash chain', () => {
  it('verifies an intact chain', () => {
    expect(verifyChain(chain(5))).toBeNull();
  });

  it('detects an altered field', () => {
    const c = chain(5);
    c[2] = { ...c[2]!, outcome: 'failure' } as AuditRecord;
    expect(verifyChain(c)).toEqual({ seq: 3, reason: 'hash_mismatch' });
  });

  it('detects a removed event', () => {
    const c = chain(5);
    c.splice(1, 1);
    expect(verifyChain(c)).toEqual({ seq: 3, reason: 'seq_gap' });
  });

  it('detects a rewritten tail whose first link no longer matches', () => {
    const c = chain(5);
    const forged = { ...c[3]!, details: { username: 'mallory', role: 'admin' } } as AuditRecord;
    forged.hash = chainHash(4, forged.prevHash, forged);
    c[3] = forged;
    expect(verifyChain(c)).toEqual({ seq: 5, reason: 'prev_mismatch' });
  });

  it('continues from a known head', () => {
    const c = chain(6);
    expect(verifyChain(c.slice(3), { seq: 3, hash: c[2]!.hash })).toBeNull();
    expect(verifyChain(c.slice(3), { seq: 3, hash: GENESIS_HASH })?.reason).toBe('prev_mismatch');
  });

  it('refuses events whose details do not match their action', () => {
    expect(AuditEventInput.safeParse({ ...event(1), details: { name: 'x' } }).success).toBe(false);
  });
});
