import { randomBytes } from 'node:crypto';
import { AppError } from '../../lib/errors';
import { unwrapDataKey, wrapDataKey } from '../../lib/envelope/wrap';
import type { Db } from '../db/client';
import { findKek, openVersion, versionOf } from './kek-store';

type Deps = { db: Db; rootKey: Buffer };
export type KekRef = { id: string; version: number };

/** A fresh data key for one object, wrapped with the KEK's latest version. */
export async function issueDataKey(deps: Deps, kekIdOrName: string): Promise<{ dataKey: Buffer; kek: KekRef; wrappedKey: string }> {
  const kek = await findKek(deps.db, kekIdOrName);
  const ref = { id: kek.id, version: kek.latestVersion };
  const material = openVersion(deps.rootKey, versionOf(kek, ref.version));
  try {
    const dataKey = randomBytes(32);
    return { dataKey, kek: ref, wrappedKey: wrapDataKey(material, ref, dataKey) };
  } finally {
    material.fill(0);
  }
}

/**
 * The data key a wrapped key holds. Refused, saying why, when the version is below the KEK's
 * minimum decryption version, disabled or destroyed (crypto-shredded), or did not wrap this key.
 */
export async function unwrapKey(deps: Deps, ref: KekRef, wrappedKey: string): Promise<Buffer> {
  const kek = await findKek(deps.db, ref.id);
  const v = versionOf(kek, ref.version);
  if (ref.version < kek.minDecryptVersion) throw new AppError('permission_denied', `Version ${ref.version} of key ${kek.name} is below its minimum decryption version (${kek.minDecryptVersion}).`);
  if (v.state === 'disabled') throw new AppError('permission_denied', `Version ${ref.version} of key ${kek.name} is disabled.`);
  const material = openVersion(deps.rootKey, v);
  try {
    const key = unwrapDataKey(material, ref, wrappedKey);
    if (!key) throw new AppError('invalid_argument', `The wrapped key was not made by version ${ref.version} of key ${kek.name} (altered or from another key).`);
    return key;
  } finally {
    material.fill(0);
  }
}

/** The same data key wrapped with the KEK's latest version (the data it protects is not touched). */
export async function rewrapKey(deps: Deps, ref: KekRef, wrappedKey: string): Promise<{ kek: KekRef; wrappedKey: string }> {
  const dataKey = await unwrapKey(deps, ref, wrappedKey);
  try {
    const kek = await findKek(deps.db, ref.id);
    const latest = { id: kek.id, version: kek.latestVersion };
    if (latest.version === ref.version) return { kek: ref, wrappedKey };
    const material = openVersion(deps.rootKey, versionOf(kek, latest.version));
    try {
      return { kek: latest, wrappedKey: wrapDataKey(material, latest, dataKey) };
    } finally {
      material.fill(0);
    }
  } finally {
    dataKey.fill(0);
  }
}
