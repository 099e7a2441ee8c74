import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { CreatedJoinToken } from '../../lib/api/hosts';
import type { HostView } from '../../lib/api/hosts';
import type { adminClient } from './control-plane';

const root = path.resolve(import.meta.dirname, '../..');

type Admin = Awaited<ReturnType<typeof adminClient>>;

export async function joinToken(admin: Admin, body: object = {}): Promise<CreatedJoinToken> {
  const r = await admin.post('/api/v1/hosts/join-tokens', body);
  if (r.status !== 200) throw new Error(`join token: ${r.text}`);
  return r.body as CreatedJoinToken;
}

export type AgentProcess = { child: ChildProcess; output: () => string; exit: Promise<number | null>; stop: () => Promise<number | null> };

/** Runs `agent/main.ts` with its own state directory (the real agent, as root). */
export function runAgent(stateDir: string, args: string[], env: Record<string, string> = {}): AgentProcess {
  let out = '';
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(root, 'agent/main.ts'), ...args], {
    cwd: root,
    env: { PATH: process.env.PATH ?? '', NODE_ENV: 'production', SBX_AGENT_STATE_DIR: stateDir, SBX_AGENT_HEARTBEAT_SECONDS: '1', SBX_AGENT_WARM_POOL: '0', SBX_AGENT_EGRESS: 'off', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return {
    child,
    output: () => out,
    exit,
    stop: async () => {
      if (child.exitCode === null) child.kill('SIGTERM');
      return exit;
    },
  };
}

export function tempStateDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'sbx-agent-'));
}

/** Polls the Hosts API until `check` holds (or throws after `ms`). */
export async function waitForHost(admin: Admin, id: string, check: (h: HostView) => boolean, ms = 20_000): Promise<HostView> {
  const deadline = Date.now() + ms;
  let last: HostView | undefined;
  while (Date.now() < deadline) {
    const r = await admin.get(`/api/v1/hosts/${id}`);
    if (r.status === 200) {
      last = (r.body as { host: HostView }).host;
      if (check(last)) return last;
    }
    await new Promise((res) => setTimeout(res, 200));
  }
  throw new Error(`host ${id} never reached the expected state; last: ${JSON.stringify(last)}`);
}

/** The pid of the local agent the control plane started for the data dir `dataDir`. */
export function localAgentPid(dataDir: string): number | undefined {
  const stateDir = path.join(dataDir, 'local-agent');
  const pid = fs
    .readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .find((p) => {
      try {
        return fs.readFileSync(`/proc/${p}/cmdline`, 'utf8').includes('agent/main.ts') && fs.readFileSync(`/proc/${p}/environ`, 'utf8').includes(`SBX_AGENT_STATE_DIR=${stateDir}`);
      } catch {
        return false;
      }
    });
  return pid === undefined ? undefined : Number(pid);
}
