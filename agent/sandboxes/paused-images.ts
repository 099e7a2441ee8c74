import fs from 'node:fs';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { decryptStream, encryptStream } from '../../lib/envelope/envelope';
import { freshPrivateDir } from '../private-dir';
import { decodeHeader, HEADER_ROOM, newHeader, rewrapHeader, type EnvelopeHeader } from '../../lib/envelope/format';


/**
 * Where an agent gets data keys: from the control plane over mTLS, which alone holds the KEKs and
 * records every key it hands out. `issue` gives a fresh data key (and the wrapped form to store);
 * `unwrap` gives the key a stored header wraps.
 */
export type DataKeys = {
  issue(sandboxId: string, context: string): Promise<{ dataKey: Buffer; kek: { id: string; version: number }; wrappedKey: string }>;
  unwrap(sandboxId: string, header: EnvelopeHeader): Promise<Buffer>;
  /** The same data key wrapped with the KEK's latest version. */
  rewrap(sandboxId: string, header: EnvelopeHeader): Promise<{ kek: { id: string; version: number }; wrappedKey: string }>;
};

/**
 * The checkpoint images of paused sandboxes, on disk only as envelopes (lib/envelope): one data key
 * per file, bound to its sandbox and file name. A checkpoint is written in plaintext only to a
 * staging directory in memory (tmpfs), encrypted from there and wiped; resuming decrypts into one.
 * Data keys live in memory for as long as a pause or a resume takes.
 */
export class PausedImages {
  constructor(
    private readonly dir: string,
    private readonly stagingRoot: string,
  ) {
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  }

  /** A fresh staging directory in memory, or an error saying why there is none (fail closed). */
  stage(id: string): string {
    return freshPrivateDir(this.stagingRoot, 'SBX_AGENT_STAGING_DIR', `${id}-`, 'a plaintext checkpoint would touch the disk');
  }

  /** Removes a staging directory (plaintext in memory). */
  wipe(staging: string): void {
    fs.rmSync(staging, { recursive: true, force: true });
  }

  private sealedDir(id: string): string {
    return path.join(this.dir, id);
  }

  /** The sandboxes paused here. */
  ids(): string[] {
    return fs.readdirSync(this.dir).filter((id) => /^sbx-[a-z0-9]{20}$/.test(id) && this.has(id));
  }

  /** Whether a sandbox has an encrypted checkpoint here. */
  has(id: string): boolean {
    return fs.existsSync(path.join(this.sealedDir(id), 'complete'));
  }

  /**
   * Encrypts every file of a staged checkpoint into the store (each with its own data key) and
   * wipes the stage. On failure the stage is left as it was, so the caller can restore the
   * sandbox from it rather than lose it; nothing partial stays in the store.
   */
  async seal(id: string, staging: string, keys: DataKeys): Promise<{ bytes: number; files: number; kek: { id: string; version: number } | null }> {
    const target = this.sealedDir(id);
    const partial = `${target}.partial`;
    fs.rmSync(partial, { recursive: true, force: true });
    fs.mkdirSync(partial, { mode: 0o700 });
    let bytes = 0;
    let files = 0;
    let kek: { id: string; version: number } | null = null;
    try {
      for (const name of fs.readdirSync(staging)) {
        const context = `checkpoint:${id}:${name}`;
        const issued = await keys.issue(id, context);
        kek = issued.kek;
        try {
          const out = path.join(partial, `${name}.sbxe`);
          await pipeline(fs.createReadStream(path.join(staging, name), { highWaterMark: 1 << 20 }), encryptStream(issued.dataKey, newHeader(issued.kek, issued.wrappedKey, context)), fs.createWriteStream(out, { mode: 0o600 }));
          fsyncFile(out);
          bytes += fs.statSync(out).size;
          files += 1;
        } finally {
          issued.dataKey.fill(0);
        }
      }
      fs.writeFileSync(path.join(partial, 'complete'), `${new Date().toISOString()}\n`, { mode: 0o600 });
      fs.rmSync(target, { recursive: true, force: true });
      fs.renameSync(partial, target);
    } catch (error) {
      fs.rmSync(partial, { recursive: true, force: true });
      throw error;
    }
    this.wipe(staging);
    return { bytes, files, kek };
  }

  /** Decrypts a sandbox's checkpoint into a staging directory in memory; any tampering fails it whole. */
  async open(id: string, keys: DataKeys): Promise<string> {
    const source = this.sealedDir(id);
    if (!this.has(id)) throw new Error(`sandbox ${id} has no checkpoint on this host`);
    const staging = this.stage(id);
    try {
      for (const file of fs.readdirSync(source).filter((f) => f.endsWith('.sbxe'))) {
        const name = file.slice(0, -'.sbxe'.length);
        const context = `checkpoint:${id}:${name}`;
        let key: Buffer | null = null;
        const keyFor = async (h: EnvelopeHeader) => {
          // Bound to its sandbox and file: another sandbox's image cannot be passed off as this one.
          if (h.context !== context) throw new Error(`${file} belongs to ${h.context}, not ${context}`);
          key = await keys.unwrap(id, h);
          return key;
        };
        try {
          await pipeline(fs.createReadStream(path.join(source, file), { highWaterMark: 1 << 20 }), decryptStream(keyFor), fs.createWriteStream(path.join(staging, name), { mode: 0o600 }));
        } finally {
          (key as Buffer | null)?.fill(0);
        }
      }
      return staging;
    } catch (error) {
      this.wipe(staging);
      throw error;
    }
  }

  /** The headers of a sandbox's encrypted files (which KEK version wraps each), for rewrap and display. */
  headers(id: string): { file: string; header: EnvelopeHeader }[] {
    const source = this.sealedDir(id);
    if (!fs.existsSync(source)) return [];
    return fs
      .readdirSync(source)
      .filter((f) => f.endsWith('.sbxe'))
      .map((file) => {
        const fd = fs.openSync(path.join(source, file), 'r');
        const head = Buffer.alloc(HEADER_ROOM);
        fs.readSync(fd, head, 0, HEADER_ROOM, 0);
        fs.closeSync(fd);
        const decoded = decodeHeader(head);
        if (!decoded) throw new Error(`${file}: no envelope header`);
        return { file, header: decoded.header };
      });
  }

  /**
   * Moves the data keys of a sandbox's files wrapped by KEK `kekId` to its latest version: each
   * header is rewritten in place (same size) and synced; the encrypted data is not touched.
   */
  async rewrap(id: string, kekId: string, keys: DataKeys): Promise<{ files: number; rewrapped: number; kek: { id: string; version: number } | null }> {
    let rewrapped = 0;
    let kek: { id: string; version: number } | null = null;
    const all = this.headers(id);
    for (const { file, header } of all) {
      if (header.kek.id !== kekId) continue;
      const moved = await keys.rewrap(id, header);
      kek = moved.kek;
      if (moved.kek.version === header.kek.version) continue;
      const fd = fs.openSync(path.join(this.sealedDir(id), file), 'r+');
      try {
        const region = Buffer.alloc(HEADER_ROOM);
        fs.readSync(fd, region, 0, HEADER_ROOM, 0);
        fs.writeSync(fd, rewrapHeader(region, moved.kek, moved.wrappedKey), 0, HEADER_ROOM, 0);
        fs.fsyncSync(fd);
      } finally {
        fs.closeSync(fd);
      }
      rewrapped += 1;
    }
    return { files: all.length, rewrapped, kek };
  }

  /** Removes the staging root if nothing is staged (the agent stops). */
  close(): void {
    try {
      fs.rmdirSync(this.stagingRoot);
    } catch {
      // absent, or in use by another agent of this host
    }
  }

  /** Removes a sandbox's checkpoint. */
  remove(id: string): void {
    fs.rmSync(this.sealedDir(id), { recursive: true, force: true });
  }
}

function fsyncFile(file: string): void {
  const fd = fs.openSync(file, 'r');
  try {
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}
