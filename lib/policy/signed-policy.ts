import { createHash, verify, X509Certificate } from 'node:crypto';
import { z } from 'zod';
import { canonicalJson } from '../canonical-json';
import { Policy } from './model';
import { sortPolicies, type PolicySet } from './policy-set';

/** The common name of the control plane's policy-signing certificate (issued by the appliance CA). */
export const POLICY_SIGNER_NAME = 'sbx-policy-signer';

/** The hash that names a policy set: SHA-256 of its canonical JSON (policies sorted by name). */
export function policySetHash(policies: PolicySet): string {
  return createHash('sha256').update(canonicalJson(policies)).digest('hex');
}

/**
 * A policy version as it travels to agents: the set, its version number and hash, signed by the
 * control plane's policy signer, whose certificate (issued by the appliance CA the agent pinned at
 * enrolment) travels with it.
 */
export const SignedPolicySet = z.object({
  version: z.number().int().positive(),
  hash: z.string().regex(/^[0-9a-f]{64}$/, 'expected a SHA-256 in hex'),
  createdAt: z.iso.datetime(),
  policies: z.array(Policy).max(200),
  signature: z.string().max(2048),
  signer: z.string().max(8192),
});
export type SignedPolicySet = z.infer<typeof SignedPolicySet>;

/** The bytes the signature covers: version, hash and time, under a fixed context string. */
export function signedPayload(v: { version: number; hash: string; createdAt: string }): Buffer {
  return Buffer.from(`sbx-policy-set/v1\n${v.version}\n${v.hash}\n${v.createdAt}\n`);
}

// The CA and the signer are the same few certificates for every version: parsed once each.
const parsed = new Map<string, X509Certificate>();
function certificate(pem: string): X509Certificate {
  let c = parsed.get(pem);
  if (!c) {
    c = new X509Certificate(pem);
    if (parsed.size >= 16) parsed.clear();
    parsed.set(pem, c);
  }
  return c;
}

/** Why a signed policy set is refused. */
export type PolicyRefusal = 'bad_signer' | 'bad_signature' | 'hash_mismatch' | 'not_newer';

/**
 * Verifies a signed policy set against the CA an agent trusts: the signer certificate must be
 * issued by that CA, be within its validity, be the policy signer (name and code-signing use), the
 * signature must hold over version, hash and time, and the hash must be the policies' own.
 */
export function verifySignedPolicySet(s: SignedPolicySet, caPem: string, now = new Date()): { ok: true } | { ok: false; reason: PolicyRefusal; message: string } {
  let cert: X509Certificate;
  let ca: X509Certificate;
  try {
    cert = certificate(s.signer);
    ca = certificate(caPem);
  } catch {
    return { ok: false, reason: 'bad_signer', message: 'the signer certificate is not readable' };
  }
  const inDate = new Date(cert.validFrom) <= now && now <= new Date(cert.validTo);
  const named = cert.subject.split('\n').includes(`CN=${POLICY_SIGNER_NAME}`);
  const codeSigning = (cert.keyUsage ?? []).includes('1.3.6.1.5.5.7.3.3');
  if (!cert.checkIssued(ca) || !cert.verify(ca.publicKey) || !inDate || !named || !codeSigning) {
    return { ok: false, reason: 'bad_signer', message: 'the signer certificate is not the appliance CA\'s policy signer' };
  }
  const good = verify('sha256', signedPayload(s), cert.publicKey, Buffer.from(s.signature, 'base64'));
  if (!good) return { ok: false, reason: 'bad_signature', message: `the signature of policy version ${s.version} does not hold` };
  if (policySetHash(sortPolicies(s.policies)) !== s.hash) return { ok: false, reason: 'hash_mismatch', message: `the policies of version ${s.version} do not hash to ${s.hash}` };
  return { ok: true };
}
