/**
 * Runs the real network enforcer and the real runsc runtime inside the test's `host` namespace
 * (started with `nsenter --net=...` by test/support/egress.ts), driven by JSON lines on stdin:
 * create, exec, apply, destroy, close. Answers and audit decisions go out as JSON lines.
 */
import readline from 'node:readline';
import { NetworkSpec } from '../../lib/api/network';
import { NetworkEnforcer } from '../../agent/network/enforcer';
import { RunscRuntime } from '../../agent/runtime/runsc-runtime';

const [stateDir = '', upstream = '', windowMs = '1000'] = process.argv.slice(2);
const say = (o: object) => process.stdout.write(`${JSON.stringify(o)}\n`);

const runtime = await RunscRuntime.open({ stateDir, platform: 'systrap' });
const leftovers = await runtime.reconcile(new Set());
const { enforcer, removed } = await NetworkEnforcer.open({
  stateDir,
  pool: '10.250.0.0/24',
  upstream: { host: upstream, port: 53 },
  extraFloor: [],
  controlPlaneAddresses: [],
  auditWindowMs: Number(windowMs),
  report: (decisions) => say({ decisions }),
});
say({ ready: true, removed, leftovers });

type Command = { seq: number; op: string; id?: string; spec?: unknown; cmd?: string[]; timeoutMs?: number };

async function handle(c: Command): Promise<object> {
  const id = c.id ?? '';
  switch (c.op) {
    case 'create': {
      const spec = NetworkSpec.parse(c.spec ?? {});
      const network = spec.mode === 'none' ? undefined : await enforcer.attach(id, spec);
      try {
        await runtime.create({ id, image: 'debian-host', cpus: 1, memoryMiB: 256, pids: 256, diskMiB: 64, env: {}, ...(network ? { network } : {}) }, { waitForServer: true });
      } catch (error) {
        await enforcer.detach(id);
        throw error;
      }
      return {};
    }
    case 'exec': {
      let stdout = '';
      let stderr = '';
      const r = await runtime.exec(id, { cmd: c.cmd ?? [], timeoutMs: c.timeoutMs ?? 20_000, onStdout: (d) => (stdout += d), onStderr: (d) => (stderr += d) });
      return { exitCode: r.exitCode, stdout, stderr };
    }
    case 'apply':
      await enforcer.apply(id, NetworkSpec.parse(c.spec));
      return {};
    case 'destroy':
      await runtime.destroy(id);
      await enforcer.detach(id);
      await runtime.drain();
      return {};
    case 'crash':
      // Leaves everything as a killed agent would.
      return process.exit(9);
    case 'close':
      await enforcer.close();
      await runtime.drain();
      setTimeout(() => process.exit(0), 50);
      return {};
    default:
      throw new Error(`unknown op ${c.op}`);
  }
}

for await (const line of readline.createInterface({ input: process.stdin })) {
  const c = JSON.parse(line) as Command;
  handle(c).then(
    (r) => say({ seq: c.seq, ok: true, ...r }),
    (e: unknown) => say({ seq: c.seq, ok: false, error: e instanceof Error ? e.message : String(e) }),
  );
}
