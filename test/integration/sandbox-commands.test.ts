import { spawnSync } from 'node:child_process';
import https from 'node:https';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CommandTimeoutError, InvalidArgumentError, MemoryLimitExceededError, NoCapacityError, Sandbox } from '../../sdk';
import type { AuditPage } from '../../lib/api/audit';
import { startAppliance } from '../support/appliance';
import type { adminClient, ControlPlane } from '../support/control-plane';

let cp: ControlPlane;
let admin: Awaited<ReturnType<typeof adminClient>>;
let opts: { url: string; apiKey: string; caFile: string };
let sandbox: Sandbox;

beforeAll(async () => {
  ({ cp, admin, opts } = await startAppliance());
  sandbox = await Sandbox.create({ timeoutSeconds: 300, ...opts });
});
afterAll(async () => {
  await sandbox?.kill().catch(() => undefined);
  await cp?.stop();
});

describe('background commands, command history and typed errors (real runsc)', () => {
  it('a background command answers at once, can be waited on (its output replayed), and is kept in the history', async () => {
    const t0 = Date.now();
    const handle = await sandbox.exec(['sh', '-c', 'echo first; sleep 1; echo second; echo oops >&2; exit 3'], { background: true });
    expect(Date.now() - t0).toBeLessThan(900);
    expect(handle.info).toMatchObject({ state: 'running', background: true, sandboxId: sandbox.id });
    await new Promise((r) => setTimeout(r, 300));
    const seen: string[] = [];
    const r = await handle.wait({ onStdout: (s) => seen.push(s) });
    expect(r).toMatchObject({ commandId: handle.id, exitCode: 3, stdout: 'first\nsecond\n', stderr: 'oops\n' });
    expect(seen.join('')).toBe('first\nsecond\n');
    // Waiting again after the end gives the same answer.
    expect(await (await sandbox.command(handle.id)).wait()).toMatchObject({ exitCode: 3, stdout: 'first\nsecond\n' });
    const history = await sandbox.commands();
    expect(history.find((c) => c.id === handle.id)).toMatchObject({ state: 'exited', exitCode: 3, background: true, command: "sh -c 'echo first; sleep 1; echo second; echo oops >&2; exit 3'" });
    expect(history.find((c) => c.id === handle.id)?.durationMs).toBeGreaterThanOrEqual(1000);
  });

  it('a background command can be killed later; the sandbox goes on; the kill is audited', async () => {
    const handle = await sandbox.exec('sleep 60', { background: true });
    await new Promise((r) => setTimeout(r, 300));
    const killed = await handle.kill();
    expect(killed).toMatchObject({ state: 'killed', signal: 'SIGKILL', exitCode: null });
    expect(await handle.wait()).toMatchObject({ exitCode: null, signal: 'SIGKILL' });
    expect((await sandbox.exec('echo still here')).stdout).toBe('still here\n');
    const audit = (await admin.get('/api/v1/audit?action=sandbox.exec')).body as AuditPage;
    expect(audit.events.some((e) => (e.details as { phase: string; commandId?: string }).phase === 'kill' && (e.details as { commandId?: string }).commandId === handle.id)).toBe(true);
  });

  it('a foreground command whose caller goes away is killed', async () => {
    const commandId = await new Promise<string>((resolve, reject) => {
      const req = https.request(
        { host: '127.0.0.1', port: cp.port, path: `/api/v1/sandboxes/${sandbox.id}/exec`, method: 'POST', ca: cp.ca, servername: 'localhost', headers: { authorization: `Bearer ${opts.apiKey}`, 'content-type': 'application/json' } },
        (res) => {
          res.once('data', (d: Buffer) => {
            const first = JSON.parse(d.toString().split('\n')[0] ?? '{}') as { commandId: string };
            req.destroy();
            resolve(first.commandId);
          });
        },
      );
      req.on('error', () => undefined);
      req.end(JSON.stringify({ cmd: ['sleep', '60'] }));
      setTimeout(() => reject(new Error('no start event')), 10_000);
    });
    let state = 'running';
    for (let i = 0; i < 40 && state === 'running'; i++) {
      await new Promise((r) => setTimeout(r, 250));
      state = (await sandbox.commands()).find((c) => c.id === commandId)?.state ?? 'missing';
    }
    expect(state).toBe('killed');
  });

  it('typed errors: timeout, a command that cannot start, no capacity, memory limit exceeded', async () => {
    const timedOut = await sandbox.exec('echo before; sleep 5', { timeoutMs: 400 }).catch((e: unknown) => e);
    expect(timedOut).toBeInstanceOf(CommandTimeoutError);
    expect((timedOut as CommandTimeoutError).result).toMatchObject({ timedOut: true, stdout: 'before\n' });
    await expect(sandbox.exec(['/no/such/program'])).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(Sandbox.create({ hostLabels: { zone: 'mars' }, ...opts })).rejects.toBeInstanceOf(NoCapacityError);

    const small = await Sandbox.create({ memoryMiB: 64, timeoutSeconds: 120, ...opts });
    await expect(small.exec(['python3', '-c', 'b = bytearray(400 * 1024 * 1024); print(len(b))'])).rejects.toBeInstanceOf(MemoryLimitExceededError);
    await expect(small.exec('true')).rejects.toBeInstanceOf(MemoryLimitExceededError);
    expect((await Sandbox.connect(small.id, opts)).info).toMatchObject({ state: 'failed', stateReason: 'memory limit exceeded' });
  });

  it('sbx exec --background, sbx command wait (exit code) and sbx command list', () => {
    const env = { PATH: process.env.PATH ?? '', NODE_ENV: 'production' as const, SBX_URL: opts.url, SBX_API_KEY: opts.apiKey, SBX_CA_FILE: opts.caFile, SBX_CONFIG: '/nonexistent' };
    const sbx = (args: string[]) => spawnSync(path.resolve(import.meta.dirname, '../../bin/sbx'), args, { env, encoding: 'utf8', timeout: 60_000 });
    const started = sbx(['exec', '--background', sandbox.id, '--', 'sh', '-c', 'sleep 0.5; echo done; exit 5']);
    expect(started.status).toBe(0);
    const commandId = started.stdout.trim();
    expect(commandId).toMatch(/^cmd-[a-z0-9]{20}$/);
    const waited = sbx(['command', 'wait', sandbox.id, commandId]);
    expect(waited.stdout).toBe('done\n');
    expect(waited.status).toBe(5);
    expect(sbx(['command', 'list', sandbox.id]).stdout).toContain(commandId);
    const timeout = sbx(['exec', '--timeout', '1s', sandbox.id, '--', 'sleep', '30']);
    expect(timeout.status).toBe(124);
    expect(timeout.stderr).toContain('killed at its timeout');
  });
});
