import { findSandbox, toSandboxView } from '@/server/sandboxes/sandbox-view';
import { killSandbox } from '@/server/sandboxes/kill-sandbox';
import { apiRoute } from '@/server/http/api-route';

export const GET = apiRoute({ auth: true, permission: 'sandboxes.use' }, async ({ ctx, principal, params }) => ({
  sandbox: toSandboxView(await findSandbox(ctx, principal, params.id ?? '')),
}));

/** Kills the sandbox (it is kept, stopped, for the record). */
export const DELETE = apiRoute({ auth: true, permission: 'sandboxes.use' }, async ({ ctx, principal, params, meta }) => ({
  sandbox: await killSandbox(ctx, principal, params.id ?? '', meta),
}));
