import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { SIGNAL_NAMES } from './signals';
import { RuntimeError, type ExecResult, type ExecSpec } from './types';

const SCRIPT = fs.readFileSync(path.join(import.meta.dirname, 'exec-server.py'), 'utf8');

const Event = z.union([
  z.object({ ev: z.literal('ready') }),
  z.object({ id: z.string(), ev: z.literal('out'), fd: z.union([z.literal(1), z.literal(2)]), data: z.string() }),
  z.object({ id: z.string(), ev: z.literal('exit'), code: z.number().optional(), signal: z.number().optional() }),
  z.object({ id: z.string(), ev: z.literal('error'), message: z.string() }),
]);

type Run = { spec: ExecSpec; resolve: (r: { exitCode: number | null; signal: string | null }) => void; reject: (e: Error) => void };

/**
 * The agent's end of a sandbox's command server (exec-server.py, run once per sandbox with `runsc
 * exec` as the sandbox user): commands are started over its stdin and their output and exit come
 * back on its stdout. A command then costs a fork inside gVisor, not a `runsc exec`. When the
 * server is not (yet, or any more) there, the runtime falls back to `runsc exec`.
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

  constructor(runscArgs: string[], runsc: string, user: string, sandboxId: string) {
    this.child = spawn(runsc, [...runscArgs, '--user', user, '--cwd', '/', sandboxId, 'python3', '-u', '-c', SCRIPT], { stdio: ['pipe', 'pipe', 'pipe'] });
    let markReady: (ok: boolean) => void = () => undefined;
    this.ready = new Promise((resolve) => (markReady = resolve));
    this.child.stdout.setEncoding('utf8');
    this.child.stdout.on('data', (text: string) => {
      this.buffer += text;
      let nl: number;
      while ((nl = this.buffer.indexOf('\n')) >= 0) {
        const line = this.buffer.slice(0, nl);
        this.buffer = this.buffer.slice(nl + 1);
        const e = Event.safeParse(JSON.parse(line));
        if (!e.success) continue;
        if (e.data.ev === 'ready') {
          this.ready_ = true;
          markReady(true);
        } else this.handle(e.data);
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

  private handle(e: Exclude<z.infer<typeof Event>, { ev: 'ready' }>): void {
    const run = this.runs.get(e.id);
    if (!run) return;
    if (e.ev === 'out') (e.fd === 1 ? run.spec.onStdout : run.spec.onStderr)?.(Buffer.from(e.data, 'base64'));
    else if (e.ev === 'exit') {
      this.runs.delete(e.id);
      run.resolve(e.signal !== undefined ? { exitCode: null, signal: SIGNAL_NAMES[e.signal] ?? `SIG${e.signal}` } : { exitCode: e.code ?? null, signal: null });
    } else if (e.ev === 'error') {
      this.runs.delete(e.id);
      run.reject(new RuntimeError('exec_failed', e.message));
    }
  }

  private send(msg: object): void {
    this.child.stdin.write(`${JSON.stringify(msg)}\n`);
  }

  /** Runs a command; the caller checked `usable`. Timeout and abort kill its whole session. */
  exec(spec: ExecSpec, memoryLimitExceeded: () => boolean): Promise<ExecResult> {
    const started = performance.now();
    const id = String(++this.next);
    return new Promise<ExecResult>((resolve, reject) => {
      let timedOut = false;
      const kill = () => this.send({ op: 'kill', id });
      const timer = spec.timeoutMs === undefined ? null : setTimeout(() => ((timedOut = true), kill()), spec.timeoutMs);
      spec.signal?.addEventListener('abort', kill, { once: true });
      const done = () => {
        if (timer) clearTimeout(timer);
        spec.signal?.removeEventListener('abort', kill);
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
