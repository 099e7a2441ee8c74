import { createHash } from 'node:crypto';
import { canonicalJson } from '../canonical-json';
import type { AuditEventInput, AuditRecord } from './events';
import { GENESIS_HASH } from './events';

/** The fields that a chain hash covers, in canonical form (RFC 8785). */
export function hashedContent(seq: number, prevHash: string, event: AuditEventInput): string {
  return canonicalJson({
    seq,
    prevHash,
    at: event.at,
    actor: event.actor,
    action: event.action,
    target: event.target,
    outcome: event.outcome,
    sourceIp: event.sourceIp,
    userAgent: event.userAgent,
    requestId: event.requestId,
    details: event.details,
  });
}

/** SHA-256 (hex) of an event's canonical JSON together with the previous event's hash. */
export function chainHash(seq: number, prevHash: string, event: AuditEventInput): string {
  return createHash('sha256').update(hashedContent(seq, prevHash, event)).digest('hex');
}

export type ChainBreak = { seq: number; reason: 'hash_mismatch' | 'prev_mismatch' | 'seq_gap' };

/**
 * Checks records given in ascending `seq` order, continuing from `prev` (the record before the
 * first, or nothing for the start of the chain). Returns the first break, or null.
 */
export function verifyChain(
  records: readonly AuditRecord[],
  prev: { seq: number; hash: string } | null = null,
): ChainBreak | null {
  let expectedSeq = prev ? prev.seq + 1 : 1;
  let expectedPrev = prev ? prev.hash : GENESIS_HASH;
  for (const r of records) {
    if (r.seq !== expectedSeq) return { seq: r.seq, reason: 'seq_gap' };
    if (r.prevHash !== expectedPrev) return { seq: r.seq, reason: 'prev_mismatch' };
    if (chainHash(r.seq, r.prevHash, r) !== r.hash) return { seq: r.seq, reason: 'hash_mismatch' };
    expectedSeq = r.seq + 1;
    expectedPrev = r.hash;
  }
  return null;
}
