import { createHash, randomBytes } from 'node:crypto';
import path from 'node:path';
import { PassThrough, Writable } from 'node:stream';
import type { FileDigest, FileEntry } from '../../lib/wire/protocol';
import { RpcError } from '../../lib/wire/rpc';
import type { ExecSpec, SandboxRuntime } from '../runtime/types';

/**
 * File operations inside a sandbox, done by the sandbox's own tools (coreutils, findutils) run as
 * its unprivileged user: the sandbox's permissions and size limits apply to them exactly as to a
 * command, and no host process ever opens a path the sandbox names.
 */

/** Turns a tool's complaint into an error code the control plane maps to the API's vocabulary. */
export function fileError(p: string, stderr: string): RpcError {
  const text = stderr.trim().split('\n').pop() ?? '';
  const rules: [RegExp, string, string][] = [
    [/No such file or directory/, 'not_found', 'no such file or directory'],
    [/Permission denied|Read-only file system|Operation not permitted/, 'permission_denied', 'permission denied inside the sandbox'],
    [/No space left on device|Disk quota exceeded|File too large/, 'disk_full', "the sandbox's disk is full"],
    [/Is a directory/, 'invalid_argument', 'is a directory'],
    [/Not a directory/, 'invalid_argument', 'a part of the path is not a directory'],
    [/Directory not empty/, 'invalid_argument', 'the directory is not empty (remove it recursively)'],
    [/File exists/, 'conflict', 'a file of that name exists'],
  ];
  for (const [re, code, what] of rules) if (re.test(text)) return new RpcError(code, `${p}: ${what}`);
  return new RpcError('failed', `${p}: ${text || 'the operation failed'}`);
}

const TYPES: Record<string, FileEntry['type']> = { f: 'file', d: 'dir', l: 'symlink' };
// One record per entry: type, size, mode, mtime and name, NUL-terminated (names may hold anything but NUL and /).
const FIND_FORMAT = '%y\\t%s\\t%m\\t%T@\\t%f\\0';

/** Parses find's records (see FIND_FORMAT) into entries under `dir`. */
export function parseEntries(out: string, dir: string | null): FileEntry[] {
  return out
    .split('\0')
    .filter((r) => r.length > 0)
    .map((r) => {
      const [type = '', size = '0', mode = '0', mtime = '0', ...rest] = r.split('\t');
      const name = rest.join('\t');
      return {
        name,
        path: dir === null ? name : path.posix.join(dir, name),
        type: TYPES[type] ?? 'other',
        size: /^[0-9]{1,16}$/.test(size) ? Number(size) : 0,
        mode: /^[0-7]{1,4}$/.test(mode) ? mode : '0',
        modifiedAt: new Date(/^[0-9]{1,12}(\.[0-9]+)?$/.test(mtime) ? Math.round(Number(mtime) * 1000) : 0).toISOString(),
      };
    });
}

type Run = (cmd: string[], extra?: Partial<ExecSpec>) => Promise<{ stdout: string; stderr: string; code: number | null }>;

/** A metadata operation (stat, list, rm, mkdir, mv) that takes longer than this has failed. */
const QUICK_OP_MS = 60_000;
/**
 * The tools run inside the sandbox, so what they print is the sandbox's to choose: more than this
 * (about 100,000 directory entries) ends the tool and fails the operation instead of filling the
 * agent's memory.
 */
export const MAX_TOOL_OUTPUT_BYTES = 32 * 1024 * 1024;

export class SandboxFiles {
  constructor(private readonly runtime: SandboxRuntime) {}

  private runner(runtimeId: string): Run {
    return async (cmd, extra = {}) => {
      const chunks: Buffer[] = [];
      let bytes = 0;
      let stderr = '';
      const tooMuch = new AbortController();
      const outer = extra.signal;
      if (outer?.aborted) tooMuch.abort();
      else outer?.addEventListener('abort', () => tooMuch.abort(), { once: true });
      const r = await this.runtime.exec(runtimeId, {
        cmd,
        cwd: '/',
        timeoutMs: extra.stdin || extra.stdoutSink ? undefined : QUICK_OP_MS,
        onStdout: (d) => {
          bytes += d.length;
          if (bytes > MAX_TOOL_OUTPUT_BYTES) return tooMuch.abort();
          chunks.push(d);
        },
        onStderr: (d) => {
          if (stderr.length < 8192) stderr += d.toString().slice(0, 8192);
        },
        ...extra,
        signal: tooMuch.signal,
      });
      const stdout = Buffer.concat(chunks).toString();
      if (bytes > MAX_TOOL_OUTPUT_BYTES) return { stdout: '', stderr: `${cmd[0]} printed more than ${MAX_TOOL_OUTPUT_BYTES / 1024 / 1024} MiB (too many entries)`, code: null };
      if (r.timedOut) return { stdout, stderr: `${cmd[0]} did not finish within ${QUICK_OP_MS / 1000} s`, code: null };
      return { stdout, stderr, code: r.exitCode };
    };
  }

  private async must(runtimeId: string, p: string, cmd: string[]): Promise<string> {
    const r = await this.runner(runtimeId)(cmd);
    if (r.code !== 0) throw fileError(p, r.stderr);
    return r.stdout;
  }

  async stat(runtimeId: string, p: string): Promise<FileEntry> {
    const out = await this.must(runtimeId, p, ['find', p, '-maxdepth', '0', '-printf', FIND_FORMAT.replace('%f', '%p')]);
    const entry = parseEntries(out, null)[0];
    if (!entry) throw new RpcError('not_found', `${p}: no such file or directory`);
    return { ...entry, name: path.posix.basename(p) || '/', path: p };
  }

  async list(runtimeId: string, p: string): Promise<FileEntry[]> {
    const dir = await this.stat(runtimeId, p);
    if (dir.type !== 'dir') throw new RpcError('invalid_argument', `${p}: not a directory`);
    const out = await this.must(runtimeId, p, ['find', p, '-mindepth', '1', '-maxdepth', '1', '-printf', FIND_FORMAT]);
    return parseEntries(out, p)
      .sort((a, b) => a.name.localeCompare(b.name))
      .slice(0, 10_000);
  }

  async remove(runtimeId: string, p: string, recursive: boolean): Promise<boolean> {
    await this.stat(runtimeId, p);
    await this.must(runtimeId, p, recursive ? ['rm', '-rf', '--', p] : ['rm', '-f', '--', p]);
    return true;
  }

  async mkdir(runtimeId: string, p: string): Promise<boolean> {
    await this.must(runtimeId, p, ['mkdir', '-p', '--', p]);
    return true;
  }

  /**
   * Writes what `source` yields into `p`: first into a hidden file beside it, renamed over `p` only
   * once every byte arrived, so an interrupted upload leaves the old file (or none) and no half.
   * Missing parent directories are made.
   */
  async write(runtimeId: string, p: string, source: PassThrough, aborted: () => string | null): Promise<FileDigest> {
    const run = this.runner(runtimeId);
    const temp = path.posix.join(path.posix.dirname(p), `.${path.posix.basename(p)}.sbx-upload-${randomBytes(6).toString('hex')}`);
    const hash = createHash('sha256');
    let size = 0;
    source.on('data', (d: Buffer) => {
      hash.update(d);
      size += d.length;
    });
    source.pause();
    const script = 'mkdir -p -- "$(dirname -- "$1")" && exec dd of="$1" bs=256K status=none';
    const r = await run(['/bin/sh', '-c', script, 'sh', temp], { stdin: source });
    const why = aborted();
    if (r.code !== 0 || why) {
      await run(['rm', '-f', '--', temp]).catch(() => undefined);
      if (why) throw new RpcError('aborted', `${p}: the upload was abandoned (${why})`);
      throw fileError(p, r.stderr);
    }
    const moved = await run(['mv', '-f', '--', temp, p]);
    if (moved.code !== 0) {
      await run(['rm', '-f', '--', temp]).catch(() => undefined);
      throw fileError(p, moved.stderr);
    }
    return { size, sha256: hash.digest('hex') };
  }

  /** Sends `p`'s bytes to `sink` (which applies backpressure) and returns their count and digest. */
  async read(runtimeId: string, p: string, send: (chunk: Buffer) => Promise<void>, signal: AbortSignal): Promise<FileDigest> {
    const hash = createHash('sha256');
    let size = 0;
    const sink = new Writable({
      highWaterMark: 0,
      write(chunk: Buffer, _enc, done) {
        hash.update(chunk);
        size += chunk.length;
        send(chunk).then(() => done(), done);
      },
    });
    const finished = new Promise<void>((resolve, reject) => {
      sink.on('finish', resolve);
      sink.on('error', reject);
    });
    const r = await this.runner(runtimeId)(['cat', '--', p], { stdoutSink: sink, signal });
    if (signal.aborted) throw new RpcError('aborted', `${p}: the download was abandoned`);
    if (r.code !== 0) throw fileError(p, r.stderr);
    await finished;
    return { size, sha256: hash.digest('hex') };
  }
}
