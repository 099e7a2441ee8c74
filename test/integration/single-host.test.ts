import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { HostView } from '../../lib/api/hosts';
import type { AuditPage } from '../../lib/api/audit';
import { waitForHost } from '../support/agent';
import { adminClient, startControlPlane } from '../support/control-plane';

/** Pids of processes whose environment names this state directory. */
function agentPids(stateDir: string): number[] {
  const pids: number[] = [];
  for (const p of fs.readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      if (fs.readFileSync(`/proc/${p}/environ`, 'utf8').split('\0').includes(`SBX_AGENT_STATE_DIR=${stateDir}`)) pids.push(Number(p));
    } catch {
      // gone, or not ours to read
    }
  }
  return pids;
}

describe('single-host mode', () => {
  it('enrols and runs a local agent with the control plane, and stops it with it', async () => {
    const cp = await startControlPlane({ SBX_LOCAL_AGENT: 'true' });
    const stateDir = path.join(cp.dataDir, 'local-agent');
    try {
      const admin = await adminClient(cp);
      const deadline = Date.now() + 20_000;
      let hosts: HostView[] = [];
      while (Date.now() < deadline && hosts.length === 0) {
        hosts = ((await admin.get('/api/v1/hosts')).body as { hosts: HostView[] }).hosts;
        if (hosts.length === 0) await new Promise((r) => setTimeout(r, 200));
      }
      expect(hosts).toHaveLength(1);
      const host = await waitForHost(admin, hosts[0]!.id, (h) => h.status === 'online' && h.runscVersion !== null);
      expect(host.labels).toEqual({ host: 'local' });
      const created = ((await admin.get('/api/v1/audit?action=jointoken.create')).body as AuditPage).events[0];
      expect(created?.actor).toMatchObject({ type: 'system' });
      expect(agentPids(stateDir).length).toBeGreaterThan(0);
      expect(fs.statSync(path.join(stateDir, 'agent.key')).mode & 0o777).toBe(0o600);
    } finally {
      expect(await cp.stop()).toBe(0);
    }
    // The agent and the sandboxes of its warm pool (runsc inherits its environment) are all gone.
    for (let i = 0; i < 50 && agentPids(stateDir).length > 0; i++) await new Promise((r) => setTimeout(r, 100));
    expect(agentPids(stateDir)).toEqual([]);
  });
});
