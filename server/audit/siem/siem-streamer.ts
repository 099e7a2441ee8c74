import type { Logger } from 'pino';
import type { Db } from '../../db/client';
import { recordOfRow } from '../record-of-row';
import { loadedConfig } from './destination-config';
import { deliverer, type Deliver } from './deliver';

const BATCH = 500;
const POLL_MS = 2000;
const MAX_BACKOFF_MS = 60_000;

type Live = { deliver: Deliver; close: () => void; failures: number; retryAt: number };

/**
 * Streams the ledger to every SIEM destination, at least once: per destination it reads the
 * events after its saved cursor, delivers them in order, and moves the cursor only once the
 * destination accepted them; a failure is kept on the destination (shown in the console) and
 * retried with a growing pause (up to a minute). After a restart it goes on from the cursor.
 */
export class SiemStreamer {
  private readonly live = new Map<string, Live>();
  private timer: NodeJS.Timeout | null = null;
  private running = false;

  constructor(
    private readonly deps: { db: Db; rootKey: Buffer; log: Logger; version: string },
  ) {}

  start(): void {
    this.timer = setInterval(() => this.kick(), POLL_MS);
    this.timer.unref();
    this.kick();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    for (const l of this.live.values()) l.close();
    this.live.clear();
  }

  /** Looks for new events now (after a destination was added, say). */
  kick(): void {
    if (this.running) return;
    this.running = true;
    void this.round()
      .catch((error: unknown) => this.deps.log.error({ err: error }, 'SIEM streaming round failed'))
      .finally(() => (this.running = false));
  }

  /** Forgets a removed destination's connection. */
  drop(id: string): void {
    this.live.get(id)?.close();
    this.live.delete(id);
  }

  private async round(): Promise<void> {
    const destinations = await this.deps.db.siemDestination.findMany();
    for (const d of destinations) {
      let live = this.live.get(d.id);
      if (!live) {
        live = { ...deliverer(loadedConfig(d.config, this.deps.rootKey), this.deps.version), failures: 0, retryAt: 0 };
        this.live.set(d.id, live);
      }
      if (Date.now() < live.retryAt) continue;
      let cursor = d.lastSeq;
      for (;;) {
        const rows = await this.deps.db.auditEvent.findMany({ where: { seq: { gt: cursor } }, orderBy: { seq: 'asc' }, take: BATCH });
        if (rows.length === 0) break;
        const events = rows.filter((r) => !r.tombstone).map(recordOfRow);
        try {
          if (events.length > 0) await live.deliver(events);
        } catch (error) {
          live.failures += 1;
          live.retryAt = Date.now() + Math.min(MAX_BACKOFF_MS, 1000 * 2 ** live.failures);
          const message = (error as Error).message.slice(0, 500);
          await this.deps.db.siemDestination.update({ where: { id: d.id }, data: { lastError: message } });
          this.deps.log.warn({ siem: d.name, err: message, retryInMs: live.retryAt - Date.now() }, 'SIEM delivery failed; retrying');
          break;
        }
        cursor = rows.at(-1)?.seq ?? cursor;
        live.failures = 0;
        await this.deps.db.siemDestination.update({ where: { id: d.id }, data: { lastSeq: cursor, lastSentAt: new Date(), lastError: null } });
        if (rows.length < BATCH) break;
      }
    }
  }
}
