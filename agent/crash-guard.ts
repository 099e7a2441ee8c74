import type { Logger } from 'pino';

export type CrashGuardOptions = {
  /** More faults than this within `windowMs` mean the agent itself is broken: it exits. */
  limit?: number;
  windowMs?: number;
  exit?: (code: number) => void;
};

/** Exit code of an agent that gave up after a storm of faults (EX_SOFTWARE). */
export const EXIT_FAULTS = 70;

/**
 * Keeps the agent alive through a fault of one sandbox's doing. An error nobody caught would
 * otherwise end the process, and the restarted agent's reconcile would take every other sandbox
 * on the host with it: one hostile sandbox must never cost its neighbours. The fault is logged
 * with its stack. A storm of faults is no single sandbox's doing, so past `limit` in `windowMs`
 * the agent exits (its supervisor restarts it) rather than run on in a state nobody knows.
 */
export function installCrashGuard(log: Pick<Logger, 'error' | 'fatal'>, opts: CrashGuardOptions = {}): () => void {
  const limit = opts.limit ?? 20;
  const windowMs = opts.windowMs ?? 60_000;
  const exit = opts.exit ?? ((code: number) => process.exit(code));
  const times: number[] = [];
  const onFault = (kind: string) => (error: unknown) => {
    const now = Date.now();
    times.push(now);
    while (times.length > 0 && (times[0] ?? now) < now - windowMs) times.shift();
    if (times.length > limit) {
      log.fatal({ err: error, faults: times.length, windowMs }, `${kind}: too many faults; the agent stops`);
      return exit(EXIT_FAULTS);
    }
    log.error({ err: error }, `${kind}: the agent goes on`);
  };
  const uncaught = onFault('uncaught exception');
  const rejected = onFault('unhandled rejection');
  process.on('uncaughtException', uncaught);
  process.on('unhandledRejection', rejected);
  return () => {
    process.off('uncaughtException', uncaught);
    process.off('unhandledRejection', rejected);
  };
}
