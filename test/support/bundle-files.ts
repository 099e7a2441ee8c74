import fs from 'node:fs';
import { pipeline } from 'node:stream/promises';
import zlib from 'node:zlib';
import tar from 'tar-stream';

/** Reads every file of a gzipped tar into memory, in order (small test bundles only). */
export async function readTarGz(file: string): Promise<Map<string, Buffer>> {
  const files = new Map<string, Buffer>();
  const extract = tar.extract();
  extract.on('entry', (header, stream, next) => {
    const chunks: Buffer[] = [];
    stream.on('data', (c: unknown) => chunks.push(c as Buffer));
    stream.on('end', () => {
      files.set(header.name, Buffer.concat(chunks));
      next();
    });
  });
  await pipeline(fs.createReadStream(file), zlib.createGunzip(), extract);
  return files;
}

/** Writes files (in the map's order) as a gzipped tar: how a tamperer would repack a bundle. */
export async function writeTarGz(files: Map<string, Buffer>, file: string): Promise<void> {
  const pack = tar.pack();
  const done = pipeline(pack, zlib.createGzip(), fs.createWriteStream(file));
  for (const [name, data] of files) pack.entry({ name }, data);
  pack.finalize();
  await done;
}
