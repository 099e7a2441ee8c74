import { describe, expect, it } from 'vitest';
import { buildOciSpec } from '../../../agent/runtime/oci-spec';

type Spec = {
  process: { args: string[]; user: { uid: number; gid: number }; env: string[]; capabilities: Record<string, string[]>; noNewPrivileges: boolean };
  root: { readonly: boolean };
  mounts: { destination: string; type: string; source: string; options?: string[] }[];
  linux: { namespaces: { type: string }[]; cgroupsPath: string; resources: { memory: { limit: number }; pids: { limit: number }; cpu: { quota: number } } };
};

const spec = buildOciSpec(
  { id: 'sbx-aaaaaaaaaaaaaaaaaaaa', image: 'debian-host', cpus: 1.5, memoryMiB: 512, pids: 200, diskMiB: 128, env: { A: 'b' } },
  { rootfs: '/img/rootfs', etc: '/img/etc' },
) as Spec;

describe('OCI spec of a sandbox', () => {
  it('starts tini and the spawner as the init, able only to become the sandbox user, with no new privileges', () => {
    expect(spec.process.args.slice(0, 6)).toEqual(['/usr/bin/tini', '-s', '--', '/usr/bin/python3', '-u', '-c']);
    expect(spec.process.args[6]).toMatch(/sbx-spawner/);
    expect(spec.process.user).toEqual({ uid: 0, gid: 0 });
    expect(spec.process.noNewPrivileges).toBe(true);
    const { inheritable, ambient, ...held } = spec.process.capabilities;
    expect([inheritable, ambient]).toEqual([[], []]);
    for (const set of Object.values(held)) expect(set).toEqual(['CAP_SETUID', 'CAP_SETGID', 'CAP_SETPCAP']);
    expect(spec.process.env).toContain('A=b');
  });

  it('has a read-only root, the host /usr read-only, and only bounded tmpfs writable', () => {
    expect(spec.root.readonly).toBe(true);
    const usr = spec.mounts.find((m) => m.destination === '/usr');
    expect(usr?.options).toContain('ro');
    const writable = spec.mounts.filter((m) => m.type === 'tmpfs' && m.destination !== '/dev');
    expect(writable.map((m) => m.destination).sort()).toEqual(['/home/user', '/tmp']);
    expect(writable.find((m) => m.destination === '/home/user')?.options).toContain('size=128m');
    const binds = spec.mounts.filter((m) => m.type === 'bind').map((m) => m.source);
    expect(binds).toEqual(['/usr', '/img/etc']);
  });

  it('limits memory, pids and CPU in its own cgroup, without the host network namespace', () => {
    expect(spec.linux.resources.memory.limit).toBe(512 * 1024 * 1024);
    expect(spec.linux.resources.pids.limit).toBe(200);
    expect(spec.linux.resources.cpu.quota).toBe(150_000);
    expect(spec.linux.cgroupsPath).toBe('/sbx/sbx-aaaaaaaaaaaaaaaaaaaa');
    expect(spec.linux.namespaces.map((n) => n.type)).not.toContain('network');
  });
});

describe('default image', () => {
  it('can be prepared again over an existing one (an agent restart)', async () => {
    const fs = await import('node:fs');
    const os = await import('node:os');
    const path = await import('node:path');
    const { ensureHostImage } = await import('../../../agent/runtime/host-image');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sbx-image-'));
    try {
      const first = ensureHostImage(dir);
      expect(() => ensureHostImage(dir)).not.toThrow();
      expect(fs.readlinkSync(path.join(first.rootfs, 'bin'))).toBe('usr/bin');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
