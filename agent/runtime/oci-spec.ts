import fs from 'node:fs';
import path from 'node:path';
import { SANDBOX_HOME } from '../../lib/api/sandboxes';
import type { ImagePaths } from './host-image';
import type { SandboxSpec } from './types';

export const SANDBOX_USER = '1000:1000';
const KEEPER_CAPS = ['CAP_SETUID', 'CAP_SETGID', 'CAP_SETPCAP'];
const SPAWNER = fs.readFileSync(path.join(import.meta.dirname, 'spawner.py'), 'utf8');
const BASE_PATH = 'PATH=/usr/local/bin:/usr/bin:/bin';

/** The cgroup of a sandbox, under the agent's own parent. */
export function cgroupPath(id: string): string {
  return `/sbx/${id}`;
}

/**
 * The OCI runtime spec of a sandbox: a read-only root, the host's /usr bound read-only, a
 * generated /etc, size-bounded tmpfs for /tmp and the user's home (the writable layer), no
 * capabilities for anything the user runs, no network namespace of the host, cgroup limits for
 * memory, pids and CPU. Its first process is tini (root, out of the user's reach), under it the
 * spawner (spawner.py) that starts every command as the sandbox user: what commands start then
 * belongs to the sandbox's own process tree, which a checkpoint keeps.
 */
export function buildOciSpec(spec: SandboxSpec, image: ImagePaths, resolvConf?: string): object {
  const env = [BASE_PATH, `HOME=${SANDBOX_HOME}`, ...Object.entries(spec.env).map(([k, v]) => `${k}=${v}`)];
  return {
    ociVersion: '1.0.2',
    process: {
      user: { uid: 0, gid: 0 },
      args: ['/usr/bin/tini', '-s', '--', '/usr/bin/python3', '-u', '-c', SPAWNER],
      env,
      cwd: '/',
      noNewPrivileges: true,
      // Only for the spawner's keeper to become the sandbox user: commands have none (spawner.py drops them all).
      capabilities: { bounding: KEEPER_CAPS, effective: KEEPER_CAPS, permitted: KEEPER_CAPS, inheritable: [], ambient: [] },
      rlimits: [{ type: 'RLIMIT_NOFILE', hard: 4096, soft: 4096 }],
    },
    root: { path: image.rootfs, readonly: true },
    hostname: 'sandbox',
    mounts: [
      { destination: '/proc', type: 'proc', source: 'proc' },
      { destination: '/dev', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'mode=755'] },
      { destination: '/sys', type: 'sysfs', source: 'sysfs', options: ['ro', 'nosuid', 'noexec', 'nodev'] },
      { destination: '/usr', type: 'bind', source: '/usr', options: ['rbind', 'ro', 'nosuid', 'nodev'] },
      { destination: '/etc', type: 'bind', source: image.etc, options: ['rbind', 'ro'] },
      ...(resolvConf ? [{ destination: '/etc/resolv.conf', type: 'bind', source: resolvConf, options: ['bind', 'ro'] }] : []),
      { destination: '/tmp', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'nodev', `size=${Math.max(1, Math.floor(spec.diskMiB / 2))}m`, 'mode=1777'] },
      {
        destination: SANDBOX_HOME,
        type: 'tmpfs',
        source: 'tmpfs',
        options: ['nosuid', 'nodev', `size=${spec.diskMiB}m`, 'mode=0755', 'uid=1000', 'gid=1000'],
      },
    ],
    linux: {
      namespaces: [{ type: 'pid' }, { type: 'ipc' }, { type: 'uts' }, { type: 'mount' }, ...(spec.network ? [{ type: 'network', path: spec.network.netnsPath }] : [])],
      cgroupsPath: cgroupPath(spec.id),
      resources: {
        memory: { limit: spec.memoryMiB * 1024 * 1024 },
        pids: { limit: spec.pids },
        cpu: { quota: Math.round(spec.cpus * 100_000), period: 100_000 },
      },
    },
  };
}
