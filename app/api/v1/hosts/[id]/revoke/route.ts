import { revokeHost } from '@/server/hosts/revoke-host';
import { apiRoute } from '@/server/http/api-route';

export const POST = apiRoute({ auth: true, permission: 'hosts.write' }, async ({ ctx, params, meta }) => revokeHost(ctx, params.id ?? '', meta));
