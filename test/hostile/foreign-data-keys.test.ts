import fs from 'node:fs';
import path from 'node:path';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeHeader, HEADER_ROOM } from '../../lib/envelope/format';
import { agentMethods, CHANNEL_PATH, controlMethods } from '../../lib/wire/protocol';
import { RpcPeer } from '../../lib/wire/rpc';
import { Sandbox } from '../../sdk';
import { joinToken, runAgent, tempStateDir } from '../support/agent';
import { startAppliance } from '../support/appliance';
import type { adminClient, ControlPlane } from '../support/control-plane';

// Another enrolled host (a compromised agent, say) asks the control plane for the data keys of a
// sandbox that runs elsewhere, or reports another host's sandbox stopped: it must get nothing and
// change nothing, and the refusals are plain. The intruder is a real enrolled agent's identity
// driven by hand: it heartbeats, takes a sandbox of its own, and then lies.
let cp: ControlPlane;
let admin: Awaited<ReturnType<typeof adminClient>>;
let sandbox: Sandbox;
let neighbour: Sandbox;
let own: Sandbox;
let work: string;
let ws: WebSocket;
let peer: RpcPeer<typeof agentMethods, typeof controlMethods>;

beforeAll(async () => {
  let opts: { url: string; apiKey: string; caFile: string };
  ({ cp, admin, opts } = await startAppliance());
  sandbox = await Sandbox.create({ ...opts });
  await sandbox.exec(['sh', '-c', 'echo secret > ~/s.txt']);
  await sandbox.pause();
  neighbour = await Sandbox.create({ ...opts, hostLabels: { host: 'local' } });
  work = tempStateDir();
  const state = path.join(work, 'intruder');
  const join = runAgent(state, ['join', '--url', `https://127.0.0.1:${cp.port}`, '--token', (await joinToken(admin, { labels: { zone: 'intruder' } })).token]);
  expect(await join.exit).toBe(0);
  ws = new WebSocket(`wss://127.0.0.1:${cp.gatewayPort}${CHANNEL_PATH}`, {
    ca: cp.ca,
    key: fs.readFileSync(path.join(state, 'agent.key'), 'utf8'),
    cert: fs.readFileSync(path.join(state, 'agent.crt'), 'utf8'),
    minVersion: 'TLSv1.3',
  });
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  peer = new RpcPeer((text) => ws.send(text), agentMethods, controlMethods, { 'sandbox.create': async () => ({ startedAt: new Date().toISOString(), startMs: 1 }) }, 'x');
  ws.on('message', (data) => void peer.receive(data.toString()));
  await peer.call('heartbeat', {
    agentVersion: '0.1.0',
    runscVersion: 'runsc version 0.0~20240729.0',
    kernel: 'Linux',
    platform: 'linux/x64',
    capacity: { cpus: 2, memoryMiB: 4096, sandboxSlots: 4, egress: false },
    health: { status: 'ok', problems: [] },
    sandboxes: 0,
    certificateNotAfter: new Date(Date.now() + 86_400_000).toISOString(),
    policy: null,
  });
  own = await Sandbox.create({ ...opts, hostLabels: { zone: 'intruder' }, network: { mode: 'none' } });
}, 180_000);
afterAll(async () => {
  ws?.close();
  await sandbox?.kill().catch(() => undefined);
  await neighbour?.kill().catch(() => undefined);
  await cp?.stop();
  fs.rmSync(work, { recursive: true, force: true });
});

describe('data keys asked for by a host that does not run the sandbox', () => {
  it('are refused, to issue and to unwrap, even with a genuine wrapped key', async () => {
    const dir = path.join(cp.dataDir, 'local-agent', 'paused', sandbox.id);
    const file = fs.readdirSync(dir).find((f) => f.endsWith('.sbxe')) as string;
    const header = decodeHeader(fs.readFileSync(path.join(dir, file)).subarray(0, HEADER_ROOM))?.header;
    expect(header?.context).toBe(`checkpoint:${sandbox.id}:${file.slice(0, -'.sbxe'.length)}`);
    const h = header as NonNullable<typeof header>;
    await expect(peer.call('keys.unwrap', { sandboxId: sandbox.id, context: h.context, kek: h.kek, wrappedKey: h.wrappedKey }, 10_000)).rejects.toMatchObject({
      code: 'permission_denied',
      message: `Sandbox ${sandbox.id} does not run on this host.`,
    });
    await expect(peer.call('keys.issue', { sandboxId: sandbox.id, context: h.context }, 10_000)).rejects.toMatchObject({ code: 'permission_denied' });
    await expect(peer.call('keys.rewrap', { sandboxId: sandbox.id, context: h.context, kek: h.kek, wrappedKey: h.wrappedKey }, 10_000)).rejects.toMatchObject({ code: 'permission_denied' });
    // Malformed asks are refused by the contract before anything is looked up.
    await expect(peer.call('keys.issue', { sandboxId: sandbox.id, context: '../../etc/passwd' } as never, 10_000)).rejects.toMatchObject({ code: 'invalid_argument' });
    // Nothing was handed out to it: the only key uses recorded are the owner host's own.
    const uses = (await admin.get('/api/v1/audit?action=key.use')).body as { events: { actor: { name: string } }[] };
    expect(new Set(uses.events.map((e) => e.actor.name)).size).toBe(1);
    // Nor under the name of its own sandbox: the wrapped key is bound to the object and host it was made for.
    await expect(peer.call('keys.unwrap', { sandboxId: own.id, context: `checkpoint:${own.id}:${file.slice(0, -'.sbxe'.length)}`, kek: h.kek, wrappedKey: h.wrappedKey }, 10_000)).rejects.toMatchObject({
      code: 'invalid_argument',
      message: expect.stringMatching(/was not made by version 1 of key default for checkpoint:sbx-[a-z0-9]{20}:\S+ on this host/) as string,
    });
    await expect(peer.call('keys.rewrap', { sandboxId: own.id, context: `checkpoint:${own.id}:${file.slice(0, -'.sbxe'.length)}`, kek: h.kek, wrappedKey: h.wrappedKey }, 10_000)).rejects.toMatchObject({ code: 'invalid_argument' });
    // The sandbox's own host still resumes it.
    expect((await sandbox.resume()).state).toBe('running');
  }, 120_000);
});

describe('writes an agent makes about sandboxes it does not run', () => {
  it('a stop reported for another host\'s sandbox changes nothing and is recorded as denied', async () => {
    expect(own.info.hostId).not.toBe(neighbour.info.hostId);
    peer.emit('sandbox.stopped', { id: neighbour.id, reason: 'failed' });
    await new Promise((r) => setTimeout(r, 1000));
    expect((await neighbour.refresh()).state).toBe('running');
    expect(await neighbour.exec(['echo', 'up'])).toMatchObject({ exitCode: 0, stdout: 'up\n' });
    const stops = ((await admin.get(`/api/v1/audit?action=sandbox.stop&target=${neighbour.id}`)).body as { events: { outcome: string; details: { detail?: string } }[] }).events;
    expect(stops).toEqual([expect.objectContaining({ outcome: 'denied', details: expect.objectContaining({ detail: 'refused: the sandbox does not run on this host' }) as object })]);
    // Its own sandbox it may report stopped.
    peer.emit('sandbox.stopped', { id: own.id, reason: 'failed' });
    await new Promise((r) => setTimeout(r, 1000));
    expect((await own.refresh()).state).toBe('failed');
  }, 60_000);
});
