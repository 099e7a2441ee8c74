import { parseArgs, type ParseArgsConfig } from 'node:util';
import { SbxClient } from '../client';

/** A CLI command: parses its own arguments, calls the API, prints; throws to fail. */
export type Command = {
  usage: string;
  /** The exit code of a usage error, when 2 means something else for this command (`policy plan`: changes). */
  usageExitCode?: number;
  run(args: string[], io: { out: (s: string) => void }): Promise<void>;
};

/** A mistake in how the command was called: printed with the usage, exit code 2 (or the command's usageExitCode). */
export class UsageError extends Error {}

export const globalOptions = {
  url: { type: 'string' },
  'ca-file': { type: 'string' },
  json: { type: 'boolean', default: false },
} as const satisfies ParseArgsConfig['options'];

export function parse<O extends ParseArgsConfig['options']>(args: string[], options: O) {
  try {
    return parseArgs({ args, options: { ...globalOptions, ...options }, allowPositionals: true, strict: true });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

type GlobalValues = { url?: string | boolean; 'ca-file'?: string | boolean };

/** The connection options the global flags give (the rest comes from the environment or config). */
export function clientOptions(values: GlobalValues): { url?: string; caFile?: string } {
  return {
    url: typeof values.url === 'string' ? values.url : undefined,
    caFile: typeof values['ca-file'] === 'string' ? values['ca-file'] : undefined,
  };
}

export function clientFrom(values: GlobalValues): SbxClient {
  return new SbxClient(clientOptions(values));
}

/** Prints rows as aligned columns. */
export function table(rows: string[][]): string {
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length))) ?? [];
  return rows.map((r) => r.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  ').trimEnd()).join('\n');
}
