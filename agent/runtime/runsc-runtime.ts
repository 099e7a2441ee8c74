import { execFile, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { ExecServer } from './exec-server';
import { SIGNAL_NAMES } from './signals';
import { ensureHostImage, type ImagePaths } from './host-image';
import { SANDBOX_HOME } from '../../lib/api/sandboxes';
import { SANDBOX_USER, buildOciSpec, cgroupPath } from './oci-spec';
import type { SandboxUsage } from '../../lib/wire/protocol';
import { RuntimeError, type ExecResult, type ExecSpec, type SandboxRuntime, type SandboxSpec } from './types';

export type RunscOptions = {
  /** Where the sandbox image lives (root only). */
  stateDir: string;
  /**
   * Where runsc's state, the bundles and runsc's logs live: they hold every sandbox's spec, its
   * environment too, so give a directory in memory (tmpfs). By default the state directory.
   */
  runDir?: string;
  platform: 'systrap' | 'ptrace';
  runsc?: string;
  /** How runsc compresses a checkpoint image before it is encrypted (default flate-best-speed). */
  checkpointCompression?: 'none' | 'flate-best-speed';
  /** Told when a sandbox broke its side of a protocol (its command server was ended for it). */
  onSandboxFault?: (sandboxId: string, reason: string) => void;
};

const INSTALL_HINT = 'runsc (gVisor) is not installed: apt-get install -t bookworm-backports runsc';
const ID = /^sbx-[a-z0-9]{20}$/;

/**
 * The gVisor runtime: one runsc sandbox per sandbox; commands go through the sandbox's command
 * server (exec-server.ts) or, when it cannot take them, `runsc exec`. Sandbox ids
 * are fixed-length (runsc resolves ids by prefix). There is no weaker fallback: without a working
 * runsc the runtime refuses to start and says how to install it.
 */
export class RunscRuntime implements SandboxRuntime {
  private readonly runsc: string;
  private readonly runDir: string;
  private readonly root: string;
  private readonly bundles: string;
  private readonly image: ImagePaths;
  private readonly teardowns = new Set<Promise<void>>();
  /** Each sandbox's command server, once started. */
  private readonly servers = new Map<string, ExecServer>();
  /** Sandboxes between `run` and their state file: their lock file is theirs, not a leftover. */
  private readonly creating = new Set<string>();

  private constructor(private readonly opts: RunscOptions, runsc: string) {
    this.runsc = runsc;
    this.runDir = opts.runDir ?? opts.stateDir;
    this.root = path.join(this.runDir, 'runsc');
    this.bundles = path.join(this.runDir, 'bundles');
    for (const d of [opts.stateDir, this.runDir, this.root, this.bundles]) fs.mkdirSync(d, { recursive: true, mode: 0o700 });
    this.image = ensureHostImage(path.join(opts.stateDir, 'images'));
  }

  /** Checks that runsc runs before anything is promised; fails closed with the install command. */
  static async open(opts: RunscOptions): Promise<RunscRuntime> {
    const runsc = opts.runsc ?? 'runsc';
    const version = await new Promise<string | null>((resolve) =>
      execFile(runsc, ['--version'], { timeout: 5000 }, (err, out) => resolve(err ? null : out)),
    );
    if (!version) throw new RuntimeError('runtime_missing', INSTALL_HINT);
    if (/0\.0~2022/.test(version)) throw new RuntimeError('runtime_missing', `${version.split('\n')[0]} is too old; ${INSTALL_HINT}`);
    return new RunscRuntime(opts, runsc);
  }

  private global(): string[] {
    return ['--root', this.root, `--platform=${this.opts.platform}`];
  }

  /**
   * Runs a runsc command. Its stderr goes to a file, not a pipe: `run --detach` leaves the sandbox
   * holding the descriptor, and a pipe would then never close.
   */
  private run(args: string[], timeoutMs = 30_000, logFile?: string, joinsNetns = false): Promise<{ code: number; stderr: string }> {
    const file = logFile ?? path.join(this.runDir, `runsc-${process.pid}-${process.hrtime.bigint()}.log`);
    const fd = fs.openSync(file, 'a', 0o600);
    // This runsc takes every network namespace for the root one on this kernel and refuses it; with
    // a private /proc/sys/net (in a mount namespace of its own) it joins the sandbox's namespace.
    const [cmd, argv] = joinsNetns
      ? ['unshare', ['-m', 'sh', '-c', 'mount -t tmpfs none /proc/sys/net && exec "$0" "$@"', this.runsc, ...this.global(), ...args]]
      : [this.runsc, [...this.global(), ...args]];
    return new Promise((resolve) => {
      const child = spawn(cmd, argv, { stdio: ['ignore', 'ignore', fd] });
      fs.closeSync(fd);
      const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
      child.on('exit', (code) => {
        clearTimeout(timer);
        const stderr = fs.readFileSync(file, 'utf8');
        if (!logFile) fs.rmSync(file, { force: true });
        resolve({ code: code ?? -1, stderr });
      });
    });
  }

  /**
   * Starts a sandbox. Its command server starts with it; `waitForServer` (the warm pool) waits
   * until it is up, otherwise commands use `runsc exec` until it is.
   */
  async create(spec: SandboxSpec, opts: { waitForServer?: boolean } = {}): Promise<void> {
    await this.start(spec, [...networkFlags(spec), 'run', '--detach'], opts.waitForServer === true, 'start_failed');
  }

  /** Writes the bundle and runs `runsc run` or `runsc restore`; then starts the command server. */
  private async start(spec: SandboxSpec, command: string[], waitForServer: boolean, failure: 'start_failed' | 'resume_failed'): Promise<void> {
    if (!ID.test(spec.id)) throw new RuntimeError(failure, `sandbox id ${spec.id} is not of the form sbx-<20 lower-case letters or digits>`);
    const bundle = path.join(this.bundles, spec.id);
    this.creating.add(spec.id);
    fs.mkdirSync(bundle, { recursive: true, mode: 0o700 });
    const nameserver = spec.network?.nameserver ?? spec.formerNameserver;
    const resolvConf = nameserver ? path.join(bundle, 'resolv.conf') : undefined;
    if (resolvConf) {
      fs.writeFileSync(resolvConf, `nameserver ${nameserver}\noptions timeout:2 attempts:2\n`);
      // Readable by the sandbox's user whatever the agent's umask (the control plane's is 077).
      fs.chmodSync(resolvConf, 0o644);
    }
    fs.writeFileSync(path.join(bundle, 'config.json'), JSON.stringify(buildOciSpec(spec, this.image, resolvConf)), { mode: 0o600 });
    const r = await this.run([...command, '--bundle', bundle, spec.id], 60_000, path.join(bundle, 'runsc.log'), spec.network !== undefined);
    this.creating.delete(spec.id);
    if (r.code !== 0) {
      this.tearDown(spec.id);
      const verb = failure === 'start_failed' ? 'start' : 'resume';
      throw new RuntimeError(failure, `runsc could not ${verb} sandbox ${spec.id}: ${r.stderr.trim().split('\n').find((l) => /error|failed|cannot/i.test(l)) ?? r.stderr.trim().split('\n').pop() ?? r.code}`);
    }
    const server = new ExecServer({
      runsc: this.runsc,
      runscArgs: [...this.global(), 'exec'],
      user: SANDBOX_USER,
      sandboxId: spec.id,
      onFault: (reason) => this.opts.onSandboxFault?.(spec.id, `its command server was ended: ${reason}`),
    });
    this.servers.set(spec.id, server);
    if (waitForServer) await server.ready;
  }

  /**
   * Checkpoints a sandbox into `imageDir` and stops it, which frees its memory. The command server
   * goes first: a `runsc exec` session cannot be checkpointed, while what commands started (the
   * spawner's children) is kept. The bundle stays for `restore`.
   */
  async checkpoint(id: string, imageDir: string): Promise<void> {
    await this.servers.get(id)?.shutdown();
    this.servers.delete(id);
    const r = await this.run(['checkpoint', `--compression=${this.opts.checkpointCompression ?? 'flate-best-speed'}`, '--image-path', imageDir, id], 10 * 60_000);
    if (r.code !== 0) throw new RuntimeError('pause_failed', `runsc could not checkpoint sandbox ${id}: ${r.stderr.trim().split('\n').pop() ?? r.code}`);
    await this.run(['delete', '--force', id], 30_000);
    this.prune();
  }

  /** Starts a checkpointed sandbox again from `imageDir`, its files and processes as they were. */
  async restore(spec: SandboxSpec, imageDir: string): Promise<void> {
    await this.start(spec, [...networkFlags(spec), 'restore', '--detach', '--image-path', imageDir], true, 'resume_failed');
  }

  async exec(id: string, spec: ExecSpec): Promise<ExecResult> {
    const server = this.servers.get(id);
    // What a command starts is kept by a pause only when the spawner started it: a command does
    // not go the `runsc exec` way merely because the server is a moment from ready.
    if (server?.starting) await server.ready;
    if (server?.usable(spec, SANDBOX_USER)) return server.exec({ ...spec, cwd: spec.cwd ?? SANDBOX_HOME }, () => this.memoryLimitExceeded(id));
    const started = performance.now();
    const pidFile = path.join(this.bundles, id, `exec-${process.hrtime.bigint()}.pid`);
    const args = ['exec', '--user', spec.user ?? SANDBOX_USER, '--cwd', spec.cwd ?? SANDBOX_HOME, '--internal-pid-file', pidFile];
    for (const [k, v] of Object.entries(spec.env ?? {})) args.push('--env', `${k}=${v}`);
    args.push(id, ...spec.cmd);
    return new Promise((resolve, reject) => {
      const child = spawn(this.runsc, [...this.global(), ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
      let stderr = '';
      let timedOut = false;
      if (spec.stdoutSink) child.stdout.pipe(spec.stdoutSink);
      else child.stdout.on('data', (d: Buffer) => spec.onStdout?.(d));
      const unwatch = spec.gate?.watch((shut) => {
        for (const s of [child.stdout, child.stderr]) {
          if (shut) s.pause();
          else s.resume();
        }
      });
      if (spec.gate?.shut) for (const s of [child.stdout, child.stderr]) s.pause();
      child.stderr.on('data', (d: Buffer) => {
        if (stderr.length < 4096) stderr += d.toString();
        spec.onStderr?.(d);
      });
      if (typeof spec.stdin === 'string') child.stdin.end(spec.stdin);
      else if (spec.stdin) spec.stdin.pipe(child.stdin);
      else child.stdin.end();
      child.stdin.on('error', () => undefined);
      const stop = () => void this.killProcess(id, pidFile, spec.user ?? SANDBOX_USER).finally(() => setTimeout(() => child.kill('SIGKILL'), 2000).unref());
      // The command is done when its own process exits. Processes it left running in the background
      // may still hold its output open; what they print after a short grace is not waited for
      // (a piped sink is exempt: its output is drained at the reader's pace).
      child.on('exit', () => {
        if (spec.stdoutSink) return;
        setTimeout(() => {
          child.stdout.destroy();
          child.stderr.destroy();
        }, 250).unref();
      });
      const timer =
        spec.timeoutMs === undefined
          ? null
          : setTimeout(() => {
              timedOut = true;
              stop();
            }, spec.timeoutMs);
      if (spec.signal?.aborted) stop();
      spec.signal?.addEventListener('abort', stop, { once: true });
      child.on('error', (err) => reject(new RuntimeError('exec_failed', err.message)));
      child.on('close', (code) => {
        unwatch?.();
        if (timer) clearTimeout(timer);
        spec.signal?.removeEventListener('abort', stop);
        const started_ = fs.existsSync(pidFile);
        fs.rmSync(pidFile, { force: true });
        const durationMs = performance.now() - started;
        const oom = this.memoryLimitExceeded(id);
        // runsc answers 128 before the process ever ran (no pid was written): that is a runtime
        // failure (no such sandbox, no such executable), not the command's exit.
        if (!started_ && !oom && !timedOut) {
          return reject(new RuntimeError('exec_failed', stderr.trim().split('\n').pop() ?? `runsc exec failed with ${code}`));
        }
        const c = code ?? 128 + 9;
        const signal = c > 128 && c < 128 + 65 ? (SIGNAL_NAMES[c - 128] ?? null) : null;
        resolve({ exitCode: signal ? null : c, signal, timedOut, memoryLimitExceeded: oom, durationMs });
      });
    });
  }

  /**
   * Kills a command with everything it started: each exec'd process leads its own process group
   * inside the sandbox, so the group is signalled (as the command's own user, who may signal its
   * processes), then the leader by runsc.
   */
  private async killProcess(id: string, pidFile: string, user: string): Promise<void> {
    const pid = fs.existsSync(pidFile) ? fs.readFileSync(pidFile, 'utf8').trim() : '';
    if (!/^\d+$/.test(pid)) return;
    await this.run(['exec', '--user', user, id, 'python3', '-c', 'import os, sys; os.killpg(int(sys.argv[1]), 9)', pid], 5000);
    await this.run(['kill', '--pid', pid, id, 'KILL'], 5000);
  }

  memoryLimitExceeded(id: string): boolean {
    const file = path.join('/sys/fs/cgroup/memory', cgroupPath(id), 'memory.oom_control');
    try {
      return /oom_kill\s+[1-9]/.test(fs.readFileSync(file, 'utf8'));
    } catch {
      return false;
    }
  }

  usage(id: string): SandboxUsage | null {
    const read = (ctrl: string, file: string) => {
      try {
        return Number(fs.readFileSync(path.join('/sys/fs/cgroup', ctrl, cgroupPath(id), file), 'utf8').trim());
      } catch {
        return NaN;
      }
    };
    const memoryBytes = read('memory', 'memory.usage_in_bytes');
    if (!Number.isFinite(memoryBytes)) return null;
    const ok = (n: number) => (Number.isFinite(n) ? n : 0);
    return {
      memoryBytes,
      memoryPeakBytes: ok(read('memory', 'memory.max_usage_in_bytes')),
      cpuSeconds: ok(read('cpuacct', 'cpuacct.usage')) / 1e9,
      pids: ok(read('pids', 'pids.current')),
    };
  }

  async destroy(id: string): Promise<void> {
    this.servers.get(id)?.close();
    this.servers.delete(id);
    await this.run(['kill', id, 'KILL'], 5000);
    this.tearDown(id);
  }

  /** The slow part of removal (about 1.7 s with runsc delete) runs off the caller's path. */
  private tearDown(id: string): void {
    const job = (async () => {
      await this.run(['delete', '--force', id], 30_000);
      fs.rmSync(path.join(this.bundles, id), { recursive: true, force: true });
      this.creating.delete(id);
      this.prune();
      for (const ctrl of ['memory', 'pids', 'cpu', 'cpuacct', 'cpuset', 'blkio', 'devices', 'freezer', 'systemd', 'unified']) {
        try {
          fs.rmdirSync(path.join('/sys/fs/cgroup', ctrl, cgroupPath(id)));
        } catch {
          // absent, or already removed by runsc
        }
      }
    })();
    this.teardowns.add(job);
    void job.finally(() => this.teardowns.delete(job));
  }

  /**
   * Removes what runsc leaves in its state root for sandboxes that are gone: `delete` keeps the
   * lock file, and a concurrent `list` may make it again (found by the soak: one inode per
   * sandbox ever run). A file is a leftover when its sandbox has no state file and is not starting.
   */
  prune(): void {
    const files = fs.readdirSync(this.root);
    const alive = new Set(files.filter((f) => f.endsWith('.state')).map((f) => f.split('_')[0]));
    for (const f of files) {
      const id = /^(sbx-[a-z0-9]{20})_.*\.lock$/.exec(f)?.[1] ?? /^runsc-(sbx-[a-z0-9]{20})\.sock$/.exec(f)?.[1];
      if (id && !alive.has(id) && !this.creating.has(id)) fs.rmSync(path.join(this.root, f), { force: true });
    }
  }

  async list(): Promise<string[]> {
    const out = await new Promise<string>((resolve) =>
      execFile(this.runsc, [...this.global(), 'list', '--quiet'], { timeout: 10_000 }, (_err, stdout) => resolve(stdout ?? '')),
    );
    return out.split('\n').map((l) => l.trim()).filter((l) => ID.test(l));
  }

  async stopped(): Promise<string[]> {
    const out = await new Promise<string>((resolve) =>
      execFile(this.runsc, [...this.global(), 'list', '--format=json'], { timeout: 10_000 }, (_err, stdout) => resolve(stdout ?? '')),
    );
    try {
      const rows = JSON.parse(out || '[]') as { id: string; status: string }[] | null;
      return (rows ?? []).filter((r) => ID.test(r.id) && r.status !== 'running' && r.status !== 'created').map((r) => r.id);
    } catch {
      return [];
    }
  }

  async reconcile(keep: ReadonlySet<string>): Promise<string[]> {
    const known = new Set([...(await this.list()), ...fs.readdirSync(this.bundles).filter((d) => ID.test(d))]);
    const leftovers = [...known].filter((id) => !keep.has(id));
    for (const id of leftovers) await this.destroy(id);
    await this.drain();
    return leftovers;
  }

  async drain(): Promise<void> {
    while (this.teardowns.size > 0) await Promise.allSettled([...this.teardowns]);
  }

  /** Removes the run directory once no sandbox is left (the agent stops). */
  async close(): Promise<void> {
    await this.drain();
    if ((await this.list()).length === 0 && this.runDir !== this.opts.stateDir) fs.rmSync(this.runDir, { recursive: true, force: true });
  }
}

/**
 * runsc's network flags for a sandbox. With a network, open TCP connections are cut when it is
 * checkpointed (netstack cannot save a connected endpoint; without this a pause fails while a
 * connection, even a refused one, is still settling).
 */
function networkFlags(spec: SandboxSpec): string[] {
  return spec.network ? ['--network=sandbox', '--net-disconnect-ok'] : ['--network=none'];
}

