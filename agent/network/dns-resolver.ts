import dgram from 'node:dgram';
import net from 'node:net';
import dnsPacket from 'dns-packet';
import { normalizeDomain } from '../../lib/api/network';

/** What the resolver decided for one query (audited, aggregated). */
export type DnsDecision = {
  name: string;
  type: string;
  verdict: 'allowed' | 'denied';
  reason: 'allowed' | 'not_allowed' | 'query_type' | 'rebinding' | 'rate_limited' | 'not_a_domain' | 'upstream_failed';
  rule?: string;
  addresses?: string[];
};

export type ResolverDeps = {
  upstream: { host: string; port: number };
  /** The rule that allows `name` and the ports it opens, or null (open mode: any name, any port). */
  allows: (name: string) => { rule: string; ports: number[] } | null;
  /** Whether an address lies in the deny floor (an answer there is dropped: DNS rebinding). */
  inFloor: (address: string) => boolean;
  /** Puts learned addresses into the sandbox's allow set; awaited before the answer is sent. */
  learn: (addresses: string[], ports: number[], seconds: number) => Promise<void>;
  record: (decision: DnsDecision) => void;
};

const RCODE = { NOERROR: 0, FORMERR: 1, SERVFAIL: 2, NXDOMAIN: 3, REFUSED: 5 } as const;
const FLAGS = dnsPacket.RECURSION_DESIRED | dnsPacket.RECURSION_AVAILABLE;
export const MIN_TTL = 30;
export const MAX_TTL = 300;
/** At most this many addresses of one name are learned and answered. */
export const MAX_ADDRESSES = 16;
const RATE_PER_SECOND = 50;
const BURST = 100;

/**
 * One sandbox's DNS server, on its gateway address (UDP and TCP port 53). It answers only names
 * the sandbox's rules allow, and only with A (and CNAME) records: a name not allowed is never
 * asked upstream; other types get an empty answer; addresses in the deny floor are dropped; TTLs
 * are clamped; the addresses are in the sandbox's allow set before the answer leaves.
 */
export class SandboxResolver {
  private udp: dgram.Socket | null = null;
  private tcp: net.Server | null = null;
  private tokens = BURST;
  private refilled = Date.now();

  constructor(
    private readonly address: string,
    private readonly deps: ResolverDeps,
  ) {}

  async start(): Promise<void> {
    const udp = dgram.createSocket('udp4');
    udp.on('message', (msg, rinfo) => {
      void this.answer(msg).then((reply) => reply && udp.send(reply, rinfo.port, rinfo.address));
    });
    udp.on('error', () => undefined);
    await new Promise<void>((resolve, reject) => {
      udp.once('error', reject);
      udp.bind(53, this.address, () => resolve());
    });
    this.udp = udp;
    const tcp = net.createServer((socket) => this.serveTcp(socket));
    tcp.on('error', () => undefined);
    await new Promise<void>((resolve, reject) => {
      tcp.once('error', reject);
      tcp.listen(53, this.address, () => resolve());
    });
    this.tcp = tcp;
  }

  async stop(): Promise<void> {
    this.udp?.close();
    this.udp = null;
    const tcp = this.tcp;
    this.tcp = null;
    if (tcp) await new Promise<void>((resolve) => tcp.close(() => resolve()));
  }

  /** TCP: two-byte length prefixes; idle connections end after 10 s. */
  private serveTcp(socket: net.Socket): void {
    let buffer = Buffer.alloc(0);
    socket.setTimeout(10_000, () => socket.destroy());
    socket.on('error', () => undefined);
    socket.on('data', (d: Buffer) => {
      buffer = Buffer.concat([buffer, d]);
      if (buffer.length > 70_000) return socket.destroy();
      while (buffer.length >= 2) {
        const len = buffer.readUInt16BE(0);
        if (buffer.length < 2 + len) break;
        const query = buffer.subarray(2, 2 + len);
        buffer = buffer.subarray(2 + len);
        void this.answer(query).then((reply) => {
          if (!reply || socket.destroyed) return;
          const head = Buffer.alloc(2);
          head.writeUInt16BE(reply.length);
          socket.write(Buffer.concat([head, reply]));
        });
      }
    });
  }

  private allowQuery(): boolean {
    const now = Date.now();
    this.tokens = Math.min(BURST, this.tokens + ((now - this.refilled) / 1000) * RATE_PER_SECOND);
    this.refilled = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }

  /** The answer to one query (null: not a DNS query at all, dropped). */
  async answer(raw: Buffer): Promise<Buffer | null> {
    let query: dnsPacket.Packet;
    try {
      query = dnsPacket.decode(raw);
    } catch {
      return null;
    }
    if (query.type !== 'query') return null;
    const q = query.questions?.[0];
    const reply = (rcode: number, answers: dnsPacket.Answer[] = []) =>
      dnsPacket.encode({ id: query.id, type: 'response', flags: FLAGS | rcode, questions: query.questions ?? [], answers });
    if (!q || (query.questions?.length ?? 0) !== 1) return reply(RCODE.FORMERR);
    const type = String(q.type);
    const name = normalizeDomain(q.name);
    const decide = (d: Omit<DnsDecision, 'name' | 'type'>) => this.deps.record({ name: name ?? q.name.slice(0, 253), type, ...d });
    if (!this.allowQuery()) {
      decide({ verdict: 'denied', reason: 'rate_limited' });
      return reply(RCODE.REFUSED);
    }
    if (!name) {
      decide({ verdict: 'denied', reason: 'not_a_domain' });
      return reply(RCODE.NXDOMAIN);
    }
    const allowed = this.deps.allows(name);
    if (!allowed) {
      decide({ verdict: 'denied', reason: 'not_allowed' });
      return reply(RCODE.NXDOMAIN);
    }
    if (type !== 'A') {
      decide({ verdict: 'denied', reason: 'query_type', rule: allowed.rule });
      return reply(RCODE.NOERROR);
    }
    let upstream: dnsPacket.Packet;
    try {
      upstream = await this.askUpstream(name);
    } catch {
      decide({ verdict: 'denied', reason: 'upstream_failed', rule: allowed.rule });
      return reply(RCODE.SERVFAIL);
    }
    const records = (upstream.answers ?? []).filter((a): a is dnsPacket.StringAnswer => a.type === 'A' || a.type === 'CNAME');
    const ttl = Math.min(MAX_TTL, Math.max(MIN_TTL, Math.min(...records.map((a) => a.ttl ?? MIN_TTL), MAX_TTL)));
    const a = records.filter((r) => r.type === 'A');
    const safe = a.filter((r) => !this.deps.inFloor(r.data)).slice(0, MAX_ADDRESSES);
    if (a.length > 0 && safe.length === 0) {
      decide({ verdict: 'denied', reason: 'rebinding', rule: allowed.rule, addresses: a.map((r) => r.data).slice(0, MAX_ADDRESSES) });
      return reply(RCODE.NOERROR);
    }
    const addresses = safe.map((r) => r.data);
    await this.deps.learn(addresses, allowed.ports, ttl);
    decide({ verdict: 'allowed', reason: 'allowed', rule: allowed.rule, addresses });
    const cnames = records.filter((r) => r.type === 'CNAME').map((r) => ({ ...r, ttl }));
    const rcode = (upstream as { rcode?: string }).rcode;
    return reply(rcode === 'NXDOMAIN' ? RCODE.NXDOMAIN : RCODE.NOERROR, [...cnames, ...safe.map((r) => ({ ...r, ttl }))]);
  }

  /** One fresh query (not the sandbox's packet) for `name`'s A records, over UDP, retried once. */
  private async askUpstream(name: string): Promise<dnsPacket.Packet> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await udpQuery(this.deps.upstream, name, 2000);
      } catch (error) {
        if (attempt >= 1) throw error;
      }
    }
  }
}

/** The A records of `name`, asked of `upstream` directly (the proxy resolves names itself). */
export async function resolveA(upstream: { host: string; port: number }, name: string): Promise<string[]> {
  const packet = await udpQuery(upstream, name, 2000);
  return (packet.answers ?? []).filter((a): a is dnsPacket.StringAnswer => a.type === 'A').map((a) => a.data);
}

function udpQuery(upstream: { host: string; port: number }, name: string, timeoutMs: number): Promise<dnsPacket.Packet> {
  return new Promise((resolve, reject) => {
    const id = Math.floor(Math.random() * 65_535);
    const socket = dgram.createSocket('udp4');
    const done = (err: Error | null, packet?: dnsPacket.Packet) => {
      clearTimeout(timer);
      socket.close();
      if (err || !packet) reject(err ?? new Error('no answer'));
      else resolve(packet);
    };
    const timer = setTimeout(() => done(new Error('upstream DNS timed out')), timeoutMs);
    socket.on('error', (err) => done(err));
    socket.on('message', (msg) => {
      try {
        const packet = dnsPacket.decode(msg);
        if (packet.id === id && packet.type === 'response') done(null, packet);
      } catch {
        // not an answer to us: keep waiting
      }
    });
    socket.send(dnsPacket.encode({ id, type: 'query', flags: dnsPacket.RECURSION_DESIRED, questions: [{ type: 'A', name }] }), upstream.port, upstream.host);
  });
}
