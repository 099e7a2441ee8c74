import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import type { AuditPage } from '../../lib/api/audit';
import { openRootKey } from '../../server/keys/root-key';
import { rotateRootKey } from '../../server/keys/rotate-root-key';
import { unseal } from '../../server/keys/seal';
import { adminClient, startControlPlane, type ControlPlane } from '../support/control-plane';

const root = path.resolve(import.meta.dirname, '../..');
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'sbx-rootkey-'));
const running: ControlPlane[] = [];
afterAll(async () => {
  // A test that failed half-way leaves no control plane behind.
  for (const c of running) await c.stop();
  fs.rmSync(work, { recursive: true, force: true });
});

/** Starts a control plane on `dataDir` (stopped by afterAll if a test does not get to it). */
async function start(env: Record<string, string>, dataDir: string): Promise<ControlPlane> {
  const c = await startControlPlane(env, dataDir);
  running.push(c);
  return c;
}

/** Starts the control plane on `dataDir` expecting it to stop at once; returns its exit code and stderr. */
function refused(dataDir: string, env: Record<string, string>) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'server/main.ts'], {
    cwd: root,
    env: { PATH: process.env.PATH ?? '', NODE_ENV: 'production', SBX_DATA_DIR: dataDir, SBX_LOCAL_AGENT: 'false', SBX_CONSOLE_PORT: '0', SBX_AGENT_GATEWAY_PORT: '0', ...env },
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { code: r.status, err: r.stderr.trim() };
}

function secretFile(name: string, text: string, mode = 0o600): string {
  const file = path.join(work, name);
  fs.writeFileSync(file, text, { mode });
  fs.chmodSync(file, mode);
  return file;
}

/**
 * Every file of a directory with its bytes, to show that a refused start changed nothing; the
 * lock and pid files (which process last held the directory) are bookkeeping, not data.
 */
function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const f of fs.readdirSync(dir, { recursive: true }) as string[]) {
    const p = path.join(dir, f);
    if (/^control-plane\.(lock|pid)$/.test(f)) continue;
    if (fs.statSync(p).isFile()) out[f] = fs.readFileSync(p).toString('base64');
  }
  return out;
}

describe('the root key', () => {
  it('is taken from a passphrase, and a wrong or missing passphrase stops start-up with nothing changed', async () => {
    const dataDir = fs.mkdtempSync(path.join(work, 'pass-'));
    const right = secretFile('pass-right', 'correct horse battery staple\n');
    const cp = await start({ SBX_ROOT_PASSPHRASE_FILE: right }, dataDir);
    await cp.stop();
    expect(fs.existsSync(path.join(dataDir, 'root.key'))).toBe(false);
    const record = JSON.parse(fs.readFileSync(path.join(dataDir, 'root-key.json'), 'utf8')) as { kind: string; scrypt: { N: number } };
    expect(record).toMatchObject({ kind: 'passphrase', scrypt: { N: 131072 } });
    // The passphrase appears nowhere in the data directory.
    expect(Object.values(snapshot(dataDir)).some((b) => Buffer.from(b, 'base64').includes('correct horse'))).toBe(false);
    const before = snapshot(dataDir);

    const wrong = refused(dataDir, { SBX_ROOT_PASSPHRASE_FILE: secretFile('pass-wrong', 'incorrect horse battery staple') });
    expect(wrong).toEqual({ code: 78, err: 'sbx: root key: the root key does not match this data directory (wrong passphrase: a passphrase (SBX_ROOT_PASSPHRASE_FILE)); nothing was changed' });
    const none = refused(dataDir, {});
    expect(none.code).toBe(78);
    expect(none.err).toBe("sbx: root key: this data directory's root key is a passphrase (SBX_ROOT_PASSPHRASE_FILE), but neither SBX_ROOT_KEY_FILE nor SBX_ROOT_PASSPHRASE_FILE is set: start with a passphrase (SBX_ROOT_PASSPHRASE_FILE)");
    const short = refused(dataDir, { SBX_ROOT_PASSPHRASE_FILE: secretFile('pass-short', 'short') });
    expect(short.err).toBe('sbx: root key: SBX_ROOT_PASSPHRASE_FILE: the passphrase must have at least 12 characters');
    // Nothing was made or changed by the refused starts: no new key, no new secret.
    expect(snapshot(dataDir)).toEqual(before);

    const again = await start({ SBX_ROOT_PASSPHRASE_FILE: right }, dataDir);
    await again.stop();
  }, 120_000);

  it('is taken from a key file readable by its owner alone, and another key is refused', async () => {
    const dataDir = fs.mkdtempSync(path.join(work, 'file-'));
    const key = secretFile('key-right', `${Buffer.alloc(32, 1).toString('base64')}\n`);
    const cp = await start({ SBX_ROOT_KEY_FILE: key }, dataDir);
    await cp.stop();
    const before = snapshot(dataDir);
    const other = refused(dataDir, { SBX_ROOT_KEY_FILE: secretFile('key-other', Buffer.alloc(32, 2).toString('base64')) });
    expect(other).toEqual({ code: 78, err: 'sbx: root key: the root key does not match this data directory (wrong key: a key file (SBX_ROOT_KEY_FILE)); nothing was changed' });
    const open = refused(dataDir, { SBX_ROOT_KEY_FILE: secretFile('key-open', Buffer.alloc(32, 1).toString('base64'), 0o644) });
    expect(open.err).toMatch(/^sbx: root key: SBX_ROOT_KEY_FILE: \S+key-open is readable by others \(mode 644\); run: chmod 600 /);
    const short = refused(dataDir, { SBX_ROOT_KEY_FILE: secretFile('key-short', 'c2hvcnQ=') });
    expect(short.err).toMatch(/does not hold a 32-byte key in base64/);
    const both = refused(dataDir, { SBX_ROOT_KEY_FILE: key, SBX_ROOT_PASSPHRASE_FILE: key });
    expect(both.err).toBe('sbx: configuration error: SBX_ROOT_KEY_FILE and SBX_ROOT_PASSPHRASE_FILE: expected one of them, not both');
    expect(snapshot(dataDir)).toEqual(before);
  }, 120_000);

  it('made on first start is never silently made again when it goes missing', async () => {
    const dataDir = fs.mkdtempSync(path.join(work, 'gen-'));
    const cp = await start({}, dataDir);
    await cp.stop();
    fs.rmSync(path.join(dataDir, 'root.key'));
    const r = refused(dataDir, {});
    expect(r.code).toBe(78);
    expect(r.err).toMatch(/^sbx: root key: \S+root\.key is missing: this data directory's secrets cannot be opened without it \(restore it from your backup\); no new key is made$/);
    expect(fs.existsSync(path.join(dataDir, 'root.key'))).toBe(false);
    // Supplying some other key instead does not take the data directory over either.
    const file = refused(dataDir, { SBX_ROOT_KEY_FILE: secretFile('key-takeover', Buffer.alloc(32, 3).toString('base64')) });
    expect(file.err).toMatch(/root key is the key the appliance made in its data directory \(root\.key\), but SBX_ROOT_KEY_FILE is set/);
  }, 120_000);

  it('is rotated offline: every secret sealed again, the old key refused, the rotation in the ledger; a rotation cut short ends whole', async () => {
    const dataDir = fs.mkdtempSync(path.join(work, 'rotate-'));
    const passA = secretFile('rot-a', 'first passphrase of the appliance');
    const passB = secretFile('rot-b', 'second passphrase of the appliance');
    const passC = secretFile('rot-c', 'third passphrase of the appliance');
    const rotate = (env: Record<string, string>, ...args: string[]) => {
      const r = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/rotate-root-key.ts', ...args], { cwd: root, env: { PATH: process.env.PATH ?? '', NODE_ENV: 'production', SBX_DATA_DIR: dataDir, ...env }, encoding: 'utf8', timeout: 60_000 });
      return { code: r.status, out: r.stdout.trim(), err: r.stderr.trim() };
    };
    const cp = await start({ SBX_ROOT_PASSPHRASE_FILE: passA }, dataDir);
    const admin = await adminClient(cp);
    expect((await admin.post('/api/v1/audit/siem', { kind: 'splunk_hec', name: 'splunk', url: 'https://127.0.0.1:9/services/collector/event', token: 'HEC-TOKEN-1234', caPem: cp.ca })).status).toBe(200);
    expect((await admin.post('/api/v1/keys', { name: 'team-a' })).status).toBe(200);
    expect((await admin.post('/api/v1/keys/team-a/rotate', {})).status).toBe(200);
    // Not while the control plane runs: it holds the keys in memory.
    const running = rotate({ SBX_ROOT_PASSPHRASE_FILE: passA }, '--to', 'passphrase', '--file', passB);
    expect(running.code).toBe(75);
    expect(running.err).toBe(`sbx: root key rotation: the data directory ${dataDir} is in use by a control plane (pid ${cp.pid()}): stop it first, or give this one another SBX_DATA_DIR`);
    await cp.stop();

    const before = snapshot(dataDir);
    expect(rotate({ SBX_ROOT_PASSPHRASE_FILE: passA }, '--to', 'vault').err).toMatch(/--to: expected passphrase, file or generated/);
    expect(rotate({ SBX_ROOT_PASSPHRASE_FILE: passA }, '--to', 'passphrase').err).toMatch(/--file: expected the file that holds the new passphrase/);
    const wrong = rotate({ SBX_ROOT_PASSPHRASE_FILE: passB }, '--to', 'passphrase', '--file', passC);
    expect(wrong).toMatchObject({ code: 78, err: 'sbx: root key rotation: the root key does not match this data directory (wrong passphrase: a passphrase (SBX_ROOT_PASSPHRASE_FILE)); nothing was changed' });
    expect(snapshot(dataDir)).toEqual(before);

    const oldKey = openRootKey(dataDir, { kind: 'passphrase', file: passA }).key;
    const done = rotate({ SBX_ROOT_PASSPHRASE_FILE: passA }, '--to', 'passphrase', '--file', passB);
    expect(done.code, done.err).toBe(0);
    expect(done.out).toMatch(/^root key rotated \(passphrase -> passphrase\): the CA key, 1 ledger signing key\(s\), 3 KEK version\(s\) and 1 SIEM destination\(s\) are sealed with the new key/);
    // Every sealed secret opens with the new key and no longer with the old one.
    const newKey = openRootKey(dataDir, { kind: 'passphrase', file: passB }).key;
    const db = new Database(path.join(dataDir, 'control-plane.db'), { readonly: true });
    const sealed = [
      fs.readFileSync(path.join(dataDir, 'pki', 'ca.key.sealed'), 'utf8'),
      ...(db.prepare('SELECT sealedPrivateKey AS s FROM LedgerKey').all() as { s: string }[]).map((r) => r.s),
      ...(db.prepare('SELECT sealed AS s FROM KekVersion').all() as { s: string }[]).map((r) => r.s),
      ...(db.prepare('SELECT config AS s FROM SiemDestination').all() as { s: string }[]).map((r) => (JSON.parse(r.s) as { token: string }).token),
    ];
    db.close();
    expect(sealed).toHaveLength(6);
    for (const text of sealed) {
      const purpose = (JSON.parse(text) as { purpose: string }).purpose;
      expect(() => unseal(newKey, purpose, text), purpose).not.toThrow();
      expect(() => unseal(oldKey, purpose, text), purpose).toThrow(/root key does not match/);
    }
    expect(unseal(newKey, 'siem secret', sealed[5] as string).toString()).toBe('HEC-TOKEN-1234');
    expect(refused(dataDir, { SBX_ROOT_PASSPHRASE_FILE: passA }).code).toBe(78);

    // The next start records it; the ledger goes on signing with its unsealed key, and KEKs work.
    const after = await start({ SBX_ROOT_PASSPHRASE_FILE: passB }, dataDir);
    const admin2 = await adminClient(after);
    const events = ((await admin2.get('/api/v1/audit?action=system.root_key_rotate')).body as AuditPage).events;
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ actor: { type: 'system' }, target: { type: 'system', name: 'root key' }, details: { kind: 'passphrase', previousKind: 'passphrase' } });
    expect((await admin2.post('/api/v1/keys/team-a/rotate', {})).status).toBe(200);
    expect((await admin2.post('/api/v1/audit/verify', {})).body).toMatchObject({ ok: true });
    await after.stop();

    // Cut short before the database changed: the old key stays, the new one's files are dropped.
    const journal = path.join(dataDir, 'root-key.rotation.json');
    const migrationsDir = path.join(root, 'prisma', 'migrations');
    const opts = { dataDir, databaseFile: path.join(dataDir, 'control-plane.db'), migrationsDir, current: { kind: 'passphrase', file: passB }, next: { kind: 'passphrase', file: passC } } as const;
    rotateRootKey(opts, 'journal');
    expect(fs.existsSync(journal)).toBe(true);
    expect(refused(dataDir, { SBX_ROOT_PASSPHRASE_FILE: passC }).code).toBe(78);
    expect(fs.existsSync(journal)).toBe(false);
    // Cut short after the database took it: the files follow, whichever key the next start is given.
    rotateRootKey(opts, 'database');
    expect(refused(dataDir, { SBX_ROOT_PASSPHRASE_FILE: passB }).code).toBe(78);
    expect(fs.existsSync(journal)).toBe(false);
    const last = await start({ SBX_ROOT_PASSPHRASE_FILE: passC }, dataDir);
    const admin3 = await adminClient(last);
    expect(((await admin3.get('/api/v1/audit?action=system.root_key_rotate')).body as AuditPage).events).toHaveLength(2);
    expect((await admin3.post('/api/v1/audit/verify', {})).body).toMatchObject({ ok: true });
    await last.stop();

    // To a key made in the data directory, and from it to a key file (root.key then goes).
    expect(rotate({ SBX_ROOT_PASSPHRASE_FILE: passC }, '--to', 'generated').code).toBe(0);
    expect(fs.existsSync(path.join(dataDir, 'root.key'))).toBe(true);
    expect(refused(dataDir, { SBX_ROOT_PASSPHRASE_FILE: passC }).code).toBe(78);
    const keyFile = secretFile('rot-key', `${Buffer.alloc(32, 7).toString('base64')}\n`);
    expect(rotate({}, '--to', 'file', '--file', keyFile).code).toBe(0);
    expect(fs.existsSync(path.join(dataDir, 'root.key'))).toBe(false);
    const onFile = await start({ SBX_ROOT_KEY_FILE: keyFile }, dataDir);
    const admin4 = await adminClient(onFile);
    const kinds = ((await admin4.get('/api/v1/audit?action=system.root_key_rotate')).body as AuditPage).events.map((e) => e.details);
    expect(kinds).toMatchObject([{ kind: 'file', previousKind: 'generated' }, { kind: 'generated', previousKind: 'passphrase' }, {}, {}]);
    await onFile.stop();
  }, 240_000);
});

