import { SiemDestinationBody } from '@/lib/api/siem';
import { createSiemDestination, listSiemDestinations } from '@/server/audit/siem/siem-destinations';
import { apiRoute } from '@/server/http/api-route';

/** SIEM destinations the ledger streams to, with how far each got. */
export const GET = apiRoute({ auth: true, permission: 'audit.read' }, async ({ ctx }) => ({ destinations: await listSiemDestinations(ctx) }));

/** Adds a SIEM destination (admins only); it receives the whole ledger, then every new event. */
export const POST = apiRoute({ auth: true, permission: 'settings.write', body: SiemDestinationBody }, async ({ ctx, body, meta }) => ({
  destination: await createSiemDestination(ctx, body, meta),
}));
