import { approvePurge } from '@/server/audit/retention/retention';
import { apiRoute } from '@/server/http/api-route';

/** Approves (and carries out) another admin's purge: the events become tombstones that keep the tree verifiable. */
export const POST = apiRoute({ auth: true, permission: 'settings.write' }, async ({ ctx, principal, params, meta }) => ({
  purge: await approvePurge(ctx, principal, params.id ?? '', meta),
}));
