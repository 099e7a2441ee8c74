import { execFile } from 'node:child_process';
import os from 'node:os';
import type { Capacity, Health } from '../lib/wire/protocol';

/** The runsc version line, or null when runsc is not installed. */
export function runscVersion(): Promise<string | null> {
  return new Promise((resolve) => {
    execFile('runsc', ['--version'], { timeout: 5000 }, (err, stdout) => {
      if (err) return resolve(null);
      resolve(stdout.split('\n')[0]?.trim() || null);
    });
  });
}

export function capacity(slots: number | undefined, egress: boolean): Capacity {
  const memoryMiB = Math.floor(os.totalmem() / 1024 / 1024);
  // Without a setting, allow one sandbox per 256 MiB of memory.
  return { cpus: os.cpus().length, memoryMiB, sandboxSlots: slots ?? Math.max(1, Math.floor(memoryMiB / 256)), egress };
}

/** Health as the agent sees it: without runsc it cannot run sandboxes and says how to fix that. */
/**
 * The host's health. A runtime problem makes it degraded (no sandboxes are placed here); an
 * egress problem is reported but leaves it ok: it still runs sandboxes without a network.
 */
export function health(runsc: string | null, runtimeProblem: string | null = null, egressProblem: string | null = null, spoolProblem: string | null = null): Health {
  const problems: string[] = [];
  if (!runsc) problems.push('runsc is not installed: apt-get install -t bookworm-backports runsc');
  else if (runtimeProblem) problems.push(runtimeProblem);
  if (spoolProblem) problems.push(spoolProblem);
  const degraded = problems.length > 0;
  if (egressProblem) problems.push(egressProblem);
  return { status: degraded ? 'degraded' : 'ok', problems };
}

export function kernel(): string {
  return `${os.type()} ${os.release()}`;
}
