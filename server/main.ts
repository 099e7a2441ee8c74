/**
 * The control plane's entry point, run by `npm start`: it parses the configuration, migrates the
 * database, makes sure the internal CA exists, bootstraps the first admin and serves the console
 * and HTTP API over TLS 1.3. Ctrl-C stops it cleanly; all state stays in the data directory.
 */
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import next from 'next';
import pino from 'pino';
import { ConfigError, loadConfig, type Config } from './config';
import { audited } from './audit/audited';
import { SYSTEM_ACTOR, auditEvent } from './audit/event';
import { ExportJobs } from './audit/export-jobs';
import { selfCheckLedger } from './audit/self-check';
import { SiemStreamer } from './audit/siem/siem-streamer';
import { startLedger } from './audit/start-ledger';
import { consoleTlsOptions, createConsoleServer } from './console-server';
import { startAgentGateway } from './gateway/agent-gateway';
import { startLocalAgent } from './hosts/local-agent';
import { scheduleServerCertRenewal } from './pki/renew-server-certs';
import { setServerContext, type ServerContext } from './context';
import { noChannels } from './gateway/channels';
import { openSqlite } from './db/client';
import { DataDirInUseError, lockDataDir } from './db/data-dir-lock';
import { migrateSqlite } from './db/migrate';
import { createMetrics } from './metrics';
import { ensurePki } from './pki/ensure-pki';
import { ensureDefaultKek } from './keys/ensure-default-kek';
import { openRootKey, RootKeyError } from './keys/root-key';
import { recordRootKeyRotations } from './keys/record-root-key-rotations';
import { finishRootKeyRotation } from './keys/rotate-root-key';
import { LiveCommands } from './sandboxes/live-commands';
import { PolicyState } from './policies/policy-state';
import { ensureInitialPolicy } from './policies/ensure-initial-policy';
import { bootstrapAdmin } from './users/bootstrap-admin';

function startupConfig(): Config {
  try {
    return loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(`sbx: configuration error: ${error.message}`);
      process.exit(78);
    }
    throw error;
  }
}

/** The data directory for this process alone, or a one-line reason on stderr and exit 75 (try again once the other stopped). */
function startupLock(config: Config): void {
  try {
    lockDataDir(config.dataDir, 'control plane');
  } catch (error) {
    if (error instanceof DataDirInUseError) {
      console.error(`sbx: ${error.message}`);
      process.exit(75);
    }
    throw error;
  }
}

/** The root key, or a one-line reason on stderr and exit 78: nothing starts without it. */
function startupRootKey(config: Config): { key: Buffer; created: boolean } {
  try {
    return openRootKey(config.dataDir, config.rootKey);
  } catch (error) {
    if (error instanceof RootKeyError) {
      console.error(`sbx: root key: ${error.message}`);
      process.exit(78);
    }
    throw error;
  }
}

async function main(): Promise<void> {
  const config = startupConfig();
  const log = pino({ level: config.logLevel, base: { service: 'control-plane' } });
  const version = (JSON.parse(fs.readFileSync(path.join(config.projectRoot, 'package.json'), 'utf8')) as { version: string }).version;

  // Everything the control plane writes (database, keys, certificates) is for root's eyes only.
  process.umask(0o077);
  fs.mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
  startupLock(config);
  // A root key rotation a crash cut short is completed or dropped first: the directory is then under one key.
  const rotation = finishRootKeyRotation(config.dataDir, config.databaseFile);
  // The root key first: a refused start must leave the data directory as it was, database included.
  const rootKey = startupRootKey(config);
  const migrations = migrateSqlite(config.databaseFile, path.join(config.projectRoot, 'prisma', 'migrations'));
  if (migrations.applied.length > 0) log.info({ applied: migrations.applied }, 'database migrated');

  const consoleHost = new URL(config.console.publicUrl).hostname;
  const pki = ensurePki({ dataDir: config.dataDir, rootKey: rootKey.key, hostname: consoleHost, certDays: config.tlsCertDays });
  if (pki.created.ca) log.info({ fingerprint: pki.caFingerprint }, 'internal CA created');

  const db = openSqlite(config.databaseFile);
  const ledger = await startLedger({ config, db, log, rootKey: rootKey.key, caFingerprint: pki.caFingerprint });
  const ctx: ServerContext = {
    config,
    db,
    ledger: ledger.ledger,
    rootKey: rootKey.key,
    exports: new ExportJobs(path.join(config.dataDir, 'exports')),
    siem: new SiemStreamer({ db, rootKey: rootKey.key, log, version }),
    log,
    metrics: createMetrics(),
    version,
    startedAt: new Date(),
    pki: { caCertFile: pki.caCertFile, caFingerprint: pki.caFingerprint, ca: pki.ca },
    agents: noChannels,
    commands: new LiveCommands(),
    policies: new PolicyState(pki.ca),
  };
  setServerContext(ctx);
  // Commands that were running when the control plane stopped can no longer be followed.
  await db.sandboxCommand.updateMany({ where: { state: 'running' }, data: { state: 'lost', endedAt: new Date() } });

  await audited(ctx, (_tx, record) =>
    record(
      auditEvent(
        { actor: SYSTEM_ACTOR, sourceIp: null, userAgent: null, requestId: randomUUID() },
        { action: 'system.start', details: { version } },
        { type: 'system', id: null, name: 'control-plane' },
      ),
    ),
  );

  if (rotation) log.warn({ rotation }, 'a root key rotation was cut short; it was completed or dropped as the database says');
  await recordRootKeyRotations(ctx);
  await ensureDefaultKek(ctx);
  await ensureInitialPolicy(ctx);
  const admin = await bootstrapAdmin(ctx);
  const bootstrapFile = path.join(config.dataDir, 'bootstrap.json');
  if (admin) {
    const bootstrap = {
      consoleUrl: config.console.publicUrl,
      caCertificate: pki.caCertFile,
      caFingerprintSha256: pki.caFingerprint,
      username: admin.username,
      oneTimePassword: admin.password,
      developerApiKey: admin.developerApiKey,
      note: 'Sign in with this password once; the console then asks for a new one. The developer API key lets sbx on this host work at once (revoke it on the API keys page when you no longer want it).',
    };
    fs.writeFileSync(bootstrapFile, `${JSON.stringify(bootstrap, null, 2)}\n`, { mode: 0o600 });
  }

  const app = next({ dev: false, dir: config.projectRoot, customServer: true });
  await app.prepare();
  const handle = app.getRequestHandler();
  const server = createConsoleServer(ctx, pki.console, (req, res) => handle(req, res));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.console.port, config.console.host, () => resolve());
  });
  const gateway = await startAgentGateway(ctx, pki.gateway);
  ctx.agents = gateway;
  let consolePair = pki.console;
  let gatewayPair = pki.gateway;
  const stopRenewal = scheduleServerCertRenewal(ctx, [
    { name: 'console', current: () => consolePair, apply: (p) => ((consolePair = p), server.setSecureContext(consoleTlsOptions(p))) },
    { name: 'gateway', current: () => gatewayPair, apply: (p) => ((gatewayPair = p), gateway.setServerCertificate(p)) },
  ]);
  const localAgent = config.localAgent ? await startLocalAgent(ctx) : null;
  ctx.siem.start();
  // The start-up self-check recomputes the whole ledger (about 10 s per 200k events here): it runs
  // while the console already serves, and a failure stays on the console's alert until a check passes.
  selfCheckLedger(ctx, 'start')
    .then((check) => (check.ok ? log.info({ size: check.size, ms: check.durationMs }, 'ledger self-check passed') : log.error({ check }, 'AUDIT LEDGER INTEGRITY CHECK FAILED')))
    .catch((error: unknown) => log.error({ err: error }, 'AUDIT LEDGER INTEGRITY CHECK FAILED: the self-check could not run'));

  log.info({ url: config.console.publicUrl, dataDir: config.dataDir }, 'console listening (TLS 1.3 only)');
  console.log(`\n  Console: ${config.console.publicUrl}`);
  console.log(`  Agent gateway: ${config.agentGateway.url} (mutual TLS 1.3)`);
  console.log(`  CA certificate: ${pki.caCertFile}`);
  if (admin) console.log(`  First sign-in: see ${bootstrapFile} (user name and one-time password)\n`);

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'stopping');
    stopRenewal();
    ledger.stop();
    ctx.siem.stop();
    server.closeAllConnections();
    server.close(() => {
      void Promise.all([localAgent?.stop(), gateway.close()])
        .catch(() => undefined)
        .then(() => app.close())
        .catch(() => undefined)
        .then(() => db.$disconnect())
        .finally(() => process.exit(0));
    });
    setTimeout(() => process.exit(0), 8000).unref();
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

main().catch((error: unknown) => {
  console.error(`sbx: failed to start: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
