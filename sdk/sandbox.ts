import { z } from 'zod';
import { NetworkSpec } from '../lib/api/network';
import { CommandView, SandboxView, type CreateSandboxBody } from '../lib/api/sandboxes';
import { SbxClient, type ClientOptions } from './client';
import { CommandHandle, followCommand, type ExecResult, type OutputCallbacks } from './command';
import { SandboxFiles } from './files';

/**
 * A sandbox's network: `{ mode: 'none' }` (no interface), `{ allow: [...] }` (the default mode,
 * `allowlist`: domains such as `pypi.org` or `*.pythonhosted.org` and IPv4 CIDRs, each with its
 * TCP ports, 443 unless given), or `{ mode: 'open' }` where an admin allows it.
 */
export type NetworkOptions = z.input<typeof NetworkSpec>;

/** Options of {@link Sandbox.create}; every limit has a default. */
export type CreateOptions = Partial<Pick<CreateSandboxBody, 'image' | 'cpus' | 'memoryMiB' | 'pids' | 'diskMiB' | 'timeoutSeconds' | 'idleTimeoutSeconds' | 'hostLabels' | 'env' | 'metadata' | 'kek'>> & {
  /** Egress: nothing by default (an empty allowlist). */
  network?: NetworkOptions;
};

/** Options of {@link Sandbox.exec}. */
export type ExecOptions = OutputCallbacks & {
  /** Kill the command after this many milliseconds (`CommandTimeoutError`). */
  timeoutMs?: number;
  env?: Record<string, string>;
  cwd?: string;
  stdin?: string;
  /** Start the command and resolve at once with a handle to wait for it or kill it. */
  background?: boolean;
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
   * Runs a command (an argument list, or a string for `sh -c`) and resolves when it ends, with its
   * exit code and all it printed. Output streams to the callbacks as it comes. A non-zero exit is a
   * result, not an error; a timeout throws `CommandTimeoutError`. With `{ background: true }` it
   * resolves at once with a {@link CommandHandle}.
   */
  exec(cmd: string | string[], opts: ExecOptions & { background: true }): Promise<CommandHandle>;
  exec(cmd: string | string[], opts?: ExecOptions & { background?: false }): Promise<ExecResult>;
  async exec(cmd: string | string[], opts: ExecOptions = {}): Promise<ExecResult | CommandHandle> {
    const argv = typeof cmd === 'string' ? ['sh', '-c', cmd] : cmd;
    const body = { cmd: argv, env: opts.env, cwd: opts.cwd, timeoutMs: opts.timeoutMs, stdin: opts.stdin };
    if (opts.background) {
      const { command } = await this.client.request('POST', `/sandboxes/${this.id}/exec`, z.object({ command: CommandView }), { ...body, background: true });
      return new CommandHandle(this.client, command);
    }
    return followCommand(this.client, `/sandboxes/${this.id}/exec`, body, opts);
  }

  /** The sandbox's command history, newest first (command lines and exit codes, never output). */
  async commands(): Promise<CommandView[]> {
    return (await this.client.request('GET', `/sandboxes/${this.id}/commands`, z.object({ commands: z.array(CommandView) }))).commands;
  }

  /** A handle on a command of this sandbox (e.g. a background command started elsewhere). */
  async command(commandId: string): Promise<CommandHandle> {
    const { command } = await this.client.request('GET', `/sandboxes/${this.id}/commands/${encodeURIComponent(commandId)}`, z.object({ command: CommandView }));
    return new CommandHandle(this.client, command);
  }

  /**
   * Replaces the sandbox's egress rules while it runs; they apply at once (connections already
   * open go on). Resolves with what the appliance now holds.
   */
  async setNetwork(network: NetworkOptions): Promise<SandboxView> {
    return (await this.client.request('PUT', `/sandboxes/${this.id}/network`, One, network)).sandbox;
  }

  /** The sandbox as the appliance holds it now (state, limits, deadline); `info` is as it was when the handle was made. */
  async refresh(): Promise<SandboxView> {
    return (await this.client.request('GET', `/sandboxes/${this.id}`, One)).sandbox;
  }

  /**
   * Pauses the sandbox: its host checkpoints files, memory and processes into an image encrypted
   * with a key of the appliance, and frees it; its time stands still until `resume()`.
   */
  async pause(): Promise<SandboxView> {
    return (await this.client.request('POST', `/sandboxes/${this.id}/pause`, One)).sandbox;
  }

  /** Resumes a paused sandbox with its files and running processes as they were. */
  async resume(): Promise<SandboxView> {
    return (await this.client.request('POST', `/sandboxes/${this.id}/resume`, One)).sandbox;
  }

  /** Kills the sandbox now; it is kept, stopped, for the record. */
  async kill(): Promise<void> {
    await this.client.request('DELETE', `/sandboxes/${this.id}`, One);
  }
}
