import http from 'node:http';
import net from 'node:net';
import { normalizeDomain } from '../../lib/api/network';

/** What the proxy decided for one connection (audited, aggregated). */
export type ProxyDecision = {
  name: string | null;
  port: number;
  verdict: 'allowed' | 'denied';
  reason: 'allowed' | 'not_allowed' | 'no_sni' | 'no_host' | 'unresolved' | 'rebinding' | 'upstream_failed';
  rule?: string;
  destination?: string;
};

export type ProxyDeps = {
  /** The rule that allows `name` on `port`, or null. */
  allows: (name: string, port: number) => string | null;
  /** The name's addresses, resolved by the agent itself (never the sandbox's answer). */
  resolve: (name: string) => Promise<string[]>;
  inFloor: (address: string) => boolean;
  record: (d: ProxyDecision) => void;
};

/** Listening ports on the sandbox's gateway that TCP 80 and 443 are redirected to. */
export const PROXY_PORTS = { http: 15080, tls: 15443 } as const;
const MAX_HEAD = 16 * 1024;

/**
 * Reads the server name from a TLS ClientHello (RFC 8446 4.1.2, RFC 6066 3). Returns undefined
 * while more bytes are needed, null when the hello has no SNI (or is not a ClientHello).
 */
export function sniOf(buf: Buffer): string | null | undefined {
  if (buf.length < 5) return undefined;
  if (buf[0] !== 0x16) return null;
  const recordLen = buf.readUInt16BE(3);
  if (buf.length < 5 + recordLen) return buf.length >= MAX_HEAD ? null : undefined;
  let p = 5;
  if (buf[p] !== 0x01) return null;
  p += 4 + 2 + 32; // handshake header, version, random
  const skip = (lenBytes: number) => {
    if (p + lenBytes > buf.length) return false;
    const n = lenBytes === 1 ? (buf[p] ?? 0) : buf.readUInt16BE(p);
    p += lenBytes + n;
    return p <= buf.length;
  };
  if (!skip(1) || !skip(2) || !skip(1)) return null; // session id, cipher suites, compression
  if (p + 2 > buf.length) return null;
  const end = p + 2 + buf.readUInt16BE(p);
  p += 2;
  while (p + 4 <= end && end <= buf.length) {
    const type = buf.readUInt16BE(p);
    const len = buf.readUInt16BE(p + 2);
    p += 4;
    if (type === 0 && len >= 5) {
      // server_name_list: length(2), then entries of type(1) length(2) name
      const nameType = buf[p + 2];
      const nameLen = buf.readUInt16BE(p + 3);
      if (nameType !== 0 || p + 5 + nameLen > buf.length) return null;
      return buf.subarray(p + 5, p + 5 + nameLen).toString('latin1');
    }
    p += len;
  }
  return null;
}

type Verdict = { ok: true; name: string; rule: string; target: string } | { ok: false };

/**
 * One sandbox's proxy for TCP 80 (HTTP Host) and 443 (TLS SNI), on its gateway address. The
 * sandbox's connections to those ports are redirected here; the proxy reads the name the client
 * asks for, checks it against the allowlist, resolves it itself and connects there. So a name
 * that is not allowed gets nothing even when it shares an address with one that is, and a
 * connection with no name is refused. HTTP is parsed request by request (a kept-alive connection
 * cannot switch to another Host after its first request); TLS is judged by its SNI.
 */
export class SandboxProxy {
  private readonly servers: net.Server[] = [];

  constructor(
    private readonly address: string,
    private readonly deps: ProxyDeps,
  ) {}

  async start(): Promise<void> {
    const tls = net.createServer((socket) => this.serveTls(socket));
    const web = http.createServer({ requestTimeout: 0 }, (req, res) => void this.serveHttp(req, res));
    web.on('upgrade', (req: http.IncomingMessage, socket: net.Socket, head: Buffer) => void this.serveUpgrade(req, socket, head));
    web.headersTimeout = 10_000;
    for (const [server, port] of [[tls, PROXY_PORTS.tls], [web, PROXY_PORTS.http]] as const) {
      server.on('error', () => undefined);
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, this.address, () => resolve());
      });
      this.servers.push(server);
    }
  }

  async stop(): Promise<void> {
    await Promise.all(this.servers.splice(0).map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
  }

  /** Checks a name for a port and finds where to connect; every outcome is recorded. */
  private async check(raw: string | null, port: number, kind: 'http' | 'tls'): Promise<Verdict> {
    const deny = (reason: ProxyDecision['reason'], name: string | null, extra: Partial<ProxyDecision> = {}): Verdict => {
      this.deps.record({ name, port, verdict: 'denied', reason, ...extra });
      return { ok: false };
    };
    if (raw === null) return deny(kind === 'tls' ? 'no_sni' : 'no_host', null);
    const name = normalizeDomain(raw);
    const rule = name ? this.deps.allows(name, port) : null;
    if (!name || !rule) return deny('not_allowed', name ?? raw.slice(0, 253));
    let addresses: string[];
    try {
      addresses = await this.deps.resolve(name);
    } catch {
      return deny('upstream_failed', name, { rule });
    }
    if (addresses.length === 0) return deny('unresolved', name, { rule });
    const target = addresses.find((a) => !this.deps.inFloor(a));
    if (!target) return deny('rebinding', name, { rule, destination: addresses[0] });
    this.deps.record({ name, port, verdict: 'allowed', reason: 'allowed', rule, destination: target });
    return { ok: true, name, rule, target };
  }

  private serveTls(client: net.Socket): void {
    let head = Buffer.alloc(0);
    client.on('error', () => undefined);
    client.setTimeout(10_000, () => client.destroy());
    const onData = (d: Buffer) => {
      head = Buffer.concat([head, d]);
      const sni = sniOf(head);
      if (sni === undefined) return;
      client.off('data', onData);
      client.pause();
      void this.check(sni, 443, 'tls').then((v) => {
        if (!v.ok) return void client.destroy();
        client.setTimeout(0);
        splice(client, net.connect({ host: v.target, port: 443 }), head);
      });
    };
    client.on('data', onData);
  }

  private async serveHttp(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const host = req.headers.host ? req.headers.host.trim().replace(/:\d+$/, '') : null;
    const v = await this.check(host, 80, 'http');
    if (!v.ok) {
      const text = `egress denied: ${host ?? 'no Host header'} is not allowed for this sandbox\n`;
      res.writeHead(403, { 'content-type': 'text/plain', 'content-length': Buffer.byteLength(text) });
      return void res.end(text);
    }
    const upstream = http.request({ host: v.target, port: 80, method: req.method, path: req.url, headers: endToEnd(req.rawHeaders), setHost: false, agent: false }, (up) => {
      res.writeHead(up.statusCode ?? 502, endToEnd(up.rawHeaders));
      up.pipe(res);
    });
    upstream.on('error', () => (res.headersSent ? res.destroy() : res.writeHead(502).end()));
    req.pipe(upstream);
  }

  /** An HTTP upgrade (e.g. WebSocket) to an allowed Host becomes a byte stream to it. */
  private async serveUpgrade(req: http.IncomingMessage, client: net.Socket, head: Buffer): Promise<void> {
    client.on('error', () => undefined);
    const host = req.headers.host ? req.headers.host.trim().replace(/:\d+$/, '') : null;
    const v = await this.check(host, 80, 'http');
    if (!v.ok) return void client.end('HTTP/1.1 403 Forbidden\r\nconnection: close\r\n\r\n');
    const lines = [`${req.method} ${req.url} HTTP/${req.httpVersion}`];
    for (let i = 0; i + 1 < req.rawHeaders.length; i += 2) lines.push(`${req.rawHeaders[i]}: ${req.rawHeaders[i + 1]}`);
    splice(client, net.connect({ host: v.target, port: 80 }), Buffer.concat([Buffer.from(`${lines.join('\r\n')}\r\n\r\n`), head]));
  }
}

/** Hop-by-hop headers belong to one connection and are not passed on (RFC 9110 7.6.1). */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'proxy-authorization', 'te', 'trailer', 'transfer-encoding', 'upgrade']);

/** A flat raw header list without its hop-by-hop headers. */
function endToEnd(raw: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i + 1 < raw.length; i += 2) {
    if (!HOP_BY_HOP.has((raw[i] ?? '').toLowerCase())) out.push(raw[i] ?? '', raw[i + 1] ?? '');
  }
  return out;
}

/** Joins a client to an upstream connection, sending `first` ahead of the client's own bytes. */
function splice(client: net.Socket, upstream: net.Socket, first: Buffer): void {
  upstream.on('error', () => client.destroy());
  upstream.once('connect', () => {
    upstream.write(first);
    client.pipe(upstream);
    upstream.pipe(client);
    client.resume();
  });
  client.on('close', () => upstream.destroy());
  upstream.on('close', () => client.destroy());
}
