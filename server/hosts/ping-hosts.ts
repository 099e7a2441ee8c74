import { randomUUID } from 'node:crypto';
import type { ServerContext } from '../context';

export type PingResult = {
  connected: number;
  acknowledged: number;
  failed: { agentId: string; error: string }[];
  /** From the push to the last acknowledgement, in milliseconds. */
  allAcknowledgedMs: number | null;
  p50Ms: number | null;
  p99Ms: number | null;
};

const quantile = (sorted: number[], q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? null;

/**
 * Pushes an echo request to every connected agent at once and waits for each acknowledgement: a
 * connectivity check of the whole fleet, and the measure of how fast a push reaches it.
 */
export async function pingHosts(deps: Pick<ServerContext, 'agents'>, timeoutMs = 10_000): Promise<PingResult> {
  const ids = deps.agents.connectedIds();
  const nonce = randomUUID();
  const t0 = performance.now();
  const settled = await Promise.allSettled(
    ids.map(async (id) => {
      const r = await deps.agents.call(id, 'echo', { nonce }, timeoutMs);
      if (r.nonce !== nonce) throw new Error('wrong echo');
      return performance.now() - t0;
    }),
  );
  const times = settled.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : [])).sort((a, b) => a - b);
  const failed = settled.flatMap((s, i) => (s.status === 'rejected' ? [{ agentId: ids[i] ?? '', error: String((s.reason as Error).message) }] : []));
  return {
    connected: ids.length,
    acknowledged: times.length,
    failed,
    allAcknowledgedMs: failed.length === 0 && times.length > 0 ? (times.at(-1) ?? null) : null,
    p50Ms: quantile(times, 0.5),
    p99Ms: quantile(times, 0.99),
  };
}
