const ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789';

/** A fixed-length sandbox id: runsc resolves ids by prefix, so no id may be a prefix of another. */
export function newSandboxId(): string {
  const bytes = globalThis.crypto.getRandomValues(new Uint8Array(20));
  return `sbx-${Array.from(bytes, (b) => ALPHABET[b % ALPHABET.length]).join('')}`;
}
