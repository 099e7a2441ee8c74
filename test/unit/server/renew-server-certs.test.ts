import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../../server/config';
import { openSqlite } from '../../../server/db/client';
import { migrateSqlite } from '../../../server/db/migrate';
import { createCaCertificate, issueServerCertificate, type KeyPair } from '../../../server/pki/certificates';
import { renewDueCertificates } from '../../../server/pki/renew-server-certs';
import { openLedger } from '../../../server/audit/open-ledger';
import { randomBytes } from 'node:crypto';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sbx-renew-'));
const db = openSqlite(path.join(dir, 'cp.db'));
afterAll(async () => {
  await db.$disconnect();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('server certificate renewal', () => {
  it('renews a certificate past two thirds of its life, stores it, applies it and audits it; leaves a fresh one', async () => {
    migrateSqlite(path.join(dir, 'cp.db'), path.resolve(import.meta.dirname, '../../../prisma/migrations'));
    fs.mkdirSync(path.join(dir, 'pki'));
    const ca = createCaCertificate('Test CA', 'Test', 1);
    const ctx = {
      db,
      ledger: (await openLedger(db, randomBytes(32), 'sbx.test/audit', { checkpointEvery: 100, checkpointFile: path.join(dir, 'checkpoints.log'), sinks: [], log: pino({ level: 'silent' }) })).ledger,
      config: parseConfig({ SBX_DATA_DIR: dir }),
      pki: { ca, caCertFile: '', caFingerprint: '' },
      log: pino({ level: 'silent' }),
    };
    // Ten seconds of life after the minute of back-dating: 6/7 of it already spent.
    let consolePair: KeyPair = issueServerCertificate(ca, { commonName: 'c', dnsNames: ['localhost'], ipAddresses: [], days: 10 / 86_400 });
    let gatewayPair: KeyPair = issueServerCertificate(ca, { commonName: 'g', dnsNames: ['localhost'], ipAddresses: [], days: 30 });
    const before = { console: consolePair.certPem, gateway: gatewayPair.certPem };
    const renewed = await renewDueCertificates(ctx, [
      { name: 'console', current: () => consolePair, apply: (p) => (consolePair = p) },
      { name: 'gateway', current: () => gatewayPair, apply: (p) => (gatewayPair = p) },
    ]);
    expect(renewed).toEqual(['console']);
    expect(consolePair.certPem).not.toBe(before.console);
    expect(gatewayPair.certPem).toBe(before.gateway);
    expect(fs.readFileSync(path.join(dir, 'pki', 'console.crt'), 'utf8')).toBe(consolePair.certPem);
    expect(fs.statSync(path.join(dir, 'pki', 'console.key')).mode & 0o777).toBe(0o600);
    const events = await db.auditEvent.findMany();
    expect(events).toHaveLength(1);
    expect(JSON.parse(events[0]!.details)).toMatchObject({ renewal: true, purpose: 'console' });
  });
});
