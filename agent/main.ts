import fs from 'node:fs';
/**
 * The host agent. `join --url URL --token TOKEN [--hostname NAME]` enrols this host once;
 * `run` keeps its channel to the control plane open until SIGTERM or SIGINT.
 */
import path from 'node:path';
import { parseArgs } from 'node:util';
import pino from 'pino';
import { AuditSpool } from './audit/spool';
import { AgentChannel } from './channel';
import { installCrashGuard } from './crash-guard';
import { ensurePrivateDir, PrivateDirError } from './private-dir';
import { loadAgentConfig } from './config';
import { enroll } from './enroll';
import { DEFAULT_LIMITS, DEFAULT_SANDBOX_IMAGE } from '../lib/api/sandboxes';
import { RunscRuntime } from './runtime/runsc-runtime';
import { PausedImages } from './sandboxes/paused-images';
import { PolicyHolder } from './policy/policy-holder';
import { SandboxManager } from './sandboxes/manager';
import { openEgress } from './network/open-egress';
import type { NetworkDecision } from '../lib/wire/protocol';
import { agentFiles, loadIdentity } from './state';

const USAGE = 'usage: sbx-agent join --url https://HOST:8443 --token TOKEN [--hostname NAME]\n       sbx-agent run';

async function main(): Promise<number> {
  let config;
  try {
    config = loadAgentConfig();
  } catch (error) {
    console.error(`sbx-agent: configuration error: ${(error as Error).message}`);
    return 78;
  }
  const log = pino({ level: config.logLevel, base: { service: 'agent' } });
  const [command, ...rest] = process.argv.slice(2);
  if (command === 'join') {
    let values;
    try {
      ({ values } = parseArgs({ args: rest, options: { url: { type: 'string' }, token: { type: 'string' }, hostname: { type: 'string' } }, strict: true }));
    } catch (error) {
      console.error(`sbx-agent join: ${(error as Error).message}\n${USAGE}`);
      return 2;
    }
    if (!values.url || !/^https:\/\//.test(values.url)) {
      console.error(`sbx-agent join: --url: expected the console's https:// URL\n${USAGE}`);
      return 2;
    }
    if (!values.token) {
      console.error(`sbx-agent join: --token: expected the join token from the Hosts page\n${USAGE}`);
      return 2;
    }
    try {
      const identity = await enroll({ url: values.url, token: values.token, stateDir: config.stateDir, hostname: values.hostname });
      console.log(`sbx-agent: enrolled as ${identity.agentId}; start it with: sbx-agent run`);
      return 0;
    } catch (error) {
      console.error(`sbx-agent join: ${(error as Error).message}`);
      return 1;
    }
  }
  if (command === 'run') {
    // Both live in memory where anyone may make files: one someone else made first is refused.
    try {
      ensurePrivateDir(config.runDir, 'SBX_AGENT_RUN_DIR', { inMemory: 'sandbox specs (with their environment) would be written to disk' });
      ensurePrivateDir(config.stagingDir, 'SBX_AGENT_STAGING_DIR', { inMemory: 'a plaintext checkpoint would touch the disk' });
    } catch (error) {
      if (!(error instanceof PrivateDirError)) throw error;
      console.error(`sbx-agent run: ${error.message}`);
      return 78;
    }
    const identity = loadIdentity(agentFiles(config.stateDir));
    if (!identity) {
      console.error(`sbx-agent run: ${config.stateDir} holds no enrolled agent; run sbx-agent join first`);
      return 1;
    }
    installCrashGuard(log);
    // Without a working runsc the agent still connects (so the console shows why) but refuses sandboxes.
    const images = new PausedImages(path.join(config.stateDir, 'paused'), config.stagingDir);
    let runtime: RunscRuntime | null = null;
    let problem: string | null = null;
    let removed: string[] = [];
    try {
      runtime = await RunscRuntime.open({
        stateDir: path.join(config.stateDir, 'sandboxes'),
        runDir: config.runDir,
        platform: config.platform,
        checkpointCompression: config.checkpointCompression,
        onSandboxFault: (id, reason) => log.warn({ sandbox: id, reason }, 'a sandbox broke the protocol; its commands go by runsc exec from now on'),
      });
      // Paused sandboxes are their encrypted images: kept, not leftovers.
      removed = await runtime.reconcile(new Set(images.ids()));
      if (removed.length > 0) log.warn({ removed }, 'removed sandboxes left over from an earlier run');
    } catch (error) {
      problem = (error as Error).message;
      log.error({ problem }, 'sandboxes are refused on this host');
    }
    // Sandboxes with a network run only where their rules can be enforced: if the enforcer cannot
    // start, this host reports it and takes no sandbox with a network.
    let report: (d: NetworkDecision[]) => void = () => undefined;
    const egress = runtime ? await openEgress(config, [identity.consoleUrl, identity.gatewayUrl], (d) => report(d)) : { enforcer: null, removed: [], problem: null };
    if (egress.problem) log.error({ problem: egress.problem }, 'sandboxes with a network are refused on this host');
    if (egress.removed.length > 0) log.warn({ removed: egress.removed }, 'removed sandbox networks left over from an earlier run');
    removed = [...new Set([...removed, ...egress.removed])];
    const pool = config.warmPool > 0 ? { size: config.warmPool, image: DEFAULT_SANDBOX_IMAGE, limits: DEFAULT_LIMITS } : null;
    const sandboxes = new SandboxManager(runtime, problem, log, pool, egress.enforcer, images);
    sandboxes.fillPool();
    const sweeper = setInterval(() => void sandboxes.sweep().catch((err: unknown) => log.warn({ err }, 'sweep failed')), 5000);
    sweeper.unref();
    const spool = AuditSpool.open(path.join(config.stateDir, 'spool'), log, config.spoolMinFreeBytes);
    const files = agentFiles(config.stateDir);
    const policy = new PolicyHolder(path.join(config.stateDir, 'policy.json'), fs.readFileSync(files.ca, 'utf8'), identity.labels, (e) => spool.append([e]), log);
    policy.load();
    const channel = new AgentChannel(identity, config, log, sandboxes, problem, egress.problem, spool, policy, removed);
    report = (d) => channel.reportDecisions(d);
    const stop = () => void sandboxes.stopAll().finally(() => void channel.stop());
    process.on('SIGTERM', stop);
    process.on('SIGINT', stop);
    log.info({ agentId: identity.agentId }, 'agent starting');
    channel.start();
    const code = await channel.done;
    // Whatever ended the agent (a stop, a revocation, an expired certificate), its sandboxes end with it.
    await sandboxes.stopAll();
    await runtime?.close();
    images.close();
    await egress.enforcer?.close();
    return code;
  }
  console.error(USAGE);
  return 2;
}

void main().then((code) => process.exit(code));
