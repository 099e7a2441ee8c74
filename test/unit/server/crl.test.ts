import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createCaCertificate, randomSerialHex } from '../../../server/pki/certificates';
import { buildCrl } from '../../../server/pki/crl';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sbx-crl-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('buildCrl', () => {
  const ca = createCaCertificate('Test CA', 'Test', 1);
  const other = createCaCertificate('Other CA', 'Test', 1);
  fs.writeFileSync(path.join(dir, 'ca.crt'), ca.certPem);
  fs.writeFileSync(path.join(dir, 'other.crt'), other.certPem);
  const serials = [randomSerialHex(), randomSerialHex(), 'ff01'];
  const now = new Date();
  const pem = buildCrl(ca, serials.map((serial) => ({ serial, revokedAt: now })), {
    number: 42,
    thisUpdate: now,
    nextUpdate: new Date(now.getTime() + 3600_000),
  });
  fs.writeFileSync(path.join(dir, 'crl.pem'), pem);

  it('is a v2 CRL that OpenSSL parses and verifies against the CA', () => {
    const out = execFileSync('openssl', ['crl', '-in', path.join(dir, 'crl.pem'), '-CAfile', path.join(dir, 'ca.crt'), '-noout', '-text'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    expect(out).toContain('Version 2');
    expect(out).toContain('CRL Number');
    expect(out).toMatch(/42/);
    expect(out).toContain('X509v3 Authority Key Identifier');
    for (const s of serials) expect(out.toLowerCase()).toContain(s.replace(/^0+/, ''));
  });

  it('does not verify against another CA', () => {
    expect(() =>
      execFileSync('openssl', ['crl', '-in', path.join(dir, 'crl.pem'), '-CAfile', path.join(dir, 'other.crt'), '-noout'], { stdio: 'pipe' }),
    ).toThrow();
  });

  it('is accepted by Node as a TLS revocation list', async () => {
    const tls = await import('node:tls');
    expect(() => tls.createSecureContext({ ca: ca.certPem, crl: pem })).not.toThrow();
  });
});
