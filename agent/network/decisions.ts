import type { NetworkDecision } from '../../lib/wire/protocol';

/** A decision before aggregation: everything but its count and time window. */
export type DecisionKey = Omit<NetworkDecision, 'count' | 'firstAt' | 'lastAt'>;

/** Most distinct decisions one sandbox reports per window; the rest are counted in one overflow line. */
const MAX_PER_SANDBOX = 200;

/**
 * Aggregates egress decisions: identical decisions within a window become one, with a count and
 * the first and last time, so a noisy sandbox cannot flood the audit ledger.
 */
export class DecisionAggregator {
  private window = new Map<string, NetworkDecision>();
  private perSandbox = new Map<string, number>();
  private readonly timer: NodeJS.Timeout;

  constructor(
    windowMs: number,
    private readonly flush: (decisions: NetworkDecision[]) => void,
  ) {
    this.timer = setInterval(() => this.drain(), windowMs);
    this.timer.unref();
  }

  add(d: DecisionKey, count = 1, at = new Date()): void {
    const key = JSON.stringify(d);
    const seen = this.window.get(key);
    const iso = at.toISOString();
    if (seen) {
      seen.count += count;
      seen.lastAt = iso;
      return;
    }
    const n = (this.perSandbox.get(d.sandboxId) ?? 0) + 1;
    this.perSandbox.set(d.sandboxId, n);
    if (n > MAX_PER_SANDBOX && d.reason !== 'aggregated') {
      const overflow: DecisionKey = { sandboxId: d.sandboxId, kind: d.kind, verdict: 'denied', reason: 'aggregated' };
      return this.add(overflow, count, at);
    }
    this.window.set(key, { ...d, count, firstAt: iso, lastAt: iso });
  }

  /** Hands over what the window holds (also called at shutdown). */
  drain(): void {
    if (this.window.size === 0) return;
    const out = [...this.window.values()];
    this.window = new Map();
    this.perSandbox = new Map();
    this.flush(out);
  }

  stop(): void {
    clearInterval(this.timer);
    this.drain();
  }
}
