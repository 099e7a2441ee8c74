import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuditPage } from '../../lib/api/audit';
import { adminClient, client, startControlPlane, type ControlPlane } from '../support/control-plane';

let cp: ControlPlane;
beforeAll(async () => {
  cp = await startControlPlane({ SBX_LOCKOUT_THRESHOLD: '3', SBX_LOCKOUT_MINUTES: '5' });
});
afterAll(async () => {
  await cp?.stop();
});

async function events(admin: ReturnType<typeof client>, query: string) {
  const r = await admin.get(`/api/v1/audit?${query}`);
  expect(r.status).toBe(200);
  return (r.body as AuditPage).events;
}

describe('sign-in, sessions and the forced password change', () => {
  it('issues a Secure, HttpOnly, SameSite=Strict host-only session cookie', async () => {
    const c = client(cp);
    const r = await c.signIn(cp.bootstrap.username, cp.bootstrap.oneTimePassword);
    expect(r.status).toBe(200);
    const cookie = String((r.headers['set-cookie'] as string[])[0]);
    expect(cookie).toMatch(/^__Host-sbx_session=[\w-]{40,};/);
    expect(cookie).toContain('Secure');
    expect(cookie).toContain('HttpOnly');
    expect(cookie).toContain('SameSite=Strict');
    expect(cookie).toContain('Path=/');
    expect(r.body).toMatchObject({ user: { username: 'admin', role: 'admin', mustChangePassword: true } });
  });

  it('allows nothing but the password change until the first password is replaced', async () => {
    const c = client(cp);
    await c.signIn(cp.bootstrap.username, cp.bootstrap.oneTimePassword);
    const blocked = await c.get('/api/v1/users');
    expect(blocked.status).toBe(403);
    expect((blocked.body as { error: { message: string } }).error.message).toMatch(/Change your password first/);
    const weak = await c.post('/api/v1/auth/password', { currentPassword: cp.bootstrap.oneTimePassword, newPassword: 'short' });
    expect(weak.status).toBe(400);
    expect(weak.body).toMatchObject({ error: { code: 'invalid_argument', field: 'newPassword' } });
    const wrong = await c.post('/api/v1/auth/password', { currentPassword: 'not-it', newPassword: 'a-much-better-passphrase' });
    expect(wrong.body).toMatchObject({ error: { field: 'currentPassword' } });
    const ok = await c.post('/api/v1/auth/password', { currentPassword: cp.bootstrap.oneTimePassword, newPassword: 'admin-password-for-tests' });
    expect(ok.status).toBe(200);
    expect((await c.get('/api/v1/users')).status).toBe(200);
    // The one-time password is dead now.
    expect((await client(cp).signIn('admin', cp.bootstrap.oneTimePassword)).status).toBe(401);
  });

  it('records a wrong password as a failed sign-in in the audit trail', async () => {
    const admin = await adminClient(cp);
    const r = await client(cp).signIn('admin', 'definitely-wrong');
    expect(r.status).toBe(401);
    expect(r.body).toMatchObject({ error: { code: 'unauthenticated', message: 'Wrong user name or password.' } });
    const failed = await events(admin, 'action=auth.sign_in&outcome=failure&actor=admin');
    expect(failed[0]).toMatchObject({ outcome: 'failure', details: { reason: 'bad_password' }, actor: { name: 'admin' } });
    expect(failed[0]?.sourceIp).toMatch(/127\.0\.0\.1/);
  });

  it('slows down and then locks an account after repeated failures, until an admin unlocks it', async () => {
    const admin = await adminClient(cp);
    const created = await admin.post('/api/v1/users', { username: 'lockme', displayName: 'Lock Me', role: 'developer', password: 'initial-password-1' });
    expect(created.status).toBe(200);
    const id = (created.body as { user: { id: string } }).user.id;
    const t0 = Date.now();
    for (let i = 0; i < 3; i++) expect((await client(cp).signIn('lockme', 'nope-nope-nope')).status).toBe(401);
    // Delays of 250 + 500 + 1000 ms: the third failure alone takes a second.
    expect(Date.now() - t0).toBeGreaterThanOrEqual(1700);
    const locked = await client(cp).signIn('lockme', 'initial-password-1');
    expect(locked.status).toBe(423);
    expect(locked.body).toMatchObject({ error: { code: 'locked' } });
    expect((await events(admin, 'action=auth.account_locked'))[0]?.target?.name).toBe('lockme');
    expect((await admin.patch(`/api/v1/users/${id}`, { unlock: true })).status).toBe(200);
    expect((await client(cp).signIn('lockme', 'initial-password-1')).status).toBe(200);
  });

  it('signs out: the session stops working and the sign-out is audited', async () => {
    const c = client(cp);
    expect((await c.signIn('admin', 'admin-password-for-tests')).status).toBe(200);
    const cookie = c.cookie();
    expect((await c.post('/api/v1/auth/sign-out', { reason: 'user' })).status).toBe(200);
    const reuse = await client(cp).get('/api/v1/users', { headers: { cookie: String(cookie) } });
    expect(reuse.status).toBe(401);
    const admin = await adminClient(cp);
    expect((await events(admin, 'action=auth.sign_out'))[0]).toMatchObject({ details: { reason: 'user' }, outcome: 'success' });
  });
});

describe('automatic logoff', () => {
  let short: ControlPlane;
  beforeAll(async () => {
    short = await startControlPlane({ SBX_SESSION_IDLE_SECONDS: '2' });
  });
  afterAll(async () => {
    await short?.stop();
  });

  it('ends a session left idle past the timeout, on the server side, and audits it', async () => {
    const admin = await adminClient(short);
    expect((await admin.get('/api/v1/users')).status).toBe(200);
    await new Promise((r) => setTimeout(r, 2600));
    const after = await admin.get('/api/v1/users');
    expect(after.status).toBe(401);
    expect((after.body as { error: { message: string } }).error.message).toMatch(/without activity/);
    const fresh = await adminClient(short);
    const ended = (await fresh.get('/api/v1/audit?action=auth.sign_out').then((r) => r.body as AuditPage)).events;
    expect(ended[0]).toMatchObject({ details: { reason: 'idle' } });
  });

  it('does not count background polling as activity', async () => {
    const admin = await adminClient(short);
    for (let i = 0; i < 3; i++) {
      await new Promise((r) => setTimeout(r, 800));
      await admin.get('/api/v1/audit?limit=1', { headers: { 'x-sbx-background': '1' } });
    }
    expect((await admin.get('/api/v1/users')).status).toBe(401);
  });
});
