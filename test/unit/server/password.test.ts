import { describe, expect, it } from 'vitest';
import { UNUSABLE_HASH, generatePassword, hashPassword, verifyPassword } from '../../../server/auth/password';
import { failureDelayMs } from '../../../server/auth/sign-in';

describe('password hashing', () => {
  it('uses scrypt with a per-user salt', async () => {
    const a = await hashPassword('correct horse battery');
    const b = await hashPassword('correct horse battery');
    expect(a).toMatch(/^scrypt\$15\$8\$1\$/);
    expect(a).not.toBe(b);
    expect(await verifyPassword('correct horse battery', a)).toBe(true);
    expect(await verifyPassword('correct horse batterY', a)).toBe(false);
  });

  it('matches nothing with the unusable hash and rejects malformed hashes', async () => {
    expect(await verifyPassword('', UNUSABLE_HASH)).toBe(false);
    expect(await verifyPassword('x', 'md5$abc')).toBe(false);
  });

  it('generates long random passwords', () => {
    const p = generatePassword();
    expect(p).toHaveLength(20);
    expect(generatePassword()).not.toBe(p);
  });

  it('slows repeated failures down, with a cap', () => {
    expect(failureDelayMs(1)).toBe(250);
    expect(failureDelayMs(3)).toBe(1000);
    expect(failureDelayMs(30)).toBe(4000);
  });
});
