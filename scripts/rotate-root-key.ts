/**
 * `npm run root-key:rotate -- --to passphrase|file|generated [--file FILE]`: seals every secret of
 * the data directory again under a new root key, with the control plane stopped. The current key
 * is supplied as the control plane takes it (SBX_DATA_DIR, SBX_ROOT_KEY_FILE or
 * SBX_ROOT_PASSPHRASE_FILE); the new one by the flags. Exit 0 done, 64 bad arguments, 75 the
 * control plane runs, 78 the current key does not open the directory or the new one is unusable.
 */
import path from 'node:path';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { ConfigError, loadConfig } from '../server/config';
import { DataDirInUseError } from '../server/db/data-dir-lock';
import { RootKeyError, type RootKeySource } from '../server/keys/root-key';
import { rotateRootKey } from '../server/keys/rotate-root-key';

const USAGE = 'usage: npm run root-key:rotate -- --to passphrase --file FILE | --to file --file FILE | --to generated';

const Target = z.discriminatedUnion('to', [
  z.object({ to: z.literal('passphrase'), file: z.string({ error: '--file: expected the file that holds the new passphrase' }).min(1) }),
  z.object({ to: z.literal('file'), file: z.string({ error: '--file: expected the file that holds the new key (32 bytes in base64)' }).min(1) }),
  z.object({ to: z.literal('generated'), file: z.undefined({ error: '--file: not with --to generated (the key is made in the data directory)' }).optional() }),
], { error: '--to: expected passphrase, file or generated' });

function fail(code: number, message: string): never {
  console.error(`sbx: root key rotation: ${message}`);
  process.exit(code);
}

function target(): RootKeySource {
  let values: Record<string, unknown>;
  try {
    ({ values } = parseArgs({ options: { to: { type: 'string' }, file: { type: 'string' } }, strict: true }));
  } catch (error) {
    fail(64, `${(error as Error).message}\n${USAGE}`);
  }
  const t = Target.safeParse(values);
  if (!t.success) fail(64, `${t.error.issues[0]?.message ?? 'bad arguments'}\n${USAGE}`);
  return t.data.to === 'generated' ? { kind: 'generated' } : { kind: t.data.to, file: path.resolve(t.data.file) };
}

function main(): void {
  const next = target();
  let config;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) fail(78, `configuration error: ${error.message}`);
    throw error;
  }
  try {
    const done = rotateRootKey({ dataDir: config.dataDir, databaseFile: config.databaseFile, migrationsDir: path.join(config.projectRoot, 'prisma', 'migrations'), current: config.rootKey, next });
    console.log(
      `root key rotated (${done.previousKind} -> ${done.kind}): the CA key, ${done.ledgerKeys} ledger signing key(s), ${done.kekVersions} KEK version(s) and ${done.siemDestinations} SIEM destination(s) are sealed with the new key. Start the control plane with it; the old one no longer opens ${config.dataDir}.`,
    );
  } catch (error) {
    if (error instanceof DataDirInUseError) fail(75, error.message);
    if (error instanceof RootKeyError) fail(78, error.message);
    throw error;
  }
}

main();
