import { afterEach, describe, expect, it, vi } from 'vitest';
import { longTimeout } from '../../../agent/sandboxes/long-timer';

afterEach(() => vi.useRealTimers());

describe('long timers (sandbox lifetimes beyond 24.8 days)', () => {
  it('fires a 60-day deadline after 60 days, not at once', () => {
    vi.useFakeTimers();
    const fired = vi.fn();
    longTimeout(fired, 60 * 86_400_000);
    vi.advanceTimersByTime(1000);
    expect(fired).not.toHaveBeenCalled();
    vi.advanceTimersByTime(59 * 86_400_000);
    expect(fired).not.toHaveBeenCalled();
    vi.advanceTimersByTime(86_400_000);
    expect(fired).toHaveBeenCalledTimes(1);
  });

  it('can be cleared while re-armed', () => {
    vi.useFakeTimers();
    const fired = vi.fn();
    const t = longTimeout(fired, 40 * 86_400_000);
    vi.advanceTimersByTime(30 * 86_400_000);
    t.clear();
    vi.advanceTimersByTime(20 * 86_400_000);
    expect(fired).not.toHaveBeenCalled();
  });
});
