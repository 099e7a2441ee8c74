import { z } from 'zod';
import { Role } from '../roles';
import { NewPassword, Username } from './auth';

export const CreateUserBody = z.strictObject({
  username: Username,
  displayName: z.string().trim().min(1, 'expected a display name').max(100),
  role: Role,
  /** A first password; the user must change it at first sign-in. Omit to have one generated. */
  password: NewPassword.optional(),
});
export type CreateUserBody = z.infer<typeof CreateUserBody>;

export const UpdateUserBody = z
  .strictObject({
    role: Role.optional(),
    disabled: z.boolean().optional(),
    unlock: z.literal(true).optional(),
  })
  .refine((b) => b.role !== undefined || b.disabled !== undefined || b.unlock !== undefined, {
    message: 'expected at least one of role, disabled, unlock',
  });
export type UpdateUserBody = z.infer<typeof UpdateUserBody>;

export const UserView = z.object({
  id: z.string(),
  username: z.string(),
  displayName: z.string(),
  role: Role,
  disabled: z.boolean(),
  mustChangePassword: z.boolean(),
  lockedUntil: z.string().nullable(),
  lastSignInAt: z.string().nullable(),
  createdAt: z.string(),
});
export type UserView = z.infer<typeof UserView>;

export const CreatedUser = z.object({ user: UserView, initialPassword: z.string().nullable() });
export type CreatedUser = z.infer<typeof CreatedUser>;
