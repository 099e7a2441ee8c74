import { z } from 'zod';
import { Role } from '../roles';

/** User names: what people type at sign-in, so kept plain. */
export const Username = z
  .string()
  .trim()
  .toLowerCase()
  .regex(/^[a-z0-9][a-z0-9._-]{1,62}$/, 'expected 2-63 characters: letters, digits, dot, dash, underscore');

/** Password policy: long rather than complicated (NIST SP 800-63B). */
export const NewPassword = z
  .string()
  .min(12, 'expected at least 12 characters')
  .max(256, 'expected at most 256 characters');

export const SignInBody = z.strictObject({
  username: z.string().trim().toLowerCase().min(1, 'expected your user name').max(63),
  password: z.string().min(1, 'expected your password').max(256),
});
export type SignInBody = z.infer<typeof SignInBody>;

export const ChangePasswordBody = z
  .strictObject({
    currentPassword: z.string().min(1, 'expected your current password').max(256),
    newPassword: NewPassword,
  })
  .refine((b) => b.currentPassword !== b.newPassword, {
    message: 'expected a password different from the current one',
    path: ['newPassword'],
  });
export type ChangePasswordBody = z.infer<typeof ChangePasswordBody>;

export const SignOutBody = z.strictObject({
  reason: z.enum(['user', 'idle']).default('user'),
});

/** What the console learns about the signed-in user. */
export const SessionInfo = z.object({
  user: z.object({
    id: z.string(),
    username: z.string(),
    displayName: z.string(),
    role: Role,
    mustChangePassword: z.boolean(),
  }),
  csrfToken: z.string(),
  idleTimeoutSeconds: z.number().int(),
  expiresAt: z.string(),
});
export type SessionInfo = z.infer<typeof SessionInfo>;
