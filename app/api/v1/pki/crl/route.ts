import { apiRoute } from '@/server/http/api-route';

/** The CA's signed certificate revocation list, PEM (`?format=der` for DER), for third-party tools. */
export const GET = apiRoute({ auth: false }, async ({ ctx, req }) => {
  const pem = ctx.agents.crlPem();
  if (new URL(req.url).searchParams.get('format') === 'der') {
    const der = Buffer.from(pem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, ''), 'base64');
    return new Response(der, { headers: { 'content-type': 'application/pkix-crl' } });
  }
  return new Response(pem, { headers: { 'content-type': 'application/x-pem-file' } });
});
