import fs from 'node:fs';
import https from 'node:https';
import type { IncomingMessage } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Sandbox } from '../../sdk';
import { startAppliance } from '../support/appliance';
import type { ControlPlane } from '../support/control-plane';

// A client runs a command that writes 1 GiB and then stops reading its answer. The control plane
// must hold the command back (credit to the agent only for what the client took) rather than
// buffer the output: its memory stays flat and the command waits, then goes on when the client
// reads again, and dies when the client goes away.
const GIB = 1024 * 1024 * 1024;
const MIB = 1024 * 1024;
let cp: ControlPlane;
let opts: { url: string; apiKey: string; caFile: string };
let sandbox: Sandbox;

function rssBytes(pid: number): number {
  const m = /^VmRSS:\s+(\d+) kB$/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(m?.[1] ?? 0) * 1024;
}

function openExec(cmd: string[]): Promise<{ res: IncomingMessage; destroy: () => void }> {
  return new Promise((resolve, reject) => {
    const req = https.request(
      {
        host: '127.0.0.1',
        servername: 'localhost',
        port: cp.port,
        path: `/api/v1/sandboxes/${sandbox.id}/exec`,
        method: 'POST',
        headers: { authorization: `Bearer ${opts.apiKey}`, 'content-type': 'application/json' },
        ca: cp.ca,
        agent: false,
      },
      (res) => resolve({ res, destroy: () => req.destroy() }),
    );
    req.on('error', reject);
    req.end(JSON.stringify({ cmd }));
  });
}

async function commandState(id: string): Promise<string | undefined> {
  const list = await sandbox.commands();
  return list.find((c) => c.id === id)?.state;
}

beforeAll(async () => {
  ({ cp, opts } = await startAppliance());
  sandbox = await Sandbox.create({ timeoutSeconds: 300, ...opts });
}, 180_000);
afterAll(async () => {
  await sandbox?.kill().catch(() => undefined);
  await cp?.stop();
});

describe('a client that stops reading a command it started', () => {
  it('holds the command back instead of filling the control plane', async () => {
    // Warm up the route (its modules load on first use), so that only buffering is measured.
    for (let i = 0; i < 3; i++) await sandbox.exec(['head', '-c', String(8 * MIB), '/dev/zero']);
    const before = rssBytes(cp.pid());
    const series: number[] = [];
    const { res, destroy } = await openExec(['head', '-c', String(GIB), '/dev/zero']);
    expect(res.statusCode).toBe(200);
    // Read the start line (the command's id) and a little output, then stop reading.
    let text = '';
    let received = 0;
    let dropped = false;
    const onData = (d: Buffer) => {
      received += d.length;
      // The foreground caller gets all of its output, late but never with a gap.
      if (d.includes('"type":"dropped"')) dropped = true;
      if (text.length < 4096) text += d.toString();
    };
    res.on('data', onData);
    while (!text.includes('\n')) await new Promise((r) => setTimeout(r, 20));
    res.pause();
    const commandId = (JSON.parse(text.split('\n')[0] ?? '{}') as { commandId?: string }).commandId ?? '';
    expect(commandId).toMatch(/\S/);

    let peak = 0;
    try {
      for (let i = 0; i < 20; i++) {
        await new Promise((r) => setTimeout(r, 1000));
        const grown = rssBytes(cp.pid()) - before;
        series.push(Math.round(grown / MIB));
        peak = Math.max(peak, grown);
        // Unbounded buffering would be far past this within a second or two; stop the command then.
        if (peak > 100 * MIB) break;
      }
      console.log(`control plane RSS growth while the reader is stopped (MiB, per second): ${series.join(' ')}; received ${received} bytes`);
      expect(peak).toBeLessThan(100 * MIB);
      // The command is held back, not finished: 1 GiB would have been written long ago.
      expect(await commandState(commandId)).toBe('running');
      expect(received).toBeLessThan(64 * MIB);

      // Reading again lets it go on.
      const held = received;
      res.resume();
      const until = Date.now() + 20_000;
      while (received < held + 64 * MIB && Date.now() < until) await new Promise((r) => setTimeout(r, 100));
      expect(received).toBeGreaterThanOrEqual(held + 64 * MIB);
      expect(dropped).toBe(false);
      res.pause();
    } finally {
      res.off('data', onData);
      destroy();
    }
    // The caller went away: the command is killed.
    const until = Date.now() + 20_000;
    let state = await commandState(commandId);
    while (state === 'running' && Date.now() < until) {
      await new Promise((r) => setTimeout(r, 250));
      state = await commandState(commandId);
    }
    expect(state).toBe('killed');
  }, 120_000);
});
