import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CreatedApiKey } from '../../lib/api/api-keys';
import type { AuditPage, LedgerSelfCheck, PurgeView, RetentionView } from '../../lib/api/audit';
import type { CreatedUser } from '../../lib/api/users';
import { SbxClient, exportAudit, verifyBundleFile } from '../../sdk';
import { adminClient, client, startControlPlane, type ControlPlane } from '../support/control-plane';
import { seedAuditEvents } from '../support/seed-audit';

const OLD = 40;
let cp: ControlPlane;
let alice: Awaited<ReturnType<typeof adminClient>>;
let bob: ReturnType<typeof client>;
let work: string;

beforeAll(async () => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'sbx-retention-'));
  cp = await startControlPlane();
  alice = await adminClient(cp);
  const created = (await alice.post('/api/v1/users', { username: 'bob', displayName: 'Bob', role: 'admin' })).body as CreatedUser;
  bob = client(cp);
  await bob.signIn('bob', String(created.initialPassword));
  await bob.post('/api/v1/auth/password', { currentPassword: created.initialPassword, newPassword: 'bob-the-second-admin' });
  // Events from eight years ago, written behind the stopped control plane; it takes them in at start.
  await cp.kill('SIGINT');
  seedAuditEvents(path.join(cp.dataDir, 'control-plane.db'), OLD, new Date(Date.now() - 8 * 365.25 * 86_400_000));
  await cp.launch();
  alice = await adminClient(cp);
  await bob.signIn('bob', 'bob-the-second-admin');
  fs.writeFileSync(path.join(work, 'ca.crt'), cp.ca);
}, 120_000);

afterAll(async () => {
  await cp?.stop();
  fs.rmSync(work, { recursive: true, force: true });
});

const retention = async () => (await alice.get('/api/v1/audit/retention')).body as RetentionView;

describe('audit retention', () => {
  it('is six years by default and can only be extended', async () => {
    expect(await retention()).toMatchObject({ retentionYears: 6, legalHold: false });
    const short = await alice.patch('/api/v1/settings', { auditRetentionYears: 5 });
    expect(short.status).toBe(400);
    expect(short.text).toMatch(/auditRetentionYears: expected at least 6 years/);
    expect((await alice.patch('/api/v1/settings', { auditRetentionYears: 7 })).status).toBe(200);
    const back = await alice.patch('/api/v1/settings', { auditRetentionYears: 6 });
    expect(back.status).toBe(400);
    expect(back.text).toMatch(/can only be extended/);
    // The ledger's start-up self-check signed a checkpoint over the old events: they may now go.
    await alice.post('/api/v1/audit/verify', {});
    expect((await retention()).expiredEvents).toBe(OLD);
  });

  it('keeps everything under a legal hold', async () => {
    await alice.patch('/api/v1/settings', { auditLegalHold: true });
    const r = await alice.post('/api/v1/audit/retention/purges', {});
    expect(r.status).toBe(409);
    expect(r.text).toMatch(/legal hold is on/);
    await alice.patch('/api/v1/settings', { auditLegalHold: false });
  });

  it('needs a second admin, leaves tombstones that keep the ledger and its exports verifiable, and is audited', async () => {
    const asked = ((await alice.post('/api/v1/audit/retention/purges', {})).body as { purge: PurgeView }).purge;
    expect(asked).toMatchObject({ state: 'pending', events: OLD, requestedBy: 'admin' });
    const self = await alice.post(`/api/v1/audit/retention/purges/${asked.id}/approve`, {});
    expect(self.status).toBe(403);
    expect(self.text).toMatch(/another admin must approve it/);
    const approved = await bob.post(`/api/v1/audit/retention/purges/${asked.id}/approve`, {});
    expect(approved.status, approved.text).toBe(200);
    expect((approved.body as { purge: PurgeView }).purge).toMatchObject({ state: 'done', approvedBy: 'bob', events: OLD });

    const db = new Database(path.join(cp.dataDir, 'control-plane.db'), { readonly: true });
    const rows = db.prepare('SELECT actorName, details, leaf FROM AuditEvent WHERE tombstone = 1').all() as { actorName: string; details: string; leaf: string }[];
    db.close();
    expect(rows).toHaveLength(OLD);
    expect(rows.every((r) => r.actorName === '' && r.details === '{}' && /^[0-9a-f]{64}$/.test(r.leaf))).toBe(true);
    const listed = (await alice.get('/api/v1/audit?actor=carol&limit=200')).body as AuditPage;
    expect(listed.events).toHaveLength(0);
    const purge = ((await alice.get('/api/v1/audit?action=audit.purge')).body as AuditPage).events[0];
    expect(purge).toMatchObject({ actor: { name: 'bob' }, details: { requestedBy: 'admin', events: OLD, fromSeq: expect.any(Number) as number } });

    expect(((await alice.post('/api/v1/audit/verify', {})).body as LedgerSelfCheck).ok).toBe(true);
    const key = ((await alice.post('/api/v1/api-keys', { name: 'export', role: 'auditor', expiresInDays: 1 })).body as CreatedApiKey).secret;
    const sdk = new SbxClient({ url: `https://localhost:${cp.port}`, apiKey: key, caFile: path.join(work, 'ca.crt') });
    const bundle = path.join(work, 'after-purge.tar');
    await exportAudit(sdk, {}, bundle);
    const verdict = await verifyBundleFile(bundle);
    expect(verdict.problems).toEqual([]);
    expect(verdict.ok).toBe(true);
  });

  it('catches an event turned into a tombstone without an approved purge', async () => {
    const db = new Database(path.join(cp.dataDir, 'control-plane.db'));
    db.exec('DROP TRIGGER AuditEvent_no_update');
    const seq = (db.prepare("SELECT MAX(seq) AS s FROM AuditEvent WHERE action = 'apikey.create'").get() as { s: number }).s;
    db.prepare("UPDATE AuditEvent SET tombstone = 1, actorName = '', details = '{}' WHERE seq = ?").run(seq);
    db.close();
    const check = (await alice.post('/api/v1/audit/verify', {})).body as LedgerSelfCheck;
    expect(check).toMatchObject({ ok: false, firstBadSeq: seq, reason: expect.stringMatching(/removed without an approved purge/) });
  });
});
