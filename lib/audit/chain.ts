import { createHash } from 'node:crypto';
import { canonicalJson } from '../canonical-json';
import type { AuditEventInput, AuditRecord } from './events';
import { GENESIS_HASH } from './events';

/** The fields that a chain hash covers, as an object (canonicalised by `hashedContent`). */
export function hashedFields(seq: number, prevHash: string, event: AuditEventInput): Record<string, unknown> {
  return {
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
    // Absent for the control plane's own events, so their canonical form is unchanged.
    origin: event.origin,
  };
}

const str = JSON.stringify;
const nullable = (v: string | null) => (v === null ? 'null' : str(v));
const ref = (r: { id: string | null; name: string | null; type: string } | null) =>
  r === null ? 'null' : `{"id":${nullable(r.id)},"name":${nullable(r.name)},"type":${str(r.type)}}`;
const plain = (v: unknown) => v === null || typeof v === 'string';
const isRef = (r: unknown) => r === null || (typeof r === 'object' && Object.keys(r as object).length === 3 && plain((r as { id: unknown }).id) && plain((r as { name: unknown }).name) && typeof (r as { type: unknown }).type === 'string');

/**
 * The fields that a chain hash covers, in canonical form (RFC 8785). The ledger canonicalises
 * every event it takes in, so the fixed top level is written out in its sorted key order (action,
 * actor, at, details, origin, outcome, prevHash, requestId, seq, sourceIp, target, userAgent)
 * and only `details` goes through the general canonicaliser; anything unexpected takes the
 * general path whole. A unit test holds the two to the same bytes. `detailsJson`, if given, is
 * `canonicalJson(event.details)` already made.
 */
export function hashedContent(seq: number, prevHash: string, event: AuditEventInput, detailsJson?: string): string {
  const e = event;
  const strings = [e.action, e.at, e.outcome, e.requestId, prevHash].every((v) => typeof v === 'string');
  const origin_ = e.origin === undefined || (typeof e.origin.agentId === 'string' && Number.isSafeInteger(e.origin.seq) && Object.keys(e.origin).length === 2);
  if (!strings || !origin_ || !isRef(e.actor) || !isRef(e.target) || !plain(e.sourceIp) || !plain(e.userAgent) || !Number.isSafeInteger(seq)) {
    return canonicalJson(hashedFields(seq, prevHash, event));
  }
  const origin = e.origin === undefined ? '' : `,"origin":{"agentId":${str(e.origin.agentId)},"seq":${e.origin.seq}}`;
  return `{"action":${str(e.action)},"actor":${ref(e.actor)},"at":${str(e.at)},"details":${detailsJson ?? canonicalJson(e.details)}${origin},"outcome":${str(e.outcome)},"prevHash":${str(prevHash)},"requestId":${str(e.requestId)},"seq":${seq},"sourceIp":${nullable(e.sourceIp)},"target":${ref(e.target)},"userAgent":${nullable(e.userAgent)}}`;
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
