import { CreateApiKeyBody } from '@/lib/api/api-keys';
import { createApiKey } from '@/server/api-keys/create-api-key';
import { listApiKeys } from '@/server/api-keys/list-api-keys';
import { apiRoute } from '@/server/http/api-route';

export const GET = apiRoute({ auth: true, permission: 'apikeys.read_own' }, async ({ ctx, principal }) => ({
  apiKeys: await listApiKeys(ctx, principal),
}));

export const POST = apiRoute({ auth: true, permission: 'apikeys.write_own', body: CreateApiKeyBody }, async ({ ctx, body, principal, meta }) =>
  createApiKey(ctx, principal, body, meta),
);
