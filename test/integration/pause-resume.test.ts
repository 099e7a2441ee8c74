import { spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuditPage } from '../../lib/api/audit';
import type { CreatedApiKey } from '../../lib/api/api-keys';
import type { KekView, RewrapStatus } from '../../lib/api/keys';
import type { CurrentPolicies } from '../../lib/api/policies';
import { decodeHeader, HEADER_ROOM } from '../../lib/envelope/format';
import { ConflictError, Sandbox, type ExecResult } from '../../sdk';
import { localAgentPid } from '../support/agent';
import { startAppliance, waitForLocalHost } from '../support/appliance';
import type { adminClient, ControlPlane } from '../support/control-plane';

const root = path.resolve(import.meta.dirname, '../..');
const MARKER = `SBX-PAUSED-${randomBytes(6).toString('hex')}`;
let cp: ControlPlane;
let admin: Awaited<ReturnType<typeof adminClient>>;
let opts: { url: string; apiKey: string; caFile: string };
let sandbox: Sandbox;
const staging = `/dev/shm/sbx-pause-e2e-${process.pid}`;

beforeAll(async () => {
  // Uncompressed checkpoints: the plaintext image would hold the marker as written, so the scan can fail.
  ({ cp, admin, opts } = await startAppliance({ SBX_AGENT_CHECKPOINT_COMPRESSION: 'none', SBX_AGENT_STAGING_DIR: staging }));
  // Its environment holds the marker too: specs live in memory (the agent's run directory), never on disk.
  sandbox = await Sandbox.create({ memoryMiB: 512, timeoutSeconds: 3600, env: { SECRET_TOKEN: MARKER }, ...opts });
}, 180_000);
afterAll(async () => {
  await sandbox?.kill().catch(() => undefined);
  await cp?.stop();
  fs.rmSync(staging, { recursive: true, force: true });
});

const agentDir = () => path.join(cp.dataDir, 'local-agent');
const out = async (cmd: string[]) => ((await sandbox.exec(cmd)) as ExecResult).stdout;
const audit = async (action: string) => ((await admin.get(`/api/v1/audit?action=${action}`)).body as AuditPage).events;

/** Every file under `dir` (the agent's whole state) that holds `needle`. */
function filesHolding(dir: string, needle: string): string[] {
  const found: string[] = [];
  for (const f of fs.readdirSync(dir, { recursive: true }) as string[]) {
    const p = path.join(dir, f);
    if (fs.lstatSync(p).isFile() && fs.readFileSync(p).includes(needle)) found.push(p);
  }
  return found;
}

/** Whether the counting process runs: its count goes up within a few seconds. */
async function progressing(): Promise<boolean> {
  const a = Number(await out(['cat', '/home/user/counter']));
  const t0 = Date.now();
  while (Date.now() - t0 < 10_000) {
    await new Promise((r) => setTimeout(r, 200));
    if (Number(await out(['cat', '/home/user/counter'])) > a) return true;
  }
  return false;
}


describe('pause and resume through the appliance', () => {
  it('pauses into ciphertext only, frees the sandbox, and resumes with its files and running processes', async () => {
    // While it runs as well as once it is paused, no file of the agent's on disk holds the marker.
    expect(filesHolding(agentDir(), MARKER)).toEqual([]);
    await sandbox.exec(['sh', '-c', `echo $SECRET_TOKEN > ~/marker.txt; (i=0; while :; do i=$((i+1)); echo $i > ~/counter.new; mv ~/counter.new ~/counter; sleep 0.1; done) >/dev/null 2>&1 & python3 -c "import time; s='${MARKER}'*1000; time.sleep(100000)" >/dev/null 2>&1 & sleep 0.5`]);
    expect(await progressing()).toBe(true);

    const paused = await sandbox.pause();
    expect(paused.state).toBe('paused');
    await expect(sandbox.exec(['true'])).rejects.toThrow(ConflictError);
    // Its memory is freed (no cgroup left) and nothing the agent keeps holds the marker in clear.
    expect(fs.existsSync(`/sys/fs/cgroup/memory/sbx/${sandbox.id}`)).toBe(false);
    expect(filesHolding(agentDir(), MARKER)).toEqual([]);
    expect(fs.readdirSync(staging)).toEqual([]);
    const sealed = fs.readdirSync(path.join(agentDir(), 'paused', sandbox.id));
    expect(sealed).toEqual(expect.arrayContaining(['complete', 'sandbox-spec.json.sbxe']));
    const pause = (await audit('sandbox.pause'))[0];
    expect(pause?.details).toMatchObject({ kek: { name: 'default', version: 1 }, bytes: expect.any(Number) as number });
    const issued = await audit('key.use');
    expect(issued.map((e) => (e.details as { op: string }).op)).toEqual(expect.arrayContaining(['issue']));
    expect(issued.every((e) => (e.details as { sandboxId: string }).sandboxId === sandbox.id)).toBe(true);

    // Through the CLI, as a user would.
    const cli = spawnSync(path.join(root, 'bin', 'sbx'), ['sandbox', 'resume', sandbox.id], { env: { PATH: process.env.PATH ?? '', NODE_ENV: 'production', HOME: cp.dataDir, SBX_URL: opts.url, SBX_API_KEY: opts.apiKey, SBX_CA_FILE: opts.caFile }, encoding: 'utf8' as const, timeout: 120_000 });
    expect(cli.stdout.trim()).toBe(`${sandbox.id} running`);
    expect((await out(['cat', '/home/user/marker.txt'])).trim()).toBe(MARKER);
    expect(await progressing()).toBe(true);
    expect(await out(['sh', '-c', 'pgrep -f time.sleep >/dev/null && echo alive'])).toBe('alive\n');
    expect(fs.existsSync(path.join(agentDir(), 'paused', sandbox.id))).toBe(false);
    expect((await audit('sandbox.resume')).length).toBe(1);
    expect((await audit('key.use')).map((e) => (e.details as { op: string }).op)).toEqual(expect.arrayContaining(['issue', 'unwrap']));
  }, 180_000);

  it('resumes after its host agent restarted', async () => {
    await sandbox.pause();
    process.kill(Number(localAgentPid(cp.dataDir)), 'SIGKILL');
    await new Promise((r) => setTimeout(r, 1500));
    await waitForLocalHost(admin);
    expect((await sandbox.refresh()).state).toBe('paused');
    expect((await sandbox.resume()).state).toBe('running');
    expect((await out(['cat', '/home/user/marker.txt'])).trim()).toBe(MARKER);
    expect(await progressing()).toBe(true);
  }, 180_000);

  it('rewrap moves the data keys of the image to the new version in place, the data untouched, so the old version can go', async () => {
    await sandbox.pause();
    expect(((await admin.post('/api/v1/keys/default/rotate', {})).body as { key: KekView }).key.latestVersion).toBe(2);
    const before = ((await admin.get('/api/v1/keys/default/rewrap')).body as { rewrap: RewrapStatus }).rewrap;
    expect(before).toMatchObject({ latestVersion: 2, total: 1, current: 0, byVersion: [{ version: 1, objects: 1 }], running: false });
    const dir = path.join(agentDir(), 'paused', sandbox.id);
    const files = fs.readdirSync(dir).filter((f) => f.endsWith('.sbxe'));
    const data = (f: string) => createHash('sha256').update(fs.readFileSync(path.join(dir, f)).subarray(HEADER_ROOM)).digest('hex');
    const dataBefore = files.map(data);
    expect((await admin.post('/api/v1/keys/default/rewrap', {})).status).toBe(200);
    let status = before;
    for (let i = 0; i < 100 && (status.running || status.current < 1); i++) {
      await new Promise((r) => setTimeout(r, 100));
      status = ((await admin.get('/api/v1/keys/default/rewrap')).body as { rewrap: RewrapStatus }).rewrap;
    }
    expect(status).toMatchObject({ total: 1, current: 1, running: false, lastError: null });
    for (const f of files) expect(decodeHeader(fs.readFileSync(path.join(dir, f)).subarray(0, HEADER_ROOM))?.header.kek.version).toBe(2);
    expect(files.map(data)).toEqual(dataBefore);
    expect((await audit('key.rewrap'))[0]?.details).toEqual({ name: 'default', version: 2, objects: 1 });
    // Version 1 wraps nothing any more: destroying it costs this sandbox nothing.
    expect((await admin.post('/api/v1/keys/default/versions/1/destroy', { confirm: 'default:v1' })).status).toBe(200);
    expect((await sandbox.resume()).state).toBe('running');
    expect((await out(['cat', '/home/user/marker.txt'])).trim()).toBe(MARKER);
  }, 180_000);

  it('cannot resume once the key version that wrapped its image is destroyed, and says so', async () => {
    await sandbox.pause();
    expect(((await admin.post('/api/v1/keys/default/rotate', {})).body as { key: KekView }).key.latestVersion).toBe(3);
    expect((await admin.post('/api/v1/keys/default/versions/2/destroy', { confirm: 'default:v2' })).status).toBe(200);
    const refused = (await sandbox.resume().catch((e: unknown) => e)) as Error;
    expect(refused).toBeInstanceOf(ConflictError);
    expect(refused.message).toMatch(/Version 2 of this key was destroyed: what it protected cannot be read any more/);
    expect((await sandbox.refresh()).state).toBe('paused');
    const denied = (await audit('key.use')).find((e) => e.outcome === 'denied');
    expect(denied?.details).toMatchObject({ op: 'unwrap', version: 2, reason: expect.stringMatching(/destroyed/) as string });
    expect((await audit('key.destroy'))[0]?.details).toEqual({ name: 'default', version: 2 });
    // Killing a paused sandbox removes its image.
    await sandbox.kill();
    expect((await sandbox.refresh()).state).toBe('stopped');
    for (let i = 0; i < 20 && fs.existsSync(path.join(agentDir(), 'paused', sandbox.id)); i++) await new Promise((r) => setTimeout(r, 100));
    expect(fs.existsSync(path.join(agentDir(), 'paused', sandbox.id))).toBe(false);
  }, 180_000);

  it('uses the key its policy names (a team\'s own), and refuses another', async () => {
    expect((await admin.post('/api/v1/keys', { name: 'team-b' })).status).toBe(200);
    // The team's policy names its key; the team's API key makes sandboxes under it.
    const { policies } = (await admin.get('/api/v1/policies')).body as CurrentPolicies;
    const teamPolicy = { ...policies[0], name: 'team-b', scope: { hostLabels: {}, teams: ['team-b'], apiKeys: [] }, encryption: { kek: 'team-b' } };
    expect((await admin.put('/api/v1/policies', { policies: [...policies, teamPolicy], source: { kind: 'console' } })).status).toBe(200);
    const teamKey = ((await admin.post('/api/v1/api-keys', { name: 'team-b', role: 'developer', team: 'team-b', expiresInDays: 1 })).body as CreatedApiKey).secret;
    await expect(Sandbox.create({ kek: 'team-b', ...opts })).rejects.toThrow(/kek: policy "default" encrypts its sandboxes with key "default"/);
    const own = await Sandbox.create({ ...opts, apiKey: teamKey });
    try {
      const teamB = ((await admin.get('/api/v1/keys/team-b')).body as { key: KekView }).key;
      expect(own.info.kekId).toBe(teamB.id);
      await own.exec(['sh', '-c', 'echo kept > ~/kept.txt']);
      await own.pause();
      expect((await audit('sandbox.pause'))[0]?.details).toMatchObject({ kek: { name: 'team-b', version: 1 } });
      const dir = path.join(agentDir(), 'paused', own.id);
      for (const f of fs.readdirSync(dir).filter((x) => x.endsWith('.sbxe'))) expect(decodeHeader(fs.readFileSync(path.join(dir, f)).subarray(0, HEADER_ROOM))?.header.kek).toEqual({ id: teamB.id, version: 1 });
      await own.resume();
      expect(((await own.exec(['cat', '/home/user/kept.txt'])) as ExecResult).stdout).toBe('kept\n');
    } finally {
      await own.kill();
    }
  }, 180_000);
});
