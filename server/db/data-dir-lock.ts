import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';

/** Another process holds the data directory: start-up stops with this message. */
export class DataDirInUseError extends Error {
  override name = 'DataDirInUseError';
}

const held = new Set<Database.Database>();

/**
 * Takes the data directory for this process alone, for as long as it runs. Two control planes on
 * one directory would each move the ledger's chain from their own idea of its head (the second's
 * events orphaning the first's), so the second is refused before it reads or writes anything.
 * The lock is SQLite's exclusive lock on a file of its own (an fcntl lock): the kernel lets go of
 * it when the process ends, however it ends, so a crash leaves nothing to clean up.
 */
export function lockDataDir(dataDir: string): void {
  const file = path.join(dataDir, 'control-plane.lock');
  const pidFile = path.join(dataDir, 'control-plane.pid');
  const db = new Database(file, { timeout: 0 });
  try {
    db.pragma('locking_mode = EXCLUSIVE');
    db.exec('BEGIN EXCLUSIVE');
  } catch (error) {
    db.close();
    if ((error as { code?: string }).code !== 'SQLITE_BUSY') throw error;
    const pid = fs.existsSync(pidFile) ? fs.readFileSync(pidFile, 'utf8').trim() : 'unknown';
    throw new DataDirInUseError(`the data directory ${dataDir} is in use by another control plane (pid ${pid}): stop that one first, or give this one another SBX_DATA_DIR`);
  }
  held.add(db);
  fs.writeFileSync(pidFile, `${process.pid}\n`, { mode: 0o600 });
}
