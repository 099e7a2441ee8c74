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

describe('attacks on the console API', () => {
  it('refuses a cookie-authenticated mutation without the CSRF token', async () => {
    const r = await admin.post('/api/v1/users', { username: 'csrf1', displayName: 'X', role: 'admin' }, { headers: { 'x-csrf-token': '' } });
    expect(r.status).toBe(403);
    expect((r.body as { error: { message: string } }).error.message).toMatch(/CSRF/);
  });

  it('refuses a mutation from another origin even with the right token', async () => {
    const r = await admin.post('/api/v1/users', { username: 'csrf2', displayName: 'X', role: 'admin' }, { headers: { origin: 'https://evil.example' } });
    expect(r.status).toBe(403);
    expect((r.body as { error: { message: string } }).error.message).toMatch(/Cross-origin/);
    const users = await admin.get('/api/v1/users');
    expect(users.text).not.toContain('csrf2');
  });

  it('refuses forged session cookies and wrong API key secrets', async () => {
    const forged = await client(cp).get('/api/v1/users', { headers: { cookie: '__Host-sbx_session=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' } });
    expect(forged.status).toBe(401);
    const key = (await admin.post('/api/v1/api-keys', { name: 'k', role: 'auditor', expiresInDays: 1 })).body as CreatedApiKey;
    const [, id] = key.secret.split('_');
    const guessed = await client(cp).get('/api/v1/audit', { bearer: `sbx_${id}_${'A'.repeat(43)}` });
    expect(guessed.status).toBe(401);
    const malformed = await client(cp).get('/api/v1/audit', { headers: { authorization: 'Basic YWRtaW46YWRtaW4=' } });
    expect(malformed.status).toBe(401);
    expect((await client(cp).get('/api/v1/audit', { bearer: key.secret })).status).toBe(200);
  });

  it('stops a key from outranking its owner once the owner is demoted', async () => {
    const created = (await admin.post('/api/v1/users', { username: 'eve', displayName: 'Eve', role: 'admin' })).body as CreatedUser;
    const eve = client(cp);
    await eve.signIn('eve', String(created.initialPassword));
    await eve.post('/api/v1/auth/password', { currentPassword: created.initialPassword, newPassword: 'eve-long-password' });
    const key = (await eve.post('/api/v1/api-keys', { name: 'eve-admin', role: 'admin', expiresInDays: 1 })).body as CreatedApiKey;
    expect((await client(cp).get('/api/v1/users', { bearer: key.secret })).status).toBe(200);
    expect((await admin.patch(`/api/v1/users/${created.user.id}`, { role: 'developer' })).status).toBe(200);
    const after = await client(cp).get('/api/v1/users', { bearer: key.secret });
    expect(after.status).toBe(401);
  });

  it('records the real peer address, not one the client claims', async () => {
    await client(cp).call('POST', '/api/v1/auth/sign-in', {
      body: { username: 'spoof', password: 'x' },
      headers: { 'x-sbx-client-ip': '203.0.113.9', 'x-forwarded-for': '203.0.113.9', 'x-request-id': 'chosen-by-attacker' },
    });
    const ev = ((await admin.get('/api/v1/audit?actor=spoof')).body as AuditPage).events[0];
    expect(ev?.sourceIp).toMatch(/127\.0\.0\.1/);
    expect(ev?.requestId).not.toBe('chosen-by-attacker');
  });

  it('cannot edit or delete audit events through the database\'s own guard', async () => {
    const Database = (await import('better-sqlite3')).default;
    const path = await import('node:path');
    const db = new Database(path.join(cp.dataDir, 'control-plane.db'));
    expect(() => db.prepare('DELETE FROM AuditEvent WHERE seq = 1').run()).toThrow(/append-only/);
    db.close();
  });
});
