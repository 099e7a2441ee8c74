import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConflictError, PermissionDeniedError, Sandbox } from '../../sdk';
import type { AuditPage } from '../../lib/api/audit';
import type { CurrentPolicies } from '../../lib/api/policies';
import { joinToken } from '../support/agent';
import { waitForLocalHost } from '../support/appliance';
import { adminClient, startControlPlane, type ControlPlane } from '../support/control-plane';
import { NET, startNetLab, type NetLab } from '../support/netlab';

// The whole appliance (control plane and its local agent) runs in the lab's `host` namespace, whose
// only uplink is the test internet; the test reaches the console over a link the agent denies to
// sandboxes (see test/support/netlab.ts).
let lab: NetLab;
let cp: ControlPlane;
let admin: Awaited<ReturnType<typeof adminClient>>;
let opts: { url: string; apiKey: string; caFile: string };

const fetch = (url: string) =>
  `import urllib.request\ntry:\n  print(urllib.request.urlopen(${JSON.stringify(url)}, timeout=3).read().decode().strip())\nexcept Exception as e:\n  print(type(e).__name__)`;

beforeAll(async () => {
  lab = await startNetLab({ 'allowed.test': [NET.allowedSite], 'other.test': [NET.otherSite] });
  const env = {
    SBX_LOCAL_AGENT: 'true',
    SBX_AGENT_EGRESS: 'on',
    SBX_AGENT_DNS_UPSTREAM: NET.dns,
    SBX_AGENT_DENY_EXTRA: lab.mgmt.cidr,
    SBX_AGENT_EGRESS_AUDIT_SECONDS: '1',
    SBX_AGENT_WARM_POOL: '1',
  };
  cp = await startControlPlane(env, undefined, { netns: lab.hostNs, host: lab.mgmt.host });
  admin = await adminClient(cp);
  await waitForLocalHost(admin).catch((e: unknown) => {
    console.error(cp.output());
    throw e;
  });
  const bootstrap = JSON.parse(fs.readFileSync(path.join(cp.dataDir, 'bootstrap.json'), 'utf8')) as { developerApiKey: string };
  opts = { url: `https://${lab.mgmt.host}:${cp.port}`, apiKey: bootstrap.developerApiKey, caFile: path.join(cp.dataDir, 'pki', 'ca.crt') };
}, 180_000);

afterAll(async () => {
  // The agent's records of the sandbox networks it made (the warm pool's included).
  const records = cp ? path.join(cp.dataDir, 'local-agent', 'sandboxes', 'network') : '';
  const made = records && fs.existsSync(records) ? fs.readdirSync(records).map((f) => f.replace(/\.json$/, '')) : [];
  try {
    await cp?.stop();
    // The agent removed every one of them when it stopped.
    expect(made.length).toBeGreaterThan(0);
    for (const id of made) expect(fs.existsSync(`/var/run/netns/${id}`), id).toBe(false);
  } finally {
    await lab?.stop();
  }
}, 60_000);

describe('egress through the API, SDK and audit trail', () => {
  it('a sandbox reaches what its allowlist names and nothing else; by default it reaches nothing', async () => {
    const sandbox = await Sandbox.create({ ...opts, network: { allow: [{ domain: 'allowed.test', ports: [80] }] } });
    const plain = await Sandbox.create({ ...opts });
    try {
      expect(sandbox.info.network).toEqual({ mode: 'allowlist', allow: [{ domain: 'allowed.test', ports: [80], protocol: 'tcp' }] });
      expect((await sandbox.exec(['python3', '-c', fetch('http://allowed.test/')])).stdout.trim()).toBe(`site=${NET.allowedSite} host=allowed.test`);
      expect((await sandbox.exec(['python3', '-c', fetch('http://other.test/')])).stdout.trim()).toBe('URLError');
      expect((await plain.exec(['python3', '-c', fetch('http://allowed.test/')])).stdout.trim()).toBe('URLError');
    } finally {
      await sandbox.kill();
      await plain.kill();
    }
  });

  it('a live change applies within a second, is audited with before and after, and decisions are audited', async () => {
    const sandbox = await Sandbox.create({ ...opts, network: { allow: [{ domain: 'allowed.test', ports: [80] }] } });
    try {
      expect((await sandbox.exec(['python3', '-c', fetch('http://other.test/')])).stdout.trim()).toBe('URLError');
      const started = Date.now();
      const view = await sandbox.setNetwork({ allow: [{ domain: 'allowed.test', ports: [80] }, { domain: 'other.test', ports: [80] }] });
      expect(Date.now() - started).toBeLessThan(1000);
      expect(view.network.allow.map((r) => r.domain)).toEqual(['allowed.test', 'other.test']);
      expect((await sandbox.exec(['python3', '-c', fetch('http://other.test/')])).stdout.trim()).toBe(`site=${NET.otherSite} host=other.test`);

      const change = ((await admin.get('/api/v1/audit?action=sandbox.network')).body as AuditPage).events.find((e) => e.target?.id === sandbox.id);
      expect(change?.details).toMatchObject({ before: { allow: [{ domain: 'allowed.test' }] }, after: { allow: [{ domain: 'allowed.test' }, { domain: 'other.test' }] } });

      let egress: AuditPage['events'] = [];
      for (let i = 0; i < 40; i++) {
        egress = ((await admin.get('/api/v1/audit?action=sandbox.egress&limit=200')).body as AuditPage).events.filter((e) => e.target?.id === sandbox.id);
        if (egress.some((e) => (e.details as { kind?: string }).kind === 'connection')) break;
        await new Promise((r) => setTimeout(r, 250));
      }
      const details = egress.map((e) => ({ outcome: e.outcome, ...(e.details as Record<string, unknown>) }));
      expect(details).toContainEqual(expect.objectContaining({ outcome: 'failure', kind: 'dns', verdict: 'denied', name: 'other.test', reason: 'not_allowed' }));
      expect(details).toContainEqual(expect.objectContaining({ outcome: 'success', kind: 'dns', verdict: 'allowed', name: 'other.test', rule: 'other.test' }));
      expect(details).toContainEqual(expect.objectContaining({ outcome: 'success', kind: 'connection', destination: NET.otherSite, port: 80, rule: 'other.test' }));
    } finally {
      await sandbox.kill();
    }
  });

  it('refuses mode open until an admin allows it, and bad rules name the field', async () => {
    await expect(Sandbox.create({ ...opts, network: { mode: 'open' } })).rejects.toBeInstanceOf(PermissionDeniedError);
    const bad = await admin.post('/api/v1/sandboxes', { network: { allow: [{ domain: 'not a domain' }] } });
    expect(bad.status).toBe(400);
    expect(bad.text).toContain('network.allow.0.domain');
    expect((await admin.patch('/api/v1/settings', { egressOpenAllowed: true })).status).toBe(200);
    const open = await Sandbox.create({ ...opts, network: { mode: 'open' } });
    try {
      expect((await open.exec(['python3', '-c', fetch(`http://${NET.otherSite}/`)])).stdout.trim()).toBe(`site=${NET.otherSite} host=${NET.otherSite}`);
      expect((await open.exec(['python3', '-c', fetch(`http://${NET.metadata}/`)])).stdout.trim()).toBe('URLError');
      // Not the control plane (console and gateway), not the host, not the machine beyond the lab's link.
      for (const [address, port] of [[lab.mgmt.host, cp.port], [NET.hostUplink, cp.port], [NET.hostUplink, cp.gatewayPort], [lab.mgmt.root, 22], ['127.0.0.1', cp.port]] as const) {
        const r = await open.exec(['python3', '-c', `import socket\ntry:\n  socket.create_connection(('${address}', ${port}), timeout=2); print('connected')\nexcept Exception as e:\n  print(type(e).__name__)`]);
        expect(r.stdout.trim(), `${address}:${port}`).not.toBe('connected');
      }
      let denied: AuditPage['events'] = [];
      for (let i = 0; i < 40; i++) {
        denied = ((await admin.get(`/api/v1/audit?action=sandbox.egress&target=${open.id}&outcome=failure&limit=200`)).body as AuditPage).events;
        if (denied.some((e) => (e.details as { reason?: string }).reason === 'host')) break;
        await new Promise((r) => setTimeout(r, 250));
      }
      const reasons = denied.map((e) => e.details as { destination?: string; port?: number; reason?: string });
      expect(reasons).toContainEqual(expect.objectContaining({ destination: NET.hostUplink, port: cp.port, reason: 'host' }));
      expect(reasons).toContainEqual(expect.objectContaining({ destination: lab.mgmt.root, port: 22, reason: 'floor' }));
      expect(reasons).toContainEqual(expect.objectContaining({ destination: NET.metadata, port: 80, reason: 'floor' }));
    } finally {
      await open.kill();
      await admin.patch('/api/v1/settings', { egressOpenAllowed: false });
    }
  });

  it('a policy change takes away at once the rules a running sandbox may no longer use, and says so in the audit trail', async () => {
    const sandbox = await Sandbox.create({ ...opts, network: { allow: [{ domain: 'allowed.test', ports: [80] }, { domain: 'other.test', ports: [80] }] } });
    const before = (await admin.get('/api/v1/policies')).body as CurrentPolicies;
    try {
      expect((await sandbox.exec(['python3', '-c', fetch('http://allowed.test/')])).stdout.trim()).toBe(`site=${NET.allowedSite} host=allowed.test`);
      const narrower = before.policies.map((p) => ({ ...p, network: { mode: 'allowlist', allow: [{ domain: 'other.test', ports: [80] }] } }));
      const applied = await admin.put('/api/v1/policies', { policies: narrower, source: { kind: 'console' } });
      expect(applied.status).toBe(200);
      const version = (applied.body as { version: { version: number } }).version.version;
      for (let i = 0; i < 50 && (await sandbox.refresh()).network.allow.length !== 1; i++) await new Promise((r) => setTimeout(r, 200));
      expect((await sandbox.refresh()).network.allow.map((r) => r.domain)).toEqual(['other.test']);
      expect((await sandbox.exec(['python3', '-c', fetch('http://allowed.test/')])).stdout.trim()).toBe('URLError');
      expect((await sandbox.exec(['python3', '-c', fetch('http://other.test/')])).stdout.trim()).toBe(`site=${NET.otherSite} host=other.test`);
      const change = ((await admin.get(`/api/v1/audit?action=sandbox.network&target=${sandbox.id}`)).body as AuditPage).events[0];
      expect(change).toMatchObject({ actor: { type: 'system' }, details: { policyVersion: version, after: { mode: 'allowlist', allow: [{ domain: 'other.test' }] } } });
      // Nothing is ever added back by a policy: widening it leaves the running sandbox as it is.
      expect((await admin.post(`/api/v1/policies/versions/${before.version.version}/rollback`, {})).status).toBe(200);
      await new Promise((r) => setTimeout(r, 1000));
      expect((await sandbox.refresh()).network.allow.map((r) => r.domain)).toEqual(['other.test']);
    } finally {
      await sandbox.kill();
    }
  });

  it('a second agent in the same network namespace is refused egress before it touches the first one\'s rules', async () => {
    const sandbox = await Sandbox.create({ ...opts, network: { allow: [{ domain: 'allowed.test', ports: [80] }] } });
    const state = fs.mkdtempSync(path.join(os.tmpdir(), 'sbx-agent-second-'));
    const agent = (...args: string[]) => {
      let out = '';
      const child = spawn('nsenter', [`--net=/var/run/netns/${lab.hostNs}`, process.execPath, '--import', 'tsx', 'agent/main.ts', ...args], {
        cwd: path.resolve(import.meta.dirname, '../..'),
        env: { PATH: process.env.PATH ?? '', NODE_ENV: 'production', SBX_AGENT_STATE_DIR: state, SBX_AGENT_EGRESS: 'on', SBX_AGENT_DNS_UPSTREAM: NET.dns, SBX_AGENT_WARM_POOL: '0', SBX_AGENT_HEARTBEAT_SECONDS: '1' },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      child.stderr.on('data', (d: Buffer) => (out += d.toString()));
      return { child, output: () => out, exit: new Promise<number | null>((r) => child.once('exit', (code) => r(code))) };
    };
    try {
      const joined = agent('join', '--url', `https://127.0.0.1:${cp.port}`, '--token', (await joinToken(admin)).token, '--hostname', 'second-agent');
      expect(await joined.exit, joined.output()).toBe(0);
      const second = agent('run');
      try {
        for (let i = 0; i < 100 && !second.output().includes('enforces egress in this network namespace'); i++) await new Promise((r) => setTimeout(r, 100));
        expect(second.output()).toMatch(/another agent \(pid \d+\) enforces egress in this network namespace, and its nftables table would be replaced: run one agent per host/);
        // The first agent's rules are whole: its sandbox still reaches what it may, and nothing else.
        expect((await sandbox.exec(['python3', '-c', fetch('http://allowed.test/')])).stdout.trim()).toBe(`site=${NET.allowedSite} host=allowed.test`);
        expect((await sandbox.exec(['python3', '-c', fetch('http://other.test/')])).stdout.trim()).toBe('URLError');
      } finally {
        second.child.kill('SIGTERM');
        await second.exit;
      }
      // Its stopping took nothing of the first agent's either.
      expect((await sandbox.exec(['python3', '-c', fetch('http://allowed.test/')])).stdout.trim()).toBe(`site=${NET.allowedSite} host=allowed.test`);
    } finally {
      await sandbox.kill();
      fs.rmSync(state, { recursive: true, force: true });
    }
  }, 120_000);

  it('a sandbox allowed nothing pauses: its network goes with the pause and it resumes without one', async () => {
    const sandbox = await Sandbox.create({ ...opts });
    try {
      expect(sandbox.info.network).toEqual({ mode: 'allowlist', allow: [] });
      await sandbox.exec(['sh', '-c', 'echo kept > ~/kept.txt']);
      // A refused attempt that may still be settling in its network stack does not stop the pause.
      expect((await sandbox.exec(['python3', '-c', fetch('http://other.test/')])).stdout.trim()).toBe('URLError');
      const paused = await sandbox.pause();
      expect(paused).toMatchObject({ state: 'paused', network: { mode: 'none', allow: [] } });
      const pause = ((await admin.get(`/api/v1/audit?action=sandbox.pause&target=${sandbox.id}`)).body as AuditPage).events[0];
      expect(pause?.details).toMatchObject({ networkRemoved: true });
      expect((await sandbox.resume()).state).toBe('running');
      expect((await sandbox.exec(['cat', '/home/user/kept.txt'])).stdout).toBe('kept\n');
      expect((await sandbox.exec(['python3', '-c', fetch('http://allowed.test/')])).stdout.trim()).toBe('URLError');
      const widen = (await sandbox.setNetwork({ allow: [{ domain: 'allowed.test', ports: [80] }] }).catch((e: unknown) => e)) as Error;
      expect(widen.message).toContain(`Sandbox ${sandbox.id} has no network (mode none: it was created without one, or paused while it allowed nothing)`);
    } finally {
      await sandbox.kill();
    }
  });

  it('a sandbox with egress rules is not paused (runsc would restore it without its interface): it says so and runs on, rules intact', async () => {
    const sandbox = await Sandbox.create({ ...opts, network: { allow: [{ domain: 'allowed.test', ports: [80] }] } });
    try {
      expect((await sandbox.exec(['python3', '-c', fetch('http://allowed.test/')])).stdout.trim()).toBe(`site=${NET.allowedSite} host=allowed.test`);
      const refused = (await sandbox.pause().catch((e: unknown) => e)) as Error;
      expect(refused).toBeInstanceOf(ConflictError);
      expect(refused.message).toContain(`sandbox ${sandbox.id} has egress rules, and runsc restores a sandbox without its network interface, so it is not paused`);
      expect((await sandbox.refresh()).state).toBe('running');
      expect((await sandbox.exec(['python3', '-c', fetch('http://allowed.test/')])).stdout.trim()).toBe(`site=${NET.allowedSite} host=allowed.test`);
      expect((await sandbox.exec(['python3', '-c', fetch('http://other.test/')])).stdout.trim()).toBe('URLError');
      expect(((await admin.get(`/api/v1/audit?action=sandbox.pause&target=${sandbox.id}`)).body as AuditPage).events).toEqual([]);
    } finally {
      await sandbox.kill();
    }
  });
});
