import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { z } from 'zod';
import { resealedConfig } from '../audit/siem/destination-config';
import { lockDataDir } from '../db/data-dir-lock';
import { migrateSqlite } from '../db/migrate';
import { newRootKey, openRootKey, RootKeyError, type RootKeySource } from './root-key';
import { reseal } from './seal';

/**
 * A rotation under way, written before the database changes: the new root-key.json, the CA key
 * sealed with the new key and, for a generated key, the new root.key. Whether the database took
 * the rotation (its RootKeyRotation row holds the new check value) decides, after a crash,
 * whether these files are put in place or dropped: the data directory ends under one key, whole.
 */
const Journal = z.object({ recordText: z.string(), caKey: z.string(), keyFileText: z.string().optional(), previousKind: z.string() });
type Journal = z.infer<typeof Journal>;

const JOURNAL = 'root-key.rotation.json';
const files = (dataDir: string) => ({
  journal: path.join(dataDir, JOURNAL),
  record: path.join(dataDir, 'root-key.json'),
  caKey: path.join(dataDir, 'pki', 'ca.key.sealed'),
  keyFile: path.join(dataDir, 'root.key'),
});

export type RootKeyRotated = { kind: RootKeySource['kind']; previousKind: RootKeySource['kind']; ledgerKeys: number; kekVersions: number; siemDestinations: number };

/**
 * Seals every secret of a data directory again under a new root key: the CA key, the ledger
 * signing keys, every KEK version's material and the SIEM destinations' secrets. The control plane
 * must be stopped (the data directory's lock says so otherwise); the old key must open the
 * directory. The database changes in one transaction; the files follow (see Journal), so a crash at
 * any point leaves the directory under the old key or the new one, never half of each. The control
 * plane's next start records the rotation in the audit ledger.
 *
 * `until` stops after a step, leaving what a crash there would (for the crash tests).
 */
export function rotateRootKey(
  opts: { dataDir: string; databaseFile: string; migrationsDir: string; current: RootKeySource; next: RootKeySource },
  until?: 'journal' | 'database',
): RootKeyRotated {
  if (!fs.existsSync(opts.databaseFile)) throw new RootKeyError(`${opts.dataDir} holds no appliance yet (no ${path.basename(opts.databaseFile)}): there is no root key to rotate; check SBX_DATA_DIR`);
  const lock = lockDataDir(opts.dataDir, 'root key rotation');
  try {
    finishRootKeyRotation(opts.dataDir, opts.databaseFile);
    const old = openRootKey(opts.dataDir, opts.current).key;
    const next = newRootKey(opts.next);
    if (next.key.equals(old)) throw new RootKeyError('the new root key is the one in use: supply another key or passphrase');
    // A directory last run by an older version gets this version's tables (RootKeyRotation) first.
    migrateSqlite(opts.databaseFile, opts.migrationsDir);
    const f = files(opts.dataDir);
    const journal: Journal = { recordText: next.recordText, caKey: reseal(old, next.key, fs.readFileSync(f.caKey, 'utf8')), keyFileText: next.keyFileText, previousKind: opts.current.kind };
    writeDurably(f.journal, JSON.stringify(journal));
    if (until === 'journal') return counts(opts, 0, 0, 0);

    const db = new Database(opts.databaseFile);
    let done: RootKeyRotated;
    try {
      done = db.transaction(() => {
        const ledgerKeys = db.prepare('SELECT version, sealedPrivateKey FROM LedgerKey').all() as { version: number; sealedPrivateKey: string }[];
        for (const k of ledgerKeys) db.prepare('UPDATE LedgerKey SET sealedPrivateKey = ? WHERE version = ?').run(reseal(old, next.key, k.sealedPrivateKey), k.version);
        const versions = db.prepare('SELECT kekId, version, sealed FROM KekVersion WHERE sealed IS NOT NULL').all() as { kekId: string; version: number; sealed: string }[];
        for (const v of versions) db.prepare('UPDATE KekVersion SET sealed = ? WHERE kekId = ? AND version = ?').run(reseal(old, next.key, v.sealed), v.kekId, v.version);
        const siem = db.prepare('SELECT id, config FROM SiemDestination').all() as { id: string; config: string }[];
        for (const d of siem) db.prepare('UPDATE SiemDestination SET config = ? WHERE id = ?').run(resealedConfig(d.config, old, next.key), d.id);
        const check = (JSON.parse(next.recordText) as { check: string }).check;
        db.prepare('INSERT INTO RootKeyRotation (kind, previousKind, "check", rotatedAt) VALUES (?, ?, ?, ?)').run(opts.next.kind, opts.current.kind, check, new Date().toISOString().replace('Z', '+00:00'));
        return counts(opts, ledgerKeys.length, versions.length, siem.length);
      })();
    } finally {
      db.close();
    }
    if (until !== 'database') finishRootKeyRotation(opts.dataDir, opts.databaseFile);
    return done;
  } finally {
    lock.release();
  }
}

const counts = (opts: { current: RootKeySource; next: RootKeySource }, ledgerKeys: number, kekVersions: number, siemDestinations: number): RootKeyRotated => ({
  kind: opts.next.kind,
  previousKind: opts.current.kind,
  ledgerKeys,
  kekVersions,
  siemDestinations,
});

/**
 * Completes or drops a rotation a crash cut short (run before the root key is opened): if the
 * database took it, its files are put in place; if not, they are dropped and the old key stays.
 * Returns what it did, or null when no rotation was under way.
 */
export function finishRootKeyRotation(dataDir: string, databaseFile: string): 'completed' | 'dropped' | null {
  const f = files(dataDir);
  if (!fs.existsSync(f.journal)) return null;
  const parsed = Journal.safeParse(safeJson(fs.readFileSync(f.journal, 'utf8')));
  const check = parsed.success ? (safeJson(parsed.data.recordText) as { check?: string } | undefined)?.check : undefined;
  if (!parsed.success || !check || !databaseTook(databaseFile, check)) {
    // Written before the database changed, so nothing else refers to it.
    fs.rmSync(f.journal);
    return 'dropped';
  }
  const j = parsed.data;
  if (j.keyFileText) writeDurably(f.keyFile, j.keyFileText);
  else fs.rmSync(f.keyFile, { force: true });
  writeDurably(f.caKey, j.caKey);
  writeDurably(f.record, j.recordText);
  fs.rmSync(f.journal);
  return 'completed';
}

function databaseTook(databaseFile: string, check: string): boolean {
  if (!fs.existsSync(databaseFile)) return false;
  const db = new Database(databaseFile, { readonly: true });
  try {
    const table = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'RootKeyRotation'").get();
    return table !== undefined && db.prepare('SELECT 1 FROM RootKeyRotation WHERE "check" = ?').get(check) !== undefined;
  } finally {
    db.close();
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/** Replaces `file` with `text` atomically and durably (a temporary file, fsync, rename, fsync of the directory). */
function writeDurably(file: string, text: string): void {
  const tmp = `${file}.tmp`;
  const fd = fs.openSync(tmp, 'w', 0o600);
  try {
    fs.writeFileSync(fd, text);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(tmp, file);
  const dir = fs.openSync(path.dirname(file), 'r');
  try {
    fs.fsyncSync(dir);
  } finally {
    fs.closeSync(dir);
  }
}
