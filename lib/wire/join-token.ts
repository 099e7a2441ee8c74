import { z } from 'zod';

/**
 * A join token as handed to an operator: `sbxj1.<id>.<secret>.<ca-sha256>`. It carries the SHA-256
 * fingerprint of the appliance's CA, so the joining agent pins that CA instead of trusting the
 * first certificate it is shown. The control plane stores only a hash of the secret.
 */
const PATTERN = /^sbxj1\.([a-z0-9]{12})\.([A-Za-z0-9_-]{43})\.([0-9a-f]{64})$/;

export const JoinTokenString = z.string().trim().regex(PATTERN, 'expected a join token of the form sbxj1.<id>.<secret>.<ca-fingerprint>');

export type JoinTokenParts = { id: string; secret: string; caFingerprint: string };

export function formatJoinToken(p: JoinTokenParts): string {
  return `sbxj1.${p.id}.${p.secret}.${p.caFingerprint}`;
}

export function parseJoinToken(token: string): JoinTokenParts | null {
  const m = PATTERN.exec(token.trim());
  if (!m) return null;
  return { id: m[1] as string, secret: m[2] as string, caFingerprint: m[3] as string };
}
