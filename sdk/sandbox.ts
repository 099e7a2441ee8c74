import { z } from 'zod';
import { ExecEvent, SandboxView, type CreateSandboxBody } from '../lib/api/sandboxes';
import { ErrorCode } from '../lib/errors';
import { SbxClient, type ClientOptions } from './client';
import { sbxErrorFor } from './errors';
import { SandboxFiles } from './files';

/** Options of {@link Sandbox.create}; every limit has a default. */
export type CreateOptions = Partial<Pick<CreateSandboxBody, 'image' | 'cpus' | 'memoryMiB' | 'pids' | 'diskMiB' | 'timeoutSeconds' | 'env' | 'metadata'>>;

/** Options of {@link Sandbox.exec}. */
export type ExecOptions = {
  /** Called with each chunk of standard output as it arrives. */
  onStdout?: (chunk: string) => void;
  /** Called with each chunk of standard error as it arrives. */
  onStderr?: (chunk: string) => void;
  /** Kill the command after this many milliseconds (the result then has `timedOut`). */
  timeoutMs?: number;
  env?: Record<string, string>;
  cwd?: string;
  stdin?: string;
};

/** How a command ended, with all it printed. `exitCode` is null when a signal killed it. */
export type ExecResult = {
  exitCode: number | null;
  signal: string | null;
  timedOut: boolean;
  memoryLimitExceeded: boolean;
  stdout: string;
  stderr: string;
  durationMs: number;
};

const One = z.object({ sandbox: SandboxView });

/**
 * A gVisor sandbox on the appliance. Create one, run commands in it, kill it:
 *
 * ```ts
 * const sandbox = await Sandbox.create({ memoryMiB: 512 });
 * const { stdout } = await sandbox.exec(['python3', '-c', 'print(6*7)']);
 * await sandbox.kill();
 * ```
 */
export class Sandbox {
  /** The sandbox's files: write, read, list, remove, mkdir. */
  readonly files: SandboxFiles;

  private constructor(
    private readonly client: SbxClient,
    /** What the appliance said of the sandbox when this handle was made. */
    readonly info: SandboxView,
  ) {
    this.files = new SandboxFiles(client, info.id);
  }

  /** The sandbox's id (`sbx-...`). */
  get id(): string {
    return this.info.id;
  }

  /** Creates and starts a sandbox. Throws `UnavailableError` when no host has capacity. */
  static async create(opts: CreateOptions & ClientOptions = {}): Promise<Sandbox> {
    const { url, apiKey, caFile, ...body } = opts;
    const client = new SbxClient({ url, apiKey, caFile });
    const { sandbox } = await client.request('POST', '/sandboxes', One, body);
    return new Sandbox(client, sandbox);
  }

  /** A handle on an existing sandbox. Throws `NotFoundError` for an id you may not see. */
  static async connect(id: string, opts: ClientOptions = {}): Promise<Sandbox> {
    const client = new SbxClient(opts);
    const { sandbox } = await client.request('GET', `/sandboxes/${encodeURIComponent(id)}`, One);
    return new Sandbox(client, sandbox);
  }

  /** Your sandboxes (all of them for operators and admins), newest first. */
  static async list(opts: ClientOptions = {}): Promise<SandboxView[]> {
    const { sandboxes } = await new SbxClient(opts).request('GET', '/sandboxes', z.object({ sandboxes: z.array(SandboxView) }));
    return sandboxes;
  }

  /**
   * Runs a command (an argument list, or a string for `sh -c`) and resolves when it ends. Output
   * streams to the callbacks as it comes. A non-zero exit is a result, not an error.
   */
  async exec(cmd: string | string[], opts: ExecOptions = {}): Promise<ExecResult> {
    const argv = typeof cmd === 'string' ? ['sh', '-c', cmd] : cmd;
    let stdout = '';
    let stderr = '';
    let result: ExecResult | null = null;
    let failure: Error | null = null;
    await this.client.stream(
      'POST',
      `/sandboxes/${this.id}/exec`,
      { cmd: argv, env: opts.env, cwd: opts.cwd, timeoutMs: opts.timeoutMs, stdin: opts.stdin },
      (line) => {
        const e = ExecEvent.parse(JSON.parse(line));
        if (e.type === 'stdout' || e.type === 'stderr') {
          const text = Buffer.from(e.data, 'base64').toString('utf8');
          if (e.type === 'stdout') {
            stdout += text;
            opts.onStdout?.(text);
          } else {
            stderr += text;
            opts.onStderr?.(text);
          }
        } else if (e.type === 'exit') {
          result = { exitCode: e.exitCode, signal: e.signal, timedOut: e.timedOut, memoryLimitExceeded: e.memoryLimitExceeded, durationMs: e.durationMs, stdout, stderr };
        } else {
          const code = ErrorCode.safeParse(e.error.code);
          failure = sbxErrorFor(code.success ? code.data : 'internal', e.error.message, 200);
        }
      },
    );
    if (failure) throw failure;
    if (!result) throw sbxErrorFor('internal', 'the command ended without an exit status', 200);
    return result;
  }

  /** Kills the sandbox now; it is kept, stopped, for the record. */
  async kill(): Promise<void> {
    await this.client.request('DELETE', `/sandboxes/${this.id}`, One);
  }
}
