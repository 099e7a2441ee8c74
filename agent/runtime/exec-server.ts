import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { SIGNAL_NAMES } from './signals';
import { RuntimeError, type ExecResult, type ExecSpec } from './types';

const SCRIPT = fs.readFileSync(path.join(import.meta.dirname, 'exec-server.py'), 'utf8');

/** Ids the agent gives commands (a counter): anything else did not come from a command of ours. */
const RunId = z.string().regex(/^[0-9]{1,15}$/);
/** One output event carries at most 64 KiB (base64); error messages are cut at 4000 characters. */
const Base64Chunk = z.string().max(Math.ceil(65_536 / 3) * 4).regex(/^[A-Za-z0-9+/]*={0,2}$/);
/** A line longer than this is no event of the command server's: the sandbox is writing to us. */
export const MAX_LINE_BYTES = 128 * 1024;

const Event = z.union([
  z.strictObject({ ev: z.literal('ready') }),
  z.strictObject({ id: RunId, ev: z.literal('out'), fd: z.union([z.literal(1), z.literal(2)]), data: Base64Chunk }),
  z.strictObject({ id: RunId, ev: z.literal('exit'), code: z.number().int().min(0).max(255) }),
  z.strictObject({ id: RunId, ev: z.literal('exit'), signal: z.number().int().min(1).max(64) }),
  z.strictObject({ id: RunId, ev: z.literal('error'), message: z.string().max(4096) }),
]);
type Event = z.infer<typeof Event>;

type Run = { spec: ExecSpec; resolve: (r: { exitCode: number | null; signal: string | null }) => void; reject: (e: Error) => void };

export type ExecServerOptions = {
  runsc: string;
  /** runsc's global flags and `exec`. */
  runscArgs: string[];
  user: string;
  sandboxId: string;
  /** Told when the server broke the protocol and was ended (the sandbox's doing, never the agent's end). */
  onFault?: (reason: string) => void;
};

/**
 * The agent's end of a sandbox's command server (exec-server.py, run once per sandbox with `runsc
 * exec` as the sandbox user): commands are started over its stdin and their output and exit come
 * back on its stdout. A command then costs a fork inside gVisor, not a `runsc exec`. When the
 * server is not (yet, or any more) there, the runtime falls back to `runsc exec`.
 *
 * The server runs as the sandbox's user, so what it sends is untrusted input: every line is
 * bounded, parsed with a strict schema and must name a command of ours; the first one that is not
 * ends the server (its commands are reported killed, later ones go by `runsc exec`). Nothing a
 * sandbox writes here can throw in the agent.
 */
export class ExecServer {
  private readonly child: ChildProcessWithoutNullStreams;
  private readonly runs = new Map<string, Run>();
  private next = 0;
  private buffer = '';
  private ready_ = false;
  private alive = true;
  /** Resolves when the server is ready (true) or gone before it was (false). */
  readonly ready: Promise<boolean>;

  private readonly markReady: (ok: boolean) => void;

  constructor(private readonly opts: ExecServerOptions) {
    this.child = spawn(opts.runsc, [...opts.runscArgs, '--user', opts.user, '--cwd', '/', opts.sandboxId, 'python3', '-u', '-c', SCRIPT], { stdio: ['pipe', 'pipe', 'pipe'] });
    let markReady: (ok: boolean) => void = () => undefined;
    this.ready = new Promise((resolve) => (markReady = resolve));
    this.markReady = markReady;
    this.child.stdout.setEncoding('utf8');
    this.child.stdout.on('data', (text: string) => {
      try {
        this.receive(text);
      } catch (error) {
        this.fault(`its output could not be handled: ${(error as Error).message}`);
      }
    });
    this.child.stderr.resume();
    this.child.stdin.on('error', () => undefined);
    this.child.on('close', () => {
      this.alive = false;
      markReady(false);
      // The server went (the sandbox ended, or its user killed it): its commands went with it.
      for (const r of this.runs.values()) r.resolve({ exitCode: null, signal: 'SIGKILL' });
      this.runs.clear();
    });
  }

  /** Whether the server is still starting (neither ready nor gone). */
  get starting(): boolean {
    return !this.ready_ && this.alive;
  }

  /** Whether this command can go through the server: it is up, the user is its user, stdin is given whole. */
  usable(spec: ExecSpec, defaultUser: string): boolean {
    return this.ready_ && this.alive && (spec.user ?? defaultUser) === defaultUser && typeof spec.stdin !== 'object' && !spec.stdoutSink;
  }

  /** Takes what the server wrote: whole lines, each an event; anything else ends the server. */
  private receive(text: string): void {
    if (!this.alive) return;
    this.buffer += text;
    let nl: number;
    while (this.alive && (nl = this.buffer.indexOf('\n')) >= 0) {
      const line = this.buffer.slice(0, nl);
      this.buffer = this.buffer.slice(nl + 1);
      if (line.length > MAX_LINE_BYTES) return this.fault(`it sent a line of ${line.length} bytes (at most ${MAX_LINE_BYTES})`);
      let json: unknown;
      try {
        json = JSON.parse(line);
      } catch {
        return this.fault('it sent a line that is not JSON');
      }
      const e = Event.safeParse(json);
      if (!e.success) return this.fault(`it sent an event the protocol does not have (${e.error.issues[0]?.path.join('.') || 'event'}: ${e.error.issues[0]?.message ?? 'invalid'})`);
      if (e.data.ev === 'ready') {
        if (this.ready_) return this.fault('it said ready twice');
        this.ready_ = true;
        this.markReady(true);
      } else this.handle(e.data);
    }
    if (this.buffer.length > MAX_LINE_BYTES) this.fault(`it sent more than ${MAX_LINE_BYTES} bytes without a line break`);
  }

  /** The server broke the protocol: it is ended (its commands reported killed) and not used again. */
  private fault(reason: string): void {
    if (!this.alive) return;
    this.buffer = '';
    this.close();
    this.opts.onFault?.(reason);
  }

  private handle(e: Exclude<Event, { ev: 'ready' }>): void {
    const run = this.runs.get(e.id);
    // An event for a command that ended already (its kill raced its exit) changes nothing.
    if (!run) return;
    if (e.ev === 'out') (e.fd === 1 ? run.spec.onStdout : run.spec.onStderr)?.(Buffer.from(e.data, 'base64'));
    else if (e.ev === 'exit') {
      this.runs.delete(e.id);
      run.resolve('signal' in e ? { exitCode: null, signal: SIGNAL_NAMES[e.signal] ?? `SIG${e.signal}` } : { exitCode: e.code, signal: null });
    } else if (e.ev === 'error') {
      this.runs.delete(e.id);
      run.reject(new RuntimeError('exec_failed', e.message));
    }
  }

  private send(msg: object): void {
    if (this.alive) this.child.stdin.write(`${JSON.stringify(msg)}\n`);
  }

  /** Runs a command; the caller checked `usable`. Timeout and abort kill its whole session. */
  exec(spec: ExecSpec, memoryLimitExceeded: () => boolean): Promise<ExecResult> {
    const started = performance.now();
    const id = String(++this.next);
    return new Promise<ExecResult>((resolve, reject) => {
      if (!this.alive) return reject(new RuntimeError('exec_failed', "the sandbox's command server is gone"));
      let timedOut = false;
      const kill = () => this.send({ op: 'kill', id });
      const timer = spec.timeoutMs === undefined ? null : setTimeout(() => ((timedOut = true), kill()), spec.timeoutMs);
      spec.signal?.addEventListener('abort', kill, { once: true });
      const unwatch = spec.gate?.watch((shut) => this.send({ op: shut ? 'pause' : 'resume', id }));
      const done = () => {
        if (timer) clearTimeout(timer);
        spec.signal?.removeEventListener('abort', kill);
        unwatch?.();
      };
      this.runs.set(id, {
        spec,
        resolve: (r) => {
          done();
          resolve({ ...r, timedOut, memoryLimitExceeded: memoryLimitExceeded(), durationMs: performance.now() - started });
        },
        reject: (err) => {
          done();
          reject(err);
        },
      });
      const stdin = typeof spec.stdin === 'string' && spec.stdin.length > 0 ? Buffer.from(spec.stdin).toString('base64') : null;
      this.send({ op: 'run', id, argv: spec.cmd, env: spec.env ?? {}, cwd: spec.cwd ?? null, stdin });
      if (spec.gate?.shut) this.send({ op: 'pause', id });
      if (spec.signal?.aborted) kill();
    });
  }

  close(): void {
    this.alive = false;
    this.child.kill('SIGKILL');
  }

  /** Ends the server as it would end itself (end of its input), killed if it takes too long. */
  async shutdown(): Promise<void> {
    this.alive = false;
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const closed = new Promise<void>((resolve) => this.child.once('close', () => resolve()));
    this.child.stdin.end();
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 5000);
    await closed;
    clearTimeout(timer);
  }
}
