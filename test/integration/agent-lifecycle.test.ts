import Database from 'better-sqlite3';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuditPage } from '../../lib/api/audit';
import type { HostView } from '../../lib/api/hosts';
import { joinToken, runAgent, tempStateDir, waitForHost, type AgentProcess } from '../support/agent';
import { adminClient, startControlPlane, type ControlPlane } from '../support/control-plane';

let cp: ControlPlane;
let admin: Awaited<ReturnType<typeof adminClient>>;
let work: string;
const agents: AgentProcess[] = [];
const consoleUrl = () => `https://127.0.0.1:${cp.port}`;

beforeAll(async () => {
  work = tempStateDir();
  // A short certificate life so that renewal happens during the test; trace logs to inspect frames.
  cp = await startControlPlane({ SBX_AGENT_CERT_TTL_SECONDS: '15', SBX_LOG_LEVEL: 'trace' }, path.join(work, 'cp'));
  admin = await adminClient(cp);
});
afterAll(async () => {
  for (const a of agents) await a.stop();
  await cp?.stop();
  fs.rmSync(work, { recursive: true, force: true });
});

async function audit(query: string) {
  return ((await admin.get(`/api/v1/audit?${query}`)).body as AuditPage).events;
}

function join(state: string, token: string, extra: string[] = []) {
  const a = runAgent(state, ['join', '--url', consoleUrl(), '--token', token, ...extra]);
  agents.push(a);
  return a;
}

describe('join tokens', () => {
  it('enrol once, bound to their labels; reuse, expiry and strangers are refused and audited', async () => {
    const t = await joinToken(admin, { labels: { zone: 'eu-1', tier: 'gpu' } });
    expect(t.command).toContain(`--token ${t.token}`);
    const first = join(path.join(work, 'a1'), t.token, ['--hostname', 'node-a1']);
    expect(await first.exit).toBe(0);

    const reuse = join(path.join(work, 'a2'), t.token, ['--hostname', 'node-a2']);
    expect(await reuse.exit).toBe(1);
    expect(reuse.output()).toContain('already used');

    const late = await joinToken(admin, { ttlMinutes: 1 });
    const db = new Database(path.join(cp.dataDir, 'control-plane.db'));
    db.prepare('UPDATE JoinToken SET expiresAt = ? WHERE id = ?').run(Date.now() - 1000, late.id);
    db.close();
    const expired = join(path.join(work, 'a3'), late.token, ['--hostname', 'node-a3']);
    expect(await expired.exit).toBe(1);
    expect(expired.output()).toContain('expired');

    const stranger = join(path.join(work, 'a4'), t.token.replace(/\.([A-Za-z0-9_-]{43})\./, `.${'x'.repeat(43)}.`), ['--hostname', 'node-a4']);
    expect(await stranger.exit).toBe(1);
    expect(stranger.output()).toContain('not known');

    const refused = (await audit('action=jointoken.use&outcome=failure')).map((e) => (e.details as { reason: string }).reason);
    expect(refused).toEqual(expect.arrayContaining(['reused', 'expired', 'unknown']));
    const hosts = ((await admin.get('/api/v1/hosts')).body as { hosts: HostView[] }).hosts;
    expect(hosts.map((h) => h.hostname)).toEqual(['node-a1']);
    expect(hosts[0]?.labels).toEqual({ zone: 'eu-1', tier: 'gpu' });
  });

  it('will not trust a CA other than the one the token names', async () => {
    const t = await joinToken(admin);
    const wrongPin = t.token.replace(/\.[0-9a-f]{64}$/, `.${'0'.repeat(64)}`);
    const a = join(path.join(work, 'pin'), wrongPin);
    expect(await a.exit).toBe(1);
    expect(a.output()).toMatch(/is not the one the token names .*; refusing to trust it/);
  });

  it('keeps the agent key on the host, mode 0600, in a 0700 directory', () => {
    const dir = path.join(work, 'a1');
    expect(fs.statSync(dir).mode & 0o777).toBe(0o700);
    expect(fs.statSync(path.join(dir, 'agent.key')).mode & 0o777).toBe(0o600);
  });
});

describe('a running agent', () => {
  let agentId: string;
  let agent: AgentProcess;

  it('connects, reports its host and shows online', async () => {
    agentId = (JSON.parse(fs.readFileSync(path.join(work, 'a1', 'agent.json'), 'utf8')) as { agentId: string }).agentId;
    agent = runAgent(path.join(work, 'a1'), ['run'], { SBX_AGENT_LOG_LEVEL: 'trace' });
    agents.push(agent);
    const host = await waitForHost(admin, agentId, (h) => h.status === 'online' && h.capacity !== null);
    expect(host).toMatchObject({ hostname: 'node-a1', platform: `linux/${process.arch}`, agentVersion: '0.1.0' });
    expect(host.capacity?.cpus).toBeGreaterThan(0);
    expect(host.kernel).toMatch(/^Linux /);
    expect((await audit('action=agent.connect'))[0]).toMatchObject({ actor: { type: 'agent', id: agentId } });
  });

  it('renews its certificate over the channel before it expires', async () => {
    const before = await waitForHost(admin, agentId, (h) => h.certificate !== null);
    const renewed = await waitForHost(admin, agentId, (h) => h.certificate?.serial !== before.certificate?.serial, 25_000);
    expect(new Date(renewed.certificate!.notAfter).getTime()).toBeGreaterThan(new Date(before.certificate!.notAfter).getTime());
    const issued = await audit('action=certificate.issue');
    expect(issued[0]).toMatchObject({ actor: { type: 'agent', id: agentId }, details: { renewal: true, purpose: 'agent' } });
  });

  it('reconnects by itself after the control plane restarts', async () => {
    await cp.restart();
    admin = await adminClient(cp);
    await waitForHost(admin, agentId, (h) => h.status === 'online', 30_000);
    const connects = await audit('action=agent.connect');
    expect(connects.length).toBeGreaterThanOrEqual(2);
  });

  it('never puts its private key in a message or a log', async () => {
    const key = fs.readFileSync(path.join(work, 'a1', 'agent.key'), 'utf8');
    const lines = key.split('\n').filter((l) => l.length > 40 && !l.startsWith('-----'));
    expect(lines.length).toBeGreaterThan(5);
    // Frames are logged at trace level on both ends, so the outputs hold every message sent.
    expect(agent.output()).toContain('frame sent');
    for (let i = 0; i < 50 && !cp.output().includes('agent frame received'); i++) await new Promise((r) => setTimeout(r, 100));
    expect(cp.output()).toContain('agent frame received');
    const haystacks = [agent.output(), cp.output(), fs.readFileSync(path.join(cp.dataDir, 'control-plane.db')).toString('latin1')];
    for (const h of haystacks) for (const line of lines) expect(h.includes(line)).toBe(false);
  });

  it('stops cleanly on SIGTERM and comes back when started again', async () => {
    expect(await agent.stop()).toBe(0);
    await waitForHost(admin, agentId, (h) => h.status === 'offline');
    expect((await audit('action=agent.disconnect'))[0]).toMatchObject({ details: { code: 1000 } });
    agent = runAgent(path.join(work, 'a1'), ['run']);
    agents.push(agent);
    await waitForHost(admin, agentId, (h) => h.status === 'online');
  });

  it('is cut off within 5 seconds of being revoked, and stops for good', async () => {
    const t0 = Date.now();
    const r = await admin.post(`/api/v1/hosts/${agentId}/revoke`);
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ channelClosed: true });
    const code = await agent.exit;
    expect(Date.now() - t0).toBeLessThan(5000);
    expect(code).toBe(77);
    expect(agent.output()).toContain('revoked');
    const host = await waitForHost(admin, agentId, (h) => h.status === 'revoked');
    expect(host.revokedAt).not.toBeNull();
    expect((await audit('action=agent.revoke'))[0]).toMatchObject({ actor: { name: 'admin' }, details: { channelClosed: true } });
    const again = await admin.post(`/api/v1/hosts/${agentId}/revoke`);
    expect(again.status).toBe(409);
  });
});
