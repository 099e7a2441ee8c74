import { sandboxUsage } from '@/server/sandboxes/sandbox-usage';
import { apiRoute } from '@/server/http/api-route';

/** Resource use of a running sandbox, read from its cgroup on the host. */
export const GET = apiRoute({ auth: true, permission: 'sandboxes.use' }, async ({ ctx, principal, params }) => ({
  usage: await sandboxUsage(ctx, principal, params.id ?? ''),
}));
