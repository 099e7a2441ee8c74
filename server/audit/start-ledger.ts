import path from 'node:path';
import type { Logger } from 'pino';
import type { Config } from '../config';
import type { Db } from '../db/client';
import type { Ledger } from './ledger';
import { ledgerOrigin } from './ledger-key';
import { openLedger } from './open-ledger';
import { selfCheckLedger } from './self-check';
import { checkpointSinks } from './sinks/checkpoint-sinks';

/**
 * Opens the ledger at start and keeps it up: a checkpoint at least every
 * SBX_LEDGER_CHECKPOINT_SECONDS when events arrived, and the integrity self-check every
 * SBX_LEDGER_SELF_CHECK_HOURS (the first one, at start, is the caller's).
 */
export async function startLedger(deps: { config: Config; db: Db; log: Logger; rootKey: Buffer; caFingerprint: string }): Promise<{ ledger: Ledger; stop: () => void }> {
  const { config, db, log } = deps;
  const { ledger, backfilled } = await openLedger(db, deps.rootKey, ledgerOrigin(deps.caFingerprint), {
    checkpointEvery: config.ledger.checkpointEvents,
    checkpointFile: path.join(config.dataDir, 'ledger-checkpoints.log'),
    sinks: checkpointSinks(config, log),
    log,
  });
  if (backfilled > 0) log.info({ backfilled }, 'ledger leaves computed for events stored before the ledger');
  const checkpoints = setInterval(() => {
    ledger.checkpoint().catch((error: unknown) => log.error({ err: error }, 'cannot sign a ledger checkpoint'));
  }, config.ledger.checkpointSeconds * 1000);
  const daily = setInterval(() => {
    selfCheckLedger({ db, ledger }, 'daily')
      .then((c) => (c.ok ? undefined : log.error({ check: c }, 'AUDIT LEDGER INTEGRITY CHECK FAILED')))
      .catch((error: unknown) => log.error({ err: error }, 'the ledger self-check could not run'));
  }, config.ledger.selfCheckHours * 3600_000);
  checkpoints.unref();
  daily.unref();
  return {
    ledger,
    stop: () => {
      clearInterval(checkpoints);
      clearInterval(daily);
    },
  };
}
