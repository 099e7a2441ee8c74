import type { Logger } from 'pino';
import type { SpooledEvent } from '../../lib/wire/protocol';
import type { AuditSpool } from './spool';

/** Sends a batch and resolves with the highest sequence the control plane holds. */
export type Ingest = (events: SpooledEvent[]) => Promise<{ acked: number }>;

const BATCH = 500;
const RETRY_MS = 5000;

/**
 * Ships the spool to the control plane at least once: in order, a batch at a time, each batch
 * resent until acknowledged (the control plane drops what it already holds), and forgets only what
 * was acknowledged. Runs while a channel is attached; starts again on every new channel, on new
 * durable events and every few seconds.
 */
export class SpoolShipper {
  private ingest: Ingest | null = null;
  private running = false;
  private again = false;
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly spool: AuditSpool,
    private readonly log: Logger,
  ) {
    spool.onDurable(() => this.kick());
    this.timer = setInterval(() => this.kick(), RETRY_MS);
    this.timer.unref();
  }

  /** A channel opened: ship through it. */
  attach(ingest: Ingest): void {
    this.ingest = ingest;
    this.kick();
  }

  detach(): void {
    this.ingest = null;
  }

  stop(): void {
    this.detach();
    clearInterval(this.timer);
  }

  private kick(): void {
    if (this.running) {
      this.again = true;
      return;
    }
    void this.run();
  }

  private async run(): Promise<void> {
    this.running = true;
    try {
      do {
        this.again = false;
        for (;;) {
          const ingest = this.ingest;
          if (!ingest) return;
          const batch = this.spool.read(this.spool.acknowledged, BATCH);
          if (batch.length === 0) break;
          const { acked } = await ingest(batch);
          this.spool.ack(acked);
          // The control plane kept less than it was sent: try again later rather than loop.
          if (acked < (batch.at(-1) as SpooledEvent).seq) return;
        }
      } while (this.again);
    } catch (error) {
      this.log.warn({ err: (error as Error).message, acked: this.spool.acknowledged }, 'audit events not acknowledged; retrying');
    } finally {
      this.running = false;
    }
  }
}
