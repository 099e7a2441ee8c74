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

/** Signs a note body (text ending in a newline) with an Ed25519 private key: the whole signed note. */
export function signNote(body: string, name: string, privateKey: KeyObject | string): string {
  if (!body.endsWith('\n') || body.includes('\n\n')) throw new Error('a note body is lines ending in a newline, with no blank line');
  const key = typeof privateKey === 'string' ? createPrivateKey(privateKey) : privateKey;
  const signature = sign(null, Buffer.from(body), key);
  return `${body}\n${EM_DASH} ${name} ${Buffer.concat([keyId(name, createPublicKey(key)), signature]).toString('base64')}\n`;
}

/**
 * Opens a signed note against trusted keys (by name): its body when at least one signature line
 * is by a trusted key and verifies; null for anything else (unknown keys' lines are ignored, as
 * signed-note says; a bad signature by a known key is a failure).
 */
export function openNote(note: string, trusted: readonly { name: string; publicKey: KeyObject }[]): string | null {
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
  return good ? body : null;
}

/** Signs a checkpoint with an Ed25519 private key (PEM or key object): the whole signed note. */
export function signCheckpoint(c: Checkpoint, name: string, privateKey: KeyObject | string): string {
  return signNote(checkpointBody(c), name, privateKey);
}

/** Checks a signed checkpoint against trusted keys (see openNote); the checkpoint, or null. */
export function verifyCheckpoint(note: string, trusted: readonly { name: string; publicKey: KeyObject }[]): Checkpoint | null {
  const body = openNote(note, trusted);
  if (body === null) return null;
  const [origin = '', size = '', root = '', ...rest] = body.split('\n');
  if (rest.join('') !== '' || !/^\d+$/.test(size) || !/^[A-Za-z0-9+/]{43}=$/.test(root)) return null;
  return { origin, size: Number(size), root: Buffer.from(root, 'base64') };
}

/** Splits a file of signed notes written one after another (the checkpoint log) into notes. */
export function splitNotes(text: string): string[] {
  const notes: string[] = [];
  const lines = text.split('\n');
  let i = 0;
  while (i < lines.length) {
    if (lines[i] === '') {
      i += 1;
      continue;
    }
    const start = i;
    while (i < lines.length && lines[i] !== '') i += 1; // the body
    i += 1; // the blank line
    while (i < lines.length && (lines[i] ?? '').startsWith(`${EM_DASH} `)) i += 1; // signatures
    notes.push(`${lines.slice(start, i).join('\n')}\n`);
  }
  return notes;
}

const ED25519_SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');

/**
 * Reads a verifier key (`name+hex(key id)+base64(0x01 ‖ public key)`) into a trusted key; null
 * when it is malformed, not Ed25519, or its key id does not match its name and key.
 */
export function parseVerifierKey(text: string): { name: string; publicKey: KeyObject } | null {
  const m = /^([^+\s]+)\+([0-9a-f]{8})\+([A-Za-z0-9+/=]+)$/.exec(text.trim());
  if (!m) return null;
  const raw = Buffer.from(m[3] ?? '', 'base64');
  if (raw.length !== 33 || raw[0] !== 0x01) return null;
  const publicKey = createPublicKey({ key: Buffer.concat([ED25519_SPKI_PREFIX, raw.subarray(1)]), format: 'der', type: 'spki' });
  const name = m[1] ?? '';
  return keyId(name, publicKey).toString('hex') === m[2] ? { name, publicKey } : null;
}
