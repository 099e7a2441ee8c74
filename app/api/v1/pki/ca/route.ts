import { apiRoute } from '@/server/http/api-route';

/** The internal CA certificate (public). Joining agents check it against the fingerprint in their token. */
export const GET = apiRoute({ auth: false }, async ({ ctx }) =>
  new Response(ctx.pki.ca.certPem, { headers: { 'content-type': 'application/x-pem-file' } }),
);
