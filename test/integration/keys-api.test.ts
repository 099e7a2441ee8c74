import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CreatedApiKey } from '../../lib/api/api-keys';
import type { KekView } from '../../lib/api/keys';
import { issueDataKey, rewrapKey, unwrapKey } from '../../server/keys/data-keys';
import { loadOrCreateRootKey } from '../../server/keys/root-key';
import { openSqlite, type Db } from '../../server/db/client';
import { adminClient, startControlPlane, type ControlPlane } from '../support/control-plane';

let cp: ControlPlane;
let admin: Awaited<ReturnType<typeof adminClient>>;
let db: Db;
let rootKey: Buffer;
/** What the data keys of these tests are bound to: one object of one host. */
const B = { context: 'checkpoint:sbx-aaaaaaaaaaaaaaaaaaaa:pages', host: 'agent-test' };

beforeAll(async () => {
  cp = await startControlPlane();
  admin = await adminClient(cp);
  // The control plane's own database and root key, to act as its services do for agents.
  db = openSqlite(path.join(cp.dataDir, 'control-plane.db'));
  rootKey = loadOrCreateRootKey(cp.dataDir).key;
}, 120_000);
afterAll(async () => {
  await db?.$disconnect();
  await cp?.stop();
});

const keyNamed = async (name: string) => ((await admin.get(`/api/v1/keys/${name}`)).body as { key: KekView }).key;
const events = async (action: string) => ((await admin.get(`/api/v1/audit?action=${action}`)).body as { events: { actor: { name: string }; target: { name: string }; details: Record<string, unknown> }[] }).events;

describe('key-encryption keys', () => {
  it('exist from the first start: a default key, made by the appliance and audited', async () => {
    const list = (await admin.get('/api/v1/keys')).body as { keys: KekView[] };
    expect(list.keys).toEqual([expect.objectContaining({ name: 'default', latestVersion: 1, minDecryptVersion: 1, versions: [expect.objectContaining({ version: 1, state: 'active' })] })]);
    expect(await events('key.create')).toEqual([expect.objectContaining({ actor: expect.objectContaining({ name: 'system' }), details: { name: 'default', version: 1 } })]);
  });

  it('are created, named once, and refused with a reason naming the field', async () => {
    const made = await admin.post('/api/v1/keys', { name: 'team-a' });
    expect(made.status).toBe(200);
    expect((made.body as { key: KekView }).key).toMatchObject({ name: 'team-a', latestVersion: 1, createdBy: 'admin' });
    expect((await admin.post('/api/v1/keys', { name: 'team-a' })).body).toMatchObject({ error: { code: 'conflict', message: 'A key named team-a exists already.' } });
    const bad = await admin.post('/api/v1/keys', { name: 'Team A!' });
    expect(bad.status).toBe(400);
    expect(JSON.stringify(bad.body)).toMatch(/name: expected 2 to 63 lower-case letters/);
    expect((await admin.post('/api/v1/keys', { name: 'team-b', exportable: true })).status).toBe(400);
    expect((await admin.get('/api/v1/keys/kek-nosuchkeynosuchkey0')).body).toMatchObject({ error: { code: 'not_found', message: 'There is no key kek-nosuchkeynosuchkey0.' } });
  });

  it('are for admins to change, auditors to read, and never show key material', async () => {
    const auditor = ((await admin.post('/api/v1/api-keys', { name: 'auditor', role: 'auditor', expiresInDays: 1 })).body as CreatedApiKey).secret;
    expect((await admin.get('/api/v1/keys', { bearer: auditor })).status).toBe(200);
    expect((await admin.post('/api/v1/keys', { name: 'by-auditor' }, { bearer: auditor })).status).toBe(403);
    expect((await admin.post('/api/v1/keys/team-a/rotate', {}, { bearer: auditor })).status).toBe(403);
    const sealed = new Database(path.join(cp.dataDir, 'control-plane.db'), { readonly: true }).prepare('SELECT sealed FROM KekVersion').all() as { sealed: string }[];
    const shown = JSON.stringify([(await admin.get('/api/v1/keys')).body, (await admin.get('/api/v1/audit?limit=200')).body]) + cp.output();
    for (const { sealed: s } of sealed) expect(shown).not.toContain(JSON.parse(s).ct as string);
    expect(shown).not.toMatch(/"sealed"/);
  });

  it('rotate: new data keys use the new version at once, old ones keep unwrapping, and rewrap moves a data key without changing it', async () => {
    const before = await issueDataKey({ db, rootKey }, 'team-a', B);
    expect(before.kek.version).toBe(1);
    const rotated = (await admin.post('/api/v1/keys/team-a/rotate', {})).body as { key: KekView };
    expect(rotated.key.latestVersion).toBe(2);
    const after = await issueDataKey({ db, rootKey }, 'team-a', B);
    expect(after.kek).toEqual({ id: rotated.key.id, version: 2 });
    expect((await unwrapKey({ db, rootKey }, before.kek, B, before.wrappedKey)).equals(before.dataKey)).toBe(true);
    const moved = await rewrapKey({ db, rootKey }, before.kek, B, before.wrappedKey);
    expect(moved.kek.version).toBe(2);
    expect((await unwrapKey({ db, rootKey }, moved.kek, B, moved.wrappedKey)).equals(before.dataKey)).toBe(true);
    // A wrapped key cannot be passed off as another version's.
    await expect(unwrapKey({ db, rootKey }, { ...before.kek, version: 2 }, B, before.wrappedKey)).rejects.toMatchObject({ code: 'invalid_argument' });
    expect(await events('key.rotate')).toEqual([expect.objectContaining({ details: { name: 'team-a', version: 2 } })]);
  });

  it('minimum decryption version and disabled versions stop unwrapping until undone', async () => {
    const v1 = await unwrapable('team-a');
    const raised = await admin.patch('/api/v1/keys/team-a', { minDecryptVersion: 2 });
    expect((raised.body as { key: KekView }).key.minDecryptVersion).toBe(2);
    await expect(unwrapKey({ db, rootKey }, v1.kek, B, v1.wrappedKey)).rejects.toMatchObject({ code: 'permission_denied', message: 'Version 1 of key team-a is below its minimum decryption version (2).' });
    expect((await admin.patch('/api/v1/keys/team-a', { minDecryptVersion: 9 })).body).toMatchObject({ error: { code: 'invalid_argument', message: expect.stringMatching(/^minDecryptVersion: expected at most 2/) } });
    await admin.patch('/api/v1/keys/team-a', { minDecryptVersion: 1 });
    expect((await unwrapKey({ db, rootKey }, v1.kek, B, v1.wrappedKey)).equals(v1.dataKey)).toBe(true);

    expect((await admin.patch('/api/v1/keys/team-a/versions/2', { state: 'disabled' })).body).toMatchObject({ error: { code: 'conflict', message: expect.stringMatching(/latest of key team-a.*rotate the key first/) } });
    await admin.patch('/api/v1/keys/team-a/versions/1', { state: 'disabled' });
    await expect(unwrapKey({ db, rootKey }, v1.kek, B, v1.wrappedKey)).rejects.toMatchObject({ message: 'Version 1 of key team-a is disabled.' });
    await admin.patch('/api/v1/keys/team-a/versions/1', { state: 'active' });
    expect((await unwrapKey({ db, rootKey }, v1.kek, B, v1.wrappedKey)).equals(v1.dataKey)).toBe(true);
    expect((await admin.patch('/api/v1/keys/team-a/versions/x', { state: 'active' })).body).toMatchObject({ error: { code: 'invalid_argument', message: 'version: expected a version number such as 1 (got "x")' } });
    const updates = await events('key.update');
    expect(updates.map((e) => e.details)).toEqual(expect.arrayContaining([{ name: 'team-a', minDecryptVersion: { from: 1, to: 2 } }, { name: 'team-a', version: 1, state: { from: 'active', to: 'disabled' } }]));
  });

  it('destroying a version (typed confirmation) makes what it wrapped unreadable for good, and the ledger says so', async () => {
    const v1 = await unwrapable('team-a');
    const v2 = await issueDataKey({ db, rootKey }, 'team-a', B);
    expect((await admin.post('/api/v1/keys/team-a/versions/1/destroy', { confirm: 'team-a:v2' })).body).toMatchObject({ error: { code: 'invalid_argument', message: 'confirm: expected "team-a:v1" to destroy version 1 of key team-a (this cannot be undone)' } });
    expect((await admin.post('/api/v1/keys/team-a/versions/2/destroy', { confirm: 'team-a:v2' })).body).toMatchObject({ error: { code: 'conflict' } });
    const destroyed = await admin.post('/api/v1/keys/team-a/versions/1/destroy', { confirm: 'team-a:v1' });
    expect((destroyed.body as { key: KekView }).key.versions[0]).toMatchObject({ version: 1, state: 'destroyed', destroyedAt: expect.any(String) as string });
    const row = new Database(path.join(cp.dataDir, 'control-plane.db'), { readonly: true }).prepare('SELECT sealed, state FROM KekVersion WHERE version = 1 AND kekId = ?').get((destroyed.body as { key: KekView }).key.id);
    expect(row).toEqual({ sealed: null, state: 'destroyed' });
    await expect(unwrapKey({ db, rootKey }, v1.kek, B, v1.wrappedKey)).rejects.toMatchObject({ code: 'conflict', message: 'Version 1 of this key was destroyed: what it protected cannot be read any more.' });
    expect((await unwrapKey({ db, rootKey }, v2.kek, B, v2.wrappedKey)).equals(v2.dataKey)).toBe(true);
    expect((await admin.post('/api/v1/keys/team-a/versions/1/destroy', { confirm: 'team-a:v1' })).body).toMatchObject({ error: { code: 'conflict', message: 'Version 1 of key team-a was destroyed already.' } });
    expect((await admin.patch('/api/v1/keys/team-a/versions/1', { state: 'active' })).status).toBe(409);
    expect(await events('key.destroy')).toEqual([expect.objectContaining({ actor: expect.objectContaining({ name: 'admin' }), details: { name: 'team-a', version: 1 } })]);
  });
});

/** A data key wrapped with version 1 of a KEK, as one stored before a rotation. */
async function unwrapable(name: string): Promise<{ kek: { id: string; version: number }; wrappedKey: string; dataKey: Buffer }> {
  const id = (await keyNamed(name)).id;
  const fresh = await issueDataKey({ db, rootKey }, name, B);
  if (fresh.kek.version === 1) return fresh;
  // Wrap a key with version 1 directly, as it was before the rotation.
  const { openVersion, findKek, versionOf } = await import('../../server/keys/kek-store');
  const { wrapDataKey } = await import('../../lib/envelope/wrap');
  const material = openVersion(rootKey, versionOf(await findKek(db, id), 1));
  return { kek: { id, version: 1 }, wrappedKey: wrapDataKey(material, { id, version: 1 }, B, fresh.dataKey), dataKey: fresh.dataKey };
}

