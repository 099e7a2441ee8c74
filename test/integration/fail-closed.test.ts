import { spawnSync } from 'node:child_process';
import Database from 'better-sqlite3';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuditPage, LedgerStatus } from '../../lib/api/audit';
import type { UserView } from '../../lib/api/users';
import { adminClient, startControlPlane, type ControlPlane } from '../support/control-plane';

let cp: ControlPlane;
let admin: Awaited<ReturnType<typeof adminClient>>;
beforeAll(async () => {
  cp = await startControlPlane();
  admin = await adminClient(cp);
});
afterAll(async () => {
  await cp?.stop();
});

const dbFile = () => path.join(cp.dataDir, 'control-plane.db');

/** The ledger status once the start-up self-check (which runs while the console serves) is done. */
async function afterStartCheck(client: Awaited<ReturnType<typeof adminClient>>): Promise<LedgerStatus> {
  for (let i = 0; i < 100; i++) {
    const status = (await client.get('/api/v1/audit/ledger')).body as LedgerStatus;
    if (status.lastCheck?.trigger === 'start') return status;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('no start-up self-check within 10 s');
}

/** Makes every audit write fail inside the database, the way a full disk or a broken table would. */
function breakAuditWrites(): () => void {
  const db = new Database(dbFile());
  db.exec(`CREATE TRIGGER test_audit_down BEFORE INSERT ON AuditEvent BEGIN SELECT RAISE(ABORT, 'audit store unavailable'); END;`);
  db.close();
  return () => {
    const d = new Database(dbFile());
    d.exec('DROP TRIGGER test_audit_down');
    d.close();
  };
}

describe('fail closed', () => {
  it('a role change whose audit event cannot be written fails with 503 and changes nothing', async () => {
    const created = await admin.post('/api/v1/users', { username: 'carol', displayName: 'Carol', role: 'developer' });
    const id = (created.body as { user: UserView }).user.id;
    const before = await admin.get('/api/v1/audit?limit=1');
    const headBefore = (before.body as AuditPage).events[0]?.seq;

    const restore = breakAuditWrites();
    try {
      const r = await admin.patch(`/api/v1/users/${id}`, { role: 'admin' });
      expect(r.status).toBe(503);
      expect(r.body).toMatchObject({ error: { code: 'audit_unavailable' } });
      const users = (await admin.get('/api/v1/users')).body as { users: UserView[] };
      expect(users.users.find((u) => u.id === id)?.role).toBe('developer');
      const create = await admin.post('/api/v1/users', { username: 'dave', displayName: 'Dave', role: 'admin' });
      expect(create.status).toBe(503);
      expect(((await admin.get('/api/v1/users')).body as { users: UserView[] }).users.map((u) => u.username)).not.toContain('dave');
    } finally {
      restore();
    }
    expect((await admin.get('/api/v1/audit?limit=1')).body).toMatchObject({ events: [{ seq: headBefore }] });
    const metrics = await admin.get('/metrics');
    expect(metrics.text).toMatch(/sbx_audit_write_failures_total 2/);
    expect((await admin.patch(`/api/v1/users/${id}`, { role: 'operator' })).status).toBe(200);
  });

  it('refuses sign-in when the sign-in cannot be audited', async () => {
    const restore = breakAuditWrites();
    try {
      const { client } = await import('../support/control-plane');
      const r = await client(cp).signIn('admin', 'admin-password-for-tests');
      expect(r.status).toBe(503);
      expect(r.headers['set-cookie']).toBeUndefined();
    } finally {
      restore();
    }
  });
});

describe('tamper evidence and restarts', () => {
  it('keeps all data across a restart and self-checks the ledger at start', async () => {
    const usersBefore = ((await admin.get('/api/v1/users')).body as { users: UserView[] }).users.length;
    await cp.restart();
    const again = await adminClient(cp);
    expect(((await again.get('/api/v1/users')).body as { users: UserView[] }).users.length).toBe(usersBefore);
    const status = await afterStartCheck(again);
    const checks = ((await again.get('/api/v1/audit?action=ledger.self_check')).body as AuditPage).events;
    expect(checks.length).toBeGreaterThanOrEqual(2);
    expect(checks[0]).toMatchObject({ outcome: 'success', details: { trigger: 'start', ok: true } });
    expect(status.lastCheck).toMatchObject({ ok: true, trigger: 'start' });
    expect(status.latestCheckpoint?.size).toBeGreaterThan(0);
    admin = again;
  });

  it("detects an event altered behind the appliance's back, names it, and alerts until a check passes", async () => {
    expect((await admin.post('/api/v1/audit/verify', {})).body).toMatchObject({ ok: true, firstBadSeq: null });
    const db = new Database(dbFile());
    // An attacker with the database file must first remove the append-only guard, then edit.
    db.exec('DROP TRIGGER AuditEvent_no_update');
    db.prepare("UPDATE AuditEvent SET outcome = 'success' WHERE action = 'auth.sign_in' AND outcome = 'failure'").run();
    db.exec(`UPDATE AuditEvent SET actorName = 'nobody' WHERE seq = 2`);
    db.close();
    const v = await admin.post('/api/v1/audit/verify', {});
    expect(v.body).toMatchObject({ ok: false, firstBadSeq: 2, reason: expect.stringMatching(/event 2: altered/) });
    const failed = ((await admin.get('/api/v1/audit?action=ledger.self_check&limit=1')).body as AuditPage).events[0];
    expect(failed).toMatchObject({ outcome: 'failure', details: { trigger: 'manual', ok: false, firstBadSeq: 2 } });
    await cp.restart();
    admin = await adminClient(cp);
    expect((await afterStartCheck(admin)).lastCheck).toMatchObject({ ok: false, trigger: 'start', firstBadSeq: 2 });
    expect(cp.output()).toMatch(/AUDIT LEDGER INTEGRITY CHECK FAILED/);
  });

  it('also catches history rewritten with a recomputed chain and leaves, by the signed checkpoints', async () => {
    const { recordOfRow } = await import('../../server/audit/record-of-row');
    const { chainEvents } = await import('../../server/audit/append-event');
    const db = new Database(dbFile());
    db.exec('DROP TRIGGER IF EXISTS AuditEvent_no_update');
    const records = (db.prepare('SELECT * FROM AuditEvent ORDER BY seq').all() as never[]).map((r) => recordOfRow(r));
    // Every hash and leaf recomputed from the first event on: the chain alone now looks intact.
    const rewritten = chainEvents({ seq: 0, hash: '0'.repeat(64) }, records.map((r, i) => (i === 0 ? { ...r, requestId: 'rewritten' } : r)));
    const update = db.prepare('UPDATE AuditEvent SET requestId = ?, prevHash = ?, hash = ?, leaf = ? WHERE seq = ?');
    db.transaction(() => {
      for (const a of rewritten) update.run(a.event.requestId, a.prevHash, a.hash, a.leaf.toString('hex'), a.seq);
    })();
    db.close();
    const v = (await admin.post('/api/v1/audit/verify', {})).body as { ok: boolean; firstBadSeq: number; reason: string };
    expect(v).toMatchObject({ ok: false, firstBadSeq: 1, reason: expect.stringMatching(/do not match the signed checkpoint/) });
  });
});

describe('one control plane per data directory', () => {
  it('a second start on the same data directory is refused before it touches anything; the first runs on, its ledger whole', async () => {
    const count = async () => ((await admin.get('/api/v1/audit?action=system.start')).body as AuditPage).events.length;
    const starts = await count();
    const second = await startControlPlane({}, cp.dataDir).catch((e: unknown) => e as Error);
    if (!(second instanceof Error)) await second.stop();
    expect(second).toBeInstanceOf(Error);
    expect((second as Error).message).toMatch(new RegExp(`exited with 75:\\s*sbx: the data directory ${cp.dataDir} is in use by a control plane \\(pid ${cp.pid()}\\): stop it first`));
    expect(await count()).toBe(starts);
    // `npm start` says so before its set-up could rebuild the console under the running one.
    const viaStart = spawnSync('bash', ['scripts/start.sh'], { cwd: path.resolve(import.meta.dirname, '../..'), env: { PATH: process.env.PATH ?? '', NODE_ENV: 'production', SBX_DATA_DIR: cp.dataDir }, encoding: 'utf8', timeout: 60_000 });
    expect(viaStart.status).toBe(75);
    expect(viaStart.stderr).toContain(`is in use by a control plane (pid ${cp.pid()})`);
    expect(viaStart.stdout).not.toContain('setup:');
    // The first one still records what it does, on a chain no one else moved.
    expect((await admin.post('/api/v1/users', { username: 'erin', displayName: 'Erin', role: 'auditor' })).status).toBe(200);
    const head = ((await admin.get('/api/v1/audit?limit=2')).body as AuditPage).events;
    expect(head[0]).toMatchObject({ action: 'user.create', target: { name: 'erin' }, seq: (head[1]?.seq ?? 0) + 1 });
  }, 120_000);
});
