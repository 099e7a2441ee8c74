import { CreateJoinTokenBody } from '@/lib/api/hosts';
import { createJoinToken } from '@/server/hosts/create-join-token';
import { apiRoute } from '@/server/http/api-route';

export const POST = apiRoute({ auth: true, permission: 'hosts.write', body: CreateJoinTokenBody }, async ({ ctx, body, meta }) =>
  createJoinToken(ctx, body, meta),
);
