import fs from 'node:fs';
import path from 'node:path';

/**
 * The default image, "debian-host": a read-only root made of the host's own /usr (Debian's
 * python3, node and coreutils, bound read-only) and a generated /etc with nothing of the host's in
 * it. There is no /root, /home (but the sandbox user's own), /var or host environment inside.
 */
export const DEFAULT_IMAGE = 'debian-host';

export type ImagePaths = { rootfs: string; etc: string };

const ETC: Record<string, string> = {
  passwd: 'root:x:0:0:root:/root:/usr/sbin/nologin\nuser:x:1000:1000:sandbox user:/home/user:/bin/sh\n',
  group: 'root:x:0:\nuser:x:1000:\n',
  hosts: '127.0.0.1 localhost\n::1 localhost\n',
  hostname: 'sandbox\n',
  'nsswitch.conf': 'passwd: files\ngroup: files\nhosts: files dns\n',
  // A sandbox with a network gets its own, naming its host agent's resolver, bound over this one.
  'resolv.conf': '# no network\n',
};

/** Builds the image's skeleton once (idempotent): mount points, the merged-/usr links and /etc. */
export function ensureHostImage(imagesDir: string): ImagePaths {
  const base = path.join(imagesDir, DEFAULT_IMAGE);
  const rootfs = path.join(base, 'rootfs');
  const etc = path.join(base, 'etc');
  // Modes are set explicitly: the agent may run under a tight umask (the control plane's is 077),
  // and the sandbox's own user must be able to walk the image.
  for (const d of ['usr', 'etc', 'proc', 'dev', 'sys', 'tmp', 'home/user']) fs.mkdirSync(path.join(rootfs, d), { recursive: true });
  for (const d of [base, rootfs, ...['usr', 'etc', 'proc', 'dev', 'sys', 'tmp', 'home', 'home/user'].map((x) => path.join(rootfs, x))]) fs.chmodSync(d, 0o755);
  for (const [link, target] of [['bin', 'usr/bin'], ['lib', 'usr/lib'], ['lib64', 'usr/lib64'], ['sbin', 'usr/sbin']] as const) {
    const p = path.join(rootfs, link);
    // lstat, not exists: the link's target (an empty mount point) does not resolve on the host.
    let present = false;
    try {
      present = fs.lstatSync(p).isSymbolicLink();
    } catch {
      present = false;
    }
    if (!present) fs.symlinkSync(target, p);
  }
  fs.mkdirSync(etc, { recursive: true });
  fs.chmodSync(etc, 0o755);
  for (const [name, content] of Object.entries(ETC)) {
    fs.writeFileSync(path.join(etc, name), content);
    fs.chmodSync(path.join(etc, name), 0o644);
  }
  return { rootfs, etc };
}
