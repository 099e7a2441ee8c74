import { z } from 'zod';
import { FileList, FileWritten, type FileEntry } from '../lib/api/files';
import type { SbxClient } from './client';

/**
 * The files of one sandbox. Paths are absolute, or relative to the sandbox user's home
 * (`/home/user`). Uploads and downloads stream: a stream given to `write` is sent as it is read,
 * and `readStream` hands the bytes on as they come.
 */
export class SandboxFiles {
  /** @internal */
  constructor(
    private readonly client: SbxClient,
    private readonly sandboxId: string,
  ) {}

  private url(suffix: string, path: string, extra = ''): string {
    return `/sandboxes/${encodeURIComponent(this.sandboxId)}/files${suffix}?path=${encodeURIComponent(path)}${extra}`;
  }

  /**
   * Writes a file (missing parent directories are made). The file is replaced only once every byte
   * arrived; resolves with its size and SHA-256 as the appliance recorded them.
   */
  write(path: string, data: string | Uint8Array | NodeJS.ReadableStream): Promise<FileWritten> {
    const body = typeof data === 'string' ? Buffer.from(data) : data;
    return this.client.upload('PUT', this.url('', path), body, z.object({ file: FileWritten })).then((r) => r.file);
  }

  /** The file's bytes as they are read; throws `NotFoundError` for a missing file. */
  readStream(path: string): Promise<NodeJS.ReadableStream> {
    return this.client.download(this.url('', path));
  }

  /** The whole file as bytes. */
  async readBytes(path: string): Promise<Buffer> {
    const parts: Buffer[] = [];
    for await (const chunk of await this.readStream(path)) parts.push(Buffer.from(chunk as Buffer));
    return Buffer.concat(parts);
  }

  /** The whole file as UTF-8 text. */
  async read(path: string): Promise<string> {
    return (await this.readBytes(path)).toString('utf8');
  }

  /** The entries of a directory, by name. */
  async list(path = '.'): Promise<FileEntry[]> {
    return (await this.client.request('GET', this.url('/list', path), FileList)).entries;
  }

  /** Removes a file; a directory needs `{ recursive: true }`. */
  async remove(path: string, opts: { recursive?: boolean } = {}): Promise<void> {
    await this.client.request('DELETE', this.url('', path, opts.recursive ? '&recursive=true' : ''), z.object({ removed: z.boolean() }));
  }

  /** Makes a directory and any missing parents. */
  async mkdir(path: string): Promise<void> {
    await this.client.request('POST', `/sandboxes/${encodeURIComponent(this.sandboxId)}/files/mkdir`, z.object({ created: z.boolean() }), { path });
  }
}
