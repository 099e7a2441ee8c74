/**
 * Egress benchmark (`npm run bench:egress`), in a test internet of its own (test/support/netlab.ts):
 * - DNS answer latency through a sandbox's resolver vs asking the test DNS server directly (p50, p99);
 * - TCP download throughput through the enforcement (kernel rules; and the name-checking proxy)
 *   vs the same veth path with the agent's filter chains emptied;
 * - time for an allowlist change to apply to N running sandboxes.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { NET, startNetLab } from '../support/netlab';
import { startEgressHost } from '../support/egress';

const QUERIES = Number(process.env.BENCH_DNS_QUERIES ?? 300);
const BYTES = Number(process.env.BENCH_DOWNLOAD_MIB ?? 200) * 1024 * 1024;
const SANDBOXES = Number(process.env.BENCH_EGRESS_SANDBOXES ?? 50);
const newId = () => `sbx-${randomBytes(10).toString('hex')}`;
const q = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return { p50: s[Math.floor(s.length / 2)] ?? 0, p99: s[Math.min(s.length - 1, Math.floor(s.length * 0.99))] ?? 0 };
};

/** Python that asks `server` for allowed.test QUERIES times and prints each latency in ms. */
const dnsLoop = (server: string) => `
import socket, struct, time, random
q = lambda: struct.pack('>HHHHHH', random.randint(0, 65535), 0x0100, 1, 0, 0, 0) + b'\\x07allowed\\x04test\\x00' + struct.pack('>HH', 1, 1)
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(2)
out = []
for i in range(${QUERIES}):
  t = time.perf_counter(); s.sendto(q(), ('${server}', 53)); s.recv(4096); out.append((time.perf_counter() - t) * 1000)
print(' '.join('%.3f' % x for x in out))`;

/** Python that downloads BYTES from `url` and prints the seconds it took. */
const download = (url: string) => `
import urllib.request, time, ssl
ctx = ssl.create_default_context(); ctx.check_hostname = False; ctx.verify_mode = ssl.CERT_NONE
t = time.perf_counter(); r = urllib.request.urlopen('${url}', timeout=60, context=ctx); n = 0
while True:
  b = r.read(1 << 20)
  if not b: break
  n += len(b)
assert n == ${BYTES}, n
print('%.4f' % (time.perf_counter() - t))`;

const lab = await startNetLab({ 'allowed.test': [NET.allowedSite] });
const host = await startEgressHost(lab.hostNs);
const inHostNs = (file: string, args: string[]) => execFileSync('ip', ['netns', 'exec', lab.hostNs, file, ...args]).toString();
const ids: string[] = [];
try {
  // DNS: the same client in the agent's namespace asks the test server directly, then the
  // sandbox's resolver (which checks, forwards and puts the answer in the allow set).
  const S = newId();
  ids.push(S);
  await host.call('create', { id: S, spec: { allow: [{ domain: 'allowed.test', ports: [80, 443] }, { cidr: `${NET.allowedSite}/32`, ports: [8080] }] } });
  const gateway = (await host.exec(S, "print(open('/etc/resolv.conf').read().split('nameserver ')[1].split()[0])")).stdout.trim();
  const direct = inHostNs('python3', ['-c', dnsLoop(NET.dns)]).trim().split(' ').map(Number);
  const viaAgent = inHostNs('python3', ['-c', dnsLoop(gateway)]).trim().split(' ').map(Number);
  const fromSandbox = (await host.exec(S, dnsLoop(gateway))).stdout.trim().split(' ').map(Number);
  const [d, a, s] = [q(direct), q(viaAgent), q(fromSandbox)];
  console.log(`dns  direct to the test server      p50 ${d.p50.toFixed(2)} ms  p99 ${d.p99.toFixed(2)} ms  (${QUERIES} queries)`);
  console.log(`dns  through the agent's resolver   p50 ${a.p50.toFixed(2)} ms  p99 ${a.p99.toFixed(2)} ms  (ratio p50 ${(a.p50 / d.p50).toFixed(1)}x)`);
  console.log(`dns  from inside the sandbox        p50 ${s.p50.toFixed(2)} ms  p99 ${s.p99.toFixed(2)} ms  (adds gVisor's netstack)`);

  // Throughput: a CIDR-allowed port (kernel rules only), a domain-allowed port 80 (through the
  // proxy), then the same CIDR path with the agent's filter chains emptied (NAT kept).
  const mib = BYTES / 1024 / 1024;
  const rate = (secs: number) => mib / secs;
  // Rounds alternate the paths (a shared machine's noise hits all alike); "no rules" puts an accept
  // for the sandboxes' interfaces in front of the agent's chains, and takes it out again.
  const once = async (url: string, id = S) => Number((await host.exec(id, download(url))).stdout.trim());
  // TLS with no proxy in the way: a sandbox whose only rule is the site's address on 443.
  const T = newId();
  ids.push(T);
  await host.call('create', { id: T, spec: { allow: [{ cidr: `${NET.allowedSite}/32`, ports: [443] }] } });
  const bypass = () =>
    ['forward_hook', 'input_hook'].map((chain) => {
      const out = inHostNs('nft', ['-e', '-a', 'insert', 'rule', 'inet', 'sbx_agent', chain, 'iifname', 'sbxv*', 'accept']);
      return [chain, /# handle (\d+)/.exec(out)?.[1] ?? ''] as const;
    });
  const cidrUrl = `http://${NET.allowedSite}:8080/bytes/${BYTES}`;
  await once(cidrUrl);
  const runs = { kernel: [] as number[], proxied: [] as number[], tls: [] as number[], tlsDirect: [] as number[], bare: [] as number[] };
  for (let round = 0; round < 5; round++) {
    runs.kernel.push(await once(cidrUrl));
    runs.proxied.push(await once(`http://allowed.test/bytes/${BYTES}`));
    runs.tls.push(await once(`https://allowed.test/bytes/${BYTES}`));
    runs.tlsDirect.push(await once(`https://${NET.allowedSite}/bytes/${BYTES}`, T));
    const handles = bypass();
    runs.bare.push(await once(cidrUrl));
    for (const [chain, handle] of handles) inHostNs('nft', ['delete', 'rule', 'inet', 'sbx_agent', chain, 'handle', handle]);
  }
  const [kernel, proxied, tlsProxied, tlsDirect, bare] = [q(runs.kernel).p50, q(runs.proxied).p50, q(runs.tls).p50, q(runs.tlsDirect).p50, q(runs.bare).p50];
  console.log(`tcp  no filter rules (same veth, NAT)   ${rate(bare).toFixed(0)} MiB/s`);
  console.log(`tcp  through the kernel rules           ${rate(kernel).toFixed(0)} MiB/s  (${((100 * bare) / kernel).toFixed(0)} % of no rules)`);
  console.log(`tcp  HTTP through the Host-checking proxy ${rate(proxied).toFixed(0)} MiB/s  (${((100 * bare) / proxied).toFixed(0)} % of no rules)`);
  console.log(`tls  direct (CIDR rule, kernel only)     ${rate(tlsDirect).toFixed(0)} MiB/s`);
  console.log(`tls  through the SNI-checking proxy     ${rate(tlsProxied).toFixed(0)} MiB/s  (${((100 * tlsDirect) / tlsProxied).toFixed(0)} % of direct)`);

  // Live change: N running sandboxes, one new rule each, applied in parallel.
  const many = Array.from({ length: SANDBOXES }, newId);
  for (const id of many) {
    await host.call('create', { id, spec: { allow: [{ domain: 'allowed.test', ports: [443] }] } });
    ids.push(id);
  }
  const t0 = performance.now();
  await Promise.all(many.map((id) => host.call('apply', { id, spec: { allow: [{ domain: 'allowed.test', ports: [443] }, { cidr: `${NET.otherSite}/32`, ports: [80] }] } })));
  const applyMs = performance.now() - t0;
  const check = await host.exec(many[many.length - 1] as string, `import socket\ns = socket.create_connection(('${NET.otherSite}', 80), timeout=3)\nprint('connected')`);
  console.log(`live allowlist change to ${SANDBOXES} running sandboxes: ${applyMs.toFixed(0)} ms in all (${(applyMs / SANDBOXES).toFixed(1)} ms each); last one ${check.stdout.trim()}`);
} finally {
  for (const id of ids) await host.call('destroy', { id }).catch(() => undefined);
  await host.close();
  await lab.stop();
}
