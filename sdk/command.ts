import { StringDecoder } from 'node:string_decoder';
import { z } from 'zod';
import { CommandView, ExecEvent } from '../lib/api/sandboxes';
import { ErrorCode } from '../lib/errors';
import type { SbxClient } from './client';
import { CommandTimeoutError, MemoryLimitExceededError, sbxErrorFor } from './errors';

/** Output callbacks of a command. */
export type OutputCallbacks = {
  /** Called with each chunk of standard output as it arrives. */
  onStdout?: (chunk: string) => void;
  /** Called with each chunk of standard error as it arrives. */
  onStderr?: (chunk: string) => void;
};

/** How a command ended, with all it printed. `exitCode` is null when a signal killed it. */
export type ExecResult = {
  /** The command's id in the sandbox's history. */
  commandId: string;
  exitCode: number | null;
  signal: string | null;
  timedOut: boolean;
  memoryLimitExceeded: boolean;
  stdout: string;
  stderr: string;
  durationMs: number;
};

/**
 * Reads an exec stream (NDJSON events) to its end. A command killed at its timeout is thrown as
 * `CommandTimeoutError`, one ended by the sandbox's memory limit as `MemoryLimitExceededError`
 * (both carry the result so far); any other exit, zero or not, is a result.
 */
export async function followCommand(client: SbxClient, apiPath: string, body: unknown, cb: OutputCallbacks): Promise<ExecResult> {
  const out = { stdout: new StringDecoder('utf8'), stderr: new StringDecoder('utf8') };
  const text = { stdout: '', stderr: '' };
  let commandId = '';
  let result: ExecResult | null = null;
  let failure: Error | null = null;
  await client.stream('POST', apiPath, body, (line) => {
    const e = ExecEvent.parse(JSON.parse(line));
    if (e.type === 'start') commandId = e.commandId;
    else if (e.type === 'stdout' || e.type === 'stderr') {
      const chunk = out[e.type].write(Buffer.from(e.data, 'base64'));
      text[e.type] += chunk;
      if (chunk) (e.type === 'stdout' ? cb.onStdout : cb.onStderr)?.(chunk);
    } else if (e.type === 'exit') {
      const { type: _type, ...outcome } = e;
      result = { commandId, ...outcome, stdout: text.stdout + out.stdout.end(), stderr: text.stderr + out.stderr.end() };
    } else if (e.type === 'error') {
      const code = ErrorCode.safeParse(e.error.code);
      failure = sbxErrorFor(code.success ? code.data : 'internal', e.error.message, 200);
    }
  });
  if (failure) throw failure;
  const r = result as ExecResult | null;
  if (!r) throw sbxErrorFor('internal', 'the command ended without an exit status', 200);
  if (r.timedOut) throw new CommandTimeoutError(`Command ${r.commandId} was killed at its timeout after ${Math.round(r.durationMs)} ms.`, r);
  if (r.memoryLimitExceeded) throw new MemoryLimitExceededError('memory_limit_exceeded', `Command ${r.commandId} ended: the sandbox passed its memory limit and was stopped.`, 409, undefined, undefined);
  return r;
}

/** A command started with `{ background: true }`: wait for it, or kill it, later. */
export class CommandHandle {
  /** @internal */
  constructor(
    private readonly client: SbxClient,
    /** The command as the appliance recorded it when it started. */
    readonly info: CommandView,
  ) {}

  get id(): string {
    return this.info.id;
  }

  private base(): string {
    return `/sandboxes/${encodeURIComponent(this.info.sandboxId)}/commands/${encodeURIComponent(this.info.id)}`;
  }

  /**
   * Resolves when the command ends. Output printed so far (the last MiB of it) is replayed to the
   * callbacks first, then output as it comes.
   */
  wait(cb: OutputCallbacks = {}): Promise<ExecResult> {
    return followCommand(this.client, `${this.base()}/wait`, {}, cb);
  }

  /** Kills the command (the sandbox goes on); resolves with its recorded state. */
  async kill(): Promise<CommandView> {
    return (await this.client.request('POST', `${this.base()}/kill`, z.object({ command: CommandView }), {})).command;
  }
}
