import { describe, expect, it } from 'vitest';
import { EXIT_FAULTS, installCrashGuard } from '../../../agent/crash-guard';

describe('the agent crash guard', () => {
  it('logs a fault and keeps the process, but stops at a storm of them', () => {
    const logged: string[] = [];
    const exits: number[] = [];
    const log = { error: (_o: object, m: string) => logged.push(`error ${m}`), fatal: (_o: object, m: string) => logged.push(`fatal ${m}`) };
    const remove = installCrashGuard(log as never, { limit: 3, windowMs: 60_000, exit: (c) => exits.push(c) });
    try {
      for (let i = 0; i < 3; i++) process.emit('uncaughtException', new Error(`fault ${i}`));
      expect(exits).toEqual([]);
      expect(logged).toEqual(Array(3).fill('error uncaught exception: the agent goes on'));
      process.emit('unhandledRejection', new Error('one more'), Promise.resolve());
      expect(exits).toEqual([EXIT_FAULTS]);
      expect(logged.at(-1)).toBe('fatal unhandled rejection: too many faults; the agent stops');
    } finally {
      remove();
    }
  });
});
