import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

const KEY_BYTES = 32;

/**
 * The root key protects the control plane's own secrets (the CA key first). By default it is made
 * on first start and kept in the data directory, readable by root alone; a later release lets the
 * operator supply it instead. A key file of the wrong size or mode stops start-up: a silent new
 * key would orphan every secret sealed with the old one.
 */
export function loadOrCreateRootKey(dataDir: string): { key: Buffer; created: boolean } {
  const file = path.join(dataDir, 'root.key');
  if (fs.existsSync(file)) {
    const mode = fs.statSync(file).mode & 0o777;
    if ((mode & 0o077) !== 0) {
      throw new Error(`${file} is readable by others (mode ${mode.toString(8)}); run: chmod 600 ${file}`);
    }
    const key = Buffer.from(fs.readFileSync(file, 'utf8').trim(), 'base64');
    if (key.length !== KEY_BYTES) throw new Error(`${file} does not hold a ${KEY_BYTES}-byte key`);
    return { key, created: false };
  }
  const key = randomBytes(KEY_BYTES);
  fs.writeFileSync(file, `${key.toString('base64')}\n`, { mode: 0o600, flag: 'wx' });
  return { key, created: true };
}

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
