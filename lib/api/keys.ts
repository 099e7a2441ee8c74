import { z } from 'zod';
import { AppError } from '../errors';

/** A KEK's name: how policies and people refer to it. */
export const KekName = z.string().regex(/^[a-z0-9][a-z0-9-]{1,62}$/, 'expected 2 to 63 lower-case letters, digits or dashes, starting with a letter or digit');

/** Creates a key-encryption key (its first version is made at once). */
export const CreateKekBody = z.strictObject({ name: KekName });
export type CreateKekBody = z.infer<typeof CreateKekBody>;

/** Changes a KEK's minimum decryption version (versions below it no longer unwrap). */
export const UpdateKekBody = z.strictObject({ minDecryptVersion: z.number().int().positive() });
export type UpdateKekBody = z.infer<typeof UpdateKekBody>;

/** Destroying a version cannot be undone: the caller types `NAME:vVERSION` to confirm. */
export const DestroyKekVersionBody = z.strictObject({ confirm: z.string().max(80) });
export type DestroyKekVersionBody = z.infer<typeof DestroyKekVersionBody>;

export const KekVersionState = z.enum(['active', 'disabled', 'destroyed']);
export type KekVersionState = z.infer<typeof KekVersionState>;

/** A KEK as the API shows it: versions and their state, never key material (KEKs are not exportable). */
export const KekView = z.object({
  id: z.string(),
  name: z.string(),
  createdAt: z.string(),
  createdBy: z.string(),
  latestVersion: z.number().int(),
  minDecryptVersion: z.number().int(),
  versions: z.array(z.object({ version: z.number().int(), state: KekVersionState, createdAt: z.string(), destroyedAt: z.string().nullable() })),
});
export type KekView = z.infer<typeof KekView>;

/** Disables or enables one version. */
export const KekVersionStateBody = z.strictObject({ state: z.enum(['active', 'disabled']) });
export type KekVersionStateBody = z.infer<typeof KekVersionStateBody>;

/** A version number from a path, or an invalid_argument naming it. */
export function versionParam(text: string | undefined): number {
  const v = Number(text);
  if (!Number.isSafeInteger(v) || v < 1) throw new AppError('invalid_argument', `version: expected a version number such as 1 (got "${text ?? ''}")`);
  return v;
}

/** How far a KEK's stored data keys are: paused sandboxes' images by the version that wraps them. */
export const RewrapStatus = z.object({
  latestVersion: z.number().int(),
  total: z.number().int(),
  /** Already at the latest version. */
  current: z.number().int(),
  byVersion: z.array(z.object({ version: z.number().int(), objects: z.number().int() })),
  running: z.boolean(),
  lastError: z.string().nullable(),
});
export type RewrapStatus = z.infer<typeof RewrapStatus>;
