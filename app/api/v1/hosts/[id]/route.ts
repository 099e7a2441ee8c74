import { getHost } from '@/server/hosts/list-hosts';
import { apiRoute } from '@/server/http/api-route';

export const GET = apiRoute({ auth: true, permission: 'hosts.read' }, async ({ ctx, params }) => ({ host: await getHost(ctx, params.id ?? '') }));
