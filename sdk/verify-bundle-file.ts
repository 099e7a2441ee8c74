import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import { pipeline } from 'node:stream/promises';
import zlib from 'node:zlib';
import tar from 'tar-stream';
import { BUNDLE_FILES, BUNDLE_ORDER } from '../lib/ledger/bundle';
import { checkEvents } from '../lib/ledger/check-events';
import { MEMBER_HEADER, memberHead } from '../lib/ledger/event-members';
import { BundleVerifier, type BundleVerdict } from '../lib/ledger/verify-bundle';
import { VerifyPool, workersAvailable } from './verify-pool';

/** Below this many events a bundle is checked on this thread: starting workers would cost more. */
const WORKERS_FROM = 50_000;
/** Members handed out and not yet answered, per worker, before reading waits. */
const IN_FLIGHT = 3;

const SMALL = new Set<string>([BUNDLE_FILES.manifest, BUNDLE_FILES.manifestSignature, BUNDLE_FILES.keys, BUNDLE_FILES.checkpoints, BUNDLE_FILES.proofs, BUNDLE_FILES.leaves]);

type Lines = { write: (chunk: Buffer) => boolean; drained: (go: () => void) => void; end: (done: () => void) => void };

/**
 * Verifies an evidence bundle file offline (no network, no database), reading it once. A large
 * bundle's events and tree are checked by worker threads, one per core; the verdict is the same.
 *
 * @param options.keys verifier keys to trust (`name+id+base64`); without them the bundle's own keys
 *   are used and the verdict says so (`trust: 'bundle'`): compare them with the console's
 * @param options.earlier a checkpoint (signed note) seen before: the ledger must extend it
 * @param options.workers worker threads to use (0: none); by default one per core for a large bundle
 */
export async function verifyBundleFile(file: string, options: { keys?: string[]; earlier?: string; workers?: number } = {}): Promise<BundleVerdict> {
  const verifier = new BundleVerifier({ pinned: options.keys, earlier: options.earlier });
  const extract = tar.extract();
  const unexpected: string[] = [];
  let pool = null as VerifyPool | null;
  let tree: Promise<void> = Promise.resolve();
  let workerError = null as Error | null;
  extract.on('entry', (header, stream, next) => {
    const name = header.name;
    const hash = createHash('sha256');
    let bytes = 0;
    const chunks: Buffer[] = [];
    if (!(BUNDLE_ORDER as readonly string[]).includes(name)) unexpected.push(name);
    let lines: Lines | null = null;
    if (name === BUNDLE_FILES.events) {
      // Every file before the events is read by now: the leaves, checkpoints and keys the checks need.
      const input = verifier.treeInput();
      const workers = options.workers ?? (workersAvailable() && (verifier.manifestEvents ?? 0) >= WORKERS_FROM ? os.availableParallelism() : 0);
      if (input && workers > 0) {
        const p = (pool = new VerifyPool(workers, input.leaves));
        const { leaves: _, ...rest } = input;
        tree = p.tree(rest).then(
          (v) => verifier.treeChecked(v),
          (error: unknown) => void (workerError ??= error as Error),
        );
      }
      lines = eventStream(verifier, pool, (error) => (workerError ??= error));
    }
    stream.on('data', (data: unknown) => {
      const chunk = data as Buffer;
      hash.update(chunk);
      bytes += chunk.length;
      if (SMALL.has(name)) chunks.push(chunk);
      // Backpressure: the tar waits while the decompressor or the workers are behind.
      if (lines && !lines.write(chunk)) {
        stream.pause();
        lines.drained(() => stream.resume());
      }
    });
    stream.on('end', () => {
      if (SMALL.has(name)) verifier.file(name, Buffer.concat(chunks));
      verifier.digest(name, hash.digest('hex'), bytes);
      if (!lines) return next();
      lines.end(() => next());
    });
    stream.on('error', next);
  });
  try {
    await pipeline(fs.createReadStream(file, { highWaterMark: 1 << 20 }), extract);
    await tree;
  } catch (error) {
    const verdict = verifier.finish();
    return { ...verdict, ok: false, problems: [`the bundle cannot be read as a tar: ${(error as Error).message}`, ...verdict.problems] };
  } finally {
    await pool?.close();
  }
  // Not a verdict on the bundle: the check itself could not run.
  if (workerError) throw new Error(`the bundle could not be checked: ${workerError.message}`);
  const verdict = verifier.finish();
  if (unexpected.length === 0) return verdict;
  return { ...verdict, ok: false, problems: [...verdict.problems, `files not in a bundle: ${unexpected.join(', ')}`] };
}

/**
 * Takes events.jsonl.gz as it is read. With workers, each whole member (lib/ledger/event-members)
 * goes to one of them with its first position, counted here from the members' headers; bytes that
 * are not such members (an older or re-packed bundle, a cut-off member) are decompressed and checked
 * here, as a stream. Results are taken in the order of the log.
 */
function eventStream(verifier: BundleVerifier, pool: VerifyPool | null, broken: (error: Error) => void): Lines {
  let position = verifier.firstEvent;
  let results: Promise<void> = Promise.resolve();
  let gunzip: zlib.Gunzip | null = null;
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  // Bytes the next step needs: a member's header, then the whole member.
  let need = MEMBER_HEADER;
  let waiting: (() => void) | null = null;
  const busy = () => pool !== null && pool.pending >= IN_FLIGHT * pool.size;
  const inOrder = (work: () => void | Promise<void>) => {
    results = results.then(work).catch((error: unknown) => broken(error as Error));
  };
  const checkHere = (lines: Buffer) => {
    if (position === 0) return;
    const r = checkEvents(lines, position, verifier.leafBytes);
    position += r.lines;
    inOrder(() => verifier.eventsChecked(r));
  };
  const toWorker = (p: VerifyPool, member: Uint8Array, lines: number) => {
    const checked = p.member(member, position, lines);
    position += lines;
    inOrder(async () => {
      const r = await checked;
      if (r === 'unreadable') verifier.unreadable(BUNDLE_FILES.events);
      else verifier.eventsChecked(r);
      if (waiting && !busy()) {
        const go = waiting;
        waiting = null;
        go();
      }
    });
  };
  const streamHere = (): zlib.Gunzip => {
    // Big output chunks: inflating runs on the thread pool, so fewer, larger hand-overs keep the threads busy.
    const g = zlib.createGunzip({ chunkSize: 1 << 20 });
    let rest = Buffer.alloc(0);
    g.on('data', (data: Buffer) => {
      // Lines may straddle chunks: keep the unfinished tail for the next one.
      const buf = rest.length > 0 ? Buffer.concat([rest, data]) : data;
      const nl = buf.lastIndexOf(10);
      rest = Buffer.from(buf.subarray(nl + 1));
      if (nl >= 0) checkHere(buf.subarray(0, nl + 1));
    });
    g.on('end', () => rest.length > 0 && checkHere(rest));
    g.on('error', () => inOrder(() => verifier.unreadable(BUNDLE_FILES.events)));
    return g;
  };
  /** Hands out every whole member at the front of what was read; false once the bytes are not members. */
  const members = (p: VerifyPool): boolean => {
    let buf = pending.length === 1 ? (pending[0] as Buffer) : Buffer.concat(pending);
    let at = 0;
    for (need = MEMBER_HEADER; buf.length - at >= need; need = MEMBER_HEADER) {
      const head = memberHead(buf, at);
      if (!head) {
        pending = [buf.subarray(at)];
        return false;
      }
      need = head.bytes;
      if (buf.length - at < head.bytes) break;
      // The member moves to the worker: it gets bytes of its own.
      toWorker(p, new Uint8Array(buf.subarray(at, at + head.bytes)), head.lines);
      at += head.bytes;
    }
    buf = buf.subarray(at);
    pending = buf.length > 0 ? [buf] : [];
    pendingBytes = buf.length;
    return true;
  };
  const toStream = () => {
    gunzip = streamHere();
    for (const b of pending) gunzip.write(b);
    pending = [];
    pendingBytes = 0;
  };
  if (!pool) gunzip = streamHere();
  return {
    write: (chunk) => {
      if (gunzip) return gunzip.write(chunk);
      pending.push(chunk);
      pendingBytes += chunk.length;
      if (pendingBytes >= need && pool && !members(pool)) toStream();
      return !busy();
    },
    drained: (go) => {
      if (gunzip) gunzip.once('drain', go);
      else if (busy()) waiting = go;
      else go();
    },
    end: (done) => {
      // A member cut off at the end is not a member: its bytes are decompressed here, and fail.
      if (!gunzip && pendingBytes > 0) toStream();
      const g = gunzip;
      if (!g) return void results.then(done);
      g.once('close', () => void results.then(done));
      g.end();
    },
  };
}
