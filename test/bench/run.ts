/**
 * Foundation benchmarks (`npm run bench`): start-up to a served login page through `npm start`'s
 * script (cold: empty data dir; warm: same data dir again), memory of the running control plane,
 * sign-in cost, and audit API latency at a million events (BENCH_AUDIT_EVENTS) against raw SQLite as the baseline.
 */
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { adminClient, client, freePort, type ControlPlane } from '../support/control-plane';
import { seedAuditEvents } from '../support/seed-audit';

const root = path.resolve(import.meta.dirname, '../..');
/** Audit events seeded for the audit API figures (the audit page must stay fast at a million). */
const AUDIT_EVENTS = Number(process.env.BENCH_AUDIT_EVENTS ?? 1_000_000);

function get(port: number, p: string): Promise<number> {
  return new Promise((resolve) => {
    const req = https.get({ host: '127.0.0.1', port, path: p, rejectUnauthorized: false }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', () => resolve(0));
  });
}

async function startViaNpmStart(dataDir: string, port: number) {
  const t0 = performance.now();
  const child = spawn('bash', ['scripts/start.sh'], {
    cwd: root,
    env: { ...process.env, SBX_DATA_DIR: dataDir, SBX_CONSOLE_PORT: String(port), SBX_CONSOLE_HOST: '127.0.0.1', SBX_LOG_LEVEL: 'warn' },
    stdio: 'ignore',
  });
  for (;;) {
    if ((await get(port, '/login')) === 200) break;
    if (performance.now() - t0 > 120_000) throw new Error('no login page after 120 s');
    await new Promise((r) => setTimeout(r, 25));
  }
  return { ms: performance.now() - t0, child };
}

function rssMiB(pid: number): number {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024;
}

function stats(samples: number[]) {
  const s = [...samples].sort((a, b) => a - b);
  const q = (p: number) => s[Math.min(s.length - 1, Math.floor(p * s.length))] ?? 0;
  return { p50: q(0.5), p99: q(0.99) };
}

async function timeIt(n: number, fn: () => Promise<unknown> | unknown): Promise<{ p50: number; p99: number }> {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    await fn();
    out.push(performance.now() - t);
  }
  return stats(out);
}

const fmt = (x: number) => x.toFixed(1);

async function main() {
  // Bring the build up to date first, so "cold" measures a fresh data dir, not a rebuild.
  execFileSync('bash', ['scripts/setup.sh'], { cwd: root, stdio: 'inherit' });
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sbx-bench-'));
  const port = await freePort();
  const stop = (child: ReturnType<typeof spawn>) =>
    new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.kill('SIGINT');
    });
  try {
    const cold = await startViaNpmStart(dataDir, port);
    await stop(cold.child);
    const warm = await startViaNpmStart(dataDir, port);
    console.log(`start to served login page: cold ${fmt(cold.ms)} ms, warm ${fmt(warm.ms)} ms`);
    console.log(`control plane RSS after start: ${fmt(rssMiB(warm.child.pid ?? 0))} MiB`);

    const bootstrap = JSON.parse(fs.readFileSync(path.join(dataDir, 'bootstrap.json'), 'utf8')) as ControlPlane['bootstrap'];
    const cp = { port, ca: fs.readFileSync(path.join(dataDir, 'pki', 'ca.crt'), 'utf8'), bootstrap } as ControlPlane;
    await adminClient(cp);
    const signIn = await timeIt(10, () => client(cp).signIn('admin', 'admin-password-for-tests'));
    console.log(`sign-in (scrypt N=2^15): p50 ${fmt(signIn.p50)} ms, p99 ${fmt(signIn.p99)} ms`);

    // The ledger is the only writer while the control plane runs: seed with it stopped, start it
    // again (it takes the rows in), and wait for its start-up self-check before timing anything.
    await stop(warm.child);
    const dbFile = path.join(dataDir, 'control-plane.db');
    seedAuditEvents(dbFile, AUDIT_EVENTS);
    const seeded = await startViaNpmStart(dataDir, port);
    const admin = await adminClient(cp);
    for (let i = 0; i < 600; i++) {
      const status = (await admin.get('/api/v1/audit/ledger')).body as { lastCheck: { trigger: string; durationMs: number } | null };
      if (status.lastCheck?.trigger === 'start') {
        console.log(`ledger of ${AUDIT_EVENTS.toLocaleString('en')} seeded events: start-up self-check ${(status.lastCheck.durationMs / 1000).toFixed(1)} s`);
        break;
      }
      await new Promise((r) => setTimeout(r, 500));
    }
    const raw = new Database(dbFile, { readonly: true });
    const cases: [string, string, string][] = [
      ['newest page', 'limit=50', 'SELECT * FROM AuditEvent ORDER BY seq DESC LIMIT 51'],
      ['deep page (seq < 1000)', 'limit=50&before=1000', 'SELECT * FROM AuditEvent WHERE seq < 1000 ORDER BY seq DESC LIMIT 51'],
      ['actor + outcome filter', 'actor=carol&outcome=failure&limit=50', "SELECT * FROM AuditEvent WHERE actorName = 'carol' AND outcome = 'failure' ORDER BY seq DESC LIMIT 51"],
      ['action filter', 'action=auth.sign_in&limit=50', "SELECT * FROM AuditEvent WHERE action = 'auth.sign_in' ORDER BY seq DESC LIMIT 51"],
    ];
    console.log(`audit API at ${AUDIT_EVENTS.toLocaleString('en')} events (HTTPS + session + zod + Prisma) vs raw SQLite query:`);
    for (const [name, qs, sql] of cases) {
      const api = await timeIt(50, () => admin.get(`/api/v1/audit?${qs}`));
      const stmt = raw.prepare(sql);
      const base = await timeIt(50, () => stmt.all());
      console.log(`  ${name}: API p50 ${fmt(api.p50)} ms p99 ${fmt(api.p99)} ms; raw p50 ${base.p50.toFixed(2)} ms; ratio p50 ${fmt(api.p50 / Math.max(base.p50, 0.01))}x`);
    }
    raw.close();
    await stop(seeded.child);
  } finally {
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

void main().then(
  () => process.exit(0),
  (e: unknown) => {
    console.error(e);
    process.exit(1);
  },
);
