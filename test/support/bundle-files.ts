import fs from 'node:fs';
import { pipeline } from 'node:stream/promises';
import zlib from 'node:zlib';
import tar from 'tar-stream';
import { gzipMember } from '../../lib/ledger/event-members';

/** Reads every file of a bundle (a tar) into memory, in order, gunzipping its .gz members unless `stored` (then as stored, by their names). */
export async function readBundle(file: string, stored = false): Promise<Map<string, Buffer>> {
  const files = new Map<string, Buffer>();
  const extract = tar.extract();
  extract.on('entry', (header, stream, next) => {
    const chunks: Buffer[] = [];
    stream.on('data', (c: unknown) => chunks.push(c as Buffer));
    stream.on('end', () => {
      const data = Buffer.concat(chunks);
      if (stored) files.set(header.name, data);
      else files.set(header.name.replace(/\.gz$/, ''), header.name.endsWith('.gz') ? zlib.gunzipSync(data) : data);
      next();
    });
  });
  await pipeline(fs.createReadStream(file), extract);
  return files;
}

/**
 * Writes files (in the map's order) as a bundle, gzipping the ones a bundle holds gzipped: how a
 * tamperer would repack one. With `memberLines`, events.jsonl is cut into members of that many
 * lines as the appliance writes it (so a verifier's workers take it), else it is one plain gzip.
 */
export async function writeBundle(files: Map<string, Buffer>, file: string, memberLines?: number): Promise<void> {
  const gzipped = new Map<string, Buffer>();
  for (const [name, data] of files) {
    if (name === 'events.jsonl' && memberLines) gzipped.set(name, await members(data, memberLines));
    else if (name.startsWith('events.')) gzipped.set(name, zlib.gzipSync(data));
  }
  const pack = tar.pack();
  const done = pipeline(pack, fs.createWriteStream(file));
  for (const [name, data] of files) pack.entry({ name: gzipped.has(name) ? `${name}.gz` : name }, gzipped.get(name) ?? data);
  pack.finalize();
  await done;
}

async function members(data: Buffer, lines: number): Promise<Buffer> {
  const all = data.toString().split('\n');
  if (all.at(-1) === '') all.pop();
  const out: Buffer[] = [];
  for (let i = 0; i < all.length; i += lines) {
    const part = all.slice(i, i + lines);
    out.push(await gzipMember(Buffer.from(`${part.join('\n')}\n`), part.length));
  }
  return Buffer.concat(out);
}
