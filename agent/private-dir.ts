import fs from 'node:fs';
import path from 'node:path';

/** Linux's magic number of tmpfs. */
const TMPFS = 0x01021994;

/** A directory the agent may not use, and why (the message names the setting that moves it). */
export class PrivateDirError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PrivateDirError';
  }
}

/**
 * Makes sure `dir` is the agent's own: made fresh with mode 0700 if it is not there, else a real
 * directory (no symbolic link) owned by the agent's user with mode 0700. The agent's directories
 * live where anyone may create files (/dev/shm); one that someone else made first, or left open,
 * could let them read sandbox specs and checkpoints or swap files under the agent: it is refused,
 * never reused. `inMemory`: it must also be on tmpfs, and this says what would touch the disk otherwise.
 */
export function ensurePrivateDir(dir: string, setting: string, opts: { inMemory?: string } = {}): void {
  const abs = path.resolve(dir);
  fs.mkdirSync(path.dirname(abs), { recursive: true, mode: 0o700 });
  try {
    fs.mkdirSync(abs, { mode: 0o700 });
    // The umask cannot widen it, but a parent's default ACL could: say it outright.
    fs.chmodSync(abs, 0o700);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  const st = fs.lstatSync(abs);
  const uid = process.geteuid?.() ?? 0;
  const problem = st.isSymbolicLink()
    ? 'is a symbolic link'
    : !st.isDirectory()
      ? 'is not a directory'
      : st.uid !== uid
        ? `is owned by uid ${st.uid}, not by the agent (uid ${uid})`
        : (st.mode & 0o7777) !== 0o700
          ? `has mode ${(st.mode & 0o7777).toString(8).padStart(4, '0')}`
          : null;
  if (problem) {
    throw new PrivateDirError(`${setting}: ${abs} already exists and ${problem}; the agent uses only a directory of its own (owned by it, mode 0700). Remove it, or set ${setting} to another path.`);
  }
  if (opts.inMemory && fs.statfsSync(abs).type !== TMPFS) {
    throw new PrivateDirError(`${setting}: ${abs} is not in memory (tmpfs): ${opts.inMemory}`);
  }
}

/** A fresh directory of the agent's own inside `parent` (checked with ensurePrivateDir), named `prefix` and random letters. */
export function freshPrivateDir(parent: string, setting: string, prefix: string, inMemory?: string): string {
  ensurePrivateDir(parent, setting, inMemory === undefined ? {} : { inMemory });
  return fs.mkdtempSync(path.join(parent, prefix));
}
