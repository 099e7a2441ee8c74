import { apiRoute } from '@/server/http/api-route';

/** An export's progress, then its bundle's size and digest. */
export const GET = apiRoute({ auth: true, permission: 'audit.export' }, async ({ ctx, params }) => ({ export: ctx.exports.get(params.id ?? '') }));
