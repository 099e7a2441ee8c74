import type { Logger } from 'pino';
import type { z } from 'zod';
import type { ExecOutcome, controlMethods } from '../../lib/wire/protocol';
import type { SandboxRuntime } from '../runtime/types';

type CreateParams = z.infer<(typeof controlMethods)['sandbox.create']['params']>;
type ExecParams = z.infer<(typeof controlMethods)['sandbox.exec']['params']>;

type Live = { id: string; deadline: NodeJS.Timeout; running: number };

/**
 * The agent's sandboxes: creates them on the runtime, runs commands with their output streamed
 * back, and ends each one at its deadline (never earlier). Without a runtime (runsc missing) every
 * request is refused with the reason; nothing runs without gVisor.
 */
export class SandboxManager {
  private readonly live = new Map<string, Live>();

  constructor(
    private readonly runtime: SandboxRuntime | null,
    private readonly runtimeProblem: string | null,
    private readonly log: Logger,
  ) {}

  /** Told when a sandbox ends on its own (deadline); the channel passes it on to the control plane. */
  onStopped: (id: string, reason: 'expired' | 'memory_limit_exceeded' | 'failed') => void = () => undefined;

  get count(): number {
    return this.live.size;
  }

  private rt(): SandboxRuntime {
    if (!this.runtime) throw new Error(this.runtimeProblem ?? 'no sandbox runtime');
    return this.runtime;
  }

  async create(p: CreateParams): Promise<{ startedAt: string; startMs: number }> {
    const rt = this.rt();
    const t0 = performance.now();
    await rt.create({ id: p.id, image: p.image, ...p.limits, env: p.env });
    const deadline = setTimeout(() => void this.kill(p.id, 'expired'), p.timeoutSeconds * 1000);
    deadline.unref();
    this.live.set(p.id, { id: p.id, deadline, running: 0 });
    return { startedAt: new Date().toISOString(), startMs: performance.now() - t0 };
  }

  async exec(p: ExecParams, emit: (stream: 'stdout' | 'stderr', data: Buffer) => void): Promise<ExecOutcome> {
    const sandbox = this.live.get(p.id);
    if (!sandbox) throw new Error(`sandbox ${p.id} is not running on this host`);
    sandbox.running += 1;
    try {
      return await this.rt().exec(p.id, {
        cmd: p.cmd,
        env: p.env,
        cwd: p.cwd,
        timeoutMs: p.timeoutMs,
        stdin: p.stdin,
        onStdout: (d) => emit('stdout', d),
        onStderr: (d) => emit('stderr', d),
      });
    } finally {
      sandbox.running -= 1;
    }
  }

  async kill(id: string, why: 'killed' | 'expired' = 'killed'): Promise<{ killed: boolean }> {
    const sandbox = this.live.get(id);
    if (!sandbox) return { killed: false };
    clearTimeout(sandbox.deadline);
    this.live.delete(id);
    await this.rt().destroy(id);
    this.log.info({ sandbox: id, why }, 'sandbox stopped');
    if (why === 'expired') this.onStopped(id, 'expired');
    return { killed: true };
  }

  async stopAll(): Promise<void> {
    for (const id of [...this.live.keys()]) await this.kill(id);
    await this.runtime?.drain();
  }
}
