import dgram from 'node:dgram';
import dnsPacket from 'dns-packet';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SandboxResolver, type DnsDecision } from '../../../../agent/network/dns-resolver';
import { inCidrs } from '../../../../lib/api/network';

// A fake upstream on loopback: canned answers, and a record of every name it was asked.
const ZONE: Record<string, { data: string; ttl: number }[]> = {
  'ok.test': [{ data: '198.51.100.1', ttl: 5 }],
  'long.test': [{ data: '198.51.100.2', ttl: 100_000 }],
  'rebind.test': [{ data: '10.0.0.5', ttl: 60 }],
  'many.test': Array.from({ length: 40 }, (_, i) => ({ data: `198.51.100.${i + 10}`, ttl: 60 })),
};
let upstream: dgram.Socket;
let port = 0;
const asked: string[] = [];

beforeAll(async () => {
  upstream = dgram.createSocket('udp4');
  upstream.on('message', (msg, rinfo) => {
    const q = dnsPacket.decode(msg);
    const name = q.questions?.[0]?.name ?? '';
    asked.push(name);
    const answers = (ZONE[name] ?? []).map((a) => ({ type: 'A' as const, name, ttl: a.ttl, data: a.data }));
    upstream.send(dnsPacket.encode({ id: q.id, type: 'response', flags: ZONE[name] ? 0 : 3, questions: q.questions ?? [], answers }), rinfo.port, rinfo.address);
  });
  await new Promise<void>((r) => upstream.bind(0, '127.0.0.1', () => r()));
  port = upstream.address().port;
});
afterAll(() => upstream.close());

function resolver() {
  const learned: { addresses: string[]; ports: number[]; seconds: number }[] = [];
  const decisions: DnsDecision[] = [];
  const r = new SandboxResolver('127.0.0.1', {
    upstream: { host: '127.0.0.1', port },
    allows: (name) => (name.endsWith('.test') && name !== 'denied.test' ? { rule: name, ports: [443] } : null),
    inFloor: (a) => inCidrs(a, ['10.0.0.0/8']),
    learn: async (addresses, ports, seconds) => void learned.push({ addresses, ports, seconds }),
    record: (d) => decisions.push(d),
  });
  return { r, learned, decisions };
}

async function ask(r: SandboxResolver, name: string, type: string = 'A') {
  const raw = await r.answer(dnsPacket.encode({ id: 7, type: 'query', flags: dnsPacket.RECURSION_DESIRED, questions: [{ name, type: type as dnsPacket.RecordType }] }));
  const p = dnsPacket.decode(raw as Buffer);
  return { rcode: (p as { rcode?: string }).rcode, answers: (p.answers ?? []) as dnsPacket.StringAnswer[] };
}

describe('the sandbox resolver', () => {
  it('answers a name not allowed with NXDOMAIN and never asks upstream', async () => {
    const { r, decisions } = resolver();
    asked.length = 0;
    expect(await ask(r, 'Denied.TEST.')).toEqual({ rcode: 'NXDOMAIN', answers: [] });
    expect(asked).toEqual([]);
    expect(decisions).toEqual([{ name: 'denied.test', type: 'A', verdict: 'denied', reason: 'not_allowed' }]);
  });

  it('answers AAAA, TXT, HTTPS and ANY with nothing, without asking upstream', async () => {
    const { r, decisions } = resolver();
    asked.length = 0;
    for (const type of ['AAAA', 'TXT', 'HTTPS', 'ANY'] as const) expect(await ask(r, 'ok.test', type)).toEqual({ rcode: 'NOERROR', answers: [] });
    expect(asked).toEqual([]);
    expect(decisions.map((d) => d.reason)).toEqual(['query_type', 'query_type', 'query_type', 'query_type']);
  });

  it('learns the addresses before answering, with TTLs clamped to 30-300 s', async () => {
    const { r, learned } = resolver();
    const a = await ask(r, 'ok.test');
    expect(a.answers.map((x) => [x.data, x.ttl])).toEqual([['198.51.100.1', 30]]);
    expect(learned).toEqual([{ addresses: ['198.51.100.1'], ports: [443], seconds: 30 }]);
    expect((await ask(r, 'long.test')).answers[0]?.ttl).toBe(300);
  });

  it('drops answers inside the deny floor (rebinding) and learns nothing', async () => {
    const { r, learned, decisions } = resolver();
    expect(await ask(r, 'rebind.test')).toEqual({ rcode: 'NOERROR', answers: [] });
    expect(learned).toEqual([]);
    expect(decisions[0]).toMatchObject({ verdict: 'denied', reason: 'rebinding', addresses: ['10.0.0.5'] });
  });

  it('caps the addresses of one name', async () => {
    const { r, learned } = resolver();
    expect((await ask(r, 'many.test')).answers).toHaveLength(16);
    expect(learned[0]?.addresses).toHaveLength(16);
  });

  it('refuses queries past its rate limit', async () => {
    const { r, decisions } = resolver();
    const rcodes = [];
    for (let i = 0; i < 110; i++) rcodes.push((await ask(r, 'denied.test')).rcode);
    expect(rcodes.filter((c) => c === 'REFUSED').length).toBeGreaterThan(0);
    expect(decisions.some((d) => d.reason === 'rate_limited')).toBe(true);
  });

  it('ignores what is not a DNS query', async () => {
    const { r } = resolver();
    expect(await r.answer(Buffer.from('not dns at all'))).toBeNull();
  });
});
