import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const root = path.resolve(import.meta.dirname, '../..');

function start(env: Record<string, string>) {
  return spawnSync(process.execPath, ['--import', 'tsx', 'server/main.ts'], {
    cwd: root,
    env: { PATH: process.env.PATH ?? '', NODE_ENV: 'production', SBX_DATA_DIR: '/nonexistent/never-created', ...env },
    encoding: 'utf8',
    timeout: 30_000,
  });
}

describe('configuration at start-up', () => {
  it('stops with one line naming the variable and what it expects', () => {
    const r = start({ SBX_CONSOLE_PORT: 'eighty' });
    expect(r.status).toBe(78);
    const lines = r.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toBe('sbx: configuration error: SBX_CONSOLE_PORT: expected number (got "eighty")');
  });

  it('refuses an idle timeout out of range', () => {
    const r = start({ SBX_SESSION_IDLE_SECONDS: '0' });
    expect(r.status).toBe(78);
    expect(r.stderr).toMatch(/SBX_SESSION_IDLE_SECONDS/);
  });
});
