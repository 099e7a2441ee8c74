/**
 * Ledger benchmark (`npm run bench:ledger`):
 * - ingest: agent-shaped events appended through the ledger (canonical JSON, chain hash, leaf,
 *   tree, insert, checkpoints) in batches of 500, against raw batched inserts of the same rows in a
 *   fresh database of the same schema, batch by batch in turn in the same run;
 * - export of BENCH_LEDGER_EXPORT events (default 1M) into an evidence bundle: time and the peak
 *   memory of the exporting process;
 * - offline verification of that bundle: events per second with a worker thread per core and on
 *   one thread, against the least any verifier does on one thread (decompress the events, one
 *   SHA-256 per event for its leaf and one per tree node).
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import type { AuditEventInput } from '../../lib/audit/events';
import { NetworkDecision } from '../../lib/wire/protocol';
import { chainEvents, insertAppended } from '../../server/audit/append-event';
import { openLedger } from '../../server/audit/open-ledger';
import { AUDIT_COLUMNS, rowValues } from '../../server/audit/record-of-row';
import { openSqlite, rawConnection } from '../../server/db/client';
import { migrateSqlite } from '../../server/db/migrate';

const INGEST = Number(process.env.BENCH_LEDGER_INGEST ?? 200_000);
const EXPORT = Number(process.env.BENCH_LEDGER_EXPORT ?? 1_000_000);
const BATCH = 500;
const root = path.resolve(import.meta.dirname, '../..');
const migrations = path.join(root, 'prisma', 'migrations');
const fmt = (x: number) => Math.round(x).toLocaleString('en');

/** An agent's egress decision as ingest makes it an event: parsed from the wire, its sandbox taken out. */
const event = (i: number): AuditEventInput => {
  const now = new Date().toISOString();
  const { sandboxId, ...details } = NetworkDecision.parse({ sandboxId: 'sbx-benchbenchbenchbench', kind: 'connection', verdict: 'denied', reason: 'no_rule', destination: `198.51.100.${i % 250}`, port: 1000 + (i % 50_000), protocol: 'tcp', count: 1, firstAt: now, lastAt: now });
  return {
    action: 'sandbox.egress',
    details,
    actor: { type: 'agent', id: 'agent-1', name: 'bench-host' },
    target: { type: 'sandbox', id: sandboxId, name: 'debian-host' },
    outcome: 'failure',
    sourceIp: null,
    userAgent: null,
    requestId: 'bench',
    at: now,
    origin: { agentId: 'agent-1', seq: i + 1 },
  };
};

async function freshDb(dir: string, name: string) {
  const file = path.join(dir, name);
  migrateSqlite(file, migrations);
  const db = openSqlite(file);
  return { db, file, connection: await rawConnection(db) };
}

async function ingest(dir: string): Promise<void> {
  const events = Array.from({ length: INGEST }, (_, i) => event(i));
  // The ledger path, as agent ingest runs it, and the same rows made beforehand, inserted raw with
  // the same statement and batches into a fresh database of the same schema.
  const a = await freshDb(dir, 'ledger.db');
  const { ledger } = await openLedger(a.db, randomBytes(32), 'bench/ledger', { checkpointEvery: 10_000, checkpointFile: path.join(dir, 'checkpoints.log'), sinks: [], log: pino({ level: 'silent' }) });
  const rows = chainEvents({ seq: 0, hash: '0'.repeat(64) }, events).map((x) => rowValues(x.seq, x.prevHash, x.hash, x.event, x.leaf.toString('hex'), x.detailsJson));
  const b = await freshDb(dir, 'raw.db');
  const insert = b.connection.prepare(`INSERT INTO AuditEvent (${AUDIT_COLUMNS.map((c) => `"${c}"`).join(', ')}) VALUES (${AUDIT_COLUMNS.map(() => '?').join(', ')})`);
  // Batch by batch in turn, so that both see the same machine (its speed drifts by tens of per cent
  // over a run here): the ratio compares like with like.
  let ledgerMs = 0;
  let rawMs = 0;
  for (let i = 0; i < events.length; i += BATCH) {
    let t = performance.now();
    await ledger.run(async () => {
      const head = ledger.chainHead();
      let leaves: Buffer[] = [];
      a.connection.transaction(() => {
        const appended = chainEvents(head, events.slice(i, i + BATCH));
        insertAppended(a.connection, appended);
        leaves = appended.map((x) => x.leaf);
      })();
      await ledger.committed(head, leaves);
    });
    ledgerMs += performance.now() - t;
    t = performance.now();
    b.connection.transaction(() => {
      for (const r of rows.slice(i, i + BATCH)) insert.run(r);
    })();
    rawMs += performance.now() - t;
  }
  const rate = (ms: number) => INGEST / (ms / 1000);
  console.log(`ingest of ${fmt(INGEST)} events in batches of ${BATCH} (ledger and raw batches in turn): ledger ${fmt(rate(ledgerMs))} events/s, raw batched inserts ${fmt(rate(rawMs))} events/s (${Math.round((rawMs / ledgerMs) * 100)} % of raw); ${ledger.latest()?.size ?? 0} events under signed checkpoints`);
  await a.db.$disconnect();
  await b.db.$disconnect();
}

/** Runs a stage in a process of its own, so its peak memory (VmHWM) is its own. */
function child(stage: string, ...args: string[]): { ms: number; peakMiB: number; extra: string } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', path.join(import.meta.dirname, 'ledger-stage.ts'), stage, ...args], { cwd: root, encoding: 'utf8', maxBuffer: 1 << 24 });
  if (r.status !== 0) throw new Error(`${stage} failed: ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').at(-1) ?? '{}') as { ms: number; peakMiB: number; extra: string };
}

async function exportAndVerify(dir: string): Promise<void> {
  const file = path.join(dir, 'export.db');
  child('seed', file, String(EXPORT));
  const bundle = path.join(dir, 'bundle.tar');
  const made = child('export', file, bundle);
  console.log(`export of ${fmt(EXPORT)} events: ${(made.ms / 1000).toFixed(1)} s, peak memory ${fmt(made.peakMiB)} MiB, bundle ${fmt(fs.statSync(bundle).size / 1048576)} MiB (${made.extra})`);
  const verified = child('verify', bundle);
  const oneThread = child('verify', bundle, '0');
  const least = child('least', bundle);
  const rate = (ms: number) => fmt(EXPORT / (ms / 1000));
  console.log(`verification: ${rate(verified.ms)} events/s with a worker per core (${(verified.ms / 1000).toFixed(1)} s, peak ${fmt(verified.peakMiB)} MiB; ${verified.extra}), ${rate(oneThread.ms)} events/s on one thread`);
  console.log(`  the least any verifier does, on one thread (${least.extra}): ${rate(least.ms)} events/s; ours with workers is ${Math.round((least.ms / verified.ms) * 100)} % of its rate, on one thread ${Math.round((least.ms / oneThread.ms) * 100)} %`);
}

async function main(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sbx-bench-ledger-'));
  try {
    await ingest(dir);
    if (EXPORT > 0) await exportAndVerify(dir);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

void main();
