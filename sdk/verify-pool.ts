import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { EventsChecked } from '../lib/ledger/check-events';
import type { TreeInput, Verdict } from '../lib/ledger/log-verifier';

/** A task for a verification worker: a member of events.jsonl.gz, or the tree. */
export type VerifyTask =
  | { id: number; kind: 'member'; member: Uint8Array; first: number; lines: number }
  | { id: number; kind: 'tree'; input: Omit<TreeInput, 'leaves'> };

type Waiting = { task: VerifyTask; transfer: ArrayBuffer[]; resolve: (v: unknown) => void; reject: (e: Error) => void };

const here = fileURLToPath(import.meta.url);
const fromSource = path.extname(here) === '.ts';
const workerUrl = new URL(`./verify-worker${path.extname(here)}`, import.meta.url);

/** The TypeScript loader a worker registers before loading the verifier from source (null if there is none). */
function sourceLoader(): string | null {
  try {
    return import.meta.resolve('tsx/esm/api');
  } catch {
    return null;
  }
}

/** Whether worker threads can load the verifier here: compiled code always can, sources need the tsx loader. */
export function workersAvailable(): boolean {
  return !fromSource || sourceLoader() !== null;
}

/** Starts one worker; run from source, it first registers the loader (workers do not inherit it). */
function startWorker(workerData: unknown): Worker {
  const loader = fromSource ? sourceLoader() : null;
  if (!loader) return new Worker(workerUrl, { workerData });
  const boot = `import(${JSON.stringify(loader)}).then((m) => { m.register(); return import(${JSON.stringify(workerUrl.href)}); })`;
  return new Worker(boot, { eval: true, workerData });
}

/**
 * Worker threads sharing one copy of a bundle's leaves, taking tasks in turn. Checking a bundle is
 * two SHA-256 per event (its leaf and a tree node); spread over the machine's cores that is what
 * lets a million events verify in seconds.
 */
export class VerifyPool {
  private readonly workers: Worker[] = [];
  private readonly idle: Worker[] = [];
  private readonly queue: Waiting[] = [];
  private readonly running = new Map<Worker, Waiting>();
  private nextId = 1;
  private broken: Error | null = null;

  constructor(size: number, leaves: Uint8Array) {
    const shared = new SharedArrayBuffer(leaves.length);
    new Uint8Array(shared).set(leaves);
    for (let i = 0; i < size; i++) {
      const worker = startWorker({ leaves: shared });
      worker.on('message', (m: { result: unknown }) => this.done(worker, (w) => w.resolve(m.result)));
      worker.on('error', (error) => this.fail(error));
      worker.on('exit', (code) => code !== 0 && this.fail(new Error(`a verification worker stopped (exit code ${code})`)));
      this.workers.push(worker);
      this.idle.push(worker);
    }
  }

  /** Tasks not yet answered. */
  get pending(): number {
    return this.queue.length + this.running.size;
  }

  /** How many workers there are. */
  get size(): number {
    return this.workers.length;
  }

  /** Decompresses and checks one member of events.jsonl.gz whose first line is at `first`; its bytes move to the worker. */
  member(member: Uint8Array, first: number, lines: number): Promise<EventsChecked | 'unreadable'> {
    return this.submit({ id: this.nextId++, kind: 'member', member, first, lines }, [member.buffer as ArrayBuffer]) as Promise<EventsChecked | 'unreadable'>;
  }

  /** Checks the tree (leaves against checkpoints). */
  async tree(input: Omit<TreeInput, 'leaves'>): Promise<Verdict> {
    const v = (await this.submit({ id: this.nextId++, kind: 'tree', input }, [])) as Verdict;
    // A Buffer arrives as a plain Uint8Array.
    return v.ok ? { ...v, root: Buffer.from(v.root) } : v;
  }

  /** Stops every worker. */
  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
  }

  private submit(task: VerifyTask, transfer: ArrayBuffer[]): Promise<unknown> {
    if (this.broken) return Promise.reject(this.broken);
    return new Promise((resolve, reject) => {
      this.queue.push({ task, transfer, resolve, reject });
      this.pump();
    });
  }

  private pump(): void {
    for (let worker = this.idle.pop(); worker; worker = this.idle.pop()) {
      const next = this.queue.shift();
      if (!next) {
        this.idle.push(worker);
        return;
      }
      this.running.set(worker, next);
      worker.postMessage(next.task, next.transfer);
    }
  }

  private done(worker: Worker, settle: (w: Waiting) => void): void {
    const w = this.running.get(worker);
    this.running.delete(worker);
    this.idle.push(worker);
    if (w) settle(w);
    this.pump();
  }

  private fail(error: Error): void {
    this.broken ??= error;
    for (const w of [...this.running.values(), ...this.queue.splice(0)]) w.reject(error);
    this.running.clear();
  }
}
