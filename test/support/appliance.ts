import fs from 'node:fs';
import path from 'node:path';
import type { HostView } from '../../lib/api/hosts';
import { waitForHost } from './agent';
import { adminClient, startControlPlane, type ControlPlane } from './control-plane';

type Admin = Awaited<ReturnType<typeof adminClient>>;

/** Waits until the control plane's local agent has enrolled and reports itself online and healthy. */
export async function waitForLocalHost(admin: Admin): Promise<HostView> {
  for (let i = 0; i < 100; i++) {
    const host = ((await admin.get('/api/v1/hosts')).body as { hosts: HostView[] }).hosts[0];
    if (host) return waitForHost(admin, host.id, (h) => h.status === 'online' && h.health?.status === 'ok');
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error('the local agent did not enrol');
}

/**
 * A started appliance with its local agent (real runsc) online, the admin signed in, and SDK
 * options for the developer API key the first start wrote into bootstrap.json.
 */
export async function startAppliance(env: Record<string, string> = {}): Promise<{
  cp: ControlPlane;
  admin: Admin;
  opts: { url: string; apiKey: string; caFile: string };
}> {
  const cp = await startControlPlane({ SBX_LOCAL_AGENT: 'true', ...env });
  const admin = await adminClient(cp);
  await waitForLocalHost(admin);
  const bootstrap = JSON.parse(fs.readFileSync(path.join(cp.dataDir, 'bootstrap.json'), 'utf8')) as { developerApiKey: string };
  return { cp, admin, opts: { url: `https://localhost:${cp.port}`, apiKey: bootstrap.developerApiKey, caFile: path.join(cp.dataDir, 'pki', 'ca.crt') } };
}
