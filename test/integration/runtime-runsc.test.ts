import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newSandboxId } from '../../lib/wire/ids';
import { RunscRuntime } from '../../agent/runtime/runsc-runtime';
import { RuntimeError, type ExecSpec, type SandboxSpec } from '../../agent/runtime/types';

let rt: RunscRuntime;
let stateDir: string;
const live: string[] = [];

function spec(over: Partial<SandboxSpec> = {}): SandboxSpec {
  return { id: newSandboxId(), image: 'debian-host', cpus: 1, memoryMiB: 256, pids: 128, diskMiB: 64, env: {}, ...over };
}

async function sandbox(over: Partial<SandboxSpec> = {}): Promise<string> {
  const s = spec(over);
  await rt.create(s);
  live.push(s.id);
  return s.id;
}

async function run(id: string, cmd: string[], opts: Partial<ExecSpec> = {}) {
  let stdout = '';
  let stderr = '';
  const r = await rt.exec(id, { cmd, onStdout: (d) => (stdout += d.toString()), onStderr: (d) => (stderr += d.toString()), ...opts });
  return { ...r, stdout, stderr };
}

let shared: string;
beforeAll(async () => {
  stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sbx-runtime-'));
  rt = await RunscRuntime.open({ stateDir, platform: 'systrap' });
  shared = await sandbox({ env: { GREETING: 'hello' } });
});
afterAll(async () => {
  for (const id of live) await rt.destroy(id);
  await rt.drain();
  fs.rmSync(stateDir, { recursive: true, force: true });
});

describe('runsc runtime (real gVisor)', () => {
  it('runs python3 and prints 42', async () => {
    const r = await run(shared, ['python3', '-c', 'print(6*7)']);
    expect(r).toMatchObject({ exitCode: 0, signal: null, timedOut: false, stdout: '42\n' });
  });

  it("shows gVisor's kernel, not the host's", async () => {
    const r = await run(shared, ['uname', '-r']);
    expect(r.stdout.trim()).not.toBe(os.release());
    expect(r.stdout.trim()).toMatch(/^4\.4\.0/);
  });

  it('shows no host secret: no /etc/shadow, /root, /var, other homes, or host environment', async () => {
    const r = await run(shared, ['sh', '-c', 'ls -a /; echo ---; ls /home; echo ---; env; echo ---; cat /etc/shadow; ls /root /var']);
    const [rootDir, homes, env] = r.stdout.split('---\n');
    expect(rootDir?.split('\n')).not.toContain('root');
    expect(rootDir?.split('\n')).not.toContain('var');
    expect(homes?.trim()).toBe('user');
    expect(env).toContain('GREETING=hello');
    expect(env).not.toContain(`HOSTNAME=${os.hostname()}`);
    for (const name of Object.keys(process.env).filter((k) => !['PATH', 'HOME', 'PWD', 'SHLVL', '_', 'HOSTNAME'].includes(k))) {
      expect(env).not.toMatch(new RegExp(`^${name}=`, 'm'));
    }
    expect(r.stderr).toMatch(/\/etc\/shadow: No such file/);
    expect(r.stderr).toMatch(/\/root.*No such file/);
    expect(r.exitCode).not.toBe(0);
    const writeUsr = await run(shared, ['sh', '-c', 'echo x > /usr/evil'], { user: '0:0' });
    expect(writeUsr.exitCode).not.toBe(0);
    expect(writeUsr.stderr).toMatch(/Read-only file system/);
  });

  it('runs as the unprivileged sandbox user by default, with explicit env, cwd and user', async () => {
    expect((await run(shared, ['id', '-u'])).stdout.trim()).toBe('1000');
    expect((await run(shared, ['pwd'])).stdout.trim()).toBe('/home/user');
    const r = await run(shared, ['sh', '-c', 'echo "$A $(pwd) $(id -u)"'], { env: { A: 'b' }, cwd: '/tmp', user: '0:0' });
    expect(r.stdout.trim()).toBe('b /tmp 0');
  });

  it('keeps stdout and stderr apart and feeds stdin', async () => {
    const r = await run(shared, ['sh', '-c', 'echo out; echo err >&2; cat'], { stdin: 'piped\n' });
    expect(r.stdout).toBe('out\npiped\n');
    expect(r.stderr).toBe('err\n');
  });

  it('reports exit codes exactly and tells a signal from a runtime failure', async () => {
    expect((await run(shared, ['sh', '-c', 'exit 3'])).exitCode).toBe(3);
    expect((await run(shared, ['sh', '-c', 'exit 255'])).exitCode).toBe(255);
    const killed = await run(shared, ['sh', '-c', 'kill -TERM $$']);
    expect(killed).toMatchObject({ exitCode: null, signal: 'SIGTERM' });
    await expect(rt.exec(shared, { cmd: ['/no/such/binary'] })).rejects.toBeInstanceOf(RuntimeError);
    await expect(rt.exec('sbx-aaaaaaaaaaaaaaaaaaaa', { cmd: ['true'] })).rejects.toMatchObject({ code: 'exec_failed' });
  });

  it('kills a command at its timeout and the sandbox goes on', async () => {
    const t0 = Date.now();
    const r = await run(shared, ['sleep', '30'], { timeoutMs: 500 });
    expect(r.timedOut).toBe(true);
    expect(r.signal).toBe('SIGKILL');
    expect(Date.now() - t0).toBeLessThan(5000);
    expect((await run(shared, ['echo', 'still here'])).stdout).toBe('still here\n');
  });

  it('runs commands as the sandbox user with no capability at all, not even in the bounding set, as children of the spawner, out of the user\'s reach', async () => {
    const r = await run(shared, ['sh', '-c', 'id -u; grep -E "^Cap(Inh|Prm|Eff|Bnd|Amb)" /proc/self/status; tr "\\0" " " < /proc/$PPID/cmdline']);
    const [uid, ...rest] = r.stdout.trim().split('\n');
    expect(uid).toBe('1000');
    // gVisor shows no CapAmb line.
    const caps = rest.filter((l) => l.startsWith('Cap'));
    expect(caps.map((l) => l.split(/\s+/)[0])).toEqual(expect.arrayContaining(['CapInh:', 'CapPrm:', 'CapEff:', 'CapBnd:']));
    for (const line of caps) expect(line).toMatch(/:\s+0{16}$/);
    // Its parent is the spawner (the init's tree), which a checkpoint keeps, not a `runsc exec` session.
    expect(r.stdout).toMatch(/python3 -u -c # The sandbox's spawner/);
    // The init and the spawner's keeper are root: the user's signals do not reach them.
    expect((await run(shared, ['sh', '-c', 'kill -9 1 2'], { timeoutMs: 5000 })).exitCode).not.toBe(0);
    expect((await run(shared, ['echo', 'still here'])).stdout).toBe('still here\n');
  });

  it('commands go through the sandbox\'s command server, and still run by runsc exec when its user kills the server', async () => {
    const id = await sandbox();
    await new Promise((r) => setTimeout(r, 1500));
    const parent = await run(id, ['sh', '-c', 'tr "\\0" " " < /proc/$PPID/cmdline']);
    expect(parent.stdout).toContain('python3 -u -c');
    // The sandbox's own user may kill every process it has, the server included.
    await run(id, ['sh', '-c', 'kill -9 -1'], { timeoutMs: 5000 });
    await new Promise((r) => setTimeout(r, 300));
    const after = await run(id, ['sh', '-c', 'echo alive; { tr "\\0" " " < /proc/$PPID/cmdline; } 2>/dev/null || true']);
    expect(after.exitCode).toBe(0);
    expect(after.stdout).toMatch(/^alive\n/);
    expect(after.stdout).not.toContain('python3 -u -c');
  });

  it('a killed command takes what it started with it; one that leaves a background process still returns', async () => {
    const procs = async () => (await run(shared, ['sh', '-c', 'cat /proc/[0-9]*/cmdline | tr "\\0" " "'])).stdout;
    const t0 = Date.now();
    const detached = await run(shared, ['sh', '-c', 'sleep 41 & echo started']);
    expect(detached).toMatchObject({ exitCode: 0, stdout: 'started\n' });
    expect(Date.now() - t0).toBeLessThan(3000);
    const abort = new AbortController();
    setTimeout(() => abort.abort(), 500);
    const killed = await run(shared, ['sh', '-c', 'sleep 42 & sleep 43'], { signal: abort.signal });
    expect(killed).toMatchObject({ exitCode: null, signal: 'SIGKILL', timedOut: false });
    const left = await procs();
    expect(left).toContain('sleep 41');
    expect(left).not.toContain('sleep 42');
    expect(left).not.toContain('sleep 43');
  });

  it('ends a sandbox that goes past its memory limit and says so', async () => {
    const small = await sandbox({ memoryMiB: 64 });
    const r = await run(small, ['python3', '-c', 'x = bytearray(256 * 1024 * 1024); print(len(x))'], { timeoutMs: 20_000 });
    expect(r.exitCode).not.toBe(0);
    expect(r.memoryLimitExceeded).toBe(true);
    expect(rt.memoryLimitExceeded(shared)).toBe(false);
  });

  it('contains a fork bomb: the pids limit holds and other sandboxes go on', async () => {
    const bomb = await sandbox({ pids: 96 });
    await run(bomb, ['sh', '-c', 'f() { f | f & }; f; sleep 2'], { timeoutMs: 15_000 });
    // The cgroup refused forks at its limit: the bomb hit the wall instead of the host.
    const events = fs.readFileSync(path.join('/sys/fs/cgroup/pids/sbx', bomb, 'pids.events'), 'utf8');
    expect(Number(/max (\d+)/.exec(events)?.[1] ?? 0)).toBeGreaterThan(0);
    expect(Number(fs.readFileSync(path.join('/sys/fs/cgroup/pids/sbx', bomb, 'pids.current'), 'utf8'))).toBeLessThanOrEqual(96);
    const other = await run(shared, ['python3', '-c', 'print("fine")'], { timeoutMs: 10_000 });
    expect(other.stdout).toBe('fine\n');
  });

  it('tears a sandbox down completely: runsc state, bundle and cgroups', async () => {
    const id = await sandbox();
    expect(await rt.list()).toContain(id);
    await rt.destroy(id);
    await rt.drain();
    expect(await rt.list()).not.toContain(id);
    expect(fs.existsSync(path.join(stateDir, 'bundles', id))).toBe(false);
    expect(fs.existsSync(path.join('/sys/fs/cgroup/memory/sbx', id))).toBe(false);
    expect(fs.existsSync(path.join('/sys/fs/cgroup/pids/sbx', id))).toBe(false);
    // No file of it stays in runsc's state root (lock, state, socket).
    expect(fs.readdirSync(path.join(stateDir, 'runsc')).filter((f) => f.includes(id))).toEqual([]);
  });

  it('reconciles: leftovers of a crash are removed, the sandboxes still wanted are kept', async () => {
    const orphan = await sandbox();
    const removed = await rt.reconcile(new Set(live.filter((id) => id !== orphan)));
    expect(removed).toEqual([orphan]);
    expect(await rt.list()).not.toContain(orphan);
    expect(await rt.list()).toContain(shared);
  });
});

describe('without runsc', () => {
  it('refuses to start and says how to install it', async () => {
    await expect(RunscRuntime.open({ stateDir, platform: 'systrap', runsc: '/nonexistent/runsc' })).rejects.toThrow(
      'apt-get install -t bookworm-backports runsc',
    );
  });
});
