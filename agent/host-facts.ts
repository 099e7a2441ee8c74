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

export function capacity(slots: number | undefined): Capacity {
  const memoryMiB = Math.floor(os.totalmem() / 1024 / 1024);
  // Without a setting, allow one sandbox per 256 MiB of memory.
  return { cpus: os.cpus().length, memoryMiB, sandboxSlots: slots ?? Math.max(1, Math.floor(memoryMiB / 256)) };
}

/** Health as the agent sees it: without runsc it cannot run sandboxes and says how to fix that. */
export function health(runsc: string | null, runtimeProblem: string | null = null): Health {
  const problems: string[] = [];
  if (!runsc) problems.push('runsc is not installed: apt-get install -t bookworm-backports runsc');
  else if (runtimeProblem) problems.push(runtimeProblem);
  return { status: problems.length ? 'degraded' : 'ok', problems };
}

export function kernel(): string {
  return `${os.type()} ${os.release()}`;
}
