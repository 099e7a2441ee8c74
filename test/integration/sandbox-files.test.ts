import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import https from 'node:https';
import path from 'node:path';
import tls from 'node:tls';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DiskFullError, InvalidArgumentError, NotFoundError, PermissionDeniedError, Sandbox } from '../../sdk';
import type { AuditPage } from '../../lib/api/audit';
import { localAgentPid } from '../support/agent';
import { startAppliance } from '../support/appliance';
import type { adminClient, ControlPlane } from '../support/control-plane';

let cp: ControlPlane;
let admin: Awaited<ReturnType<typeof adminClient>>;
let opts: { url: string; apiKey: string; caFile: string };
let sandbox: Sandbox;

/** Peak resident memory of a process, in MiB. */
function peakMiB(pid: number): number {
  const m = /VmHWM:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(m?.[1] ?? 0) / 1024;
}

/** `total` bytes of a repeatable pseudo-random stream, produced as read (never held whole). */
function bytes(total: number, seed: number): Readable {
  let sent = 0;
  let x = seed >>> 0;
  return new Readable({
    read() {
      if (sent >= total) return this.push(null);
      const n = Math.min(1 << 20, total - sent);
      const b = Buffer.allocUnsafe(n);
      for (let i = 0; i < n; i += 4) {
        x = (Math.imul(x, 1_664_525) + 1_013_904_223) >>> 0;
        b.writeUInt32LE(x, i);
      }
      sent += n;
      this.push(b);
    },
  });
}

async function sha256Of(stream: NodeJS.ReadableStream): Promise<{ sha256: string; size: number }> {
  const h = createHash('sha256');
  let size = 0;
  for await (const c of stream) {
    h.update(c as Buffer);
    size += (c as Buffer).length;
  }
  return { sha256: h.digest('hex'), size };
}

beforeAll(async () => {
  ({ cp, admin, opts } = await startAppliance());
  sandbox = await Sandbox.create({ memoryMiB: 512, diskMiB: 256, timeoutSeconds: 600, ...opts });
});
afterAll(async () => {
  await sandbox?.kill().catch(() => undefined);
  await cp?.stop();
});

describe('sandbox files (real runsc, streamed through control plane and agent)', () => {
  it('write, read, list, mkdir and remove; relative paths start at the home directory', async () => {
    const w = await sandbox.files.write('notes/hello.txt', 'héllo\n');
    expect(w).toEqual({ path: '/home/user/notes/hello.txt', size: 7, sha256: createHash('sha256').update('héllo\n').digest('hex') });
    expect(await sandbox.files.read('/home/user/notes/hello.txt')).toBe('héllo\n');
    // What the SDK wrote is what a command sees, owned by the sandbox user.
    expect((await sandbox.exec(['sh', '-c', 'cat notes/hello.txt; stat -c %u notes/hello.txt'])).stdout).toBe('héllo\n1000\n');
    await sandbox.files.mkdir('a/b/c');
    const list = await sandbox.files.list('.');
    expect(list.find((e) => e.name === 'notes')).toMatchObject({ type: 'dir', path: '/home/user/notes' });
    expect(list.find((e) => e.name === 'a')).toMatchObject({ type: 'dir' });
    expect((await sandbox.files.list('notes')).map((e) => [e.name, e.type, e.size])).toEqual([['hello.txt', 'file', 7]]);
    // A directory is not removed without asking for it recursively.
    await expect(sandbox.files.remove('a')).rejects.toBeInstanceOf(InvalidArgumentError);
    await sandbox.files.remove('a', { recursive: true });
    await sandbox.files.remove('notes/hello.txt');
    expect((await sandbox.files.list('.')).map((e) => e.name).sort()).toEqual(['notes']);
  });

  it('refuses clearly: missing file, a directory, a path outside the user\'s rights, a full disk that keeps the old file', async () => {
    const missing = sandbox.files.read("nope.txt");
    await expect(missing).rejects.toBeInstanceOf(NotFoundError);
    await expect(missing).rejects.toThrow(`Sandbox ${sandbox.id}: /home/user/nope.txt: no such file or directory`);
    await expect(sandbox.files.read('/home/user')).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(sandbox.files.write('/usr/bin/evil', 'x')).rejects.toBeInstanceOf(PermissionDeniedError);
    await expect(sandbox.files.write('/etc/passwd', 'x')).rejects.toBeInstanceOf(PermissionDeniedError);
    expect((await sandbox.exec('grep -c root /etc/passwd')).stdout).toBe('1\n');

    const small = await Sandbox.create({ memoryMiB: 256, diskMiB: 16, timeoutSeconds: 120, ...opts });
    try {
      await small.files.write('keep.txt', 'old content');
      await expect(small.files.write('keep.txt', bytes(24 << 20, 7))).rejects.toBeInstanceOf(DiskFullError);
      // Nothing half-written: the old file is whole and no upload leftover remains.
      expect(await small.files.read('keep.txt')).toBe('old content');
      expect((await small.files.list('.')).map((e) => e.name)).toEqual(['keep.txt']);
    } finally {
      await small.kill();
    }
  });

  it('an upload cut off half-way leaves the old file whole and nothing else behind', async () => {
    await sandbox.files.write('cut.bin', 'before');
    await new Promise<void>((resolve) => {
      const req = https.request({
        host: '127.0.0.1',
        port: cp.port,
        path: `/api/v1/sandboxes/${sandbox.id}/files?path=cut.bin`,
        method: 'PUT',
        ca: cp.ca,
        servername: 'localhost',
        headers: { authorization: `Bearer ${opts.apiKey}`, 'content-type': 'application/octet-stream', 'content-length': 10 << 20 },
      });
      req.on('error', () => resolve());
      req.on('close', () => resolve());
      req.write(Buffer.alloc(3 << 20, 1), () => setTimeout(() => req.destroy(), 300));
    });
    let names: string[] = [];
    for (let i = 0; i < 40; i++) {
      names = (await sandbox.files.list('.')).map((e) => e.name);
      if (!names.some((n) => n.includes('sbx-upload'))) break;
      await new Promise((r) => setTimeout(r, 250));
    }
    expect(names.filter((n) => n.startsWith('.cut.bin'))).toEqual([]);
    expect(await sandbox.files.read('cut.bin')).toBe('before');
    const audit = (await admin.get('/api/v1/audit?action=sandbox.file')).body as AuditPage;
    const failed = audit.events.find((e) => (e.details as { path?: string; phase?: string }).path === '/home/user/cut.bin' && e.outcome === 'failure');
    expect(failed).toBeDefined();
  });

  it('a refused upload closes its connection, so no client queues its next request behind the unread body', async () => {
    // The agent refuses /usr/bin after the control plane has begun reading the 8 MiB body. The rest
    // of the body is never read, so the connection cannot carry another request: the answer says so
    // and the connection ends (a client that reused it would wait forever).
    const socket = tls.connect({ host: '127.0.0.1', servername: 'localhost', port: cp.port, ca: cp.ca, minVersion: 'TLSv1.3' });
    let text = '';
    socket.setEncoding('latin1');
    socket.on('data', (d: string) => (text += d));
    socket.on('error', () => undefined);
    const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    await new Promise<void>((resolve, reject) => {
      socket.once('secureConnect', resolve);
      socket.once('error', reject);
    });
    const size = 8 << 20;
    socket.write(`PUT /api/v1/sandboxes/${sandbox.id}/files?path=/usr/bin/evil HTTP/1.1\r\nhost: localhost\r\nauthorization: Bearer ${opts.apiKey}\r\ncontent-type: application/octet-stream\r\ncontent-length: ${size}\r\n\r\n`);
    socket.write(Buffer.alloc(size, 1));
    const timeout = new Promise<'open'>((resolve) => setTimeout(() => resolve('open'), 15_000));
    const outcome = await Promise.race([closed.then(() => 'closed' as const), timeout]);
    socket.destroy();
    expect(text).toMatch(/^HTTP\/1\.1 403/);
    expect(text).toMatch(/\r\nconnection: close\r\n/i);
    expect(outcome).toBe('closed');
    // The SDK, refused the same way, goes on with a new connection.
    await expect(sandbox.files.write('/usr/bin/evil', Buffer.alloc(size, 2))).rejects.toBeInstanceOf(PermissionDeniedError);
    expect(await sandbox.files.list('/home/user')).toBeInstanceOf(Array);
  }, 40_000);

  it('100 MB round trip streamed end to end, neither control plane nor agent holding it, audited with size and SHA-256', async () => {
    const size = 100 * 1024 * 1024;
    const expected = await sha256Of(bytes(size, 42));
    const cpPid = cp.pid();
    const agentPid = localAgentPid(cp.dataDir);
    expect(agentPid).toBeDefined();
    const before = { cp: peakMiB(cpPid), agent: peakMiB(agentPid as number) };

    const written = await sandbox.files.write('big.bin', bytes(size, 42));
    expect(written).toEqual({ path: '/home/user/big.bin', size, sha256: expected.sha256 });
    expect((await sandbox.exec('sha256sum big.bin')).stdout).toBe(`${expected.sha256}  big.bin\n`);
    const back = await sha256Of(await sandbox.files.readStream('big.bin'));
    expect(back).toEqual(expected);

    // Peak memory may grow by the credit window and chunk copies, never by the file.
    const grew = { cp: peakMiB(cpPid) - before.cp, agent: peakMiB(agentPid as number) - before.agent };
    expect(grew.cp).toBeLessThan(60);
    expect(grew.agent).toBeLessThan(60);

    const audit = (await admin.get('/api/v1/audit?action=sandbox.file')).body as AuditPage;
    const ends = audit.events.filter((e) => (e.details as { path?: string; phase?: string }).path === '/home/user/big.bin' && (e.details as { phase: string }).phase === 'end');
    expect(ends.map((e) => [(e.details as { op: string }).op, (e.details as { size: number }).size, (e.details as { sha256: string }).sha256])).toEqual(
      expect.arrayContaining([
        ['write', size, expected.sha256],
        ['read', size, expected.sha256],
      ]),
    );
    expect(ends.every((e) => e.actor.name !== 'anonymous' && e.target?.id === sandbox.id)).toBe(true);
    await sandbox.files.remove('big.bin');
  }, 180_000);

  it('sbx files write (from stdin) and sbx files read (to stdout) are byte-exact', () => {
    const env = { PATH: process.env.PATH ?? '', NODE_ENV: 'production' as const, SBX_URL: opts.url, SBX_API_KEY: opts.apiKey, SBX_CA_FILE: opts.caFile, SBX_CONFIG: '/nonexistent' };
    const sbx = (args: string[], input?: Buffer) =>
      spawnSync(path.resolve(import.meta.dirname, '../../bin/sbx'), args, { env, input, timeout: 60_000, maxBuffer: 16 << 20 });
    const data = Buffer.from(Array.from({ length: 300_000 }, (_, i) => (i * 7) % 256));
    const w = sbx(['files', 'write', sandbox.id, 'cli/data.bin'], data);
    expect(w.stderr.toString()).toBe('');
    expect(w.status).toBe(0);
    expect(w.stdout.toString()).toContain('wrote 300000 bytes to /home/user/cli/data.bin');
    const r = sbx(['files', 'read', sandbox.id, 'cli/data.bin']);
    expect(r.status).toBe(0);
    expect(Buffer.compare(r.stdout, data)).toBe(0);
    const missing = sbx(['files', 'read', sandbox.id, 'cli/none']);
    expect(missing.status).toBe(1);
    expect(missing.stderr.toString().trim().split('\n')).toHaveLength(1);
    expect(missing.stderr.toString()).toContain('no such file or directory');
  });
});
