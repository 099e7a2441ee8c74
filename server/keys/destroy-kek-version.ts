import type { DestroyKekVersionBody, KekView } from '../../lib/api/keys';
import { AppError } from '../../lib/errors';
import { audited, type AuditDeps } from '../audit/audited';
import { auditEvent, type RequestMeta } from '../audit/event';
import { findKek, kekView, versionOf } from './kek-store';

/**
 * Crypto-shredding: erases a version's key material for good, so every data key it wrapped, and
 * the data under them, can no longer be read. The latest version cannot be destroyed (rotate
 * first), and the caller confirms by typing `NAME:vVERSION`. Recorded in the ledger.
 */
export async function destroyKekVersion(deps: AuditDeps, idOrName: string, version: number, body: DestroyKekVersionBody, meta: RequestMeta): Promise<KekView> {
  const kek = await findKek(deps.db, idOrName);
  const v = versionOf(kek, version);
  const expected = `${kek.name}:v${version}`;
  if (body.confirm !== expected) throw new AppError('invalid_argument', `confirm: expected "${expected}" to destroy version ${version} of key ${kek.name} (this cannot be undone)`);
  if (v.state === 'destroyed') throw new AppError('conflict', `Version ${version} of key ${kek.name} was destroyed already.`);
  if (version === kek.latestVersion) throw new AppError('conflict', `Version ${version} is the latest of key ${kek.name}, which new data uses: rotate the key first.`);
  await audited(deps, async (tx, record) => {
    await tx.kekVersion.update({ where: { kekId_version: { kekId: kek.id, version } }, data: { state: 'destroyed', sealed: null, destroyedAt: new Date() } });
    await record(auditEvent(meta, { action: 'key.destroy', details: { name: kek.name, version } }, { type: 'kek', id: kek.id, name: kek.name }));
  });
  return kekView(await findKek(deps.db, kek.id));
}
