import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import https from 'node:https';
import type { ServerContext } from './context';
import { routeLabel } from './metrics';
import type { KeyPair } from './pki/certificates';

/** TLS 1.3 only, in both directions of the range. */
export function consoleTlsOptions(pair: KeyPair) {
  return { cert: pair.certPem, key: pair.keyPem, minVersion: 'TLSv1.3' as const, maxVersion: 'TLSv1.3' as const };
}

type NextHandler = (req: IncomingMessage, res: ServerResponse) => Promise<void>;

/**
 * The console and HTTP API listener: HTTPS with TLS 1.3 only. It stamps every request with a
 * request id and the peer's address (overwriting anything the client sent under those names),
 * serves /metrics itself and hands the rest to Next.js.
 */
export function createConsoleServer(ctx: ServerContext, tls: KeyPair, next: NextHandler): https.Server {
  const server = https.createServer(
    consoleTlsOptions(tls),
    (req, res) => {
      const started = process.hrtime.bigint();
      const pathname = (req.url ?? '/').split('?')[0] ?? '/';
      const route = routeLabel(pathname);
      req.headers['x-request-id'] = randomUUID();
      req.headers['x-sbx-client-ip'] = req.socket.remoteAddress ?? '';
      res.setHeader('x-request-id', req.headers['x-request-id']);
      res.setHeader('strict-transport-security', 'max-age=31536000');
      res.setHeader('x-content-type-options', 'nosniff');
      res.setHeader('x-frame-options', 'DENY');
      res.setHeader('referrer-policy', 'no-referrer');
      closeAfterUnreadBody(req, res);
      res.on('finish', () => {
        const seconds = Number(process.hrtime.bigint() - started) / 1e9;
        ctx.metrics.httpRequests.inc({ method: req.method ?? 'GET', route, status: String(res.statusCode) });
        ctx.metrics.httpDuration.observe({ method: req.method ?? 'GET', route }, seconds);
      });
      if (pathname === '/metrics') {
        void ctx.metrics.registry.metrics().then((text) => {
          res.writeHead(200, { 'content-type': ctx.metrics.registry.contentType });
          res.end(text);
        });
        return;
      }
      next(req, res).catch((err: unknown) => {
        ctx.log.error({ err }, 'console request failed');
        if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
        res.end('internal error');
      });
    },
  );
  server.on('tlsClientError', (err) => ctx.log.debug({ err: err.message }, 'TLS handshake refused'));
  // Keep idle connections longer than clients keep theirs, so a client rarely writes into a socket
  // the server is just closing (Node's 5 s default makes SDK callers race it).
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
  return server;
}

/** How long a connection closed with an unread body is still read (and discarded) before it is dropped. */
const LINGER_MS = 2_000;

/**
 * A handler may answer before it read all of a request's body (an upload refused half-way). The
 * rest of that body would then sit in the connection ahead of the client's next request, which
 * would never be read: such an answer says `Connection: close`. Closing outright while the client
 * is still sending would reset the connection, and the client could lose the answer it has not
 * read yet; so the connection lingers: its sending side ends with the answer, and what still
 * arrives is read and discarded for a short while (or until the client closes).
 */
function closeAfterUnreadBody(req: IncomingMessage, res: ServerResponse): void {
  // Taken now: Next.js rewires the request object while it reads the body.
  const socket = req.socket;
  const writeHead = res.writeHead;
  res.writeHead = function (this: ServerResponse, ...args: Parameters<typeof writeHead>) {
    if (!req.complete && !this.headersSent) {
      this.setHeader('connection', 'close');
      // Node ends a `Connection: close` exchange with destroySoon(); this one lingers instead.
      socket.destroySoon = () => {
        socket.end();
        socket.removeAllListeners('data');
        socket.on('data', () => undefined);
        socket.once('end', () => socket.destroy());
        setTimeout(() => socket.destroy(), LINGER_MS).unref();
        socket.resume();
      };
    }
    return writeHead.apply(this, args);
  } as typeof writeHead;
}
