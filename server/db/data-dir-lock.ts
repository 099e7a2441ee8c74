import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';

/** Another process holds the data directory: start-up stops with this message. */
export class DataDirInUseError extends Error {
  override name = 'DataDirInUseError';
}

/** Open lock connections: referenced here so that garbage collection never closes one (and lets go of its lock). */
const held = new Set<Database.Database>();

/**
 * Takes the data directory for this process alone, for as long as it runs. Two control planes on
 * one directory would each move the ledger's chain from their own idea of its head (the second's
 * events orphaning the first's), so the second is refused before it reads or writes anything.
 * The lock is SQLite's exclusive lock on a file of its own (an fcntl lock): the kernel lets go of
 * it when the process ends, however it ends, so a crash leaves nothing to clean up.
 */
export function lockDataDir(dataDir: string, role: 'control plane' | 'root key rotation'): { release(): void } {
  const file = path.join(dataDir, 'control-plane.lock');
  const pidFile = path.join(dataDir, 'control-plane.pid');
  const db = new Database(file, { timeout: 0 });
  try {
    // No journal file: nothing is ever written to this database, it only holds the lock.
    db.pragma('journal_mode = MEMORY');
    db.pragma('locking_mode = EXCLUSIVE');
    db.exec('BEGIN EXCLUSIVE');
  } catch (error) {
    db.close();
    if ((error as { code?: string }).code !== 'SQLITE_BUSY') throw error;
    const holder = readHolder(pidFile);
    throw new DataDirInUseError(`the data directory ${dataDir} is in use by a ${holder.role} (pid ${holder.pid}): stop it first, or give this one another SBX_DATA_DIR`);
  }
  fs.writeFileSync(pidFile, `${JSON.stringify({ pid: process.pid, role })}\n`, { mode: 0o600 });
  // The connection stays open (and the lock held) until released or the process ends.
  held.add(db);
  return {
    release: () => {
      held.delete(db);
      db.close();
    },
  };
}

function readHolder(pidFile: string): { pid: string; role: string } {
  try {
    const v = JSON.parse(fs.readFileSync(pidFile, 'utf8')) as { pid?: unknown; role?: unknown };
    return { pid: String(v.pid ?? 'unknown'), role: typeof v.role === 'string' ? v.role : 'process of this appliance' };
  } catch {
    return { pid: 'unknown', role: 'process of this appliance' };
  }
}
