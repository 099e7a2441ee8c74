import { CreateUserBody } from '@/lib/api/users';
import { createUser } from '@/server/users/create-user';
import { listUsers } from '@/server/users/list-users';
import { apiRoute } from '@/server/http/api-route';

export const GET = apiRoute({ auth: true, permission: 'users.read' }, async ({ ctx }) => ({ users: await listUsers(ctx) }));

export const POST = apiRoute({ auth: true, permission: 'users.write', body: CreateUserBody }, async ({ ctx, body, meta }) =>
  createUser(ctx, body, meta),
);
