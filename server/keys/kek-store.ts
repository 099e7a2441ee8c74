import { randomBytes } from 'node:crypto';
import type { KekView } from '../../lib/api/keys';
import { AppError } from '../../lib/errors';
import type { Tx } from '../db/client';
import type { Kek, KekVersion } from '../db/generated/client';
import { seal, unseal } from './seal';

export type KekRow = Kek & { versions: KekVersion[] };

/** What a KEK version's material is sealed for: bound to the KEK and version it belongs to. */
const purposeOf = (kekId: string, version: number) => `kek:${kekId}:v${version}`;

/** New key material for a version, sealed with the root key (the clear key is dropped at once). */
export function sealedNewVersion(rootKey: Buffer, kekId: string, version: number): string {
  const material = randomBytes(32);
  try {
    return seal(rootKey, purposeOf(kekId, version), material);
  } finally {
    material.fill(0);
  }
}

/** A version's key material, for wrapping or unwrapping one data key. */
export function openVersion(rootKey: Buffer, v: KekVersion): Buffer {
  if (v.state === 'destroyed' || v.sealed === null) throw new AppError('conflict', `Version ${v.version} of this key was destroyed: what it protected cannot be read any more.`);
  return unseal(rootKey, purposeOf(v.kekId, v.version), v.sealed);
}

/** The KEK with that id or name, with its versions (oldest first). */
export async function findKek(tx: Pick<Tx, 'kek'>, idOrName: string): Promise<KekRow> {
  const row = await tx.kek.findFirst({ where: { OR: [{ id: idOrName }, { name: idOrName }] }, include: { versions: { orderBy: { version: 'asc' } } } });
  if (!row) throw new AppError('not_found', `There is no key ${idOrName}.`);
  return row;
}

/** A version of a KEK, or not_found naming both. */
export function versionOf(kek: KekRow, version: number): KekVersion {
  const v = kek.versions.find((x) => x.version === version);
  if (!v) throw new AppError('not_found', `Key ${kek.name} has no version ${version} (its versions are 1 to ${kek.latestVersion}).`);
  return v;
}

export function kekView(row: KekRow): KekView {
  return {
    id: row.id,
    name: row.name,
    createdAt: row.createdAt.toISOString(),
    createdBy: row.createdBy,
    latestVersion: row.latestVersion,
    minDecryptVersion: row.minDecryptVersion,
    versions: row.versions.map((v) => ({ version: v.version, state: v.state as KekView['versions'][number]['state'], createdAt: v.createdAt.toISOString(), destroyedAt: v.destroyedAt?.toISOString() ?? null })),
  };
}
