import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { X509Certificate } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { ensurePki } from '../../../server/pki/ensure-pki';
import { loadOrCreateRootKey } from '../../../server/keys/root-key';
import { seal, unseal } from '../../../server/keys/seal';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sbx-pki-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('internal CA', () => {
  const root = loadOrCreateRootKey(dir);
  const pki = ensurePki({ dataDir: dir, rootKey: root.key, hostname: 'localhost', certDays: 30 });

  it('keeps the root key readable by root alone', () => {
    expect(root.created).toBe(true);
    expect(fs.statSync(path.join(dir, 'root.key')).mode & 0o777).toBe(0o600);
  });

  it('stores the CA key sealed, never in clear', () => {
    const sealed = fs.readFileSync(path.join(dir, 'pki', 'ca.key.sealed'), 'utf8');
    expect(sealed).not.toContain('PRIVATE KEY');
    expect(fs.statSync(path.join(dir, 'pki', 'ca.key.sealed')).mode & 0o777).toBe(0o600);
    const other = Buffer.alloc(32, 7);
    expect(() => unseal(other, 'internal-ca-private-key', sealed)).toThrow(/root key does not match/);
  });

  it('issues a console certificate that chains to the CA with serverAuth and SANs', () => {
    const ca = new X509Certificate(pki.ca.certPem);
    const leaf = new X509Certificate(pki.console.certPem);
    expect(ca.ca).toBe(true);
    expect(leaf.ca).toBe(false);
    expect(leaf.verify(ca.publicKey)).toBe(true);
    expect(leaf.checkHost('localhost')).toBe('localhost');
    expect(leaf.checkIP('127.0.0.1')).toBe('127.0.0.1');
    expect(leaf.serialNumber.length).toBeGreaterThanOrEqual(30);
    expect(leaf.keyUsage).toContain('1.3.6.1.5.5.7.3.1');
  });

  it('reuses what exists on the next start and refuses a wrong root key', () => {
    const again = ensurePki({ dataDir: dir, rootKey: root.key, hostname: 'localhost', certDays: 30 });
    expect(again.created).toEqual({ ca: false, console: false, gateway: false });
    expect(again.caFingerprint).toBe(pki.caFingerprint);
    expect(() => ensurePki({ dataDir: dir, rootKey: Buffer.alloc(32, 1), hostname: 'localhost', certDays: 30 })).toThrow(/root key/);
  });

  it('binds a sealed secret to its purpose', () => {
    const s = seal(root.key, 'a', Buffer.from('x'));
    expect(() => unseal(root.key, 'b', s)).toThrow(/not a b/);
  });
});
