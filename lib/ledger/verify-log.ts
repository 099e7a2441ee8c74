import { hashedContent } from '../audit/chain';
import type { AuditRecord } from '../audit/events';
import { leafHash } from './merkle';
import { LogVerifier, type TrustedKey, type Verdict } from './log-verifier';

/** The canonical JSON of a record: the bytes its chain hash and ledger leaf are made of. */
export function recordContent(r: AuditRecord): Buffer {
  return Buffer.from(hashedContent(r.seq, r.prevHash, r));
}

/** The ledger leaf of a record: SHA-256(0x00 ‖ its canonical JSON, RFC 8785). */
export function recordLeaf(r: AuditRecord): Buffer {
  return leafHash(recordContent(r));
}

/**
 * Checks a whole log held in memory (records ascending from the first) against signed
 * checkpoints: see LogVerifier, which this feeds. Each record's leaf is recomputed from it, so an
 * edit shows as a break in the chain or a root that no checkpoint signed.
 */
export function verifyLog(records: readonly AuditRecord[], notes: readonly string[], trusted: TrustedKey[], earlier?: string): Verdict {
  const verifier = new LogVerifier(notes, trusted, earlier);
  for (const r of records) {
    const content = recordContent(r);
    verifier.add({ seq: r.seq, leaf: leafHash(content), event: { content, prevHash: r.prevHash, hash: r.hash } });
  }
  return verifier.finish();
}
