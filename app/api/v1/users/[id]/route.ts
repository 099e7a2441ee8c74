import { UpdateUserBody } from '@/lib/api/users';
import { updateUser } from '@/server/users/update-user';
import { apiRoute } from '@/server/http/api-route';

export const PATCH = apiRoute({ auth: true, permission: 'users.write', body: UpdateUserBody }, async ({ ctx, body, principal, params, meta }) => ({
  user: await updateUser(ctx, principal, params.id ?? '', body, meta),
}));
