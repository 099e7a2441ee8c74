/**
 * Run by `npm start` before set-up: stops at once (exit 75, naming the pid) when a control plane
 * already runs on this data directory, before set-up rebuilds the console under it.
 */
import fs from 'node:fs';
import { ConfigError, loadConfig } from '../server/config';
import { DataDirInUseError, lockDataDir } from '../server/db/data-dir-lock';

try {
  const { dataDir } = loadConfig();
  // A directory that does not exist yet is in use by no one.
  if (fs.existsSync(dataDir)) lockDataDir(dataDir, 'control plane').release();
} catch (error) {
  if (error instanceof DataDirInUseError) {
    console.error(`sbx: ${error.message}`);
    process.exit(75);
  }
  // Configuration errors are the control plane's to report, after set-up.
  if (!(error instanceof ConfigError)) throw error;
}
