import { describe, expect, it } from 'vitest';
import { DecisionAggregator } from '../../../../agent/network/decisions';
import type { NetworkDecision } from '../../../../lib/wire/protocol';

const id = 'sbx-aaaaaaaaaaaaaaaaaaaa';

describe('decision aggregation', () => {
  it('turns repeats within a window into one decision with a count and first/last times', () => {
    const out: NetworkDecision[][] = [];
    const agg = new DecisionAggregator(60_000, (d) => out.push(d));
    const denied = { sandboxId: id, kind: 'connection' as const, verdict: 'denied' as const, reason: 'floor', destination: '169.254.169.254', port: 80, protocol: 'tcp' };
    agg.add(denied, 1, new Date('2026-01-01T00:00:00Z'));
    agg.add(denied, 5, new Date('2026-01-01T00:00:30Z'));
    agg.add({ ...denied, port: 443 }, 1, new Date('2026-01-01T00:00:31Z'));
    agg.stop();
    expect(out).toHaveLength(1);
    expect(out[0]).toEqual([
      { ...denied, count: 6, firstAt: '2026-01-01T00:00:00.000Z', lastAt: '2026-01-01T00:00:30.000Z' },
      { ...denied, port: 443, count: 1, firstAt: '2026-01-01T00:00:31.000Z', lastAt: '2026-01-01T00:00:31.000Z' },
    ]);
  });

  it('bounds what one noisy sandbox reports per window', () => {
    const out: NetworkDecision[] = [];
    const agg = new DecisionAggregator(60_000, (d) => out.push(...d));
    for (let p = 1; p <= 1000; p++) agg.add({ sandboxId: id, kind: 'connection', verdict: 'denied', reason: 'rule', destination: '198.51.100.1', port: p, protocol: 'tcp' });
    agg.stop();
    expect(out.length).toBeLessThanOrEqual(201);
    expect(out.find((d) => d.reason === 'aggregated')?.count).toBe(800);
    expect(out.reduce((n, d) => n + d.count, 0)).toBe(1000);
  });
});
