import type { LedgerStatus } from '../../lib/api/audit';
import type { ServerContext } from '../context';
import { audited } from './audited';
import { auditEvent, type RequestMeta } from './event';
import { ledgerStatus } from './ledger-status';
import { loadLedgerKeys, rotateLedgerKey } from './ledger-key';

/**
 * Makes a new checkpoint signing key version. Everything so far is signed with the old key first,
 * so each key's checkpoints end where the next key's begin; old versions stay for verification.
 */
export async function rotateLedgerSigningKey(deps: Pick<ServerContext, 'db' | 'ledger' | 'rootKey'>, meta: RequestMeta): Promise<LedgerStatus> {
  await deps.ledger.checkpoint();
  const version = await audited(deps, async (tx, record) => {
    const rotated = await rotateLedgerKey(tx, deps.rootKey, deps.ledger.name);
    await record(auditEvent(meta, { action: 'ledger.key_rotate', details: rotated }, { type: 'system', id: null, name: 'audit-ledger' }));
    return rotated.version;
  });
  deps.ledger.useKeys(await loadLedgerKeys(deps.db, deps.rootKey, deps.ledger.name));
  if (deps.ledger.signingKeys().current.version !== version) throw new Error('the rotated ledger key is not the newest');
  return ledgerStatus(deps.ledger);
}
