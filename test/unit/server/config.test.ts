import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfig } from '../../../server/config';

describe('parseConfig', () => {
  it('has safe defaults and no secrets', () => {
    const c = parseConfig({});
    expect(c.console.port).toBe(8443);
    expect(c.session.idleSeconds).toBe(900);
    expect(c.console.publicUrl).toBe('https://localhost:8443');
    expect(c.dataDir.endsWith('/data')).toBe(true);
  });

  it('names the variable and what it expects', () => {
    expect(() => parseConfig({ SBX_CONSOLE_PORT: 'eighty' })).toThrow(ConfigError);
    expect(() => parseConfig({ SBX_CONSOLE_PORT: 'eighty' })).toThrow(/^SBX_CONSOLE_PORT: expected number.*"eighty"/);
    expect(() => parseConfig({ SBX_PUBLIC_URL: 'http://x' })).toThrow(/SBX_PUBLIC_URL: expected an https:\/\/ URL/);
    expect(() => parseConfig({ SBX_LOG_LEVEL: 'loud' })).toThrow(/SBX_LOG_LEVEL/);
  });
});
