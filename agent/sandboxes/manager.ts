import type { Logger } from 'pino';
import type { z } from 'zod';
import { newSandboxId } from '../../lib/wire/ids';
import type { ExecOutcome, SandboxLimits, controlMethods } from '../../lib/wire/protocol';
import type { PassThrough } from 'node:stream';
import type { FileDigest, FileEntry, SandboxUsage } from '../../lib/wire/protocol';
import { RpcError } from '../../lib/wire/rpc';
import { RuntimeError, type SandboxRuntime } from '../runtime/types';
import { SandboxFiles } from './files';
import { longTimeout, type LongTimer } from './long-timer';
import { DEFAULT_NETWORK, type NetworkSpec } from '../../lib/api/network';
import type { SandboxSpec } from '../runtime/types';
import type { DataKeys, PausedImages } from './paused-images';
import { pauseSandbox, resumeSandbox, type Pausing } from './pause-resume';
import type { OutputGate } from '../runtime/output-gate';

/** What the manager needs of the network enforcer (agent/network/enforcer.ts). */
export type SandboxNetworks = {
  attach(runtimeId: string, spec: NetworkSpec): Promise<{ netnsPath: string; nameserver: string }>;
  apply(runtimeId: string, spec: NetworkSpec): Promise<void>;
  detach(runtimeId: string): Promise<void>;
  /** The namespace and resolver of a sandbox's network, while it has one. */
  attached?(runtimeId: string): { netnsPath: string; nameserver: string } | undefined;
  /** The rules it enforces now. */
  rulesOf?(runtimeId: string): NetworkSpec | undefined;
};

type CreateParams = z.infer<(typeof controlMethods)['sandbox.create']['params']>;
type ExecParams = z.infer<(typeof controlMethods)['sandbox.exec']['params']>;

/** A sandbox as the control plane names it, and the runtime sandbox behind it. */
type Live = {
  runtimeId: string;
  /** What it was started with (for a checkpoint to be restored from). */
  spec: SandboxSpec;
  env: Record<string, string>;
  deadline: LongTimer;
  running: number;
  idleMs: number | null;
  idle: LongTimer | null;
  /** Whether it has an interface (a namespace, rules and a resolver of its own). */
  networked: boolean;
};

export type PoolConfig = { size: number; image: string; limits: SandboxLimits };

/** How long a hand-out from the warm pool waits before starting its replacement. */
const POOL_REFILL_DELAY_MS = 250;

const poolKey = (image: string, l: SandboxLimits) => `${image}:${l.cpus}:${l.memoryMiB}:${l.pids}:${l.diskMiB}`;

/**
 * The agent's sandboxes: creates them on the runtime (or hands out one from the warm pool), runs
 * commands with their output streamed back, and ends each one at its deadline (never earlier).
 * A pooled sandbox was started empty, serves one sandbox only and is never reused; its
 * environment is applied to every command. Without a runtime (runsc missing) every request is
 * refused with the reason: nothing runs without gVisor.
 */
export class SandboxManager {
  private readonly live = new Map<string, Live>();
  private readonly pool: string[] = [];
  /** Running commands by exec id, so that one can be killed on its own. */
  private readonly commands = new Map<string, AbortController>();
  private readonly files: SandboxFiles | null;
  private filling: Promise<void> | null = null;
  private stopping = false;

  constructor(
    private readonly runtime: SandboxRuntime | null,
    private readonly runtimeProblem: string | null,
    private readonly log: Logger,
    private readonly poolConfig: PoolConfig | null = null,
    private readonly networks: SandboxNetworks | null = null,
    private readonly images: PausedImages | null = null,
  ) {
    this.files = runtime ? new SandboxFiles(runtime) : null;
  }

  /** Told when a sandbox ends on its own (deadline); the channel passes it on to the control plane. */
  onStopped: (id: string, reason: 'expired' | 'idle' | 'memory_limit_exceeded' | 'failed') => void = () => undefined;

  /** (Re)starts the idle clock of a sandbox; it only runs while no command does. */
  private armIdle(id: string, s: Live): void {
    s.idle?.clear();
    s.idle = null;
    if (s.idleMs === null || s.running > 0) return;
    s.idle = longTimeout(() => {
      if (s.running === 0 && this.live.get(id) === s) void this.kill(id, 'idle');
    }, s.idleMs);
  }

  get count(): number {
    return this.live.size;
  }

  /** Whether sandboxes here may have a network (the enforcer is up). */
  get enforcesEgress(): boolean {
    return this.networks !== null;
  }

  get warm(): number {
    return this.pool.length;
  }

  private rt(): SandboxRuntime {
    if (!this.runtime) throw new Error(this.runtimeProblem ?? 'no sandbox runtime');
    return this.runtime;
  }

  /** Keeps the warm pool at its size, one sandbox at a time, in the background. */
  fillPool(): void {
    const cfg = this.poolConfig;
    if (!cfg || !this.runtime || this.filling || this.stopping) return;
    this.filling = (async () => {
      while (!this.stopping && this.pool.length < cfg.size) {
        const id = newSandboxId();
        try {
          // With egress on, pooled sandboxes have a network with nothing allowed until handed out.
          await this.start({ id, image: cfg.image, ...cfg.limits, env: {} }, this.networks ? DEFAULT_NETWORK : null, true);
          this.pool.push(id);
        } catch (error) {
          this.log.warn({ err: (error as Error).message }, 'could not fill the warm pool');
          break;
        }
      }
    })().finally(() => (this.filling = null));
  }

  /** Starts a runtime sandbox, with its network first when it has one; nothing is left if either fails. */
  private async start(spec: Parameters<SandboxRuntime['create']>[0], network: NetworkSpec | null, waitForServer = false): Promise<void> {
    const net = network && this.networks ? await this.networks.attach(spec.id, network) : undefined;
    try {
      await this.rt().create({ ...spec, ...(net ? { network: net } : {}) }, { waitForServer });
    } catch (error) {
      if (net) await this.networks?.detach(spec.id);
      throw error;
    }
  }

  async create(p: CreateParams): Promise<{ startedAt: string; startMs: number }> {
    this.rt();
    const t0 = performance.now();
    const cfg = this.poolConfig;
    const network = p.network ?? { mode: 'none' as const, allow: [] };
    const networked = network.mode !== 'none' && this.networks !== null;
    if (network.mode !== 'none' && !this.networks && (network.mode === 'open' || network.allow.length > 0)) {
      throw new RpcError('no_capacity', 'this host does not enforce egress allowlists (SBX_AGENT_EGRESS=off), so it runs no sandbox with a network');
    }
    let runtimeId: string | undefined;
    // Pooled sandboxes have a network exactly when egress is on here.
    if (cfg && networked === (this.networks !== null) && poolKey(p.image, p.limits) === poolKey(cfg.image, cfg.limits)) runtimeId = this.pool.shift();
    if (runtimeId) {
      if (networked) await this.networks?.apply(runtimeId, network);
      // The refill (a runsc start and its command server: CPU-heavy) yields a moment to the
      // first commands of the sandbox just handed out.
      setTimeout(() => this.fillPool(), POOL_REFILL_DELAY_MS).unref();
    } else {
      runtimeId = p.id;
      await this.start({ id: runtimeId, image: p.image, ...p.limits, env: p.env }, networked ? network : null);
    }
    const spec: SandboxSpec = { id: runtimeId, image: p.image, ...p.limits, env: p.env, ...(networked ? { network: this.networkOf(runtimeId) } : {}) };
    this.track(p.id, { spec, env: p.env, networked, idleMs: p.idleTimeoutSeconds ? p.idleTimeoutSeconds * 1000 : null }, p.timeoutSeconds);
    return { startedAt: new Date().toISOString(), startMs: performance.now() - t0 };
  }

  private networkOf(runtimeId: string): { netnsPath: string; nameserver: string } | undefined {
    return this.networks?.attached?.(runtimeId);
  }

  /** Starts the clocks of a sandbox that runs now (created or resumed). */
  private track(id: string, s: Pick<Live, 'spec' | 'env' | 'networked' | 'idleMs'>, timeoutSeconds: number): void {
    const deadline = longTimeout(() => void this.kill(id, 'expired'), timeoutSeconds * 1000);
    const live: Live = { ...s, runtimeId: s.spec.id, deadline, running: 0, idle: null };
    this.live.set(id, live);
    this.armIdle(id, live);
  }

  /** Pauses a sandbox into an encrypted image (see pause-resume.ts). */
  pause(id: string, keys: DataKeys): Promise<{ bytes: number; kek: { id: string; version: number }; networkRemoved: boolean }> {
    return pauseSandbox(this.pausing(), id, keys);
  }

  /** Resumes a paused sandbox from its encrypted image. */
  resume(id: string, timeoutSeconds: number, keys: DataKeys): Promise<{ resumeMs: number }> {
    return resumeSandbox(this.pausing(), id, timeoutSeconds, keys);
  }

  /** Moves a paused sandbox's data keys to the latest version of a KEK (headers only). */
  rewrap(id: string, kekId: string, keys: DataKeys): Promise<{ files: number; rewrapped: number; kek: { id: string; version: number } | null }> {
    const images = this.pausedImages();
    if (!images.has(id)) throw new RpcError('not_found', `sandbox ${id} has no checkpoint on this host`);
    return images.rewrap(id, kekId, keys);
  }

  /** What pausing and resuming need of the manager. */
  private pausing(): Pausing<Live> {
    return {
      runtime: this.rt(),
      images: this.pausedImages(),
      log: this.log,
      get: (id) => this.live.get(id),
      track: (id, s, timeoutSeconds) => this.track(id, s, timeoutSeconds),
      stopClocks: (id, s) => this.stopClocks(id, s),
      rulesOf: (runtimeId) => this.networks?.rulesOf?.(runtimeId),
      dropNetwork: (runtimeId) => this.dropNetwork(runtimeId),
    };
  }

  private pausedImages(): PausedImages {
    this.rt();
    if (!this.images) throw new RpcError('failed', 'this host keeps no paused sandboxes');
    return this.images;
  }

  private stopClocks(id: string, s: Live): void {
    s.deadline.clear();
    s.idle?.clear();
    this.live.delete(id);
  }

  /** Runs `work` as activity of sandbox `id`: its idle clock stands still meanwhile. */
  private async busy<T>(id: string, work: (runtimeId: string) => Promise<T>): Promise<T> {
    const sandbox = this.live.get(id);
    if (!sandbox) throw new RpcError('not_found', `sandbox ${id} is not running on this host`);
    sandbox.running += 1;
    this.armIdle(id, sandbox);
    try {
      return await work(sandbox.runtimeId);
    } finally {
      sandbox.running -= 1;
      this.armIdle(id, sandbox);
    }
  }

  /** Runs a command; `gate`, when given, lets the reader of its output hold it back (see ExecFlows). */
  async exec(p: ExecParams, emit: (stream: 'stdout' | 'stderr', data: Buffer) => void, gate?: OutputGate): Promise<ExecOutcome> {
    const env = { ...this.live.get(p.id)?.env, ...p.env };
    const abort = new AbortController();
    this.commands.set(p.execId, abort);
    try {
      return await this.busy(p.id, (runtimeId) =>
        this.rt().exec(runtimeId, {
          cmd: p.cmd,
          env,
          cwd: p.cwd,
          timeoutMs: p.timeoutMs,
          stdin: p.stdin,
          signal: abort.signal,
          gate,
          onStdout: (d) => emit('stdout', d),
          onStderr: (d) => emit('stderr', d),
        }),
      );
    } catch (error) {
      // A command that could not start (no such executable, a bad working directory) is the caller's to fix.
      if (error instanceof RuntimeError && error.code === 'exec_failed') throw new RpcError('invalid_argument', `the command could not start: ${error.message}`);
      throw error;
    } finally {
      this.commands.delete(p.execId);
    }
  }

  /** Kills one running command; false when it is not running (any more). */
  killCommand(execId: string): { killed: boolean } {
    const abort = this.commands.get(execId);
    abort?.abort();
    return { killed: abort !== undefined };
  }

  usage(id: string): SandboxUsage {
    const s = this.live.get(id);
    const u = s ? this.runtime?.usage(s.runtimeId) : null;
    if (!u) throw new RpcError('not_found', `sandbox ${id} is not running on this host`);
    return u;
  }

  private fs(): SandboxFiles {
    if (!this.files) throw new Error(this.runtimeProblem ?? 'no sandbox runtime');
    return this.files;
  }

  writeFile(id: string, path: string, source: PassThrough, aborted: () => string | null): Promise<FileDigest> {
    return this.busy(id, (rid) => this.fs().write(rid, path, source, aborted));
  }

  readFile(id: string, path: string, send: (chunk: Buffer) => Promise<void>, signal: AbortSignal): Promise<FileDigest> {
    return this.busy(id, (rid) => this.fs().read(rid, path, send, signal));
  }

  statFile(id: string, path: string): Promise<FileEntry> {
    return this.busy(id, (rid) => this.fs().stat(rid, path));
  }

  async listFiles(id: string, path: string): Promise<{ entries: FileEntry[] }> {
    return { entries: await this.busy(id, (rid) => this.fs().list(rid, path)) };
  }

  async removeFile(id: string, path: string, recursive: boolean): Promise<{ removed: boolean }> {
    return { removed: await this.busy(id, (rid) => this.fs().remove(rid, path, recursive)) };
  }

  async makeDirectory(id: string, path: string): Promise<{ created: boolean }> {
    return { created: await this.busy(id, (rid) => this.fs().mkdir(rid, path)) };
  }

  async kill(id: string, why: 'killed' | 'expired' | 'idle' | 'memory_limit_exceeded' | 'failed' = 'killed'): Promise<{ killed: boolean }> {
    const sandbox = this.live.get(id);
    if (!sandbox) {
      // A paused sandbox is its encrypted image (only sandboxes without a network are paused).
      if (!this.images?.has(id)) return { killed: false };
      this.images.remove(id);
      return { killed: true };
    }
    this.stopClocks(id, sandbox);
    await this.rt().destroy(sandbox.runtimeId);
    // Off the request path, like the runtime's own tear-down.
    if (sandbox.networked) void this.dropNetwork(sandbox.runtimeId);
    this.log.info({ sandbox: id, why }, 'sandbox stopped');
    if (why !== 'killed') this.onStopped(id, why);
    return { killed: true };
  }

  /**
   * Notices sandboxes that ended by themselves (the kernel's OOM killer takes a sandbox whole when it
   * passes its memory limit) and reports each, with the cgroup's verdict, to the control plane.
   */
  async sweep(): Promise<void> {
    if (!this.runtime) return;
    this.runtime.prune();
    const dead = new Set(await this.runtime.stopped());
    for (const [id, s] of this.live) {
      if (!dead.has(s.runtimeId)) continue;
      const oom = this.runtime.memoryLimitExceeded(s.runtimeId);
      await this.kill(id, oom ? 'memory_limit_exceeded' : 'failed');
    }
  }

  private async dropNetwork(runtimeId: string): Promise<void> {
    await this.networks?.detach(runtimeId).catch((err: unknown) => this.log.warn({ err, runtimeId }, 'could not remove a sandbox network'));
  }

  /** Replaces a running sandbox's egress rules, live. */
  async setNetwork(id: string, spec: NetworkSpec): Promise<{ applied: boolean }> {
    const sandbox = this.live.get(id);
    if (!sandbox) throw new RpcError('not_found', `sandbox ${id} is not running on this host`);
    if (!sandbox.networked) {
      if (spec.mode === 'none' || (spec.mode === 'allowlist' && spec.allow.length === 0)) return { applied: true };
      throw new RpcError('invalid_argument', `sandbox ${id} was started without a network; its rules cannot open one`);
    }
    if (spec.mode === 'none') throw new RpcError('invalid_argument', `sandbox ${id} has a network; allow nothing instead of mode none`);
    await this.networks?.apply(sandbox.runtimeId, spec);
    return { applied: true };
  }

  /** The control plane's id of the sandbox behind a runtime id (null: a pooled sandbox, or gone). */
  sandboxIdOf(runtimeId: string): string | null {
    for (const [id, s] of this.live) if (s.runtimeId === runtimeId) return id;
    return null;
  }

  async stopAll(): Promise<void> {
    this.stopping = true;
    // A pooled sandbox being started now must land in the pool before the pool is emptied.
    await this.filling;
    for (const id of [...this.live.keys()]) await this.kill(id);
    for (const id of this.pool.splice(0)) {
      await this.rt().destroy(id);
      await this.dropNetwork(id);
    }
    await this.runtime?.drain();
  }
}
