import fs from 'node:fs';
import type { NetworkLease } from './address-pool';
import { mustRun, runCommand } from './run-command';

/** Where `ip netns` keeps named network namespaces. */
export const NETNS_DIR = '/var/run/netns';

/** Writes a sysctl of the agent's own network namespace (through /proc, no tool needed). */
export function setSysctl(name: string, value: string): void {
  fs.writeFileSync(`/proc/sys/${name.replaceAll('.', '/')}`, value);
}

/**
 * A fresh network namespace for one sandbox and a veth pair into it: the host end carries the
 * sandbox's gateway address, the namespace end the sandbox's address and a default route. gVisor
 * takes that interface over at start (its own network stack). IPv6 is off on both ends.
 */
export async function createPlumbing(netns: string, lease: NetworkLease): Promise<void> {
  await mustRun('ip', ['netns', 'add', netns]);
  try {
    await mustRun('ip', ['link', 'add', lease.hostIf, 'type', 'veth', 'peer', 'name', lease.peerIf, 'netns', netns]);
    setSysctl(`net.ipv6.conf.${lease.hostIf}.disable_ipv6`, '1');
    await mustRun('ip', ['addr', 'add', `${lease.gateway}/30`, 'dev', lease.hostIf]);
    await mustRun('ip', ['link', 'set', lease.hostIf, 'up']);
    const inside = [
      `link set ${lease.peerIf} name eth0`,
      `addr add ${lease.address}/30 dev eth0`,
      'link set eth0 up',
      'link set lo up',
      `route add default via ${lease.gateway}`,
    ];
    await mustRun('ip', ['-n', netns, '-batch', '-'], { input: `${inside.join('\n')}\n` });
  } catch (error) {
    await destroyPlumbing(netns, lease);
    throw error;
  }
}

/** Removes a sandbox's namespace and veth pair; what is already gone is not an error. */
export async function destroyPlumbing(netns: string, lease: Pick<NetworkLease, 'hostIf'>): Promise<void> {
  await runCommand('ip', ['link', 'del', lease.hostIf]);
  await runCommand('ip', ['netns', 'del', netns]);
}
