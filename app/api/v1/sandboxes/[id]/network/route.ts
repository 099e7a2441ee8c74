import { SetNetworkBody } from '@/lib/api/sandboxes';
import { findSandbox, toSandboxView } from '@/server/sandboxes/sandbox-view';
import { setSandboxNetwork } from '@/server/sandboxes/set-sandbox-network';
import { apiRoute } from '@/server/http/api-route';

/** The sandbox's network: mode and egress rules. */
export const GET = apiRoute({ auth: true, permission: 'sandboxes.use' }, async ({ ctx, principal, params }) => ({
  network: toSandboxView(await findSandbox(ctx, principal, params.id ?? '')).network,
}));

/** Replaces a running sandbox's egress rules; they apply at once, without a restart. */
export const PUT = apiRoute({ auth: true, permission: 'sandboxes.use', body: SetNetworkBody }, async ({ ctx, principal, params, body, meta }) => ({
  sandbox: await setSandboxNetwork(ctx, principal, params.id ?? '', body, meta),
}));
