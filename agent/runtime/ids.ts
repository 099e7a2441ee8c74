import { randomBytes } from 'node:crypto';

const ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789';

/** A fixed-length sandbox id: runsc resolves ids by prefix, so no id may be a prefix of another. */
export function newSandboxId(): string {
  return `sbx-${Array.from(randomBytes(20), (b) => ALPHABET[b % ALPHABET.length]).join('')}`;
}
