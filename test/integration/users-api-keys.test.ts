import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiKeyView, CreatedApiKey } from '../../lib/api/api-keys';
import type { AuditPage } from '../../lib/api/audit';
import type { CreatedUser, UserView } from '../../lib/api/users';
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

async function newUser(username: string, role: string) {
  const r = await admin.post('/api/v1/users', { username, displayName: username.toUpperCase(), role });
  expect(r.status).toBe(200);
  const created = r.body as CreatedUser;
  const c = client(cp);
  expect((await c.signIn(username, String(created.initialPassword))).status).toBe(200);
  expect((await c.post('/api/v1/auth/password', { currentPassword: created.initialPassword, newPassword: `${username}-long-password` })).status).toBe(200);
  return { id: created.user.id, c };
}

describe('users', () => {
  it('creates a user who must change the generated password, and audits it', async () => {
    const r = await admin.post('/api/v1/users', { username: 'Alice', displayName: 'Alice A', role: 'operator' });
    expect(r.status).toBe(200);
    const created = r.body as CreatedUser;
    expect(created.user).toMatchObject({ username: 'alice', role: 'operator', mustChangePassword: true, disabled: false });
    expect(created.initialPassword).toHaveLength(20);
    const audit = (await admin.get('/api/v1/audit?action=user.create').then((x) => x.body as AuditPage)).events;
    expect(audit[0]).toMatchObject({ target: { name: 'alice' }, details: { role: 'operator' }, actor: { name: 'admin', type: 'user' } });
    const dup = await admin.post('/api/v1/users', { username: 'alice', displayName: 'Again', role: 'developer' });
    expect(dup.status).toBe(409);
    expect(dup.body).toMatchObject({ error: { code: 'conflict', field: 'username' } });
  });

  it('changes a role with a before/after record and disables without deleting', async () => {
    const { id, c } = await newUser('bob', 'developer');
    const up = await admin.patch(`/api/v1/users/${id}`, { role: 'auditor' });
    expect((up.body as { user: UserView }).user.role).toBe('auditor');
    expect((await c.get('/api/v1/audit')).status).toBe(200);
    const ev = (await admin.get('/api/v1/audit?action=user.update').then((x) => x.body as AuditPage)).events[0];
    expect(ev?.details).toEqual({ role: { from: 'developer', to: 'auditor' } });
    expect((await admin.patch(`/api/v1/users/${id}`, { disabled: true })).status).toBe(200);
    expect((await c.get('/api/v1/audit')).status).toBe(401);
    const list = (await admin.get('/api/v1/users')).body as { users: UserView[] };
    expect(list.users.find((u) => u.username === 'bob')).toMatchObject({ disabled: true });
  });

  it('refuses to let the last admin remove their own rights', async () => {
    const me = ((await admin.get('/api/v1/users')).body as { users: UserView[] }).users.find((u) => u.username === 'admin');
    const r = await admin.patch(`/api/v1/users/${me?.id}`, { role: 'developer' });
    expect(r.status).toBe(409);
    const unknown = await admin.patch('/api/v1/users/does-not-exist', { role: 'developer' });
    expect(unknown.status).toBe(404);
    expect((unknown.body as { error: { message: string } }).error.message).toContain('does-not-exist');
  });

  it('answers bad input with a 4xx that names the field, never a 500', async () => {
    const cases: [unknown, string | undefined][] = [
      [{ username: 'x', displayName: 'X', role: 'developer' }, 'username'],
      [{ username: 'valid', displayName: '', role: 'developer' }, 'displayName'],
      [{ username: 'valid', displayName: 'V', role: 'root' }, 'role'],
      [{ username: 'valid', displayName: 'V', role: 'developer', extra: 1 }, undefined],
      [[1, 2], undefined],
      ['"just a string"', undefined],
    ];
    for (const [body, field] of cases) {
      const r = await admin.call('POST', '/api/v1/users', { raw: typeof body === 'string' ? body : JSON.stringify(body) });
      expect(r.status, JSON.stringify(body)).toBe(400);
      expect(r.body).toMatchObject({ error: { code: 'invalid_argument' } });
      if (field) expect((r.body as { error: { field: string } }).error.field).toBe(field);
      expect(r.text).not.toMatch(/at .*\.ts:\d+/);
    }
    const notJson = await admin.call('POST', '/api/v1/users', { raw: '{oops' });
    expect(notJson.body).toMatchObject({ error: { code: 'invalid_argument', field: 'body' } });
    const badQuery = await admin.get('/api/v1/audit?limit=100000');
    expect(badQuery.body).toMatchObject({ error: { code: 'invalid_argument', field: 'limit' } });
  });
});

describe('API keys', () => {
  it('shows the secret once, stores only its hash, authenticates with it and stops at revocation', async () => {
    const { c } = await newUser('dev1', 'developer');
    const r = await c.post('/api/v1/api-keys', { name: 'ci', role: 'developer', expiresInDays: 30 });
    expect(r.status).toBe(200);
    const created = r.body as CreatedApiKey;
    expect(created.secret).toMatch(/^sbx_[a-z0-9]{12}_[\w-]{43}$/);
    const listed = ((await c.get('/api/v1/api-keys')).body as { apiKeys: ApiKeyView[] }).apiKeys;
    expect(JSON.stringify(listed)).not.toContain(created.secret.slice('sbx_'.length + 12 + 1));
    const viaKey = await client(cp).get('/api/v1/api-keys', { bearer: created.secret });
    expect(viaKey.status).toBe(200);
    expect((await c.del(`/api/v1/api-keys/${created.apiKey.id}`)).status).toBe(200);
    const after = await client(cp).get('/api/v1/api-keys', { bearer: created.secret });
    expect(after.status).toBe(401);
    expect((after.body as { error: { message: string } }).error.message).toMatch(/revoked/);
    const audit = (await admin.get('/api/v1/audit?actor=dev1').then((x) => x.body as AuditPage)).events.map((e) => e.action);
    expect(audit).toEqual(expect.arrayContaining(['apikey.create', 'apikey.revoke']));
  });

  it('keeps each developer to their own keys and their own role', async () => {
    const { c: dev } = await newUser('dev2', 'developer');
    const up = await dev.post('/api/v1/api-keys', { name: 'sneaky', role: 'admin', expiresInDays: 1 });
    expect(up.status).toBe(403);
    expect(up.body).toMatchObject({ error: { field: 'role' } });
    expect((await dev.get('/api/v1/users')).status).toBe(403);
    expect((await dev.get('/api/v1/audit')).status).toBe(403);
    const adminKey = (await admin.post('/api/v1/api-keys', { name: 'admin-key', role: 'admin', expiresInDays: 1 })).body as CreatedApiKey;
    const mine = ((await dev.get('/api/v1/api-keys')).body as { apiKeys: ApiKeyView[] }).apiKeys;
    expect(mine.map((k) => k.name)).not.toContain('admin-key');
    expect((await dev.del(`/api/v1/api-keys/${adminKey.apiKey.id}`)).status).toBe(404);
    const tooLong = await dev.post('/api/v1/api-keys', { name: 'x', role: 'developer', expiresInDays: 366 });
    expect(tooLong.body).toMatchObject({ error: { field: 'expiresInDays' } });
  });
});
