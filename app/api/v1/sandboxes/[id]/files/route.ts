import { FilePathQuery, RemoveFileQuery } from '@/lib/api/files';
import { readFile } from '@/server/sandboxes/read-file';
import { removeFile } from '@/server/sandboxes/remove-file';
import { writeFile } from '@/server/sandboxes/write-file';
import { apiRoute } from '@/server/http/api-route';

/** Downloads a file; the bytes stream as they are read inside the sandbox. */
export const GET = apiRoute({ auth: true, permission: 'sandboxes.use', query: FilePathQuery }, async ({ ctx, principal, params, query, meta }) => {
  const { entry, stream } = await readFile(ctx, principal, params.id ?? '', query.path, meta);
  return new Response(stream, {
    headers: {
      'content-type': 'application/octet-stream',
      'content-disposition': `attachment; filename*=UTF-8''${encodeURIComponent(entry.name)}`,
      'x-sbx-file-size': String(entry.size),
    },
  });
});

/** Uploads the raw request body into a file (made with any missing parents; replaced whole). */
export const PUT = apiRoute({ auth: true, permission: 'sandboxes.use', query: FilePathQuery }, async ({ ctx, principal, params, query, req, meta }) => ({
  file: await writeFile(ctx, principal, params.id ?? '', query.path, req.body, meta),
}));

/** Removes a file, or with `recursive=true` a directory and everything in it. */
export const DELETE = apiRoute({ auth: true, permission: 'sandboxes.use', query: RemoveFileQuery }, async ({ ctx, principal, params, query, meta }) =>
  removeFile(ctx, principal, params.id ?? '', query.path, query.recursive, meta),
);
