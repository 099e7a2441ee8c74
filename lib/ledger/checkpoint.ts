import { createHash, createPrivateKey, createPublicKey, sign, verify, type KeyObject } from 'node:crypto';

/**
 * Signed checkpoints of the ledger in the C2SP formats: the body is a tlog-checkpoint (origin,
 * tree size, base64 root hash, each on its own line), the signatures follow as a signed-note
 * (a blank line, then `— <key name> <base64(key id ‖ signature)>` lines). Ed25519 key ids are the
 * first four bytes of SHA-256(name ‖ "\n" ‖ 0x01 ‖ public key), so a rotated key keeps its old
 * checkpoints verifiable under its own id.
 */

export type Checkpoint = { origin: string; size: number; root: Buffer };

const EM_DASH = '\u2014';

/** The checkpoint body (the signed text). */
export function checkpointBody(c: Checkpoint): string {
  if (!c.origin || /[\n]/.test(c.origin)) throw new Error('a checkpoint origin is one non-empty line');
  if (!Number.isSafeInteger(c.size) || c.size < 0) throw new Error('a checkpoint size is a non-negative integer');
  return `${c.origin}\n${c.size}\n${c.root.toString('base64')}\n`;
}

/** The raw 32-byte Ed25519 public key of a key object. */
function rawPublicKey(key: KeyObject): Buffer {
  const der = (key.type === 'private' ? createPublicKey(key) : key).export({ format: 'der', type: 'spki' });
  return Buffer.from(der.subarray(der.length - 32));
}

/** The signed-note key id of an Ed25519 key under `name`. */
export function keyId(name: string, publicKey: KeyObject): Buffer {
  return createHash('sha256').update(`${name}\n`).update(Buffer.of(0x01)).update(rawPublicKey(publicKey)).digest().subarray(0, 4);
}

/** A verifier key in the signed-note text form: `name+hex(key id)+base64(0x01 ‖ public key)`. */
export function verifierKey(name: string, publicKey: KeyObject): string {
  return `${name}+${keyId(name, publicKey).toString('hex')}+${Buffer.concat([Buffer.of(0x01), rawPublicKey(publicKey)]).toString('base64')}`;
}

/** Signs a checkpoint with an Ed25519 private key (PEM or key object): the whole signed note. */
export function signCheckpoint(c: Checkpoint, name: string, privateKey: KeyObject | string): string {
  const key = typeof privateKey === 'string' ? createPrivateKey(privateKey) : privateKey;
  const body = checkpointBody(c);
  const signature = sign(null, Buffer.from(body), key);
  return `${body}\n${EM_DASH} ${name} ${Buffer.concat([keyId(name, createPublicKey(key)), signature]).toString('base64')}\n`;
}

/**
 * Checks a signed checkpoint against trusted keys (by name). Returns the checkpoint when at least
 * one signature line is by a trusted key and verifies; null for anything else (unknown keys'
 * lines are ignored, as signed-note says; a bad signature by a known key is a failure).
 */
export function verifyCheckpoint(note: string, trusted: { name: string; publicKey: KeyObject }[]): Checkpoint | null {
  const cut = note.lastIndexOf('\n\n');
  if (cut < 0) return null;
  const body = note.slice(0, cut + 1);
  const lines = note.slice(cut + 2).split('\n').filter((l) => l.length > 0);
  let good = false;
  for (const line of lines) {
    const m = new RegExp(`^${EM_DASH} (\\S+) ([A-Za-z0-9+/=]+)$`).exec(line);
    if (!m) return null;
    const raw = Buffer.from(m[2] ?? '', 'base64');
    for (const t of trusted) {
      if (t.name !== m[1] || !raw.subarray(0, 4).equals(keyId(t.name, t.publicKey))) continue;
      if (!verify(null, Buffer.from(body), t.publicKey, raw.subarray(4))) return null;
      good = true;
    }
  }
  if (!good) return null;
  const [origin = '', size = '', root = ''] = body.split('\n');
  if (!/^\d+$/.test(size) || !/^[A-Za-z0-9+/]{43}=$/.test(root)) return null;
  return { origin, size: Number(size), root: Buffer.from(root, 'base64') };
}
