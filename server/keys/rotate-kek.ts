import type { KekView } from '../../lib/api/keys';
import { AppError } from '../../lib/errors';
import { audited, type AuditDeps } from '../audit/audited';
import { auditEvent, type RequestMeta } from '../audit/event';
import { findKek, kekView, sealedNewVersion } from './kek-store';

/** Adds a version to a KEK; new data keys are wrapped with it at once. Old versions keep unwrapping. */
export async function rotateKek(deps: AuditDeps & { rootKey: Buffer }, idOrName: string, meta: RequestMeta): Promise<KekView> {
  const kek = await findKek(deps.db, idOrName);
  await audited(deps, async (tx, record) => {
    // Conditional on the version seen: two rotations at once make two versions, never one twice.
    const version = kek.latestVersion + 1;
    const moved = await tx.kek.updateMany({ where: { id: kek.id, latestVersion: kek.latestVersion }, data: { latestVersion: version } });
    if (moved.count !== 1) return rotateAgain();
    await tx.kekVersion.create({ data: { kekId: kek.id, version, state: 'active', sealed: sealedNewVersion(deps.rootKey, kek.id, version) } });
    await record(auditEvent(meta, { action: 'key.rotate', details: { name: kek.name, version } }, { type: 'kek', id: kek.id, name: kek.name }));
  });
  return kekView(await findKek(deps.db, kek.id));
}

function rotateAgain(): never {
  throw new AppError('conflict', 'The key was rotated by someone else at the same moment; look at its versions and try again.');
}
