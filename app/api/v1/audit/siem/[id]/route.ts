import { deleteSiemDestination } from '@/server/audit/siem/siem-destinations';
import { apiRoute } from '@/server/http/api-route';

/** Removes a SIEM destination. */
export const DELETE = apiRoute({ auth: true, permission: 'settings.write' }, async ({ ctx, params, meta }) => {
  await deleteSiemDestination(ctx, params.id ?? '', meta);
  return { ok: true };
});
