import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startControlPlane } from '../support/control-plane';

const root = path.resolve(import.meta.dirname, '../..');
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'sbx-rootkey-'));
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

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

/** Every file of a directory with its bytes, to show that a refused start changed nothing. */
function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const f of fs.readdirSync(dir, { recursive: true }) as string[]) {
    const p = path.join(dir, f);
    if (fs.statSync(p).isFile()) out[f] = fs.readFileSync(p).toString('base64');
  }
  return out;
}

describe('the root key', () => {
  it('is taken from a passphrase, and a wrong or missing passphrase stops start-up with nothing changed', async () => {
    const dataDir = fs.mkdtempSync(path.join(work, 'pass-'));
    const right = secretFile('pass-right', 'correct horse battery staple\n');
    const cp = await startControlPlane({ SBX_ROOT_PASSPHRASE_FILE: right }, dataDir);
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

    const again = await startControlPlane({ SBX_ROOT_PASSPHRASE_FILE: right }, dataDir);
    await again.stop();
  }, 120_000);

  it('is taken from a key file readable by its owner alone, and another key is refused', async () => {
    const dataDir = fs.mkdtempSync(path.join(work, 'file-'));
    const key = secretFile('key-right', `${Buffer.alloc(32, 1).toString('base64')}\n`);
    const cp = await startControlPlane({ SBX_ROOT_KEY_FILE: key }, dataDir);
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
    const cp = await startControlPlane({}, dataDir);
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
});
