import { ExportBody } from '@/lib/api/audit';
import { apiRoute } from '@/server/http/api-route';

/** Starts an evidence export (in the background); answers with its progress. */
export const POST = apiRoute({ auth: true, permission: 'audit.export', body: ExportBody }, async ({ ctx, body, meta }) => ({
  export: await ctx.exports.start(ctx, body, meta),
}));
