import Database from 'better-sqlite3';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuditPage } from '../../lib/api/audit';
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
  it('keeps all data across a restart and re-verifies the chain at start', async () => {
    const usersBefore = ((await admin.get('/api/v1/users')).body as { users: UserView[] }).users.length;
    await cp.restart();
    const again = await adminClient(cp);
    expect(((await again.get('/api/v1/users')).body as { users: UserView[] }).users.length).toBe(usersBefore);
    const starts = ((await again.get('/api/v1/audit?action=system.start')).body as AuditPage).events;
    expect(starts.length).toBeGreaterThanOrEqual(2);
    expect(starts[0]).toMatchObject({ outcome: 'success', details: { chainVerified: true } });
    admin = again;
  });

  it('detects an event altered behind the appliance\'s back', async () => {
    expect((await admin.get('/api/v1/audit/verify')).body).toMatchObject({ break: null });
    const db = new Database(dbFile());
    // An attacker with the database file must first remove the append-only guard, then edit.
    db.exec('DROP TRIGGER AuditEvent_no_update');
    db.prepare("UPDATE AuditEvent SET outcome = 'success' WHERE action = 'auth.sign_in' AND outcome = 'failure'").run();
    db.exec(`UPDATE AuditEvent SET actorName = 'nobody' WHERE seq = 2`);
    db.close();
    const v = await admin.get('/api/v1/audit/verify');
    expect(v.body).toMatchObject({ break: { seq: 2, reason: 'hash_mismatch' } });
    await cp.restart();
    expect(cp.output()).toMatch(/AUDIT TRAIL INTEGRITY CHECK FAILED/);
    admin = await adminClient(cp);
    const starts = ((await admin.get('/api/v1/audit?action=system.start')).body as AuditPage).events;
    expect(starts[0]).toMatchObject({ outcome: 'failure', details: { chainVerified: false } });
  });
});
