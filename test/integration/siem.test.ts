import fs from 'node:fs';
import https from 'node:https';
import path from 'node:path';
import tls from 'node:tls';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LedgerStatus } from '../../lib/api/audit';
import type { SiemDestinationView } from '../../lib/api/siem';
import { createCaCertificate, issueServerCertificate } from '../../server/pki/certificates';
import { until } from '../support/until';
import { adminClient, startControlPlane, type ControlPlane } from '../support/control-plane';

const TOKEN = 'hec-token-5f1e2d3c';
let cp: ControlPlane;
let admin: Awaited<ReturnType<typeof adminClient>>;
let caPem: string;
const servers: { close: () => void }[] = [];
const hec = { seqs: [] as number[], refusals: 0, auth: new Set<string>(), sourcetypes: new Set<string>() };
const generic = { seqs: [] as number[], classes: new Set<number>() };
const syslog = { seqs: [] as number[], frames: [] as string[] };

async function listen(server: https.Server | tls.Server): Promise<number> {
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return (server.address() as { port: number }).port;
}

function readBody(req: import('node:http').IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => resolve(body));
  });
}

const head = async () => ((await admin.get('/api/v1/audit/ledger')).body as LedgerStatus).size;


beforeAll(async () => {
  const ca = createCaCertificate('SIEM test CA', 'Test', 1);
  caPem = ca.certPem;
  const cert = issueServerCertificate(ca, { commonName: 'siem', dnsNames: ['localhost'], ipAddresses: ['127.0.0.1'], days: 1 });
  const tlsOptions = { key: cert.keyPem, cert: cert.certPem };
  // Splunk HEC: refuses its first two deliveries (as a SIEM restarting would), then takes them.
  const hecPort = await listen(
    https.createServer(tlsOptions, (req, res) => {
      void readBody(req).then((body) => {
        hec.auth.add(String(req.headers.authorization));
        if (hec.refusals < 2) {
          hec.refusals += 1;
          res.writeHead(503).end('{"text":"Server is busy","code":9}');
          return;
        }
        for (const line of body.split('\n')) {
          const e = JSON.parse(line) as { sourcetype: string; event: { metadata: { uid: string } } };
          hec.sourcetypes.add(e.sourcetype);
          hec.seqs.push(Number(e.event.metadata.uid));
        }
        res.writeHead(200, { 'content-type': 'application/json' }).end('{"text":"Success","code":0}');
      });
    }),
  );
  const genericPort = await listen(
    https.createServer(tlsOptions, (req, res) => {
      void readBody(req).then((body) => {
        for (const e of JSON.parse(body) as { class_uid: number; metadata: { uid: string } }[]) {
          generic.classes.add(e.class_uid);
          generic.seqs.push(Number(e.metadata.uid));
        }
        res.end('ok');
      });
    }),
  );
  const syslogPort = await listen(
    tls.createServer(tlsOptions, (socket) => {
      let buf = '';
      socket.on('data', (d: Buffer) => {
        buf += d.toString();
        // RFC 5425 octet counting: "LEN SP MSG".
        for (let m = /^(\d+) /.exec(buf); m && buf.length >= m[0].length + Number(m[1]); m = /^(\d+) /.exec(buf)) {
          const frame = buf.slice(m[0].length, m[0].length + Number(m[1]));
          buf = buf.slice(m[0].length + Number(m[1]));
          syslog.frames.push(frame);
          syslog.seqs.push(Number(/externalId=(\d+)/.exec(frame)?.[1]));
        }
      });
    }),
  );
  cp = await startControlPlane();
  admin = await adminClient(cp);
  const add = async (body: object) => {
    const r = await admin.post('/api/v1/audit/siem', body);
    expect(r.status, r.text).toBe(200);
  };
  await add({ kind: 'splunk_hec', name: 'splunk', url: `https://127.0.0.1:${hecPort}/services/collector/event`, token: TOKEN, caPem });
  await add({ kind: 'https_ocsf', name: 'generic', url: `https://127.0.0.1:${genericPort}/ingest`, caPem });
  await add({ kind: 'syslog_cef', name: 'syslog', host: '127.0.0.1', port: syslogPort, caPem });
}, 120_000);

afterAll(async () => {
  await cp?.stop();
  for (const s of servers) s.close();
});

describe('SIEM streaming', () => {
  it('refuses a bad destination naming the field', async () => {
    const r = await admin.post('/api/v1/audit/siem', { kind: 'splunk_hec', name: 'x', url: 'http://127.0.0.1/collector', token: 't' });
    expect(r.status).toBe(400);
    expect(r.text).toMatch(/url: expected an https:\/\/ URL/);
    const k = await admin.post('/api/v1/audit/siem', { kind: 'kafka', name: 'x' });
    expect(k.status).toBe(400);
    expect(k.text).toMatch(/kind/);
  });

  it('delivers every event to Splunk HEC, an HTTPS endpoint and syslog/TLS (CEF), retrying refusals', async () => {
    for (let i = 0; i < 5; i++) await admin.post('/api/v1/api-keys', { name: `siem-${i}`, role: 'developer', expiresInDays: 1 });
    const target = await head();
    await until(() => [hec, generic, syslog].every((r) => Math.max(0, ...r.seqs) >= target), 60_000, 'not every destination got every event');
    for (const r of [hec, generic, syslog]) {
      const got = new Set(r.seqs);
      for (let s = 1; s <= target; s++) expect(got.has(s), `event ${s}`).toBe(true);
    }
    expect(hec.refusals).toBe(2);
    expect(hec.auth).toEqual(new Set([`Splunk ${TOKEN}`]));
    expect(hec.sourcetypes).toEqual(new Set(['ocsf']));
    expect([...generic.classes].every((c) => [3002, 3004, 4001, 6003].includes(c))).toBe(true);
    const cef = syslog.frames.find((f) => f.includes('apikey.create')) ?? '';
    expect(cef).toMatch(/^<\d+>1 \S+ \S+ sbx-audit \d+ apikey\.create - CEF:0\|Sandbox appliance\|sbx\|[^|]+\|apikey\.create\|apikey\.create success\|3\|rt=\d+ externalId=\d+ suser=\S+ outcome=success /);
    const list = (await admin.get('/api/v1/audit/siem')).body as { destinations: SiemDestinationView[] };
    expect(list.destinations.map((d) => d.lastError)).toEqual([null, null, null]);
    expect(JSON.stringify(list)).not.toContain(TOKEN);
    const db = new Database(path.join(cp.dataDir, 'control-plane.db'), { readonly: true });
    expect(JSON.stringify(db.prepare('SELECT config FROM SiemDestination').all())).not.toContain(TOKEN);
    db.close();
  });

  it('goes on from its saved cursor after a restart, not from the start', async () => {
    await until(async () => ((await admin.get('/api/v1/audit/siem')).body as { destinations: SiemDestinationView[] }).destinations.every((d) => d.behind === 0), 30_000, 'cursors did not catch up');
    const before = { hec: hec.seqs.length, max: Math.max(...hec.seqs) };
    await cp.restart();
    admin = await adminClient(cp);
    await admin.post('/api/v1/api-keys', { name: 'after-restart', role: 'developer', expiresInDays: 1 });
    const target = await head();
    await until(() => Math.max(...hec.seqs) >= target, 60_000, 'events after the restart did not arrive');
    const resent = hec.seqs.slice(before.hec).filter((s) => s <= before.max);
    expect(resent).toEqual([]);
    expect(fs.existsSync(cp.dataDir)).toBe(true);
  }, 120_000);
});
