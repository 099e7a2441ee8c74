/**
 * One stage of `npm run bench:ledger`, in a process of its own so that its peak memory is its own:
 * `seed DB N` (N agent events through the ledger, checkpoints every 10k), `export DB OUT`,
 * `verify BUNDLE [WORKERS]`, `least BUNDLE` (the work no verifier can skip, on one thread).
 * Prints one JSON line: { ms, peakMiB, extra }.
 */
import { hash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import zlib from 'node:zlib';
import pino from 'pino';
import { DEFAULT_SETTINGS } from '../../lib/api/settings';
import { BUNDLE_FILES } from '../../lib/ledger/bundle';
import { TreeBuilder } from '../../lib/ledger/merkle';
import { chainEvents, insertAppended } from '../../server/audit/append-event';
import { openLedger } from '../../server/audit/open-ledger';
import { writeBundle } from '../../server/audit/write-bundle';
import { parseConfig } from '../../server/config';
import { openSqlite, rawConnection } from '../../server/db/client';
import { migrateSqlite } from '../../server/db/migrate';
import { verifyBundleFile } from '../../sdk/audit';
import { readBundle } from '../support/bundle-files';

const [stage = '', a = '', b = ''] = process.argv.slice(2);
const peakMiB = () => Number(/VmHWM:\s+(\d+)/.exec(fs.readFileSync('/proc/self/status', 'utf8'))?.[1] ?? 0) / 1024;
const log = pino({ level: 'silent' });

async function ledgerOf(dbFile: string) {
  const keyFile = `${dbFile}.root-key`;
  if (!fs.existsSync(keyFile)) fs.writeFileSync(keyFile, Buffer.alloc(32, 9));
  const db = openSqlite(dbFile);
  const { ledger } = await openLedger(db, fs.readFileSync(keyFile), 'bench/ledger', { checkpointEvery: 10_000, checkpointFile: `${dbFile}.checkpoints`, sinks: [], log });
  return { db, ledger };
}

async function main(): Promise<void> {
  const t = performance.now();
  let extra = '';
  if (stage === 'seed') {
    migrateSqlite(a, path.resolve(import.meta.dirname, '../../prisma/migrations'));
    const { db, ledger } = await ledgerOf(a);
    const connection = await rawConnection(db);
    const n = Number(b);
    for (let i = 0; i < n; i += 1000) {
      const events = Array.from({ length: Math.min(1000, n - i) }, (_, j) => ({
        action: 'sandbox.egress' as const,
        details: { kind: 'connection' as const, verdict: 'denied' as const, reason: 'no_rule', destination: '198.51.100.7', port: 1000 + ((i + j) % 50_000), protocol: 'tcp', count: 1, firstAt: new Date().toISOString(), lastAt: new Date().toISOString() },
        actor: { type: 'agent' as const, id: 'agent-1', name: 'bench-host' },
        target: { type: 'sandbox' as const, id: 'sbx-benchbenchbenchbench0', name: 'debian-host' },
        outcome: 'failure' as const,
        sourceIp: null,
        userAgent: null,
        requestId: 'bench',
        at: new Date().toISOString(),
        origin: { agentId: 'agent-1', seq: i + j + 1 },
      }));
      await ledger.run(async () => {
        const head = ledger.chainHead();
        let leaves: Buffer[] = [];
        connection.transaction(() => {
          const appended = chainEvents(head, events);
          insertAppended(connection, appended);
          leaves = appended.map((x) => x.leaf);
        })();
        await ledger.committed(head, leaves);
      });
    }
    await db.$disconnect();
  } else if (stage === 'export') {
    const { db, ledger } = await ledgerOf(a);
    const opened = performance.now() - t;
    const { manifest } = await writeBundle({ db, ledger, config: parseConfig({ SBX_DATA_DIR: path.dirname(a) }), settings: DEFAULT_SETTINGS }, { exportId: 'bench', from: null, to: null }, b, () => undefined);
    extra = `${manifest.range.events} events, ledger opened in ${(opened / 1000).toFixed(1)} s`;
    await db.$disconnect();
  } else if (stage === 'verify') {
    const v = await verifyBundleFile(a, { workers: b === '' ? undefined : Number(b) });
    if (!v.ok) throw new Error(`the bundle did not verify: ${v.problems.join('; ')}`);
    extra = `${v.events} events, ${v.checkpoints} checkpoints verified`;
  } else if (stage === 'least') {
    // Only the work no verifier can skip: inflate the events, hash each line's leaf, hash the tree.
    const files = await readBundle(a, true);
    const t0 = performance.now();
    let lines = 0;
    let rest = Buffer.alloc(0);
    const gunzip = zlib.createGunzip({ chunkSize: 1 << 20 });
    gunzip.on('data', (data: Buffer) => {
      const buf = rest.length > 0 ? Buffer.concat([rest, data]) : data;
      let at = 0;
      for (let nl = buf.indexOf(10); nl >= 0; at = nl + 1, nl = buf.indexOf(10, at), lines++) hash('sha256', buf.subarray(at, nl), 'buffer');
      rest = Buffer.from(buf.subarray(at));
    });
    await pipeline(Readable.from([files.get(BUNDLE_FILES.events) ?? Buffer.alloc(0)]), gunzip);
    const leaves = files.get(BUNDLE_FILES.leaves) ?? Buffer.alloc(0);
    const tree = new TreeBuilder();
    for (let at = 0; at < leaves.length; at += 32) tree.push(leaves.subarray(at, at + 32));
    tree.root();
    extra = `${lines} leaves hashed, a tree of ${tree.size}`;
    console.log(JSON.stringify({ ms: performance.now() - t0, peakMiB: peakMiB(), extra }));
    return;
  } else {
    throw new Error(`unknown stage ${stage}`);
  }
  console.log(JSON.stringify({ ms: performance.now() - t, peakMiB: peakMiB(), extra }));
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
