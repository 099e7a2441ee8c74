import { MakeDirectoryBody } from '@/lib/api/files';
import { makeDirectory } from '@/server/sandboxes/make-directory';
import { apiRoute } from '@/server/http/api-route';

/** Makes a directory and any missing parents. */
export const POST = apiRoute({ auth: true, permission: 'sandboxes.use', body: MakeDirectoryBody }, async ({ ctx, principal, params, body, meta }) =>
  makeDirectory(ctx, principal, params.id ?? '', body.path, meta),
);
