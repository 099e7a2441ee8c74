import type { Logger } from 'pino';
import { AppError } from '../lib/errors';
import type { Config } from './config';
import type { Db } from './db/client';
import type { AgentChannels } from './gateway/channels';
import type { Metrics } from './metrics';
import type { LiveCommands } from './sandboxes/live-commands';
import type { KeyPair } from './pki/certificates';
import type { ExportJobs } from './audit/export-jobs';
import type { Ledger } from './audit/ledger';
import type { SiemStreamer } from './audit/siem/siem-streamer';
import type { PolicyState } from './policies/policy-state';

/** Everything a service may need, made once at start-up by server/main.ts. */
export type ServerContext = {
  config: Config;
  db: Db;
  /** The audit ledger: every audited change appends through it (see audited). */
  ledger: Ledger;
  /** The root key that seals the control plane's own secrets; it never leaves this process. */
  rootKey: Buffer;
  /** Evidence exports being made, and made bundles for a day. */
  exports: ExportJobs;
  /** Streams the ledger to SIEM destinations. */
  siem: SiemStreamer;
  log: Logger;
  metrics: Metrics;
  version: string;
  startedAt: Date;
  pki: { caCertFile: string; caFingerprint: string; ca: KeyPair };
  /** The open agent channels; replaced by the gateway once it listens. */
  agents: AgentChannels;
  /** Commands running now, and ended background commands' output for a while. */
  commands: LiveCommands;
  /** The policy set in force and the policy signer. */
  policies: PolicyState;
};

// Next.js bundles route handlers apart from the process's entry module, so the context is handed
// over on globalThis under a registered symbol rather than through a module-level variable.
const KEY = Symbol.for('sbx.control-plane.context');
type Holder = { [KEY]?: ServerContext };

export function setServerContext(ctx: ServerContext): void {
  (globalThis as Holder)[KEY] = ctx;
}

export function getServerContext(): ServerContext {
  const ctx = (globalThis as Holder)[KEY];
  if (!ctx) throw new AppError('unavailable', 'The control plane is still starting; try again in a moment.');
  return ctx;
}
