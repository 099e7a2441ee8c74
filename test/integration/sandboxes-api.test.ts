import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuthenticationError, ConflictError, NotFoundError, Sandbox } from '../../sdk';
import type { CreatedApiKey } from '../../lib/api/api-keys';
import type { AuditPage } from '../../lib/api/audit';
import type { ExecEvent, SandboxView } from '../../lib/api/sandboxes';
import type { CreatedUser } from '../../lib/api/users';
import { localAgentPid } from '../support/agent';
import { waitForLocalHost } from '../support/appliance';
import { adminClient, client, startControlPlane, type ControlPlane } from '../support/control-plane';

let cp: ControlPlane;
let admin: Awaited<ReturnType<typeof adminClient>>;
let devKey: string;
let otherKey: string;
const dev = () => client(cp);

async function developerKey(username: string): Promise<string> {
  const created = (await admin.post('/api/v1/users', { username, displayName: username, role: 'developer' })).body as CreatedUser;
  const c = client(cp);
  await c.signIn(username, String(created.initialPassword));
  await c.post('/api/v1/auth/password', { currentPassword: created.initialPassword, newPassword: `${username}-long-password` });
  return ((await c.post('/api/v1/api-keys', { name: 'sdk', role: 'developer', expiresInDays: 1 })).body as CreatedApiKey).secret;
}

function events(text: string): ExecEvent[] {
  return text.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as ExecEvent);
}

async function exec(key: string, id: string, body: object) {
  const r = await dev().post(`/api/v1/sandboxes/${id}/exec`, body, { bearer: key });
  const evs = r.status === 200 ? events(r.text) : [];
  const text = (type: 'stdout' | 'stderr') =>
    evs.filter((e) => e.type === type).map((e) => Buffer.from((e as { data: string }).data, 'base64').toString()).join('');
  return { status: r.status, body: r.body, stdout: text('stdout'), stderr: text('stderr'), exit: evs.find((e) => e.type === 'exit') };
}

beforeAll(async () => {
  cp = await startControlPlane({ SBX_LOCAL_AGENT: 'true' });
  admin = await adminClient(cp);
  await waitForLocalHost(admin);
  devKey = await developerKey('dora');
  otherKey = await developerKey('olaf');
});
afterAll(async () => {
  await cp?.stop();
  fs.rmSync(path.join(os.tmpdir(), `sbx-ca-${cp.port}.crt`), { force: true });
});

describe('sandboxes through the REST API (real runsc on the local agent)', () => {
  let id: string;

  it('creates a sandbox on a connected host and runs python in it', async () => {
    const r = await dev().post('/api/v1/sandboxes', { memoryMiB: 256, timeoutSeconds: 120, env: { GREETING: 'hi' } }, { bearer: devKey });
    expect(r.status).toBe(200);
    const sandbox = (r.body as { sandbox: SandboxView }).sandbox;
    expect(sandbox).toMatchObject({ state: 'running', owner: 'dora', image: 'debian-host', memoryMiB: 256 });
    id = sandbox.id;
    const py = await exec(devKey, id, { cmd: ['python3', '-c', 'print(6*7)'] });
    expect(py.stdout).toBe('42\n');
    expect(py.exit).toMatchObject({ type: 'exit', exitCode: 0 });
  });

  it('streams stdout and stderr apart, passes env, cwd and stdin, and reports exact exit codes', async () => {
    const r = await exec(devKey, id, { cmd: ['sh', '-c', 'echo "$GREETING $X $(pwd)"; echo oops >&2; cat; exit 7'], env: { X: 'y' }, cwd: '/tmp', stdin: 'in\n' });
    expect(r.stdout).toBe('hi y /tmp\nin\n');
    expect(r.stderr).toBe('oops\n');
    expect(r.exit).toMatchObject({ exitCode: 7, signal: null, timedOut: false });
    const slow = await exec(devKey, id, { cmd: ['sleep', '20'], timeoutMs: 300 });
    expect(slow.exit).toMatchObject({ timedOut: true, signal: 'SIGKILL' });
  });

  it('keeps each developer to their own sandboxes', async () => {
    expect((await dev().get(`/api/v1/sandboxes/${id}`, { bearer: otherKey })).status).toBe(404);
    expect((await exec(otherKey, id, { cmd: ['true'] })).status).toBe(404);
    expect(((await dev().get('/api/v1/sandboxes', { bearer: otherKey })).body as { sandboxes: unknown[] }).sandboxes).toEqual([]);
    expect(((await admin.get('/api/v1/sandboxes')).body as { sandboxes: SandboxView[] }).sandboxes.map((s) => s.id)).toContain(id);
  });

  it('answers bad requests with the field, never a 500', async () => {
    const bad = await dev().post('/api/v1/sandboxes', { memoryMiB: 1 }, { bearer: devKey });
    expect(bad.status).toBe(400);
    expect(bad.body).toMatchObject({ error: { field: 'memoryMiB', message: 'memoryMiB: expected at least 64 MiB' } });
    const image = await dev().post('/api/v1/sandboxes', { image: 'ubuntu' }, { bearer: devKey });
    expect(image.body).toMatchObject({ error: { field: 'image' } });
    const noCmd = await dev().post(`/api/v1/sandboxes/${id}/exec`, { cmd: [] }, { bearer: devKey });
    expect(noCmd.body).toMatchObject({ error: { field: 'cmd' } });
  });

  it('audits create, start, every command (not its output) and the kill', async () => {
    const killed = await dev().del(`/api/v1/sandboxes/${id}`, { bearer: devKey });
    expect((killed.body as { sandbox: SandboxView }).sandbox.state).toBe('stopped');
    const after = await exec(devKey, id, { cmd: ['true'] });
    expect(after.status).toBe(409);
    const ev = ((await admin.get('/api/v1/audit?limit=200')).body as AuditPage).events.filter((e) => e.target?.id === id);
    const actions = ev.map((e) => `${e.action}:${(e.details as { phase?: string }).phase ?? ''}`);
    expect(actions).toEqual(expect.arrayContaining(['sandbox.create:', 'sandbox.start:', 'sandbox.exec:start', 'sandbox.exec:end', 'sandbox.stop:']));
    const end = ev.find((e) => e.action === 'sandbox.exec' && (e.details as { command: string }).command.startsWith('python3'));
    expect(end?.actor).toMatchObject({ type: 'api_key' });
    expect(JSON.stringify(ev)).not.toContain('42\\n');
  });

  it('answers a default-size create from the warm pool, with its own env, and never reuses a pooled sandbox', async () => {
    await new Promise((r) => setTimeout(r, 1500));
    const a = ((await dev().post('/api/v1/sandboxes', { env: { WHO: 'a' } }, { bearer: devKey })).body as { sandbox: SandboxView }).sandbox;
    const b = ((await dev().post('/api/v1/sandboxes', { env: { WHO: 'b' } }, { bearer: devKey })).body as { sandbox: SandboxView }).sandbox;
    const starts = ((await admin.get('/api/v1/audit?action=sandbox.start&limit=5')).body as AuditPage).events;
    const startOf = (sid: string) => (starts.find((e) => e.target?.id === sid)?.details as { startMs: number }).startMs;
    // A cold start takes over 100 ms here; a pooled one is a table lookup.
    expect(startOf(a.id)).toBeLessThan(50);
    expect(startOf(b.id)).toBeLessThan(50);
    expect((await exec(devKey, a.id, { cmd: ['sh', '-c', 'echo $WHO > mine; cat mine'] })).stdout).toBe('a\n');
    expect((await exec(devKey, b.id, { cmd: ['sh', '-c', 'echo $WHO; cat mine'] })).stdout).toBe('b\n');
    await dev().del(`/api/v1/sandboxes/${a.id}`, { bearer: devKey });
    await dev().del(`/api/v1/sandboxes/${b.id}`, { bearer: devKey });
  });

  it('stops an idle sandbox, but never while a command runs', async () => {
    const r = await dev().post('/api/v1/sandboxes', { idleTimeoutSeconds: 1, memoryMiB: 256 }, { bearer: devKey });
    const sid = (r.body as { sandbox: SandboxView }).sandbox.id;
    // The command outlasts the idle timeout twice over; the sandbox must live through it.
    const long = await exec(devKey, sid, { cmd: ['sh', '-c', 'sleep 2.5; echo done'] });
    expect(long.stdout).toBe('done\n');
    let s: SandboxView | undefined;
    for (let i = 0; i < 30; i++) {
      await new Promise((res) => setTimeout(res, 200));
      s = ((await dev().get(`/api/v1/sandboxes/${sid}`, { bearer: devKey })).body as { sandbox: SandboxView }).sandbox;
      if (s.state !== 'running') break;
    }
    expect(s).toMatchObject({ state: 'stopped', stateReason: 'idle timeout' });
  });

  it('places a sandbox only on a host with the labels asked for', async () => {
    const ok = await dev().post('/api/v1/sandboxes', { hostLabels: { host: 'local' }, memoryMiB: 256 }, { bearer: devKey });
    expect(ok.status).toBe(200);
    await dev().del(`/api/v1/sandboxes/${(ok.body as { sandbox: SandboxView }).sandbox.id}`, { bearer: devKey });
    const none = await dev().post('/api/v1/sandboxes', { hostLabels: { zone: 'mars' } }, { bearer: devKey });
    expect(none.status).toBe(503);
    expect((none.body as { error: { message: string } }).error.message).toContain('No connected host has the labels zone=mars');
  });

  it('lifetime: default 5 minutes, at most the maximum an admin sets (no other cap)', async () => {
    const plain = (await dev().post('/api/v1/sandboxes', { memoryMiB: 256 }, { bearer: devKey })).body as { sandbox: SandboxView };
    expect(Date.parse(plain.sandbox.deadlineAt) - Date.parse(plain.sandbox.createdAt)).toBe(300_000);
    await dev().del(`/api/v1/sandboxes/${plain.sandbox.id}`, { bearer: devKey });
    const long = { memoryMiB: 256, timeoutSeconds: 30 * 86_400 };
    const refused = await dev().post('/api/v1/sandboxes', long, { bearer: devKey });
    expect(refused.status).toBe(400);
    expect(refused.body).toMatchObject({ error: { field: 'timeoutSeconds' } });
    expect((refused.body as { error: { message: string } }).error.message).toContain('expected at most 86400');
    expect((await admin.patch('/api/v1/settings', { sandboxMaxLifetimeHours: 0 })).body).toMatchObject({ error: { field: 'sandboxMaxLifetimeHours' } });
    expect((await admin.patch('/api/v1/settings', { sandboxMaxLifetimeHours: 24 * 60 })).status).toBe(200);
    try {
      // Thirty days is past what a single Node timer can hold: the agent must not end it at once.
      const ok = await dev().post('/api/v1/sandboxes', long, { bearer: devKey });
      expect(ok.status).toBe(200);
      const sid = (ok.body as { sandbox: SandboxView }).sandbox.id;
      await new Promise((r) => setTimeout(r, 1500));
      expect((await exec(devKey, sid, { cmd: ['echo', 'alive'] })).stdout).toBe('alive\n');
      await dev().del(`/api/v1/sandboxes/${sid}`, { bearer: devKey });
    } finally {
      await admin.patch('/api/v1/settings', { sandboxMaxLifetimeHours: 24 });
    }
  });

  it('ends in "failed: memory limit exceeded" when a background process passes the memory limit', async () => {
    const r = await dev().post('/api/v1/sandboxes', { memoryMiB: 64 }, { bearer: devKey });
    const sid = (r.body as { sandbox: SandboxView }).sandbox.id;
    const started = await exec(devKey, sid, { cmd: ['sh', '-c', 'nohup python3 -c "x = bytearray(512 * 1024 * 1024)" >/dev/null 2>&1 & echo started'] });
    expect(started.stdout).toBe('started\n');
    let s: SandboxView | undefined;
    for (let i = 0; i < 60; i++) {
      await new Promise((res) => setTimeout(res, 250));
      s = ((await dev().get(`/api/v1/sandboxes/${sid}`, { bearer: devKey })).body as { sandbox: SandboxView }).sandbox;
      if (s.state !== 'running') break;
    }
    expect(s).toMatchObject({ state: 'failed', stateReason: 'memory limit exceeded' });
  });

  it('marks a sandbox expired when its deadline passes', async () => {
    const r = await dev().post('/api/v1/sandboxes', { timeoutSeconds: 2 }, { bearer: devKey });
    const sid = (r.body as { sandbox: SandboxView }).sandbox.id;
    let state = 'running';
    for (let i = 0; i < 50 && state === 'running'; i++) {
      await new Promise((res) => setTimeout(res, 200));
      state = ((await dev().get(`/api/v1/sandboxes/${sid}`, { bearer: devKey })).body as { sandbox: SandboxView }).sandbox.state;
    }
    expect(state).toBe('expired');
  });
});

describe('the SDK and the sbx CLI against the started appliance', () => {
  const opts = () => {
    const caFile = path.join(os.tmpdir(), `sbx-ca-${cp.port}.crt`);
    fs.writeFileSync(caFile, cp.ca);
    return { url: `https://localhost:${cp.port}`, apiKey: devKey, caFile };
  };

  it('Sandbox.create, exec with streamed output, list, connect, kill', async () => {
    const sandbox = await Sandbox.create({ memoryMiB: 256, timeoutSeconds: 120, ...opts() });
    const chunks: string[] = [];
    const r = await sandbox.exec(['python3', '-c', 'import sys; print(6*7); print("e", file=sys.stderr); sys.exit(3)'], { onStdout: (c) => chunks.push(c) });
    expect(r).toMatchObject({ exitCode: 3, stdout: '42\n', stderr: 'e\n', timedOut: false });
    expect(chunks.join('')).toBe('42\n');
    expect((await Sandbox.list(opts())).map((s) => s.id)).toContain(sandbox.id);
    const again = await Sandbox.connect(sandbox.id, opts());
    expect((await again.exec('echo $((2+3))')).stdout).toBe('5\n');
    await sandbox.kill();
    await expect(again.exec('true')).rejects.toBeInstanceOf(ConflictError);
    await expect(Sandbox.connect('sbx-aaaaaaaaaaaaaaaaaaaa', opts())).rejects.toBeInstanceOf(NotFoundError);
    await expect(Sandbox.list({ ...opts(), apiKey: `sbx_aaaaaaaaaaaa_${'A'.repeat(43)}` })).rejects.toBeInstanceOf(AuthenticationError);
  });

  it('sbx sandbox create / exec / list / kill, exec exiting with the command\'s code', () => {
    const o = opts();
    const env = { PATH: process.env.PATH ?? '', NODE_ENV: 'production' as const, SBX_URL: o.url, SBX_API_KEY: o.apiKey, SBX_CA_FILE: o.caFile, SBX_CONFIG: '/nonexistent' };
    const sbx = (args: string[]) => spawnSync(path.resolve(import.meta.dirname, '../../bin/sbx'), args, { env, encoding: 'utf8', timeout: 60_000 });
    const created = sbx(['sandbox', 'create', '--memory', '256', '--timeout', '2m']);
    expect(created.status).toBe(0);
    const id = created.stdout.trim();
    expect(id).toMatch(/^sbx-[a-z0-9]{20}$/);
    const ok = sbx(['exec', id, '--', 'python3', '-c', 'print(6*7)']);
    expect(ok.stdout).toBe('42\n');
    expect(ok.status).toBe(0);
    const fail = sbx(['exec', id, '--', 'sh', '-c', 'echo bad >&2; exit 4']);
    expect(fail.status).toBe(4);
    expect(fail.stderr).toBe('bad\n');
    expect(sbx(['sandbox', 'list']).stdout).toContain(id);
    const badMem = sbx(['sandbox', 'create', '--memory', '1']);
    expect(badMem.status).toBe(2);
    expect(badMem.stderr).toContain('--memory: expected at least 64 MiB');
    expect(sbx(['sandbox', 'kill', id]).stdout).toContain(`killed ${id}`);
    const gone = sbx(['exec', id, '--', 'true']);
    expect(gone.status).toBe(1);
    expect(gone.stderr.trim().split('\n')).toHaveLength(1);
  });
});

describe('agent crash', () => {
  it('after a crash the restarted agent removes the leftovers, and the lost sandbox is marked and audited', async () => {
    const r = await dev().post('/api/v1/sandboxes', { memoryMiB: 256 }, { bearer: devKey });
    const sid = (r.body as { sandbox: SandboxView }).sandbox.id;
    const agentPid = localAgentPid(cp.dataDir);
    expect(agentPid).toBeDefined();
    process.kill(Number(agentPid), 'SIGKILL');
    let s: SandboxView | undefined;
    for (let i = 0; i < 80; i++) {
      await new Promise((res) => setTimeout(res, 250));
      s = ((await dev().get(`/api/v1/sandboxes/${sid}`, { bearer: devKey })).body as { sandbox: SandboxView }).sandbox;
      if (s.state !== 'running') break;
    }
    expect(s).toMatchObject({ state: 'failed', stateReason: 'host agent restarted' });
    const ev = ((await admin.get('/api/v1/audit?action=agent.reconcile')).body as AuditPage).events[0];
    expect((ev?.details as { lost: string[] }).lost).toContain(sid);
    expect((ev?.details as { removed: string[] }).removed).toContain(sid);
  });
});
