/**
 * Soak (`npm run bench:soak`): SOAK_CYCLES (1,000) sandboxes created, used once and destroyed
 * through the SDK against a started appliance, SOAK_CONCURRENCY at a time; then checks that
 * nothing is left behind (runsc state, bundles, cgroups, mounts, processes, database rows) and
 * that the agent's memory and descriptors did not grow. Exits 1 when anything leaked.
 */
import fs from 'node:fs';
import path from 'node:path';
import { Sandbox } from '../../sdk';
import { localAgentPid } from '../support/agent';
import { startAppliance } from '../support/appliance';

const CYCLES = Number(process.env.SOAK_CYCLES ?? 1000);
const CONCURRENCY = Number(process.env.SOAK_CONCURRENCY ?? 4);
const POOL = 2;

const rssMiB = (pid: number) => Number(/VmRSS:\s+(\d+)/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) / 1024;
const fds = (pid: number) => fs.readdirSync(`/proc/${pid}/fd`).length;

/** What sandboxes exist on this host under the agent state dir `stateDir`. */
function footprint(stateDir: string) {
  const dir = (p: string) => (fs.existsSync(p) ? fs.readdirSync(p).filter((d) => d.startsWith('sbx-')) : []);
  const cgroups = fs.existsSync('/sys/fs/cgroup/memory/sbx') ? dir('/sys/fs/cgroup/memory/sbx') : [];
  const processes = fs
    .readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .filter((p) => {
      try {
        const cmd = fs.readFileSync(`/proc/${p}/cmdline`, 'utf8');
        return cmd.startsWith('runsc') && cmd.includes(stateDir);
      } catch {
        return false;
      }
    });
  const mounts = fs.readFileSync('/proc/mounts', 'utf8').split('\n').filter((l) => l.includes(stateDir));
  // Every file runsc keeps per sandbox in its state root (state, lock, control socket).
  const runscState = fs.readdirSync(path.join(stateDir, 'sandboxes', 'runsc')).length;
  return { bundles: dir(path.join(stateDir, 'sandboxes', 'bundles')).length, cgroups: cgroups.length, processes: processes.length, mounts: mounts.length, runscState };
}

async function main(): Promise<number> {
  const { cp, admin, opts } = await startAppliance({ SBX_AGENT_WARM_POOL: String(POOL), SBX_LOG_LEVEL: 'error' });
  const stateDir = path.join(cp.dataDir, 'local-agent');
  let failed = false;
  try {
    // Let the warm pool fill before the first measurement.
    await new Promise((r) => setTimeout(r, 3000));
    const agent = localAgentPid(cp.dataDir) as number;
    const before = { agentRss: rssMiB(agent), agentFds: fds(agent), cpRss: rssMiB(cp.pid()), ...footprint(stateDir) };

    let next = 0;
    let done = 0;
    let errors = 0;
    const t0 = performance.now();
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async (_, worker) => {
        while (next < CYCLES) {
          const i = next++;
          try {
            // Alternate pooled (default size) and cold sandboxes so both paths are soaked.
            const s = await Sandbox.create({ ...opts, timeoutSeconds: 120, ...(i % 2 ? { memoryMiB: 384 } : {}) });
            const r = await s.exec(['echo', String(i)]);
            if (r.stdout !== `${i}\n`) throw new Error(`sandbox ${s.id} printed ${JSON.stringify(r.stdout)}`);
            await s.kill();
            done++;
            if (done % 100 === 0) console.log(`soak: ${done}/${CYCLES} cycles (${((done / (performance.now() - t0)) * 1000).toFixed(1)}/s)`);
          } catch (error) {
            errors++;
            console.error(`soak: cycle ${i} (worker ${worker}) failed: ${(error as Error).message}`);
          }
        }
      }),
    );
    const seconds = (performance.now() - t0) / 1000;
    // Tear-down runs off the request path: give it time to finish, then compare.
    let after = footprint(stateDir);
    for (let i = 0; i < 120 && (after.bundles > before.bundles || after.cgroups > before.cgroups || after.processes > before.processes || after.runscState > before.runscState); i++) {
      await new Promise((r) => setTimeout(r, 500));
      after = footprint(stateDir);
    }
    const agentAfter = { agentRss: rssMiB(agent), agentFds: fds(agent), cpRss: rssMiB(cp.pid()) };
    const running = ((await admin.get('/api/v1/sandboxes')).body as { sandboxes: { state: string }[] }).sandboxes.filter((s) => s.state === 'running' || s.state === 'starting').length;

    console.log(`soak: ${done} of ${CYCLES} create+exec+destroy cycles in ${seconds.toFixed(1)} s (${(done / seconds).toFixed(1)}/s, ${CONCURRENCY} at a time), ${errors} failed`);
    console.log(`soak: host footprint before ${JSON.stringify({ bundles: before.bundles, cgroups: before.cgroups, processes: before.processes, mounts: before.mounts, runscState: before.runscState })} (the warm pool of ${POOL})`);
    console.log(`soak: host footprint after  ${JSON.stringify(after)}`);
    console.log(`soak: sandboxes still running per the control plane: ${running}`);
    console.log(`soak: agent RSS ${before.agentRss.toFixed(1)} -> ${agentAfter.agentRss.toFixed(1)} MiB, descriptors ${before.agentFds} -> ${agentAfter.agentFds}; control plane RSS ${before.cpRss.toFixed(1)} -> ${agentAfter.cpRss.toFixed(1)} MiB`);
    const leaked =
      after.bundles > before.bundles || after.cgroups > before.cgroups || after.processes > before.processes || after.mounts > before.mounts || after.runscState > before.runscState;
    if (leaked) console.log(`soak: runsc state now: ${fs.readdirSync(path.join(stateDir, 'sandboxes', 'runsc')).join(' ')}`);
    if (errors > 0 || leaked || running > 0 || agentAfter.agentFds > before.agentFds + 10) failed = true;
  } finally {
    await cp.stop();
  }
  // With the appliance stopped, not even the warm pool may remain.
  await new Promise((r) => setTimeout(r, 1000));
  const final = fs.existsSync('/sys/fs/cgroup/memory/sbx') ? fs.readdirSync('/sys/fs/cgroup/memory/sbx').filter((d) => d.startsWith('sbx-')).length : 0;
  const procs = fs.readdirSync('/proc').filter((d) => /^\d+$/.test(d)).filter((p) => {
    try {
      return fs.readFileSync(`/proc/${p}/cmdline`, 'utf8').includes(stateDir);
    } catch {
      return false;
    }
  }).length;
  console.log(`soak: after the appliance stopped: ${final} sandbox cgroups, ${procs} processes of its state dir`);
  if (final > 0 || procs > 0) failed = true;
  console.log(failed ? 'soak: FAILED (see above)' : 'soak: nothing left behind');
  return failed ? 1 : 0;
}

void main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    console.error(e);
    process.exit(1);
  },
);
