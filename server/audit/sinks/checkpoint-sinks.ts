import fs from 'node:fs';
import type { Logger } from 'pino';
import type { Config } from '../../config';
import type { CheckpointSink } from '../ledger';
import { httpsPost } from './https-post';
import { SyslogTlsClient, syslogFrame } from './syslog-tls';

const ATTEMPTS = 5;

/** Retries `send` with a growing pause; the last failure is the caller's to log. */
async function withRetries(send: () => Promise<void>): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await send();
    } catch (error) {
      if (attempt >= ATTEMPTS) throw error;
      await new Promise((r) => setTimeout(r, 500 * 2 ** attempt));
    }
  }
}

/** The sinks of SBX_LEDGER_CHECKPOINT_SINK (none when unset). */
export function checkpointSinks(config: Config, log: Logger): CheckpointSink[] {
  const target = config.ledger.checkpointSink;
  if (!target) return [];
  const ca = config.sinkCaFile ? fs.readFileSync(config.sinkCaFile, 'utf8') : undefined;
  if (target.startsWith('https://')) {
    return [{ name: target, send: (note) => withRetries(() => httpsPost(target, note, 'text/plain; charset=utf-8', { ca })) }];
  }
  const u = new URL(target.replace(/^syslog\+tls:/, 'https:'));
  const client = new SyslogTlsClient(u.hostname, Number(u.port), ca);
  log.info({ sink: target }, 'ledger checkpoints also go to syslog');
  // Octet-counted framing (RFC 5425) carries the note's line breaks as they are: the note verifies as sent.
  return [{ name: target, send: (note) => withRetries(() => client.send([syslogFrame(5, 'sbx-ledger', 'checkpoint', note)])) }];
}
