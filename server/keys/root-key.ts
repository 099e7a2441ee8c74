import { randomBytes, scryptSync } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { seal, unseal } from './seal';

const KEY_BYTES = 32;
const CHECK_PURPOSE = 'root-key-check';
const CHECK_TEXT = 'sbx root key';
/** scrypt cost: 2^17 × 8 × 128 bytes = 128 MiB and about half a second, once per start. */
const SCRYPT = { N: 2 ** 17, r: 8, p: 1 } as const;
const MIN_PASSPHRASE = 12;

/** Where the root key comes from: made on first start (the default), a key file, or a passphrase. */
export type RootKeySource = { kind: 'generated' } | { kind: 'file'; file: string } | { kind: 'passphrase'; file: string };

/** A root key that cannot be had: start-up stops with this message (it never names key material). */
export class RootKeyError extends Error {
  override name = 'RootKeyError';
}

/**
 * What the data directory records of its root key (root-key.json, not secret): where it comes
 * from, the scrypt salt and cost for a passphrase, and a value sealed with it, so a wrong key is
 * told at once instead of as a failure to open some secret later.
 */
const RootKeyRecord = z.object({
  v: z.literal(1),
  kind: z.enum(['generated', 'file', 'passphrase']),
  scrypt: z.object({ salt: z.string(), N: z.number().int(), r: z.number().int(), p: z.number().int() }).optional(),
  check: z.string(),
});
type RootKeyRecord = z.infer<typeof RootKeyRecord>;

const HOW = {
  generated: 'the key the appliance made in its data directory (root.key)',
  file: 'a key file (SBX_ROOT_KEY_FILE)',
  passphrase: 'a passphrase (SBX_ROOT_PASSPHRASE_FILE)',
} as const;

/**
 * The root key protects the control plane's own secrets (CA key, ledger signing key, KEKs, SIEM
 * tokens). The operator supplies it as a key file or a passphrase (stretched with scrypt), or lets
 * the appliance make one on first start (the default). A data directory keeps to the kind it was
 * set up with; a wrong or missing key stops start-up with a message saying what to supply, and a
 * new key is never made where secrets are sealed already.
 */
export function openRootKey(dataDir: string, source: RootKeySource): { key: Buffer; created: boolean } {
  const recordFile = path.join(dataDir, 'root-key.json');
  const record = readRecord(recordFile);
  const sealedAlready = fs.existsSync(path.join(dataDir, 'pki', 'ca.key.sealed'));
  if (!record && sealedAlready && source.kind !== 'generated') {
    throw new RootKeyError(`this data directory's secrets are sealed with ${HOW.generated}, not ${HOW[source.kind]}: start without ${envOf(source)}`);
  }
  if (record && record.kind !== source.kind) {
    throw new RootKeyError(`this data directory's root key is ${HOW[record.kind]}, but ${source.kind === 'generated' ? 'neither SBX_ROOT_KEY_FILE nor SBX_ROOT_PASSPHRASE_FILE is set' : `${envOf(source)} is set`}: start with ${HOW[record.kind]}`);
  }
  let key: Buffer;
  let created = false;
  let scrypt = record?.scrypt;
  if (source.kind === 'generated') {
    const file = path.join(dataDir, 'root.key');
    if (!fs.existsSync(file)) {
      if (record || sealedAlready) throw new RootKeyError(`${file} is missing: this data directory's secrets cannot be opened without it (restore it from your backup); no new key is made`);
      fs.writeFileSync(file, `${randomBytes(KEY_BYTES).toString('base64')}\n`, { mode: 0o600, flag: 'wx' });
      created = true;
    }
    key = keyFromFile(file, file);
  } else {
    scrypt ??= source.kind === 'passphrase' ? freshScrypt() : undefined;
    key = suppliedKey(source, scrypt);
  }
  if (record) {
    try {
      if (unseal(key, CHECK_PURPOSE, record.check).toString() !== CHECK_TEXT) throw new Error('mismatch');
    } catch {
      throw new RootKeyError(`the root key does not match this data directory (${source.kind === 'passphrase' ? 'wrong passphrase' : 'wrong key'}: ${HOW[source.kind]}); nothing was changed`);
    }
    return { key, created };
  }
  fs.writeFileSync(recordFile, rootKeyRecordText(key, source.kind, scrypt), { mode: 0o600 });
  return { key, created };
}

type Scrypt = NonNullable<RootKeyRecord['scrypt']>;
const freshScrypt = (): Scrypt => ({ salt: randomBytes(16).toString('base64'), ...SCRYPT });

/** The key a key file or passphrase gives (a passphrase stretched with `scrypt`). */
function suppliedKey(source: Exclude<RootKeySource, { kind: 'generated' }>, scrypt: Scrypt | undefined): Buffer {
  if (source.kind === 'file') return keyFromFile(source.file, 'SBX_ROOT_KEY_FILE');
  const passphrase = secretText(source.file, 'SBX_ROOT_PASSPHRASE_FILE');
  if (passphrase.length < MIN_PASSPHRASE) throw new RootKeyError(`SBX_ROOT_PASSPHRASE_FILE: the passphrase must have at least ${MIN_PASSPHRASE} characters`);
  const s = scrypt ?? freshScrypt();
  return scryptSync(passphrase, Buffer.from(s.salt, 'base64'), KEY_BYTES, { N: s.N, r: s.r, p: s.p, maxmem: 256 * s.N * s.r + (1 << 20) });
}

/** root-key.json for `key`: its kind, scrypt salt and cost if a passphrase, and the sealed check value. */
function rootKeyRecordText(key: Buffer, kind: RootKeySource['kind'], scrypt: Scrypt | undefined): string {
  const record: RootKeyRecord = { v: 1, kind, ...(kind === 'passphrase' ? { scrypt } : {}), check: seal(key, CHECK_PURPOSE, Buffer.from(CHECK_TEXT)) };
  return `${JSON.stringify(record, null, 2)}\n`;
}

/**
 * A new root key from `source`, to rotate to (see rotate-root-key.ts): the key, the root-key.json
 * that goes with it, and for a generated key the root.key text. A passphrase gets a fresh salt.
 */
export function newRootKey(source: RootKeySource): { key: Buffer; recordText: string; keyFileText?: string } {
  if (source.kind === 'generated') {
    const key = randomBytes(KEY_BYTES);
    return { key, recordText: rootKeyRecordText(key, 'generated', undefined), keyFileText: `${key.toString('base64')}\n` };
  }
  const scrypt = source.kind === 'passphrase' ? freshScrypt() : undefined;
  const key = suppliedKey(source, scrypt);
  return { key, recordText: rootKeyRecordText(key, source.kind, scrypt) };
}

/** The generated root key of a data directory (made if it has none): the zero-configuration default. */
export function loadOrCreateRootKey(dataDir: string): { key: Buffer; created: boolean } {
  return openRootKey(dataDir, { kind: 'generated' });
}

function envOf(source: RootKeySource): string {
  return source.kind === 'file' ? 'SBX_ROOT_KEY_FILE' : source.kind === 'passphrase' ? 'SBX_ROOT_PASSPHRASE_FILE' : 'a root key setting';
}

function readRecord(file: string): RootKeyRecord | null {
  if (!fs.existsSync(file)) return null;
  let json: unknown;
  try {
    json = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch {
    throw new RootKeyError(`${file} is not readable JSON: restore it from your backup`);
  }
  const r = RootKeyRecord.safeParse(json);
  if (!r.success) throw new RootKeyError(`${file}: ${r.error.issues[0]?.path.join('.') || 'record'}: ${r.error.issues[0]?.message}`);
  return r.data;
}

/** A secret file's text: it must exist and be readable by its owner alone. */
function secretText(file: string, name: string): string {
  if (!fs.existsSync(file)) throw new RootKeyError(`${name}: ${file}: no such file`);
  const mode = fs.statSync(file).mode & 0o777;
  if ((mode & 0o077) !== 0) throw new RootKeyError(`${name}: ${file} is readable by others (mode ${mode.toString(8)}); run: chmod 600 ${file}`);
  return fs.readFileSync(file, 'utf8').replace(/\r?\n$/, '');
}

function keyFromFile(file: string, name: string): Buffer {
  const key = Buffer.from(secretText(file, name).trim(), 'base64');
  if (key.length !== KEY_BYTES) throw new RootKeyError(`${name}: ${file} does not hold a ${KEY_BYTES}-byte key in base64 (make one with: head -c 32 /dev/urandom | base64 > ${file})`);
  return key;
}
