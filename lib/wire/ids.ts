const ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789';

function randomText(n: number): string {
  const bytes = globalThis.crypto.getRandomValues(new Uint8Array(n));
  return Array.from(bytes, (b) => ALPHABET[b % ALPHABET.length]).join('');
}

/** A command's id (also its exec id on the agent channel). */
export function newCommandId(): string {
  return `cmd-${randomText(20)}`;
}

/** A fixed-length sandbox id: runsc resolves ids by prefix, so no id may be a prefix of another. */
export function newSandboxId(): string {
  return `sbx-${randomText(20)}`;
}
