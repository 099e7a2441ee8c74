import Database from 'better-sqlite3';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuditPage } from '../../lib/api/audit';
import { adminClient, startControlPlane, type ControlPlane } from '../support/control-plane';
import { seedAuditEvents } from '../support/seed-audit';

const N = 100_000;
let cp: ControlPlane;
let admin: Awaited<ReturnType<typeof adminClient>>;
beforeAll(async () => {
  cp = await startControlPlane();
  // The ledger is the only writer while the control plane runs: seed with it stopped; it takes
  // the rows in at its next start.
  await cp.kill('SIGINT');
  seedAuditEvents(path.join(cp.dataDir, 'control-plane.db'), N);
  await cp.launch();
  admin = await adminClient(cp);
});
afterAll(async () => {
  await cp?.stop();
});

describe(`the audit trail at ${N} events`, () => {
  it('pages newest first by sequence number and filters by actor, action, outcome and time', async () => {
    const first = (await admin.get('/api/v1/audit?limit=50')).body as AuditPage;
    expect(first.events).toHaveLength(50);
    expect(first.events[0]!.seq).toBeGreaterThan(first.events[49]!.seq);
    const second = (await admin.get(`/api/v1/audit?limit=50&before=${first.nextCursor}`)).body as AuditPage;
    expect(second.events[0]!.seq).toBe(first.events[49]!.seq - 1);
    const filtered = (await admin.get('/api/v1/audit?actor=carol&outcome=failure&limit=20')).body as AuditPage;
    expect(filtered.events.length).toBe(20);
    for (const e of filtered.events) expect(e).toMatchObject({ actor: { name: 'carol' }, outcome: 'failure' });
    const from = new Date(Date.now() - 3600_000).toISOString();
    const recent = (await admin.get(`/api/v1/audit?from=${encodeURIComponent(from)}&action=auth.sign_in&limit=200`)).body as AuditPage;
    for (const e of recent.events) expect(e.at >= from).toBe(true);
  });

  it('answers every filter from an index that ends in seq, never a scan of the table', () => {
    const db = new Database(path.join(cp.dataDir, 'control-plane.db'), { readonly: true });
    const plan = (sql: string) =>
      (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all() as { detail: string }[]).map((r) => r.detail).join(' | ');
    const base = 'SELECT * FROM AuditEvent';
    const tail = 'ORDER BY seq DESC LIMIT 51';
    expect(plan(`${base} WHERE seq < 5000 ${tail}`)).toMatch(/SEARCH AuditEvent USING INTEGER PRIMARY KEY/);
    expect(plan(`${base} WHERE actorName = 'carol' AND seq < 5000 ${tail}`)).toMatch(/USING INDEX AuditEvent_actorName_seq_idx/);
    expect(plan(`${base} WHERE action = 'auth.sign_in' ${tail}`)).toMatch(/USING INDEX AuditEvent_action_seq_idx/);
    expect(plan(`${base} WHERE outcome = 'failure' ${tail}`)).toMatch(/USING INDEX AuditEvent_outcome_seq_idx/);
    for (const sql of [`${base} WHERE actorName = 'carol' ${tail}`, `${base} WHERE outcome = 'failure' ${tail}`]) {
      expect(plan(sql)).not.toMatch(/USE TEMP B-TREE FOR ORDER BY/);
    }
    db.close();
  });

  it('self-checks the whole ledger of 100k events against its signed checkpoints', async () => {
    const v = (await admin.post('/api/v1/audit/verify', {})).body as { size: number; ok: boolean };
    expect(v.ok).toBe(true);
    expect(v.size).toBeGreaterThan(N);
  });
});
