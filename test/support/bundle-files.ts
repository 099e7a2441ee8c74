import fs from 'node:fs';
import { pipeline } from 'node:stream/promises';
import zlib from 'node:zlib';
import tar from 'tar-stream';

/** Reads every file of a bundle (a tar) into memory, in order, gunzipping its .gz members (small test bundles only). */
export async function readBundle(file: string): Promise<Map<string, Buffer>> {
  const files = new Map<string, Buffer>();
  const extract = tar.extract();
  extract.on('entry', (header, stream, next) => {
    const chunks: Buffer[] = [];
    stream.on('data', (c: unknown) => chunks.push(c as Buffer));
    stream.on('end', () => {
      const data = Buffer.concat(chunks);
      files.set(header.name.replace(/\.gz$/, ''), header.name.endsWith('.gz') ? zlib.gunzipSync(data) : data);
      next();
    });
  });
  await pipeline(fs.createReadStream(file), extract);
  return files;
}

/** Writes files (in the map's order) as a bundle, gzipping the ones a bundle holds gzipped: how a tamperer would repack one. */
export async function writeBundle(files: Map<string, Buffer>, file: string): Promise<void> {
  const pack = tar.pack();
  const done = pipeline(pack, fs.createWriteStream(file));
  for (const [name, data] of files) {
    if (name.startsWith('events.')) pack.entry({ name: `${name}.gz` }, zlib.gzipSync(data));
    else pack.entry({ name }, data);
  }
  pack.finalize();
  await done;
}
