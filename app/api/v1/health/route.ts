import type { Health } from '@/lib/api/health';
import { apiRoute } from '@/server/http/api-route';

export const GET = apiRoute({ auth: false }, async ({ ctx }): Promise<Health> => {
  let database: Health['database'] = 'ok';
  try {
    await ctx.db.$queryRawUnsafe('SELECT 1');
  } catch {
    database = 'error';
  }
  return {
    status: database === 'ok' ? 'ok' : 'degraded',
    version: ctx.version,
    database,
    uptimeSeconds: Math.round((Date.now() - ctx.startedAt.getTime()) / 1000),
  };
});
