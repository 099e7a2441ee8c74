import { randomBytes } from 'node:crypto';
import { AppError } from '../../lib/errors';
import { unwrapDataKey, wrapDataKey, type KeyBinding } from '../../lib/envelope/wrap';
import type { Db } from '../db/client';
import { findKek, openVersion, versionOf } from './kek-store';

type Deps = { db: Db; rootKey: Buffer };
export type KekRef = { id: string; version: number };

/** A fresh data key for one object (bound to it and its host), wrapped with the KEK's latest version. */
export async function issueDataKey(deps: Deps, kekIdOrName: string, binding: KeyBinding): Promise<{ dataKey: Buffer; kek: KekRef; wrappedKey: string }> {
  const kek = await findKek(deps.db, kekIdOrName);
  const ref = { id: kek.id, version: kek.latestVersion };
  const material = openVersion(deps.rootKey, versionOf(kek, ref.version));
  try {
    const dataKey = randomBytes(32);
    return { dataKey, kek: ref, wrappedKey: wrapDataKey(material, ref, binding, dataKey) };
  } finally {
    material.fill(0);
  }
}

/**
 * The data key a wrapped key holds. Refused, saying why, when the version is below the KEK's
 * minimum decryption version, disabled or destroyed (crypto-shredded), or did not wrap this key
 * for this object on this host.
 */
export async function unwrapKey(deps: Deps, ref: KekRef, binding: KeyBinding, wrappedKey: string): Promise<Buffer> {
  const kek = await findKek(deps.db, ref.id);
  const v = versionOf(kek, ref.version);
  if (ref.version < kek.minDecryptVersion) throw new AppError('permission_denied', `Version ${ref.version} of key ${kek.name} is below its minimum decryption version (${kek.minDecryptVersion}).`);
  if (v.state === 'disabled') throw new AppError('permission_denied', `Version ${ref.version} of key ${kek.name} is disabled.`);
  const material = openVersion(deps.rootKey, v);
  try {
    const key = unwrapDataKey(material, ref, binding, wrappedKey);
    if (!key) throw new AppError('invalid_argument', `The wrapped key was not made by version ${ref.version} of key ${kek.name} for ${binding.context} on this host (altered, from another key, another object or another host).`);
    return key;
  } finally {
    material.fill(0);
  }
}

/** The same data key wrapped with the KEK's latest version (the data it protects is not touched). */
export async function rewrapKey(deps: Deps, ref: KekRef, binding: KeyBinding, wrappedKey: string): Promise<{ kek: KekRef; wrappedKey: string }> {
  const dataKey = await unwrapKey(deps, ref, binding, wrappedKey);
  try {
    const kek = await findKek(deps.db, ref.id);
    const latest = { id: kek.id, version: kek.latestVersion };
    if (latest.version === ref.version) return { kek: ref, wrappedKey };
    const material = openVersion(deps.rootKey, versionOf(kek, latest.version));
    try {
      return { kek: latest, wrappedKey: wrapDataKey(material, latest, binding, dataKey) };
    } finally {
      material.fill(0);
    }
  } finally {
    dataKey.fill(0);
  }
}
