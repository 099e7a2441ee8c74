import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NET, startNetLab, type NetLab } from '../support/netlab';
import { startEgressHost, type EgressHost } from '../support/egress';
import type { NetworkDecision } from '../../lib/wire/protocol';

// Sandboxes here reach only the test internet: the enforcer runs in a namespace whose one uplink
// goes to namespaces this test made (see test/support/netlab.ts).
const ZONE = {
  'allowed.test': [NET.allowedSite],
  'other.test': [NET.otherSite],
  'shared.test': [NET.allowedSite],
  'rebind.test': ['10.1.2.3'],
  'meta.test': [NET.metadata],
};

let lab: NetLab;
let host: EgressHost;
const A = `sbx-${randomBytes(10).toString('hex')}`;

const connect = (target: string, port: number) =>
  `import socket\ntry:\n  s = socket.create_connection((${JSON.stringify(target)}, ${port}), timeout=2)\n  print('connected')\nexcept Exception as e:\n  print(type(e).__name__)`;
/** Sends one raw DNS query (name, numeric type) to `server` (default: the sandbox's resolver); prints rcode and answer count. */
const dnsQuery = (name: string, qtype: number, server = '') => `
import socket, struct, random
server = ${JSON.stringify(server)} or open('/etc/resolv.conf').read().split('nameserver ')[1].split()[0]
q = struct.pack('>HHHHHH', random.randint(0, 65535), 0x0100, 1, 0, 0, 0)
q += b''.join(bytes([len(l)]) + l.encode() for l in ${JSON.stringify(name)}.split('.')) + b'\\0' + struct.pack('>HH', ${qtype}, 1)
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(2)
try:
  s.sendto(q, (server, 53)); r = s.recv(4096)
  print('rcode=%d answers=%d' % (r[3] & 15, struct.unpack('>H', r[6:8])[0]))
except Exception as e:
  print(type(e).__name__)`;
/** A TLS request to `address`:443 with `sni` (none when null), certificates not checked; prints the body or the error. */
const tls = (address: string, sni: string | null) => `
import socket, ssl
ctx = ssl.create_default_context(); ctx.check_hostname = False; ctx.verify_mode = ssl.CERT_NONE
try:
  t = ctx.wrap_socket(socket.create_connection(('${address}', 443), timeout=3), server_hostname=${sni ? JSON.stringify(sni) : 'None'})
  t.sendall(b'GET / HTTP/1.1\\r\\nHost: ${sni ?? address}\\r\\nConnection: close\\r\\n\\r\\n')
  data = b''
  while True:
    chunk = t.recv(4096)
    if not chunk: break
    data += chunk
  print(data.decode().split('\\r\\n\\r\\n', 1)[-1].strip())
except Exception as e:
  print(type(e).__name__)`;
const fetch = (url: string) =>
  `import urllib.request\ntry:\n  print(urllib.request.urlopen(${JSON.stringify(url)}, timeout=5).read().decode().strip())\nexcept Exception as e:\n  print(type(e).__name__)`;

beforeAll(async () => {
  lab = await startNetLab(ZONE);
  host = await startEgressHost(lab.hostNs);
  await host.call('create', { id: A, spec: { mode: 'allowlist', allow: [{ domain: 'allowed.test', ports: [80, 443] }, { domain: 'rebind.test', ports: [80] }] } });
}, 60_000);

afterAll(async () => {
  await host?.call('destroy', { id: A }).catch(() => undefined);
  await host?.close();
  await lab?.stop();
}, 60_000);

describe('egress allowlist (real runsc, nftables, DNS; test internet only)', () => {
  it('reaches an allowed domain by name', async () => {
    const r = await host.exec(A, fetch('http://allowed.test/'));
    expect(r.stdout.trim()).toBe(`site=${NET.allowedSite} host=allowed.test`);
  });

  it('does not resolve a name that is not allowed, and never asks upstream for it', async () => {
    const r = await host.exec(A, 'import socket\ntry:\n  print(socket.gethostbyname("other.test"))\nexcept Exception as e:\n  print(type(e).__name__)');
    expect(r.stdout.trim()).toBe('gaierror');
    expect(lab.seen().filter((s) => s.dns === 'other.test')).toEqual([]);
  });

  it('blocks a direct IP, the metadata address, and an allowed address on another port', async () => {
    // Port 80 goes through the name-checking proxy (an address is no allowed name); 8080 is dropped in the kernel.
    expect((await host.exec(A, fetch(`http://${NET.otherSite}/`))).stdout.trim()).toMatch(/^(HTTPError|URLError|RemoteDisconnected|ConnectionResetError)$/);
    expect((await host.exec(A, fetch(`http://${NET.metadata}/`))).stdout.trim()).toMatch(/^(HTTPError|URLError|RemoteDisconnected|ConnectionResetError)$/);
    expect((await host.exec(A, connect(NET.metadata, 8080))).stdout.trim()).not.toBe('connected');
    expect((await host.exec(A, connect(NET.allowedSite, 8080))).stdout.trim()).not.toBe('connected');
    expect(lab.seen().filter((s) => s.http === NET.otherSite || s.http === NET.metadata)).toEqual([]);
  });

  it('checks the name, not the address: another site on an allowed address, and TLS by SNI', async () => {
    // On one kept-alive connection to an allowed name's address: an allowed Host, then another site's.
    const shared = `
import socket
s = socket.create_connection(('${NET.allowedSite}', 80), timeout=3)
def ask(host):
  s.sendall(b'GET / HTTP/1.1\\r\\nHost: ' + host + b'\\r\\n\\r\\n')
  data = b''
  while b'\\r\\n\\r\\n' not in data:
    chunk = s.recv(4096)
    if not chunk: raise ConnectionError('closed')
    data += chunk
  head, body = data.split(b'\\r\\n\\r\\n', 1)
  n = int([l.split(b':')[1] for l in head.split(b'\\r\\n') if l.lower().startswith(b'content-length')][0]) if b'ontent-length' in head else 0
  while len(body) < n: body += s.recv(4096)
  return head.split(b'\\r\\n')[0].decode() + ' ' + body.decode().strip()
print(ask(b'allowed.test'))
try:
  print(ask(b'shared.test'))
except Exception as e:
  print(type(e).__name__)`;
    const lines = (await host.exec(A, shared)).stdout.trim().split('\n');
    expect(lines[0]).toBe(`HTTP/1.1 200 OK site=${NET.allowedSite} host=allowed.test`);
    expect(lines[1]).toMatch(/^HTTP\/1\.1 403 Forbidden egress denied: shared.test/);
    expect((await host.exec(A, tls(NET.allowedSite, 'allowed.test'))).stdout.trim()).toBe(`site=${NET.allowedSite} host=allowed.test`);
    expect((await host.exec(A, tls(NET.allowedSite, 'other.test'))).stdout.trim()).not.toContain('site=');
    expect((await host.exec(A, tls(NET.otherSite, 'dns.google'))).stdout.trim()).not.toContain('site=');
    expect((await host.exec(A, tls(NET.allowedSite, null))).stdout.trim()).not.toContain('site=');
    const reached = lab.seen().filter((s) => s.http);
    expect(reached.filter((s) => s.host !== 'allowed.test')).toEqual([]);
    expect(reached.some((s) => s.tls && s.host === 'allowed.test')).toBe(true);
  });

  it('answers AAAA, TXT and HTTPS queries for an allowed name with nothing, without asking upstream', async () => {
    for (const qtype of [28, 16, 65]) expect((await host.exec(A, dnsQuery('allowed.test', qtype))).stdout.trim()).toBe('rcode=0 answers=0');
    expect(lab.seen().filter((s) => s.dns === 'allowed.test' && s.type !== 'A')).toEqual([]);
  });

  it('refuses random subdomains of an allowed name that is not a wildcard, without asking upstream', async () => {
    const r = await host.exec(A, dnsQuery('x7f3k9q2m1.allowed.test', 1));
    expect(r.stdout.trim()).toBe('rcode=3 answers=0');
    expect(lab.seen().filter((s) => s.dns?.endsWith('.allowed.test'))).toEqual([]);
  });

  it('drops queries to another resolver and any other UDP (no QUIC)', async () => {
    expect((await host.exec(A, dnsQuery('other.test', 1, NET.dns))).stdout.trim()).toBe('TimeoutError');
    await host.exec(A, `import socket\ns = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\nfor i in range(3): s.sendto(b'quic', ('${NET.allowedSite}', 443))`);
    await new Promise((r) => setTimeout(r, 300));
    expect(lab.seen().filter((s) => s.dns === 'other.test' || s.udp)).toEqual([]);
  });

  it('drops an allowed name whose answer points into the deny floor (rebinding)', async () => {
    const r = await host.exec(A, dnsQuery('rebind.test', 1));
    expect(r.stdout.trim()).toBe('rcode=0 answers=0');
    expect((await host.exec(A, connect('10.1.2.3', 80))).stdout.trim()).not.toBe('connected');
  });

  it('answers DNS over TCP by the same rules', async () => {
    const tcpQuery = (name: string) => `
import socket, struct
gw = open('/etc/resolv.conf').read().split('nameserver ')[1].split()[0]
q = struct.pack('>HHHHHH', 9, 0x0100, 1, 0, 0, 0) + b''.join(bytes([len(l)]) + l.encode() for l in ${JSON.stringify(name)}.split('.')) + b'\\0' + struct.pack('>HH', 1, 1)
s = socket.create_connection((gw, 53), timeout=3); s.sendall(struct.pack('>H', len(q)) + q)
n = struct.unpack('>H', s.recv(2))[0]; r = s.recv(n)
print('rcode=%d answers=%d' % (r[3] & 15, struct.unpack('>H', r[6:8])[0]))`;
    expect((await host.exec(A, tcpQuery('allowed.test'))).stdout.trim()).toBe('rcode=0 answers=1');
    expect((await host.exec(A, tcpQuery('other.test'))).stdout.trim()).toBe('rcode=3 answers=0');
  });

  it('has no IPv6 way out and no raw sockets', async () => {
    const v6 = await host.exec(A, `import socket\ntry:\n  socket.create_connection(('2001:db8::10', 80), timeout=2); print('connected')\nexcept Exception as e:\n  print(type(e).__name__)`);
    expect(v6.stdout.trim()).not.toBe('connected');
    const raw = await host.exec(A, `import socket\ntry:\n  socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP); print('raw')\nexcept Exception as e:\n  print(type(e).__name__)`);
    expect(raw.stdout.trim()).toBe('PermissionError');
    // An unprivileged ICMP echo (ping socket), where the sandbox allows one at all, goes nowhere.
    const ping = await host.exec(A, `import socket, time\ntry:\n  s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM, socket.IPPROTO_ICMP); s.settimeout(2)\n  s.sendto(b'\\x08\\x00\\x00\\x00\\x00\\x01\\x00\\x01', ('${NET.allowedSite}', 0)); s.recv(64); print('reply')\nexcept Exception as e:\n  print(type(e).__name__)`);
    expect(ping.stdout.trim()).not.toBe('reply');
  });

  it('cannot reach the host itself: not its uplink address, not its gateway but for DNS', async () => {
    expect((await host.exec(A, connect(NET.hostUplink, 22))).stdout.trim()).not.toBe('connected');
    const gw = (await host.exec(A, "print(open('/etc/resolv.conf').read().split('nameserver ')[1].split()[0])")).stdout.trim();
    expect((await host.exec(A, connect(gw, 22))).stdout.trim()).not.toBe('connected');
    expect((await host.exec(A, connect(gw, 53))).stdout.trim()).toBe('connected');
  });

  it('drops packets with a forged source address (sent past gVisor, straight from the sandbox namespace)', () => {
    // What a sandbox that broke out of gVisor's network stack could send: raw SYNs from another
    // address, as Ethernet frames on its interface (gVisor holds the namespace's addresses and routes).
    const peer = execFileSync('ip', ['netns', 'exec', A, 'cat', '/sys/class/net/eth0/iflink']).toString().trim();
    const hostLink = execFileSync('ip', ['-n', lab.hostNs, '-o', 'link', 'show']).toString().split('\n').find((l) => l.startsWith(`${peer}:`)) ?? '';
    const gatewayMac = /link\/ether ([0-9a-f:]{17})/.exec(hostLink)?.[1];
    expect(gatewayMac).toBeDefined();
    const forge = [
      'import socket, struct',
      'def csum(b):',
      "  b += b'\\0' * (len(b) % 2); s = sum(struct.unpack('!%dH' % (len(b) // 2), b)); s = (s >> 16) + (s & 0xffff); s += s >> 16; return ~s & 0xffff",
      `src, dst = '10.250.0.99', '${NET.otherSite}'`,
      "tcp = struct.pack('!HHLLBBHHH', 40000, 80, 1, 0, 5 << 4, 2, 64240, 0, 0)",
      "pseudo = socket.inet_aton(src) + socket.inet_aton(dst) + struct.pack('!BBH', 0, 6, len(tcp))",
      "tcp = tcp[:16] + struct.pack('!H', csum(pseudo + tcp)) + tcp[18:]",
      "ip = struct.pack('!BBHHHBBH4s4s', 0x45, 0, 20 + len(tcp), 1, 0, 64, 6, 0, socket.inet_aton(src), socket.inet_aton(dst))",
      "ip = ip[:10] + struct.pack('!H', csum(ip)) + ip[12:]",
      "mac = lambda m: bytes.fromhex(m.replace(':', ''))",
      "own = open('/sys/class/net/eth0/address').read().strip()",
      's = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)',
      "s.bind(('eth0', 0))",
      `for i in range(3): s.send(mac('${gatewayMac}') + mac(own) + b'\\x08\\x00' + ip + tcp)`,
    ].join('\n');
    execFileSync('ip', ['netns', 'exec', A, 'python3', '-c', forge]);
  });

  it('records every decision, aggregated with counts', async () => {
    // Decisions arrive once per window (1 s here).
    await new Promise((r) => setTimeout(r, 2500));
    const d = host.decisions();
    const has = (m: Partial<NetworkDecision>) => {
      const found = d.some((x) => Object.entries(m).every(([k, v]) => (x as Record<string, unknown>)[k] === v));
      if (!found) console.error('missing decision', JSON.stringify(m), JSON.stringify(d, null, 0));
      return found;
    };
    expect(has({ sandboxId: A, kind: 'dns', verdict: 'allowed', name: 'allowed.test', queryType: 'A', rule: 'allowed.test' })).toBe(true);
    expect(has({ sandboxId: A, kind: 'dns', verdict: 'denied', name: 'other.test', reason: 'not_allowed' })).toBe(true);
    expect(has({ sandboxId: A, kind: 'dns', verdict: 'denied', name: 'allowed.test', queryType: 'TXT', reason: 'query_type' })).toBe(true);
    expect(has({ sandboxId: A, kind: 'dns', verdict: 'denied', name: 'rebind.test', reason: 'rebinding' })).toBe(true);
    expect(has({ sandboxId: A, kind: 'dns', verdict: 'denied', name: 'x7f3k9q2m1.allowed.test', reason: 'not_allowed' })).toBe(true);
    expect(has({ sandboxId: A, kind: 'connection', verdict: 'denied', name: 'dns.google', port: 443, reason: 'proxy_not_allowed' })).toBe(true);
    expect(has({ sandboxId: A, kind: 'connection', verdict: 'allowed', name: 'allowed.test', destination: NET.allowedSite, port: 80, reason: 'allowed_proxy', rule: 'allowed.test' })).toBe(true);
    expect(has({ sandboxId: A, kind: 'connection', verdict: 'allowed', name: 'allowed.test', port: 443, reason: 'allowed_proxy', rule: 'allowed.test' })).toBe(true);
    expect(has({ sandboxId: A, kind: 'connection', verdict: 'denied', name: NET.otherSite, port: 80, reason: 'proxy_not_allowed' })).toBe(true);
    expect(has({ sandboxId: A, kind: 'connection', verdict: 'denied', name: 'shared.test', port: 80, reason: 'proxy_not_allowed' })).toBe(true);
    expect(has({ sandboxId: A, kind: 'connection', verdict: 'denied', name: 'other.test', port: 443, reason: 'proxy_not_allowed' })).toBe(true);
    expect(has({ sandboxId: A, kind: 'connection', verdict: 'denied', port: 443, reason: 'proxy_no_sni' })).toBe(true);
    expect(has({ sandboxId: A, kind: 'connection', verdict: 'denied', destination: NET.metadata, port: 8080, reason: 'floor' })).toBe(true);
    expect(has({ sandboxId: A, kind: 'connection', verdict: 'denied', destination: NET.allowedSite, port: 8080, reason: 'rule' })).toBe(true);
    expect(has({ sandboxId: A, kind: 'connection', verdict: 'denied', destination: NET.dns, port: 53, protocol: 'udp', reason: 'protocol' })).toBe(true);
    expect(has({ sandboxId: A, kind: 'connection', verdict: 'denied', destination: NET.allowedSite, port: 443, protocol: 'udp', reason: 'protocol' })).toBe(true);
    expect(has({ sandboxId: A, kind: 'connection', verdict: 'denied', destination: NET.hostUplink, port: 22, reason: 'host' })).toBe(true);
    expect(has({ sandboxId: A, kind: 'connection', verdict: 'denied', destination: '10.250.0.99', reason: 'spoof' })).toBe(true);
    // Three UDP datagrams to one place are one decision with a count.
    const quic = d.filter((x) => x.destination === NET.allowedSite && x.port === 443 && x.protocol === 'udp');
    expect(quic.reduce((n, x) => n + x.count, 0)).toBeGreaterThanOrEqual(3);
    expect(quic.length).toBeLessThan(3);
  });
});

describe('other modes and sandboxes', () => {
  it('open mode reaches any site but never the deny floor; one sandbox cannot reach another', async () => {
    const B = `sbx-${randomBytes(10).toString('hex')}`;
    await host.call('create', { id: B, spec: { mode: 'open' } });
    try {
      expect((await host.exec(B, connect(NET.otherSite, 80))).stdout.trim()).toBe('connected');
      expect((await host.exec(B, connect(NET.metadata, 80))).stdout.trim()).not.toBe('connected');
      const aAddress = (await host.exec(A, "import socket\ns = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.connect(('203.0.113.10', 9)); print(s.getsockname()[0])")).stdout.trim();
      expect(aAddress).toMatch(/^10\.250\./);
      expect((await host.exec(B, connect(aAddress, 22))).stdout.trim()).not.toBe('connected');
      for (let i = 0; i < 20 && !host.decisions().some((d) => d.sandboxId === B && d.destination === aAddress); i++) await new Promise((r) => setTimeout(r, 250));
      expect(host.decisions()).toContainEqual(expect.objectContaining({ sandboxId: B, kind: 'connection', verdict: 'denied', destination: aAddress, port: 22, reason: 'floor' }));
      expect(host.decisions()).toContainEqual(expect.objectContaining({ sandboxId: B, kind: 'connection', verdict: 'allowed', destination: NET.otherSite, port: 80, reason: 'allowed_open' }));
    } finally {
      await host.call('destroy', { id: B });
    }
  });

  it('a CIDR rule allows that network on its ports only, and a live change applies at once', async () => {
    const C = `sbx-${randomBytes(10).toString('hex')}`;
    await host.call('create', { id: C, spec: { allow: [{ cidr: `${NET.otherSite}/32`, ports: [80] }] } });
    try {
      expect((await host.exec(C, connect(NET.otherSite, 80))).stdout.trim()).toBe('connected');
      expect((await host.exec(C, connect(NET.otherSite, 8080))).stdout.trim()).not.toBe('connected');
      const started = Date.now();
      await host.call('apply', { id: C, spec: { allow: [{ cidr: `${NET.otherSite}/32`, ports: [8080] }] } });
      expect(Date.now() - started).toBeLessThan(1000);
      expect((await host.exec(C, connect(NET.otherSite, 8080))).stdout.trim()).toBe('connected');
      expect((await host.exec(C, connect(NET.otherSite, 80))).stdout.trim()).not.toBe('connected');
    } finally {
      await host.call('destroy', { id: C });
    }
  });

  it('mode none has no interface but loopback', async () => {
    const D = `sbx-${randomBytes(10).toString('hex')}`;
    await host.call('create', { id: D, spec: { mode: 'none' } });
    try {
      expect((await host.exec(D, 'import socket\nprint(sorted(n for _, n in socket.if_nameindex()))')).stdout.trim()).toBe("['lo']");
    } finally {
      await host.call('destroy', { id: D });
    }
  });

  it('after an agent crash, the restarted agent removes the namespace and veth it left, and reports them', async () => {
    const lab2 = await startNetLab(ZONE);
    const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sbx-egress-'));
    try {
      const first = await startEgressHost(lab2.hostNs, stateDir);
      const E = `sbx-${randomBytes(10).toString('hex')}`;
      await first.call('create', { id: E, spec: {} });
      expect(fs.existsSync(`/var/run/netns/${E}`)).toBe(true);
      const exited = new Promise((r) => first.child.once('exit', r));
      void first.call('crash').catch(() => undefined);
      await exited;
      const second = await startEgressHost(lab2.hostNs, stateDir);
      expect(second.removed).toEqual([E]);
      expect(fs.existsSync(`/var/run/netns/${E}`)).toBe(false);
      expect(execFileSync('ip', ['-n', lab2.hostNs, '-o', 'link', 'show']).toString()).not.toMatch(/sbxv\d/);
      await second.close();
      expect(execFileSync('ip', ['netns', 'exec', lab2.hostNs, 'nft', 'list', 'tables']).toString()).not.toContain('sbx_agent');
    } finally {
      fs.rmSync(stateDir, { recursive: true, force: true });
      await lab2.stop();
    }
  }, 90_000);
});
