import os from 'node:os';

/** Signal names by number (9 -> SIGKILL), as this host numbers them. */
export const SIGNAL_NAMES: Record<number, string> = Object.fromEntries(Object.entries(os.constants.signals).map(([name, n]) => [n, name]));
