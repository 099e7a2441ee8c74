import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { unwrapDataKey, wrapDataKey } from '../../lib/envelope/wrap';
import { newSandboxId } from '../../lib/wire/ids';
import { RunscRuntime } from '../../agent/runtime/runsc-runtime';
import type { SandboxSpec } from '../../agent/runtime/types';
import { PausedImages, type DataKeys } from '../../agent/sandboxes/paused-images';
import { HEADER_ROOM } from '../../lib/envelope/format';

// The runtime and the encrypted image store on a real runsc sandbox. The control plane's side of
// the keys (KEKs, audit) is a KEK in this test's memory here; the appliance's own path is proven
// end to end with a control plane in pause-resume.test.ts.
const MARKER = `SBX-AT-REST-${randomBytes(6).toString('hex')}`;
let rt: RunscRuntime;
let stateDir: string;
let stagingRoot: string;
let images: PausedImages;
const kek = randomBytes(32);
const ref = { id: 'kek-test', version: 1 };
let shredded = false;
const keys: DataKeys = {
  issue: async (_id, context) => {
    const dataKey = randomBytes(32);
    return { dataKey: Buffer.from(dataKey), kek: ref, wrappedKey: wrapDataKey(kek, ref, { context, host: 'this-host' }, dataKey) };
  },
  rewrap: async (_id, h) => ({ kek: h.kek, wrappedKey: h.wrappedKey }),
  unwrap: async (_id, h) => {
    if (shredded) throw new Error('Version 1 of this key was destroyed: what it protected cannot be read any more.');
    const k = unwrapDataKey(kek, h.kek, { context: h.context, host: 'this-host' }, h.wrappedKey);
    if (!k) throw new Error('cannot unwrap');
    return k;
  },
};
const spec: SandboxSpec = { id: newSandboxId(), image: 'debian-host', cpus: 1, memoryMiB: 512, pids: 128, diskMiB: 64, env: {} };

async function run(cmd: string[]) {
  let out = '';
  const r = await rt.exec(spec.id, { cmd, onStdout: (d) => (out += d.toString()), onStderr: (d) => (out += d.toString()) });
  return { code: r.exitCode, out };
}

/** Every file under `dir` that holds `needle`. */
function filesHolding(dir: string, needle: string): string[] {
  const found: string[] = [];
  for (const f of fs.readdirSync(dir, { recursive: true }) as string[]) {
    const p = path.join(dir, f);
    const st = fs.lstatSync(p);
    if (st.isFile() && fs.readFileSync(p).includes(needle)) found.push(p);
  }
  return found;
}

beforeAll(async () => {
  stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sbx-pause-'));
  stagingRoot = fs.mkdtempSync('/dev/shm/sbx-pause-test-');
  // Uncompressed, so that the plaintext image holds the marker as written and the scan can see it.
  rt = await RunscRuntime.open({ stateDir, platform: 'systrap', checkpointCompression: 'none' });
  images = new PausedImages(path.join(stateDir, 'paused'), stagingRoot);
  await rt.create(spec, { waitForServer: true });
}, 60_000);
afterAll(async () => {
  await rt.destroy(spec.id);
  await rt.drain();
  fs.rmSync(stateDir, { recursive: true, force: true });
  fs.rmSync(stagingRoot, { recursive: true, force: true });
});

describe('pause and resume (runsc checkpoint/restore, encrypted image)', () => {
  it('pauses to an image that is only ciphertext on disk, and resumes with files and a running process intact', async () => {
    // A file, a process that keeps counting, and a process holding the marker in memory only.
    const setup = await run(['sh', '-c', `echo ${MARKER} > ~/file.txt; (i=0; while :; do i=$((i+1)); echo $i > ~/counter; sleep 0.1; done) >/dev/null 2>&1 & python3 -c "import time; s = '${MARKER}' * 1000; time.sleep(100000)" >/dev/null 2>&1 & echo started`]);
    expect(setup).toEqual({ code: 0, out: 'started\n' });
    await new Promise((r) => setTimeout(r, 500));

    const staging = images.stage(spec.id);
    await rt.checkpoint(spec.id, staging);
    // The plaintext image (in memory) holds the marker: the scan below would find it on disk.
    expect(filesHolding(staging, MARKER).length).toBeGreaterThan(0);
    const sealed = await images.seal(spec.id, staging, keys);
    expect(sealed.files).toBeGreaterThan(0);
    expect(fs.existsSync(staging)).toBe(false);
    // Paused: the sandbox is not running (its memory is freed) and no file of the agent holds the marker.
    expect(await rt.list()).not.toContain(spec.id);
    expect(filesHolding(stateDir, MARKER)).toEqual([]);
    expect(filesHolding(stagingRoot, MARKER)).toEqual([]);
    expect(images.headers(spec.id).map((h) => h.header.kek)).toEqual(Array(sealed.files).fill(ref));

    const restored = await images.open(spec.id, keys);
    await rt.restore(spec, restored);
    images.wipe(restored);
    const after = await run(['sh', '-c', 'cat ~/file.txt; a=$(cat ~/counter); sleep 1; b=$(cat ~/counter); echo "$a $b"; pgrep -f "time.sleep" >/dev/null && echo holder-alive']);
    const [file, counts, holder] = after.out.trim().split('\n');
    expect(file).toBe(MARKER);
    const [a, b] = (counts ?? '').split(' ').map(Number);
    expect(b).toBeGreaterThan(a ?? Infinity);
    expect(holder).toBe('holder-alive');
  }, 120_000);

  it('refuses an altered image or a destroyed key, and leaves no plaintext behind', async () => {
    const staging = images.stage(spec.id);
    await rt.checkpoint(spec.id, staging);
    await images.seal(spec.id, staging, keys);
    const [first] = images.headers(spec.id);
    const file = path.join(stateDir, 'paused', spec.id, first?.file ?? '');
    const original = fs.readFileSync(file);
    const altered = Buffer.from(original);
    altered[HEADER_ROOM + 1000] = (altered[HEADER_ROOM + 1000] as number) ^ 1;
    fs.writeFileSync(file, altered);
    await expect(images.open(spec.id, keys)).rejects.toThrow(/does not authenticate/);
    fs.writeFileSync(file, original.subarray(0, original.length - 100));
    await expect(images.open(spec.id, keys)).rejects.toThrow(/cut off/);
    fs.writeFileSync(file, original);
    shredded = true;
    await expect(images.open(spec.id, keys)).rejects.toThrow(/destroyed/);
    shredded = false;
    expect(fs.readdirSync(stagingRoot)).toEqual([]);
    // Intact again, it resumes.
    const restored = await images.open(spec.id, keys);
    await rt.restore(spec, restored);
    images.wipe(restored);
    expect((await run(['cat', '/home/user/file.txt'])).out.trim()).toBe(MARKER);
  }, 120_000);

  it('will not stage a plaintext checkpoint outside memory', () => {
    const onDisk = new PausedImages(path.join(stateDir, 'paused2'), path.join(stateDir, 'staging-on-disk'));
    expect(() => onDisk.stage(spec.id)).toThrow(/is not in memory \(tmpfs\): a plaintext checkpoint would touch the disk/);
  });
});
