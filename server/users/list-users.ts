import type { UserView } from '../../lib/api/users';
import type { ServerContext } from '../context';
import { toUserView } from './user-view';

export async function listUsers(deps: Pick<ServerContext, 'db'>): Promise<UserView[]> {
  const users = await deps.db.user.findMany({ orderBy: { username: 'asc' } });
  return users.map(toUserView);
}
