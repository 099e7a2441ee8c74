/** The longest delay setTimeout honours; a longer one fires at once. */
const MAX_DELAY_MS = 2_147_483_647;

export type LongTimer = { clear(): void; remainingMs(): number };

/**
 * setTimeout for any delay (sandbox lifetimes may be up to a year): re-armed in steps below the
 * timer limit. The timer does not keep the process alive.
 */
export function longTimeout(fn: () => void, ms: number, now: () => number = Date.now): LongTimer {
  const due = now() + ms;
  let timer: NodeJS.Timeout;
  const arm = () => {
    const left = due - now();
    timer = setTimeout(left > MAX_DELAY_MS ? arm : fn, Math.max(0, Math.min(left, MAX_DELAY_MS)));
    timer.unref();
  };
  arm();
  return { clear: () => clearTimeout(timer), remainingMs: () => Math.max(0, due - now()) };
}
