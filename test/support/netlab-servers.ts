/**
 * The test "internet", run inside its own network namespace by test/support/netlab.ts: a DNS
 * server, HTTP servers on several addresses (one answering as 169.254.169.254), a TLS server and a
 * UDP listener. Every query and connection it sees is printed as a JSON line, so tests can assert
 * what reached the outside (and what never did).
 */
import dgram from 'node:dgram';
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import dnsPacket from 'dns-packet';

const [zoneJson = '{}', sitesJson = '[]', certDir = ''] = process.argv.slice(2);
const zone = JSON.parse(zoneJson) as Record<string, string[]>;
const sites = JSON.parse(sitesJson) as string[];
const log = (o: object) => process.stdout.write(`${JSON.stringify(o)}\n`);

const dns = dgram.createSocket('udp4');
dns.on('message', (msg, rinfo) => {
  const q = dnsPacket.decode(msg);
  const question = q.questions?.[0];
  if (!question) return;
  log({ dns: question.name.toLowerCase(), type: question.type, from: rinfo.address });
  const addresses = question.type === 'A' ? (zone[question.name.toLowerCase()] ?? []) : [];
  const known = question.name.toLowerCase() in zone;
  const reply = dnsPacket.encode({
    id: q.id,
    type: 'response',
    flags: dnsPacket.RECURSION_AVAILABLE | (known ? 0 : 3),
    questions: q.questions ?? [],
    answers: addresses.map((data) => ({ type: 'A' as const, name: question.name, ttl: 5, data })),
  });
  dns.send(reply, rinfo.port, rinfo.address);
});
dns.bind(53, sites[sites.length - 1]);

const BLOCK = Buffer.alloc(1 << 20, 120);

const answer = (tls: boolean) => (req: http.IncomingMessage, res: http.ServerResponse) => {
  const site = req.socket.localAddress;
  // /bytes/N: N bytes, for throughput measurements (not logged).
  const m = /^\/bytes\/(\d+)$/.exec(req.url ?? '');
  if (m) {
    let left = Number(m[1]);
    res.writeHead(200, { 'content-length': left });
    const more = () => {
      while (left > 0) {
        const chunk = left >= BLOCK.length ? BLOCK : BLOCK.subarray(0, left);
        left -= chunk.length;
        if (!res.write(chunk)) return void res.once('drain', more);
      }
      res.end();
    };
    return more();
  }
  log({ http: site, host: req.headers.host ?? null, tls, from: req.socket.remoteAddress });
  res.end(`site=${site} host=${req.headers.host ?? ''}\n`);
};
for (const site of sites.slice(0, -1)) {
  http.createServer(answer(false)).listen(80, site);
  http.createServer(answer(false)).listen(8080, site);
  const udp = dgram.createSocket('udp4');
  udp.on('message', (_m, rinfo) => log({ udp: site, from: rinfo.address }));
  udp.bind(443, site);
  if (certDir) {
    https
      .createServer({ cert: fs.readFileSync(`${certDir}/cert.pem`), key: fs.readFileSync(`${certDir}/key.pem`) }, answer(true))
      .listen(443, site);
  }
}
log({ ready: true });
