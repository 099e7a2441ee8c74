/**
 * Agent gateway benchmark (`npm run bench:agents`): 500 simulated agents (real mutual TLS 1.3
 * WebSocket channels, each with its own certificate from the appliance's CA) in this process,
 * against one real control plane. Reports handshakes per second (against raw mutual-TLS 1.3
 * handshakes with a plain Node TLS server in the same run), memory per connected agent, and
 * p50/p99 of a push acknowledged by all 500, and of a policy save acknowledged by each of the 500 (each
 * simulated agent verifies the signature chain and hash as the real agent does) against the raw
 * push in the same run.
 */
import fs from 'node:fs';
import path from 'node:path';
import tls from 'node:tls';
import Database from 'better-sqlite3';
import forge from 'node-forge';
import WebSocket from 'ws';
import { CHANNEL_PATH, agentMethods, controlMethods } from '../../lib/wire/protocol';
import { RpcPeer } from '../../lib/wire/rpc';
import type { CurrentPolicies } from '../../lib/api/policies';
import { verifySignedPolicySet } from '../../lib/policy/signed-policy';
import { generateRsaKeyPem, issueAgentCertificate, issueServerCertificate, type KeyPair } from '../../server/pki/certificates';
import { loadOrCreateRootKey } from '../../server/keys/root-key';
import { unseal } from '../../server/keys/seal';
import { adminClient, startControlPlane } from '../support/control-plane';

const N = Number(process.env.BENCH_AGENTS ?? 500);
const CONCURRENCY = 25;
const PINGS = 30;
const SAVES = 20;

const iso = (d: Date) => d.toISOString().replace('Z', '+00:00');
const fmt = (x: number) => x.toFixed(1);

function rssMiB(pid: number): number {
  return Number(/VmRSS:\s+(\d+)/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) / 1024;
}

async function pool<T>(items: T[], n: number, fn: (t: T) => Promise<void>): Promise<void> {
  let i = 0;
  await Promise.all(Array.from({ length: n }, async () => {
    while (i < items.length) await fn(items[i++] as T);
  }));
}

function quantiles(xs: number[]) {
  const s = [...xs].sort((a, b) => a - b);
  return { p50: s[Math.floor(s.length * 0.5)] ?? 0, p99: s[Math.min(s.length - 1, Math.floor(s.length * 0.99))] ?? 0 };
}

async function rawHandshakes(ca: KeyPair, client: { key: string; cert: string }, count: number): Promise<number> {
  const server = issueServerCertificate(ca, { commonName: 'bench', dnsNames: ['localhost'], ipAddresses: ['127.0.0.1'], days: 1 });
  const srv = tls.createServer({ cert: server.certPem, key: server.keyPem, ca: ca.certPem, requestCert: true, rejectUnauthorized: true, minVersion: 'TLSv1.3', maxVersion: 'TLSv1.3' }, (s) => s.end('ok'));
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  const port = (srv.address() as { port: number }).port;
  const t0 = performance.now();
  await pool(Array.from({ length: count }, (_, i) => i), CONCURRENCY, () =>
    new Promise<void>((resolve, reject) => {
      const s = tls.connect({ host: '127.0.0.1', port, servername: 'localhost', ca: ca.certPem, key: client.key, cert: client.cert, minVersion: 'TLSv1.3' });
      s.on('data', () => s.end());
      s.on('end', () => resolve());
      s.on('error', reject);
    }),
  );
  const perSecond = count / ((performance.now() - t0) / 1000);
  await new Promise<void>((r) => srv.close(() => r()));
  return perSecond;
}

async function main() {
  const cp = await startControlPlane({ SBX_LOG_LEVEL: 'error' });
  const sockets: WebSocket[] = [];
  const acks = new Map<number, number[]>();
  try {
    const admin = await adminClient(cp);
    const pid = Number(/"pid":(\d+)/.exec(cp.output())?.[1] ?? 0) || findPid(cp.port);
    const root = loadOrCreateRootKey(cp.dataDir).key;
    const ca: KeyPair = { certPem: cp.ca, keyPem: unseal(root, 'internal-ca-private-key', fs.readFileSync(path.join(cp.dataDir, 'pki', 'ca.key.sealed'), 'utf8')).toString() };

    // One key for all simulated agents; each gets its own certificate and enrolled agent row.
    const keyPem = generateRsaKeyPem(2048);
    const k = forge.pki.privateKeyFromPem(keyPem);
    const pub = forge.pki.setRsaPublicKey(k.n, k.e);
    const db = new Database(path.join(cp.dataDir, 'control-plane.db'));
    const now = new Date();
    const agents = Array.from({ length: N }, (_, i) => {
      const agentId = `bench${String(i).padStart(5, '0')}`;
      const cert = issueAgentCertificate(ca, pub, agentId, 3600);
      return { agentId, cert: cert.certPem, serial: cert.serial, notBefore: cert.notBefore, notAfter: cert.notAfter };
    });
    db.transaction(() => {
      for (const a of agents) {
        db.prepare('INSERT INTO Agent (id, hostname, labels, enrolledAt) VALUES (?, ?, ?, ?)').run(a.agentId, a.agentId, '{}', iso(now));
        db.prepare('INSERT INTO AgentCertificate (serial, agentId, issuedAt, notBefore, notAfter) VALUES (?, ?, ?, ?, ?)').run(a.serial, a.agentId, iso(now), iso(a.notBefore), iso(a.notAfter));
      }
    })();
    db.close();

    const raw = await rawHandshakes(ca, { key: keyPem, cert: agents[0]!.cert }, N);
    const rssBefore = rssMiB(pid);
    const t0 = performance.now();
    await pool(agents, CONCURRENCY, (a) =>
      new Promise<void>((resolve, reject) => {
        const ws = new WebSocket(`wss://127.0.0.1:${cp.gatewayPort}${CHANNEL_PATH}`, { ca: ca.certPem, key: keyPem, cert: a.cert, minVersion: 'TLSv1.3' });
        const peer = new RpcPeer((t) => ws.send(t), agentMethods, controlMethods, {
          echo: async ({ nonce }) => ({ nonce }),
          'policy.apply': async (s) => {
            const v = verifySignedPolicySet(s, ca.certPem);
            if (!v.ok) throw new Error(v.message);
            acks.get(s.version)?.push(performance.now());
            return { version: s.version, hash: s.hash };
          },
        });
        ws.on('message', (d) => void peer.receive(d.toString()));
        ws.on('open', () => {
          sockets.push(ws);
          resolve();
        });
        ws.on('error', reject);
      }),
    );
    const channelsPerSecond = N / ((performance.now() - t0) / 1000);
    await new Promise((r) => setTimeout(r, 2000));
    const rssAfter = rssMiB(pid);

    const alls: number[] = [];
    const p99s: number[] = [];
    for (let i = 0; i < PINGS; i++) {
      const r = (await admin.post('/api/v1/hosts/ping')).body as { connected: number; acknowledged: number; allAcknowledgedMs: number; p99Ms: number };
      if (r.acknowledged !== N) throw new Error(`only ${r.acknowledged} of ${N} agents acknowledged`);
      alls.push(r.allAcknowledgedMs);
      p99s.push(r.p99Ms);
    }
    const all = quantiles(alls);

    // Policy saves: from the PUT leaving here to each agent's acknowledgement (signature verified).
    const perAgent: number[] = [];
    const lastAcks: number[] = [];
    const { policies } = (await admin.get('/api/v1/policies')).body as CurrentPolicies;
    for (let i = 0; i < SAVES; i++) {
      const version = (((await admin.get('/api/v1/policies')).body as CurrentPolicies).version.version) + 1;
      const times: number[] = [];
      acks.set(version, times);
      const next = policies.map((p) => ({ ...p, sandbox: { ...p.sandbox, maxPids: 1000 + i } }));
      const t = performance.now();
      const r = await admin.put('/api/v1/policies', { policies: next, source: { kind: 'cli' } });
      if (r.status !== 200) throw new Error(`policy save: ${r.text}`);
      const deadline = Date.now() + 30_000;
      while (times.length < N && Date.now() < deadline) await new Promise((res) => setTimeout(res, 5));
      if (times.length < N) throw new Error(`only ${times.length} of ${N} agents acknowledged policy version ${version}`);
      perAgent.push(...times.map((x) => x - t));
      lastAcks.push(Math.max(...times) - t);
    }
    const pol = quantiles(perAgent);
    const polAll = quantiles(lastAcks);
    console.log(`agents connected: ${N} (mutual TLS 1.3 + WebSocket upgrade + deny-list check + audited connect)`);
    console.log(`handshakes: gateway ${fmt(channelsPerSecond)}/s vs raw Node mutual-TLS 1.3 ${fmt(raw)}/s (ratio ${(channelsPerSecond / raw).toFixed(2)})`);
    console.log(`control plane memory: ${fmt(rssBefore)} MiB before, ${fmt(rssAfter)} MiB with ${N} agents: ${fmt(((rssAfter - rssBefore) * 1024) / N)} KiB per agent`);
    console.log(`push acknowledged by all ${N} (${PINGS} pushes): p50 ${fmt(all.p50)} ms, p99 ${fmt(all.p99)} ms`);
    console.log(`policy save -> acknowledged (${SAVES} saves x ${N} agents, each verifying the signature): per agent p50 ${fmt(pol.p50)} ms, p99 ${fmt(pol.p99)} ms; by all ${N}: p50 ${fmt(polAll.p50)} ms, p99 ${fmt(polAll.p99)} ms (${(polAll.p50 / Math.max(all.p50, 0.001)).toFixed(1)}x the raw push to all)`);
  } finally {
    for (const ws of sockets) ws.terminate();
    await cp.stop();
  }
}

/** The control plane's pid, found by the port it listens on. */
function findPid(port: number): number {
  const hex = port.toString(16).toUpperCase().padStart(4, '0');
  const inode = fs
    .readFileSync('/proc/net/tcp', 'utf8')
    .split('\n')
    .map((l) => l.trim().split(/\s+/))
    .find((f) => f[1]?.endsWith(`:${hex}`) && f[3] === '0A')?.[9];
  for (const p of fs.readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      for (const fd of fs.readdirSync(`/proc/${p}/fd`)) if (fs.readlinkSync(`/proc/${p}/fd/${fd}`) === `socket:[${inode}]`) return Number(p);
    } catch {
      // processes we may not read
    }
  }
  throw new Error('control plane pid not found');
}

void main().then(
  () => process.exit(0),
  (e: unknown) => {
    console.error(e);
    process.exit(1);
  },
);
