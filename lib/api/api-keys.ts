import { z } from 'zod';
import { Role } from '../roles';

export const MAX_API_KEY_DAYS = 365;

export const CreateApiKeyBody = z.strictObject({
  name: z.string().trim().min(1, 'expected a name').max(80, 'expected at most 80 characters'),
  role: Role,
  /** The team whose policies apply to its sandboxes (policies scope teams). */
  team: z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'expected a team name: lower-case letters, digits and dashes').optional(),
  /** Lifetime in days; keys always expire. */
  expiresInDays: z
    .number()
    .int('expected a whole number of days')
    .min(1, 'expected at least 1 day')
    .max(MAX_API_KEY_DAYS, `expected at most ${MAX_API_KEY_DAYS} days`),
});
export type CreateApiKeyBody = z.infer<typeof CreateApiKeyBody>;

export const ApiKeyView = z.object({
  id: z.string(),
  name: z.string(),
  role: Role,
  team: z.string().nullable(),
  owner: z.string(),
  prefix: z.string(),
  createdAt: z.string(),
  expiresAt: z.string(),
  revokedAt: z.string().nullable(),
  lastUsedAt: z.string().nullable(),
});
export type ApiKeyView = z.infer<typeof ApiKeyView>;

/** The answer to a create: the only time the secret is ever shown. */
export const CreatedApiKey = z.object({ apiKey: ApiKeyView, secret: z.string() });
export type CreatedApiKey = z.infer<typeof CreatedApiKey>;

/** API key secrets look like `sbx_<id>_<secret>`; the id finds the row, the secret is hashed. */
export const API_KEY_PATTERN = /^sbx_([a-z0-9]{12})_([A-Za-z0-9_-]{43})$/;
