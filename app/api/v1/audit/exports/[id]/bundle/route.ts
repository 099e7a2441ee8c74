import fs from 'node:fs';
import { Readable } from 'node:stream';
import { apiRoute } from '@/server/http/api-route';

/** Downloads a finished export's bundle (a tar). */
export const GET = apiRoute({ auth: true, permission: 'audit.export' }, async ({ ctx, params }) => {
  const bundle = ctx.exports.bundle(params.id ?? '');
  return new Response(Readable.toWeb(fs.createReadStream(bundle.file)) as ReadableStream, {
    headers: {
      'content-type': 'application/x-tar',
      'content-length': String(bundle.bytes),
      'content-disposition': `attachment; filename="${bundle.fileName}"`,
    },
  });
});
