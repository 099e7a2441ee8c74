import { CreateSandboxBody } from '@/lib/api/sandboxes';
import { createSandbox } from '@/server/sandboxes/create-sandbox';
import { listSandboxes } from '@/server/sandboxes/list-sandboxes';
import { apiRoute } from '@/server/http/api-route';

export const GET = apiRoute({ auth: true, permission: 'sandboxes.use' }, async ({ ctx, principal }) => ({ sandboxes: await listSandboxes(ctx, principal) }));

export const POST = apiRoute({ auth: true, permission: 'sandboxes.use', body: CreateSandboxBody }, async ({ ctx, body, principal, meta }) => ({
  sandbox: await createSandbox(ctx, principal, body, meta),
}));
