import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

/**
 * Wrapping of a data key by a key-encryption key (KEK) version: AES-256-GCM with a random nonce,
 * the KEK's id and version bound in, written as base64(nonce ‖ wrapped key ‖ tag). Only the
 * control plane holds KEKs, so only it calls these.
 */
export function wrapDataKey(kek: Buffer, kekRef: { id: string; version: number }, dataKey: Buffer): string {
  const nonce = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', kek, nonce);
  cipher.setAAD(Buffer.from(`${kekRef.id}:${kekRef.version}`));
  return Buffer.concat([nonce, cipher.update(dataKey), cipher.final(), cipher.getAuthTag()]).toString('base64');
}

/** The data key a wrapped key holds, or null when this KEK version did not wrap it (or it was altered). */
export function unwrapDataKey(kek: Buffer, kekRef: { id: string; version: number }, wrapped: string): Buffer | null {
  const bytes = Buffer.from(wrapped, 'base64');
  if (bytes.length !== 12 + 32 + 16) return null;
  const decipher = createDecipheriv('aes-256-gcm', kek, bytes.subarray(0, 12));
  decipher.setAAD(Buffer.from(`${kekRef.id}:${kekRef.version}`));
  decipher.setAuthTag(bytes.subarray(44));
  try {
    return Buffer.concat([decipher.update(bytes.subarray(12, 44)), decipher.final()]);
  } catch {
    return null;
  }
}
