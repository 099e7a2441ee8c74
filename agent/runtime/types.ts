import type { SandboxUsage } from '../../lib/wire/protocol';
import type { OutputGate } from './output-gate';

/** What a sandbox is made with. Limits are enforced by the cgroup (memory, pids, CPU) and tmpfs sizes. */
export type SandboxSpec = {
  id: string;
  image: string;
  cpus: number;
  memoryMiB: number;
  pids: number;
  diskMiB: number;
  env: Record<string, string>;
  /** Its network namespace (made by the network enforcer) and the resolv.conf naming its resolver; none: no interface at all. */
  network?: { netnsPath: string; nameserver: string };
  /**
   * Without a network now, the resolver of the one it had when checkpointed: a restore needs the
   * mounts of the checkpoint, resolv.conf included (nothing answers there any more).
   */
  formerNameserver?: string;
};

export type ExecSpec = {
  cmd: string[];
  env?: Record<string, string>;
  cwd?: string;
  /** `uid:gid`; the sandbox's unprivileged user (1000:1000) by default. */
  user?: string;
  timeoutMs?: number;
  stdin?: NodeJS.ReadableStream | string;
  onStdout?: (chunk: Buffer) => void;
  onStderr?: (chunk: Buffer) => void;
  /** Standard output is piped here instead (with backpressure); the sink is ended with it. */
  stdoutSink?: NodeJS.WritableStream;
  /** Aborting kills the command inside the sandbox (the sandbox goes on). */
  signal?: AbortSignal;
  /** While shut, the command's output is not read (it waits): backpressure from its reader. */
  gate?: OutputGate;
};

/**
 * How a command ended: its exact exit code, or the signal that killed it; `timedOut` when the
 * runtime killed it at its deadline; `memoryLimitExceeded` when the sandbox's cgroup ran out.
 */
export type ExecResult = {
  exitCode: number | null;
  signal: string | null;
  timedOut: boolean;
  memoryLimitExceeded: boolean;
  durationMs: number;
};

/** A failure of the runtime itself (runsc missing, a command that could not start), never a command's exit. */
export class RuntimeError extends Error {
  constructor(
    readonly code: 'runtime_missing' | 'not_found' | 'start_failed' | 'exec_failed' | 'pause_failed' | 'resume_failed',
    message: string,
  ) {
    super(message);
    this.name = 'RuntimeError';
  }
}

/** The sandbox runtime the agent drives; runsc (gVisor) is the only implementation for real work. */
export interface SandboxRuntime {
  create(spec: SandboxSpec, opts?: { waitForServer?: boolean }): Promise<void>;
  exec(id: string, spec: ExecSpec): Promise<ExecResult>;
  /** Stops a sandbox at once; its tear-down (state, cgroups, bundle) finishes in the background. */
  destroy(id: string): Promise<void>;
  list(): Promise<string[]>;
  /** The ids of sandboxes whose processes are no longer running (killed whole, e.g. out of memory). */
  stopped(): Promise<string[]>;
  /** What the sandbox uses now (cgroup counters); null when it has no cgroup (gone). */
  usage(id: string): SandboxUsage | null;
  /** Whether the sandbox's cgroup recorded an out-of-memory kill. */
  memoryLimitExceeded(id: string): boolean;
  /** Removes what a crash left behind; returns the ids it cleaned. */
  reconcile(keep: ReadonlySet<string>): Promise<string[]>;
  /** Removes per-sandbox files the runtime left behind for sandboxes that are gone. */
  prune(): void;
  /** Resolves once every pending tear-down has finished. */
  drain(): Promise<void>;
  /** Checkpoints a sandbox into a directory (plaintext: give it one in memory) and stops it. */
  checkpoint(id: string, imageDir: string): Promise<void>;
  /** Starts a checkpointed sandbox again from its image, files and processes as they were. */
  restore(spec: SandboxSpec, imageDir: string): Promise<void>;
}
