import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuditPage } from '../../lib/api/audit';
import type { HostView } from '../../lib/api/hosts';
import { Sandbox } from '../../sdk';
import { startAppliance } from '../support/appliance';
import type { adminClient, ControlPlane } from '../support/control-plane';

// A sandbox's user attacks its host agent through the sandbox's own plumbing: it kills the
// spawner (which runs as that user) and tries to take over its socket name, so that the command
// server would take the attacker's answer ({"error": NaN}, not JSON at all once passed on) for the
// spawner's. The agent and every other sandbox on the host must carry on.
let cp: ControlPlane;
let admin: Awaited<ReturnType<typeof adminClient>>;
let attacker: Sandbox;
let bystander: Sandbox;

/** Kills the spawner (the user's process whose parent is the root keeper under tini) and binds its name. */
const HIJACK = String.raw`
import os, socket, time, signal
def status(pid):
    try:
        return dict(l.split(':\t', 1) for l in open('/proc/%s/status' % pid).read().splitlines() if ':\t' in l)
    except OSError:
        return {}
procs = {p: status(p) for p in os.listdir('/proc') if p.isdigit()}
keepers = [p for p, s in procs.items() if s.get('PPid', '').strip() == '1' and s.get('Uid', '').split()[0] == '0']
spawners = [p for p, s in procs.items() if s.get('PPid', '').strip() in keepers and s.get('Uid', '').split()[0] == '1000']
log = open('/tmp/hijack.log', 'w', buffering=1)
log.write('spawners %s\n' % spawners)
srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
for p in spawners:
    os.kill(int(p), signal.SIGKILL)
bound = False
deadline = time.time() + 3
while time.time() < deadline and not bound:
    try:
        srv.bind('\0sbx-spawner')
        bound = True
    except OSError:
        pass
log.write('bound\n' if bound else 'refused\n')
if bound:
    srv.listen(16)
    srv.settimeout(20)
    try:
        while True:
            conn, _ = srv.accept()
            conn.recv(1 << 20)
            conn.sendall(b'{"error": NaN}\n')
            conn.close()
            log.write('answered\n')
    except OSError:
        pass
`;

beforeAll(async () => {
  let opts: { url: string; apiKey: string; caFile: string };
  ({ cp, admin, opts } = await startAppliance());
  attacker = await Sandbox.create({ timeoutSeconds: 300, ...opts });
  bystander = await Sandbox.create({ timeoutSeconds: 300, ...opts });
}, 180_000);
afterAll(async () => {
  await attacker?.kill().catch(() => undefined);
  await bystander?.kill().catch(() => undefined);
  await cp?.stop();
});

describe('a sandbox that attacks its host agent', () => {
  it('cannot claim the spawner socket, and its commands, the agent and the other sandboxes go on', async () => {
    await attacker.files.write('/tmp/hijack.py', HIJACK);
    await attacker.exec(['sh', '-c', 'python3 /tmp/hijack.py >/dev/null 2>&1 </dev/null &']);
    await new Promise((r) => setTimeout(r, 3500));
    // Commands of the attacking sandbox still run (through the restarted spawner).
    for (let i = 0; i < 3; i++) {
      const r = await attacker.exec(['sh', '-c', `echo run ${i}`]);
      expect(r).toMatchObject({ exitCode: 0, stdout: `run ${i}\n` });
    }
    const log = (await attacker.exec(['cat', '/tmp/hijack.log'])).stdout;
    expect(log).toMatch(/^spawners \['\d+'\]$/m);
    expect(log).toContain('refused');
    expect(log).not.toContain('bound');
    // The neighbour runs on, and the agent never restarted (a restart's reconcile would have ended both).
    expect(await bystander.exec(['echo', 'still here'])).toMatchObject({ exitCode: 0, stdout: 'still here\n' });
    expect((await bystander.refresh()).state).toBe('running');
    const reconciles = (await admin.get('/api/v1/audit?action=agent.reconcile')).body as AuditPage;
    expect(reconciles.events.filter((e) => ((e.details as { lost?: string[] }).lost ?? []).length > 0)).toEqual([]);
    const host = ((await admin.get('/api/v1/hosts')).body as { hosts: HostView[] }).hosts[0];
    expect(host?.status).toBe('online');
  }, 120_000);
});
