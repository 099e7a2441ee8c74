import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LedgerSelfCheck } from '../../lib/api/audit';
import type { HostView } from '../../lib/api/hosts';
import type { SandboxView } from '../../lib/api/sandboxes';
import type { AgentAuditEvent } from '../../lib/wire/protocol';
import { AuditSpool } from '../../agent/audit/spool';
import { joinToken, runAgent, tempStateDir, waitForHost, type AgentProcess } from '../support/agent';
import { until } from '../support/until';
import { adminClient, startControlPlane, type ControlPlane } from '../support/control-plane';

let cp: ControlPlane;
let admin: Awaited<ReturnType<typeof adminClient>>;
let work: string;
let state: string;
let hostId: string;
let sandboxId: string;
let agent: AgentProcess | null = null;
const OUTAGE_SECONDS = Number(process.env.SBX_TEST_OUTAGE_SECONDS ?? 10);

const spoolDir = () => path.join(state, 'spool');
const decision = (i: number): AgentAuditEvent => ({
  type: 'egress',
  decision: { sandboxId, kind: 'connection', verdict: 'denied', reason: 'no_rule', destination: `198.51.100.${i % 250}`, port: 1000 + (i % 50_000), protocol: 'tcp', count: 1, firstAt: new Date().toISOString(), lastAt: new Date().toISOString() },
});

/** Writes `n` events into the (stopped) agent's spool, as the agent itself does. */
function spoolEvents(n: number): void {
  const spool = AuditSpool.open(spoolDir(), pino({ level: 'silent' }));
  for (let i = 0; i < n; i += 5000) spool.append(Array.from({ length: Math.min(5000, n - i) }, (_, j) => decision(i + j)));
  spool.close();
}

/** What the ledger holds of this agent's spool, read from the database file directly. */
function held(): { rows: number; distinct: number; max: number; gaps: number } {
  const db = new Database(path.join(cp.dataDir, 'control-plane.db'), { readonly: true, timeout: 5000 });
  try {
    const r = db.prepare('SELECT COUNT(*) AS rows, COUNT(DISTINCT originSeq) AS distinct_, MAX(originSeq) AS max FROM AuditEvent WHERE originAgent = ?').get(hostId) as { rows: number; distinct_: number; max: number | null };
    const gaps = db.prepare("SELECT COUNT(*) AS n FROM AuditEvent WHERE action = 'agent.audit_gap' AND targetId = ?").get(hostId) as { n: number };
    return { rows: r.rows, distinct: r.distinct_, max: r.max ?? 0, gaps: gaps.n };
  } finally {
    db.close();
  }
}


const startAgent = () => (agent = runAgent(state, ['run']));

beforeAll(async () => {
  cp = await startControlPlane();
  admin = await adminClient(cp);
  work = tempStateDir();
  state = path.join(work, 'agent');
  const t = await joinToken(admin);
  expect(await runAgent(state, ['join', '--url', `https://127.0.0.1:${cp.port}`, '--token', t.token, '--hostname', 'spool-host']).exit).toBe(0);
  hostId = (JSON.parse(fs.readFileSync(path.join(state, 'agent.json'), 'utf8')) as { agentId: string }).agentId;
  startAgent();
  await waitForHost(admin, hostId, (h) => h.status === 'online' && h.health?.status === 'ok');
  // A real sandbox of this agent: the events below are about it (an agent speaks for its own sandboxes only).
  const created = await admin.post('/api/v1/sandboxes', { memoryMiB: 128, timeoutSeconds: 60 });
  expect(created.status, created.text).toBe(200);
  sandboxId = (created.body as { sandbox: SandboxView }).sandbox.id;
  await agent?.stop();
}, 120_000);

afterAll(async () => {
  await agent?.stop();
  await cp?.stop();
  fs.rmSync(work, { recursive: true, force: true });
});

describe('the agent audit spool', () => {
  it(`100k events spooled while the control plane is down (${OUTAGE_SECONDS} s) all arrive once it is back, none twice`, async () => {
    await cp.kill('SIGINT');
    spoolEvents(100_000);
    startAgent();
    // The outage: the agent runs, retries and keeps everything on disk (10 s here; the full
    // 10 minutes with SBX_TEST_OUTAGE_SECONDS=600).
    await new Promise((r) => setTimeout(r, OUTAGE_SECONDS * 1000));
    expect(fs.readdirSync(spoolDir()).filter((f) => f.endsWith('.jsonl')).length).toBe(10);
    await cp.launch();
    await until(() => held().max === 100_000, 180_000, 'not all 100k spooled events arrived');
    expect(held()).toEqual({ rows: 100_000, distinct: 100_000, max: 100_000, gaps: 0 });
    // Acknowledged segments are removed; the cursor is on disk.
    await until(() => Number(fs.readFileSync(path.join(spoolDir(), 'acked'), 'utf8')) === 100_000, 10_000, 'the agent did not record the acknowledgement');
    expect(fs.readdirSync(spoolDir()).filter((f) => f.endsWith('.jsonl')).length).toBeLessThanOrEqual(1);
    const host = ((await (await adminClient(cp)).get(`/api/v1/hosts/${hostId}`)).body as { host: HostView }).host;
    expect(host.auditSpool).toEqual({ lastSeq: 100_000, missing: 0 });
  }, 300_000 + OUTAGE_SECONDS * 1000);

  it('kill -9 of the control plane during ingest, 20 times: nothing lost, nothing twice, the ledger verifies', async () => {
    await agent?.stop();
    spoolEvents(60_000);
    startAgent();
    for (let kills = 0; kills < 20; kills++) {
      const before = held().max;
      // Kill only once this run of the control plane has taken in some events: mid-ingest.
      await until(() => held().max > before || held().max === 160_000, 60_000, `no ingest after restart ${kills}`);
      await cp.kill('SIGKILL');
      await cp.launch();
    }
    await until(() => held().max === 160_000, 180_000, 'not all events arrived after the kills');
    expect(held()).toEqual({ rows: 160_000, distinct: 160_000, max: 160_000, gaps: 0 });
    admin = await adminClient(cp);
    const check = (await admin.post('/api/v1/audit/verify', {})).body as LedgerSelfCheck;
    expect(check).toMatchObject({ ok: true });
    expect(check.size).toBeGreaterThan(160_000);
  }, 600_000);

  it('a sequence number that never arrived is recorded and shown as a gap', async () => {
    await agent?.stop();
    // Lose events 160001..160010 on the agent: the next segment starts after them.
    const acked = Number(fs.readFileSync(path.join(spoolDir(), 'acked'), 'utf8'));
    fs.writeFileSync(path.join(spoolDir(), 'acked'), `${acked + 10}\n`);
    spoolEvents(5);
    fs.writeFileSync(path.join(spoolDir(), 'acked'), `${acked}\n`);
    startAgent();
    await until(() => held().max === 160_015, 60_000, 'the events after the gap did not arrive');
    expect(held().gaps).toBe(1);
    const host = ((await admin.get(`/api/v1/hosts/${hostId}`)).body as { host: HostView }).host;
    expect(host.auditSpool).toEqual({ lastSeq: 160_015, missing: 10 });
  }, 120_000);

  it('on a full disk the spool keeps its events, writes them once there is room, and loses none', () => {
    const dir = path.join(work, 'tiny');
    fs.mkdirSync(dir);
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', dir]);
    try {
      const spool = AuditSpool.open(path.join(dir, 'spool'), pino({ level: 'silent' }));
      spool.append(Array.from({ length: 2000 }, (_, i) => decision(i)));
      spool.flush();
      expect(spool.writable).toBe(false);
      expect(spool.problem).toMatch(/disk full/);
      const onDisk = spool.lastDurable;
      expect(onDisk).toBeLessThan(2000);
      // Room again (a bigger filesystem in the same place): everything queued is written, in order.
      execFileSync('mount', ['-o', 'remount,size=4m', dir]);
      spool.flush();
      expect(spool.writable).toBe(true);
      const all = spool.read(0, 5000);
      expect(all.map((e) => e.seq)).toEqual(Array.from({ length: 2000 }, (_, i) => i + 1));
      spool.close();
    } finally {
      execFileSync('umount', [dir]);
    }
  });

  it('an agent whose spool disk is nearly full refuses new sandboxes (fail closed), and takes them again once there is room', async () => {
    await agent?.stop();
    const saved = path.join(work, 'spool-saved');
    fs.renameSync(spoolDir(), saved);
    fs.mkdirSync(spoolDir());
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=2m', 'tmpfs', spoolDir()]);
    try {
      for (const f of fs.readdirSync(saved)) fs.copyFileSync(path.join(saved, f), path.join(spoolDir(), f));
      const filler = path.join(spoolDir(), 'filler');
      fs.writeFileSync(filler, Buffer.alloc(1024 * 1024));
      agent = runAgent(state, ['run'], { SBX_AGENT_SPOOL_MIN_FREE_MIB: '1' });
      await waitForHost(admin, hostId, (h) => h.status === 'online' && (h.health?.problems ?? []).some((p) => p.includes('audit spool')));
      const refused = await admin.post('/api/v1/sandboxes', { memoryMiB: 128, timeoutSeconds: 60 });
      expect(refused.status).toBe(503);
      expect(refused.text).toMatch(/audit spool cannot be written safely/);
      fs.rmSync(filler);
      await waitForHost(admin, hostId, (h) => h.health?.status === 'ok');
      const created = await admin.post('/api/v1/sandboxes', { memoryMiB: 128, timeoutSeconds: 60 });
      expect(created.status, created.text).toBe(200);
      await admin.del(`/api/v1/sandboxes/${(created.body as { sandbox: SandboxView }).sandbox.id}`);
    } finally {
      await agent?.stop();
      execFileSync('umount', [spoolDir()]);
      fs.rmSync(spoolDir(), { recursive: true, force: true });
      fs.renameSync(saved, spoolDir());
    }
  }, 120_000);
});
