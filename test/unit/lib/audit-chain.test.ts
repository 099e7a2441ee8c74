import { describe, expect, it } from 'vitest';
import { chainHash, hashedContent, hashedFields, verifyChain } from '../../../lib/audit/chain';
import { canonicalJson } from '../../../lib/canonical-json';
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

describe('the fast canonical form of an event', () => {
  it('is byte for byte the general RFC 8785 form, for every shape an event takes', () => {
    const base = event(1);
    const variants: AuditEventInput[] = [
      base,
      { ...base, target: null, sourceIp: null, userAgent: null },
      { ...base, origin: { agentId: 'agent-é', seq: 42 } },
      { ...base, actor: { type: 'agent', id: null, name: 'h\u2028"x"' }, requestId: '\ud83d\ude00 emoji' },
      { ...base, action: 'sandbox.egress', details: { kind: 'dns', verdict: 'denied', reason: 'r', name: 'Ünïcode.test', count: 3, firstAt: 'a', lastAt: 'b', addresses: ['1.2.3.4'] } } as AuditEventInput,
      { ...base, details: { nested: { z: 1, a: [1.5, -0, 1e21, 'x'], m: null } } } as unknown as AuditEventInput,
    ];
    for (const [i, v] of variants.entries()) {
      expect(hashedContent(i + 1, 'f'.repeat(64), v), `variant ${i}`).toBe(canonicalJson(hashedFields(i + 1, 'f'.repeat(64), v)));
    }
    // Something unexpected (an extra key) takes the general path, so it still hashes what is there.
    const odd = { ...base, actor: { ...base.actor, extra: 1 } } as unknown as AuditEventInput;
    expect(hashedContent(1, 'f'.repeat(64), odd)).toBe(canonicalJson(hashedFields(1, 'f'.repeat(64), odd)));
  });
});
