import type { KekView, UpdateKekBody } from '../../lib/api/keys';
import { AppError } from '../../lib/errors';
import { audited, type AuditDeps } from '../audit/audited';
import { auditEvent, type RequestMeta } from '../audit/event';
import { findKek, kekView, versionOf } from './kek-store';

/**
 * Sets a KEK's minimum decryption version: versions below it stop unwrapping (their data stays,
 * unreadable until the minimum is lowered again; destroying is the irreversible step).
 */
export async function updateKek(deps: AuditDeps, idOrName: string, body: UpdateKekBody, meta: RequestMeta): Promise<KekView> {
  const kek = await findKek(deps.db, idOrName);
  if (body.minDecryptVersion > kek.latestVersion) {
    throw new AppError('invalid_argument', `minDecryptVersion: expected at most ${kek.latestVersion}, the latest version of key ${kek.name} (got ${body.minDecryptVersion})`);
  }
  if (body.minDecryptVersion === kek.minDecryptVersion) return kekView(kek);
  await audited(deps, async (tx, record) => {
    await tx.kek.update({ where: { id: kek.id }, data: { minDecryptVersion: body.minDecryptVersion } });
    await record(auditEvent(meta, { action: 'key.update', details: { name: kek.name, minDecryptVersion: { from: kek.minDecryptVersion, to: body.minDecryptVersion } } }, { type: 'kek', id: kek.id, name: kek.name }));
  });
  return kekView(await findKek(deps.db, kek.id));
}

/** Disables or enables one version: a disabled version unwraps nothing until enabled again. */
export async function setKekVersionState(deps: AuditDeps, idOrName: string, version: number, state: 'active' | 'disabled', meta: RequestMeta): Promise<KekView> {
  const kek = await findKek(deps.db, idOrName);
  const v = versionOf(kek, version);
  if (v.state === 'destroyed') throw new AppError('conflict', `Version ${version} of key ${kek.name} was destroyed; it cannot be ${state === 'active' ? 'enabled' : 'disabled'}.`);
  if (state === 'disabled' && version === kek.latestVersion) throw new AppError('conflict', `Version ${version} is the latest of key ${kek.name}, which new data uses: rotate the key first.`);
  if (v.state === state) return kekView(kek);
  await audited(deps, async (tx, record) => {
    await tx.kekVersion.update({ where: { kekId_version: { kekId: kek.id, version } }, data: { state } });
    await record(auditEvent(meta, { action: 'key.update', details: { name: kek.name, version, state: { from: v.state as 'active' | 'disabled', to: state } } }, { type: 'kek', id: kek.id, name: kek.name }));
  });
  return kekView(await findKek(deps.db, kek.id));
}
