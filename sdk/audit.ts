import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { pipeline } from 'node:stream/promises';
import zlib from 'node:zlib';
import tar from 'tar-stream';
import { z } from 'zod';
import { ExportView, type ExportBody } from '../lib/api/audit';
import { BUNDLE_FILES, BUNDLE_ORDER } from '../lib/ledger/bundle';
import { BundleVerifier, type BundleVerdict } from '../lib/ledger/verify-bundle';
import type { SbxClient } from './client';

export type { BundleVerdict, ExportView };

const Answer = z.object({ export: ExportView });

/**
 * Makes an evidence bundle of the audit ledger and writes it to `out`: starts the export, reports
 * its progress (`onProgress`) until it is done, then downloads it. Returns the finished export,
 * whose `sha256` is the bundle's (also recorded in the ledger as the `audit.export` event).
 */
export async function exportAudit(
  client: SbxClient,
  range: ExportBody,
  out: string,
  onProgress: (view: ExportView) => void = () => undefined,
): Promise<ExportView> {
  let view = (await client.request('POST', '/audit/exports', Answer, range)).export;
  onProgress(view);
  while (view.state === 'running') {
    await new Promise((r) => setTimeout(r, 500));
    view = (await client.request('GET', `/audit/exports/${view.id}`, Answer)).export;
    onProgress(view);
  }
  if (view.state === 'failed') throw new Error(`export ${view.id} failed: ${view.error ?? 'unknown error'}`);
  const stream = await client.download(`/audit/exports/${view.id}/bundle`);
  const tmp = `${out}.part`;
  await pipeline(stream, fs.createWriteStream(tmp, { mode: 0o600 }));
  const hash = createHash('sha256');
  await pipeline(fs.createReadStream(tmp), hash);
  const got = hash.digest('hex');
  if (got !== view.sha256) {
    fs.rmSync(tmp, { force: true });
    throw new Error(`the downloaded bundle's SHA-256 (${got}) is not the export's (${view.sha256 ?? 'none'})`);
  }
  fs.renameSync(tmp, out);
  return view;
}

/** Decompresses events.jsonl.gz and hands it to the verifier a line at a time. */
function eventLines(verifier: BundleVerifier): { write: (chunk: Buffer) => boolean; drained: (go: () => void) => void; end: (done: () => void) => void } {
  // Big output chunks: inflating runs on the thread pool, so fewer, larger hand-overs keep both threads busy.
  const gunzip = zlib.createGunzip({ chunkSize: 1 << 20 });
  let rest = Buffer.alloc(0);
  let failed = false;
  gunzip.on('data', (data: Buffer) => {
    // Lines may straddle chunks: keep the unfinished tail for the next one.
    let buf = rest.length > 0 ? Buffer.concat([rest, data]) : data;
    for (let nl = buf.indexOf(10); nl >= 0; nl = buf.indexOf(10)) {
      verifier.eventLine(buf.subarray(0, nl));
      buf = buf.subarray(nl + 1);
    }
    rest = Buffer.from(buf);
  });
  gunzip.on('error', () => (failed = true));
  return {
    write: (chunk) => failed || gunzip.write(chunk),
    drained: (go) => void gunzip.once('drain', go),
    end: (done) => {
      const finish = () => {
        if (rest.length > 0) verifier.eventLine(rest);
        if (failed) verifier.unreadable(BUNDLE_FILES.events);
        done();
      };
      if (failed) return finish();
      gunzip.once('end', finish);
      gunzip.once('error', finish);
      gunzip.end();
    },
  };
}

const SMALL = new Set<string>([BUNDLE_FILES.manifest, BUNDLE_FILES.manifestSignature, BUNDLE_FILES.keys, BUNDLE_FILES.checkpoints, BUNDLE_FILES.proofs, BUNDLE_FILES.leaves]);

/**
 * Verifies an evidence bundle file offline (no network, no database), reading it once.
 *
 * @param options.keys verifier keys to trust (`name+id+base64`); without them the bundle's own keys
 *   are used and the verdict says so (`trust: 'bundle'`): compare them with the console's
 * @param options.earlier a checkpoint (signed note) seen before: the ledger must extend it
 */
export async function verifyBundleFile(file: string, options: { keys?: string[]; earlier?: string } = {}): Promise<BundleVerdict> {
  const verifier = new BundleVerifier({ pinned: options.keys, earlier: options.earlier });
  const extract = tar.extract();
  const unexpected: string[] = [];
  extract.on('entry', (header, stream, next) => {
    const name = header.name;
    const hash = createHash('sha256');
    let bytes = 0;
    const chunks: Buffer[] = [];
    if (!(BUNDLE_ORDER as readonly string[]).includes(name)) unexpected.push(name);
    // The events are checked line by line as they are decompressed; every file's digest is of its stored bytes.
    const lines = name === BUNDLE_FILES.events ? eventLines(verifier) : null;
    stream.on('data', (data: unknown) => {
      const chunk = data as Buffer;
      hash.update(chunk);
      bytes += chunk.length;
      if (SMALL.has(name)) chunks.push(chunk);
      // Backpressure: the tar waits while the decompressor is behind.
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
  } catch (error) {
    const verdict = verifier.finish();
    return { ...verdict, ok: false, problems: [`the bundle cannot be read as a tar: ${(error as Error).message}`, ...verdict.problems] };
  }
  const verdict = verifier.finish();
  if (unexpected.length === 0) return verdict;
  return { ...verdict, ok: false, problems: [...verdict.problems, `files not in a bundle: ${unexpected.join(', ')}`] };
}
