import { pingHosts } from '@/server/hosts/ping-hosts';
import { apiRoute } from '@/server/http/api-route';

/** Pushes an echo to every connected agent and reports how fast all acknowledged (no state changes). */
export const POST = apiRoute({ auth: true, permission: 'hosts.read' }, async ({ ctx }) => pingHosts(ctx));
