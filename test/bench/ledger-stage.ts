/**
 * One stage of `npm run bench:ledger`, in a process of its own so that its peak memory is its own:
 * `seed DB N` (N agent events through the ledger, checkpoints every 10k), `export DB OUT`,
 * `verify BUNDLE`. Prints one JSON line: { ms, peakMiB, extra }.
 */
import fs from 'node:fs';
import path from 'node:path';
import pino from 'pino';
import { DEFAULT_SETTINGS } from '../../lib/api/settings';
import { chainEvents, insertAppended } from '../../server/audit/append-event';
import { openLedger } from '../../server/audit/open-ledger';
import { writeBundle } from '../../server/audit/write-bundle';
import { parseConfig } from '../../server/config';
import { openSqlite, rawConnection } from '../../server/db/client';
import { migrateSqlite } from '../../server/db/migrate';
import { verifyBundleFile } from '../../sdk/audit';

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
    const v = await verifyBundleFile(a);
    if (!v.ok) throw new Error(`the bundle did not verify: ${v.problems.join('; ')}`);
    extra = `${v.events} events, ${v.checkpoints} checkpoints verified`;
  } else {
    throw new Error(`unknown stage ${stage}`);
  }
  console.log(JSON.stringify({ ms: performance.now() - t, peakMiB: peakMiB(), extra }));
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
