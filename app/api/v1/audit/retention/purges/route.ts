import { requestPurge } from '@/server/audit/retention/retention';
import { apiRoute } from '@/server/http/api-route';

/** Asks to remove the events past retention (admins; a second admin must approve). */
export const POST = apiRoute({ auth: true, permission: 'settings.write' }, async ({ ctx, principal, meta }) => ({ purge: await requestPurge(ctx, principal, meta) }));
