import Database from 'better-sqlite3';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CreatedApiKey } from '../../lib/api/api-keys';
import type { AuditPage } from '../../lib/api/audit';
import type { CreatedUser } from '../../lib/api/users';
import { adminClient, client, startControlPlane, type ControlPlane } from '../support/control-plane';

let cp: ControlPlane;
let admin: Awaited<ReturnType<typeof adminClient>>;
beforeAll(async () => {
  cp = await startControlPlane();
  admin = await adminClient(cp);
});
afterAll(async () => {
  await cp?.stop();
});

/** Moves a stored instant into the past, as the passing of time would. */
function expire(sql: string): void {
  const db = new Database(path.join(cp.dataDir, 'control-plane.db'));
  db.prepare(sql).run(Date.now() - 1000);
  db.close();
}

describe('lifetimes', () => {
  it('ends a session at its absolute lifetime even when it is in use, and audits it', async () => {
    const c = await adminClient(cp);
    expect((await c.get('/api/v1/users')).status).toBe(200);
    expire('UPDATE Session SET expiresAt = ? WHERE endedAt IS NULL');
    const r = await c.get('/api/v1/users');
    expect(r.status).toBe(401);
    expect((r.body as { error: { message: string } }).error.message).toMatch(/maximum lifetime/);
    admin = await adminClient(cp);
    const ev = ((await admin.get('/api/v1/audit?action=auth.sign_out')).body as AuditPage).events[0];
    expect(ev).toMatchObject({ details: { reason: 'expired' }, outcome: 'success' });
  });

  it('refuses an expired API key with a message naming it', async () => {
    const key = (await admin.post('/api/v1/api-keys', { name: 'short-lived', role: 'auditor', expiresInDays: 1 })).body as CreatedApiKey;
    expect((await client(cp).get('/api/v1/audit', { bearer: key.secret })).status).toBe(200);
    expire(`UPDATE ApiKey SET expiresAt = ? WHERE id = '${key.apiKey.id}'`);
    const r = await client(cp).get('/api/v1/audit', { bearer: key.secret });
    expect(r.status).toBe(401);
    expect((r.body as { error: { message: string } }).error.message).toContain(`sbx_${key.apiKey.id} (short-lived) expired`);
  });
});

describe('settings', () => {
  it('are changed by admins only, each change audited with before and after', async () => {
    const r = await admin.patch('/api/v1/settings', { organizationName: 'Example Health', signInBanner: 'Authorised staff only.' });
    expect(r.status).toBe(200);
    const ev = ((await admin.get('/api/v1/audit?action=settings.update')).body as AuditPage).events[0];
    expect(ev?.details).toEqual({
      changes: {
        organizationName: { from: 'Your organisation', to: 'Example Health' },
        signInBanner: { from: 'Authorised use only. Activity on this system is recorded.', to: 'Authorised staff only.' },
      },
    });
    const login = await client(cp).get('/login');
    expect(login.text).toContain('Example Health');
    expect(login.text).toContain('Authorised staff only.');

    const created = (await admin.post('/api/v1/users', { username: 'audrey', displayName: 'Audrey', role: 'auditor' })).body as CreatedUser;
    const auditor = client(cp);
    await auditor.signIn('audrey', String(created.initialPassword));
    await auditor.post('/api/v1/auth/password', { currentPassword: created.initialPassword, newPassword: 'audrey-long-password' });
    expect((await auditor.get('/api/v1/settings')).status).toBe(200);
    const denied = await auditor.patch('/api/v1/settings', { organizationName: 'Nope' });
    expect(denied.status).toBe(403);
    const bad = await admin.patch('/api/v1/settings', { organizationName: '' });
    expect(bad.body).toMatchObject({ error: { code: 'invalid_argument', field: 'organizationName' } });
  });
});
