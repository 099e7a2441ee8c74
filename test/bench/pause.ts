/**
 * Pause/resume benchmark (`npm run bench:pause`): how long a pause (checkpoint) and a resume
 * (restore) take for an idle sandbox and for one holding 256 MiB, raw (runsc checkpoint to a
 * directory on disk, restore from it) against ours (checkpoint into memory, each file encrypted to
 * disk as an envelope; decrypted into memory, restored), in the same run, median of 3. The data
 * keys come from a KEK in this process (the control plane's round trip over mTLS is not in it).
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { RunscRuntime } from '../../agent/runtime/runsc-runtime';
import type { SandboxSpec } from '../../agent/runtime/types';
import { PausedImages, type DataKeys } from '../../agent/sandboxes/paused-images';
import { unwrapDataKey, wrapDataKey } from '../../lib/envelope/wrap';
import { newSandboxId } from '../../lib/wire/ids';

const ROUNDS = 3;
const kek = randomBytes(32);
const ref = { id: 'kek-bench', version: 1 };
const keys: DataKeys = {
  issue: async (_id, context) => {
    const dataKey = randomBytes(32);
    return { dataKey: Buffer.from(dataKey), kek: ref, wrappedKey: wrapDataKey(kek, ref, { context, host: 'this-host' }, dataKey) };
  },
  rewrap: async (_id, h) => ({ kek: h.kek, wrappedKey: h.wrappedKey }),
  unwrap: async (_id, h) => unwrapDataKey(kek, h.kek, { context: h.context, host: 'this-host' }, h.wrappedKey) ?? Buffer.alloc(32),
};
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
const ms = (t0: number) => performance.now() - t0;

async function main(): Promise<void> {
  const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sbx-bench-pause-'));
  const runDir = fs.mkdtempSync('/dev/shm/sbx-bench-pause-run-');
  const staging = fs.mkdtempSync('/dev/shm/sbx-bench-pause-stage-');
  const rt = await RunscRuntime.open({ stateDir, runDir, platform: 'systrap' });
  const images = new PausedImages(path.join(stateDir, 'paused'), staging);
  const rawDir = path.join(stateDir, 'raw');
  try {
    for (const [label, setup] of [
      ['idle', 'true'],
      ['holding 256 MiB', 'nohup python3 -c "import os, time; x = os.urandom(256 << 20); time.sleep(10**6)" >/dev/null 2>&1 & sleep 2'],
    ] as const) {
      const spec: SandboxSpec = { id: newSandboxId(), image: 'debian-host', cpus: 1, memoryMiB: 1024, pids: 128, diskMiB: 64, env: {} };
      await rt.create(spec, { waitForServer: true });
      await rt.exec(spec.id, { cmd: ['sh', '-c', setup] });
      const t = { rawPause: [] as number[], rawResume: [] as number[], pause: [] as number[], resume: [] as number[] };
      let rawBytes = 0;
      let sealedBytes = 0;
      for (let i = 0; i < ROUNDS; i++) {
        fs.rmSync(rawDir, { recursive: true, force: true });
        fs.mkdirSync(rawDir);
        let t0 = performance.now();
        await rt.checkpoint(spec.id, rawDir);
        t.rawPause.push(ms(t0));
        rawBytes = fs.readdirSync(rawDir).reduce((n, f) => n + fs.statSync(path.join(rawDir, f)).size, 0);
        t0 = performance.now();
        await rt.restore(spec, rawDir);
        t.rawResume.push(ms(t0));

        t0 = performance.now();
        const stage = images.stage(spec.id);
        await rt.checkpoint(spec.id, stage);
        sealedBytes = (await images.seal(spec.id, stage, keys)).bytes;
        t.pause.push(ms(t0));
        t0 = performance.now();
        const opened = await images.open(spec.id, keys);
        await rt.restore(spec, opened);
        images.wipe(opened);
        t.resume.push(ms(t0));
        images.remove(spec.id);
      }
      await rt.destroy(spec.id);
      const f = (x: number[]) => `${Math.round(median(x))} ms`;
      const ratio = (a: number[], b: number[]) => (median(a) / median(b)).toFixed(2);
      console.log(`${label} (image ${(rawBytes / 1048576).toFixed(1)} MiB raw, ${(sealedBytes / 1048576).toFixed(1)} MiB sealed):`);
      console.log(`  pause:  raw ${f(t.rawPause)}, encrypted ${f(t.pause)} (${ratio(t.pause, t.rawPause)}x)`);
      console.log(`  resume: raw ${f(t.rawResume)}, encrypted ${f(t.resume)} (${ratio(t.resume, t.rawResume)}x)`);
    }
  } finally {
    await rt.close();
    for (const d of [stateDir, runDir, staging]) fs.rmSync(d, { recursive: true, force: true });
    spawnSync('sync');
  }
}

void main();
