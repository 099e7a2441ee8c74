/** Sealing of the control plane's own secrets with the root key (see root-key.ts). */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

/** A secret sealed with AES-256-GCM; `purpose` is bound in as associated data. */
type Sealed = { v: 1; alg: 'A256GCM'; purpose: string; iv: string; tag: string; ct: string };

export function seal(key: Buffer, purpose: string, plaintext: Buffer): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(Buffer.from(purpose));
  const ct = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  const sealed: Sealed = {
    v: 1,
    alg: 'A256GCM',
    purpose,
    iv: iv.toString('base64'),
    tag: cipher.getAuthTag().toString('base64'),
    ct: ct.toString('base64'),
  };
  return JSON.stringify(sealed);
}

export function unseal(key: Buffer, purpose: string, text: string): Buffer {
  const sealed = JSON.parse(text) as Sealed;
  if (sealed.v !== 1 || sealed.alg !== 'A256GCM' || sealed.purpose !== purpose) {
    throw new Error(`sealed secret is not a ${purpose}`);
  }
  const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(sealed.iv, 'base64'));
  decipher.setAAD(Buffer.from(purpose));
  decipher.setAuthTag(Buffer.from(sealed.tag, 'base64'));
  try {
    return Buffer.concat([decipher.update(Buffer.from(sealed.ct, 'base64')), decipher.final()]);
  } catch {
    throw new Error(`cannot open the sealed ${purpose}: the root key does not match`);
  }
}

/** A sealed secret sealed again with another key, for the same purpose (the clear secret is wiped). */
export function reseal(from: Buffer, to: Buffer, text: string): string {
  const purpose = (JSON.parse(text) as Sealed).purpose;
  const clear = unseal(from, purpose, text);
  try {
    return seal(to, purpose, clear);
  } finally {
    clear.fill(0);
  }
}
