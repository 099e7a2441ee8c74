import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { NetworkDecision } from '../../lib/wire/protocol';
import { NET } from './netlab';

const root = path.resolve(import.meta.dirname, '../..');

export type EgressHost = {
  call: (op: string, args?: object) => Promise<Record<string, unknown>>;
  exec: (id: string, script: string) => Promise<{ exitCode: number | null; stdout: string; stderr: string }>;
  decisions: () => NetworkDecision[];
  output: () => string;
  stateDir: string;
  child: ChildProcess;
  /** Sandboxes whose network leftovers the enforcer removed at start. */
  removed: string[];
  /** Stops the harness (tearing everything down) and removes its state directory. */
  close: () => Promise<void>;
};

/** Starts the enforcer harness inside the lab's `host` namespace (its only uplink is the test internet). */
export async function startEgressHost(hostNs: string, stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sbx-egress-'))): Promise<EgressHost> {
  const child = spawn('nsenter', [`--net=/var/run/netns/${hostNs}`, process.execPath, '--import', 'tsx', path.join(root, 'test/support/egress-host.ts'), stateDir, NET.dns, '1000'], {
    cwd: root,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let out = '';
  const waiting = new Map<number, (r: Record<string, unknown>) => void>();
  const decisions: NetworkDecision[] = [];
  let buffer = '';
  child.stdout?.on('data', (d: Buffer) => {
    out += d.toString();
    buffer += d.toString();
    let nl: number;
    while ((nl = buffer.indexOf('\n')) >= 0) {
      const line = buffer.slice(0, nl);
      buffer = buffer.slice(nl + 1);
      if (!line.startsWith('{')) continue;
      const msg = JSON.parse(line) as Record<string, unknown>;
      if (Array.isArray(msg.decisions)) decisions.push(...(msg.decisions as NetworkDecision[]));
      if (typeof msg.seq === 'number') waiting.get(msg.seq)?.(msg);
    }
  });
  child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  const deadline = Date.now() + 30_000;
  while (!out.includes('"ready":true')) {
    if (Date.now() > deadline || child.exitCode !== null) throw new Error(`the egress host did not start: ${out}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  const ready = out.split('\n').find((l) => l.includes('"ready":true')) ?? '{}';
  const removed = (JSON.parse(ready) as { removed?: string[] }).removed ?? [];
  let seq = 0;
  const call = (op: string, args: object = {}) =>
    new Promise<Record<string, unknown>>((resolve, reject) => {
      const s = ++seq;
      waiting.set(s, (r) => (r.ok ? resolve(r) : reject(new Error(String(r.error)))));
      child.stdin?.write(`${JSON.stringify({ seq: s, op, ...args })}\n`);
    });
  return {
    call,
    exec: async (id, script) => (await call('exec', { id, cmd: ['python3', '-c', script] })) as never,
    decisions: () => decisions,
    output: () => out,
    stateDir,
    child,
    removed,
    close: async () => {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        await call('close').catch(() => undefined);
        await exited;
      }
      fs.rmSync(stateDir, { recursive: true, force: true });
    },
  };
}
