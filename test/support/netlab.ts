import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '../..');

/** Addresses of the test internet (documentation ranges; the test owns them in its own namespace). */
export const NET = {
  allowedSite: '203.0.113.10',
  otherSite: '203.0.113.11',
  metadata: '169.254.169.254',
  dns: '203.0.113.53',
  /** The agent host's uplink (its only way out). */
  hostUplink: '192.0.2.2',
  internetSide: '192.0.2.1',
} as const;

/** Lines the test internet printed: DNS queries, HTTP requests and UDP datagrams it received. */
export type Seen = { dns?: string; type?: string; http?: string; host?: string | null; udp?: string; tls?: boolean };

export type NetLab = {
  /** The namespace the agent under test runs in; its only uplink is the test internet. */
  hostNs: string;
  /**
   * A point-to-point link from this machine's namespace to `host`, for the test to reach a control
   * plane running there (the agent puts the link's network in its deny floor).
   */
  mgmt: { host: string; root: string; cidr: string };
  internetNs: string;
  seen: () => Seen[];
  stop: () => Promise<void>;
};

const ip = (...args: string[]) => execFileSync('ip', args, { stdio: ['ignore', 'ignore', 'pipe'] });

/**
 * Makes a test internet in two network namespaces of its own: `internet` (DNS, HTTP, TLS and UDP
 * servers on documentation addresses and on 169.254.169.254) and `host` (where the agent under
 * test runs, whose only link goes to `internet`). Nothing here can reach this machine's network.
 */
export async function startNetLab(zone: Record<string, string[]>): Promise<NetLab> {
  const tag = randomBytes(3).toString('hex');
  const internetNs = `sbxt-${tag}-inet`;
  const hostNs = `sbxt-${tag}-host`;
  ip('netns', 'add', internetNs);
  ip('netns', 'add', hostNs);
  try {
    return await populate(zone, tag, internetNs, hostNs);
  } catch (error) {
    for (const ns of [hostNs, internetNs]) execFileSync('ip', ['netns', 'del', ns], { stdio: 'ignore' });
    throw error;
  }
}

async function populate(zone: Record<string, string[]>, tag: string, internetNs: string, hostNs: string): Promise<NetLab> {
  const n = (ns: string, ...args: string[]) => ip('-n', ns, ...args);
  ip('link', 'add', `sbxtu${tag}`, 'netns', hostNs, 'type', 'veth', 'peer', 'name', `sbxti${tag}`, 'netns', internetNs);
  n(hostNs, 'link', 'set', 'lo', 'up');
  n(hostNs, 'addr', 'add', `${NET.hostUplink}/30`, 'dev', `sbxtu${tag}`);
  n(hostNs, 'link', 'set', `sbxtu${tag}`, 'up');
  n(hostNs, 'route', 'add', 'default', 'via', NET.internetSide);
  const third = parseInt(tag.slice(0, 2), 16);
  const mgmt = { root: `198.18.${third}.1`, host: `198.18.${third}.2`, cidr: `198.18.${third}.0/30` };
  ip('link', 'add', `sbxtm${tag}`, 'type', 'veth', 'peer', 'name', `sbxtn${tag}`, 'netns', hostNs);
  ip('addr', 'add', `${mgmt.root}/30`, 'dev', `sbxtm${tag}`);
  ip('link', 'set', `sbxtm${tag}`, 'up');
  n(hostNs, 'addr', 'add', `${mgmt.host}/30`, 'dev', `sbxtn${tag}`);
  n(hostNs, 'link', 'set', `sbxtn${tag}`, 'up');
  n(internetNs, 'link', 'set', 'lo', 'up');
  n(internetNs, 'addr', 'add', `${NET.internetSide}/30`, 'dev', `sbxti${tag}`);
  n(internetNs, 'link', 'set', `sbxti${tag}`, 'up');
  // The sites' addresses sit on the namespace's loopback (no dummy interfaces on this kernel).
  const sites = [NET.allowedSite, NET.otherSite, NET.metadata, NET.dns];
  for (const a of sites) n(internetNs, 'addr', 'add', `${a}/32`, 'dev', 'lo');

  const certDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sbxt-cert-'));
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', `${certDir}/key.pem`, '-out', `${certDir}/cert.pem`, '-subj', '/CN=allowed.test', '-days', '1'], { stdio: 'ignore' });
  let out = '';
  const servers: ChildProcess = spawn('ip', ['netns', 'exec', internetNs, process.execPath, '--import', 'tsx', path.join(root, 'test/support/netlab-servers.ts'), JSON.stringify(zone), JSON.stringify(sites), certDir], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  servers.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  servers.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  const deadline = Date.now() + 20_000;
  while (!out.includes('"ready":true')) {
    if (Date.now() > deadline || servers.exitCode !== null) throw new Error(`the test internet did not start: ${out}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    hostNs,
    internetNs,
    mgmt,
    seen: () =>
      out
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l) as Seen),
    stop: async () => {
      if (servers.exitCode === null) {
        servers.kill('SIGTERM');
        await new Promise((r) => servers.once('exit', r));
      }
      for (const ns of [hostNs, internetNs]) execFileSync('ip', ['netns', 'del', ns], { stdio: 'ignore' });
      fs.rmSync(certDir, { recursive: true, force: true });
    },
  };
}
