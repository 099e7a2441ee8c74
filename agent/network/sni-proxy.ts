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

/** The host named by an HTTP/1 request head (without port); undefined while the head is incomplete. */
export function hostOf(buf: Buffer): string | null | undefined {
  const end = buf.indexOf('\r\n\r\n');
  if (end < 0) return buf.length >= MAX_HEAD ? null : undefined;
  const head = buf.subarray(0, end).toString('latin1');
  const m = /\r\nhost:[ \t]*([^\r\n]*)/i.exec(head);
  if (!m?.[1]) return null;
  return m[1].trim().replace(/:\d+$/, '');
}

/**
 * One sandbox's proxy for TCP 80 (HTTP Host) and 443 (TLS SNI), on its gateway address. The
 * sandbox's connections to those ports are redirected here; the proxy reads the name the client
 * asks for, checks it against the allowlist, resolves it itself and connects there. So a name
 * that is not allowed gets nothing even when it shares an address with one that is, and a
 * connection with no name is refused.
 */
export class SandboxProxy {
  private readonly servers: net.Server[] = [];

  constructor(
    private readonly address: string,
    private readonly deps: ProxyDeps,
  ) {}

  async start(): Promise<void> {
    for (const [kind, listenPort] of Object.entries(PROXY_PORTS) as ['http' | 'tls', number][]) {
      const server = net.createServer((socket) => this.serve(socket, kind));
      server.on('error', () => undefined);
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(listenPort, this.address, () => resolve());
      });
      this.servers.push(server);
    }
  }

  async stop(): Promise<void> {
    await Promise.all(this.servers.splice(0).map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
  }

  private serve(client: net.Socket, kind: 'http' | 'tls'): void {
    const port = kind === 'tls' ? 443 : 80;
    let head = Buffer.alloc(0);
    client.on('error', () => undefined);
    client.setTimeout(10_000, () => client.destroy());
    const onData = (d: Buffer) => {
      head = Buffer.concat([head, d]);
      const raw = kind === 'tls' ? sniOf(head) : hostOf(head);
      if (raw === undefined) return;
      client.off('data', onData);
      client.pause();
      void this.forward(client, head, raw, port, kind);
    };
    client.on('data', onData);
  }

  private async forward(client: net.Socket, head: Buffer, raw: string | null, port: number, kind: 'http' | 'tls'): Promise<void> {
    const deny = (reason: ProxyDecision['reason'], name: string | null, extra: Partial<ProxyDecision> = {}) => {
      this.deps.record({ name, port, verdict: 'denied', reason, ...extra });
      client.destroy();
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
    const safe = addresses.filter((a) => !this.deps.inFloor(a));
    if (addresses.length === 0) return deny('unresolved', name, { rule });
    const target = safe[0];
    if (!target) return deny('rebinding', name, { rule, destination: addresses[0] });
    const upstream = net.connect({ host: target, port });
    upstream.on('error', () => {
      client.destroy();
    });
    upstream.once('connect', () => {
      this.deps.record({ name, port, verdict: 'allowed', reason: 'allowed', rule, destination: target });
      client.setTimeout(0);
      upstream.write(head);
      client.pipe(upstream);
      upstream.pipe(client);
      client.resume();
    });
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  }
}
