import { z } from 'zod';

/** Console and API roles, from most to least powerful. */
export const Role = z.enum(['admin', 'operator', 'auditor', 'developer']);
export type Role = z.infer<typeof Role>;

/** Everything a caller may be allowed to do; routes ask for one of these, never for a role. */
export const permissions = [
  'users.read',
  'users.write',
  'apikeys.read_own',
  'apikeys.write_own',
  'apikeys.read_all',
  'apikeys.write_all',
  'audit.read',
  'audit.export',
  'settings.read',
  'settings.write',
  'hosts.read',
  'hosts.write',
  'sandboxes.read',
  'sandboxes.write',
  'sandboxes.use',
  'policies.read',
  'policies.write',
  'keys.read',
  'keys.write',
] as const;
export type Permission = (typeof permissions)[number];

const grants: Record<Role, readonly Permission[]> = {
  admin: permissions,
  operator: [
    'apikeys.read_own',
    'apikeys.write_own',
    'hosts.read',
    'hosts.write',
    'sandboxes.read',
    'sandboxes.write',
    'sandboxes.use',
    'policies.read',
    'policies.write',
  ],
  auditor: [
    'apikeys.read_own',
    'apikeys.write_own',
    'audit.read',
    'audit.export',
    'settings.read',
    'users.read',
    'hosts.read',
    'sandboxes.read',
    'policies.read',
    'keys.read',
  ],
  // Developers use sandboxes through the SDK with their own keys: their own sandboxes only.
  developer: ['apikeys.read_own', 'apikeys.write_own', 'sandboxes.use'],
};

/** Whether `role` carries `permission`. */
export function can(role: Role, permission: Permission): boolean {
  return grants[role].includes(permission);
}

const rank: Record<Role, number> = { admin: 3, operator: 2, auditor: 2, developer: 1 };

/**
 * Whether a user of role `holder` may mint an API key scoped to `scope`: only to their own role or
 * a lesser one (an operator cannot mint an auditor key, nor the reverse).
 */
export function canDelegate(holder: Role, scope: Role): boolean {
  if (holder === scope || holder === 'admin') return true;
  return scope === 'developer' && rank[holder] > rank.developer;
}

/** The console page a role lands on after sign-in: the first one it may read. */
export function homePathFor(role: Role): string {
  if (can(role, 'audit.read')) return '/audit';
  if (can(role, 'hosts.read')) return '/hosts';
  return '/api-keys';
}
