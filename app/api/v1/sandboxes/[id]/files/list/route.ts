import { FilePathQuery } from '@/lib/api/files';
import { listFiles } from '@/server/sandboxes/list-files';
import { apiRoute } from '@/server/http/api-route';

/** The entries of a directory. */
export const GET = apiRoute({ auth: true, permission: 'sandboxes.use', query: FilePathQuery }, async ({ ctx, principal, params, query }) =>
  listFiles(ctx, principal, params.id ?? '', query.path),
);
