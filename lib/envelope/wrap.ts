import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

/** What a wrapped data key is bound to besides its KEK version: the object it encrypts and the host that holds it. */
export type KeyBinding = { context: string; host: string };

function aad(kekRef: { id: string; version: number }, binding: KeyBinding): Buffer {
  return Buffer.from(JSON.stringify(['sbx-data-key-v2', kekRef.id, kekRef.version, binding.context, binding.host]));
}

/**
 * Wrapping of a data key by a key-encryption key (KEK) version: AES-256-GCM with a random nonce,
 * written as base64(nonce ‖ wrapped key ‖ tag). Bound in as associated data: the KEK's id and
 * version, the object the key encrypts (its context, which names its sandbox) and the host it was
 * issued to. So a wrapped key copied from one sandbox's or one host's files opens nothing when
 * another host asks for it, or the same host for another sandbox. Only the control plane holds
 * KEKs, so only it calls these.
 */
export function wrapDataKey(kek: Buffer, kekRef: { id: string; version: number }, binding: KeyBinding, dataKey: Buffer): string {
  const nonce = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', kek, nonce);
  cipher.setAAD(aad(kekRef, binding));
  return Buffer.concat([nonce, cipher.update(dataKey), cipher.final(), cipher.getAuthTag()]).toString('base64');
}

/** The data key a wrapped key holds, or null when this KEK version did not wrap it for this binding (or it was altered). */
export function unwrapDataKey(kek: Buffer, kekRef: { id: string; version: number }, binding: KeyBinding, wrapped: string): Buffer | null {
  const bytes = Buffer.from(wrapped, 'base64');
  if (bytes.length !== 12 + 32 + 16) return null;
  const decipher = createDecipheriv('aes-256-gcm', kek, bytes.subarray(0, 12));
  decipher.setAAD(aad(kekRef, binding));
  decipher.setAuthTag(bytes.subarray(44));
  try {
    return Buffer.concat([decipher.update(bytes.subarray(12, 44)), decipher.final()]);
  } catch {
    return null;
  }
}
