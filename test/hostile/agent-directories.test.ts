import fs from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { parseAgentConfig } from '../../agent/config';
import { runAgent, tempStateDir } from '../support/agent';

// Another local user prepares the agent's directories in /dev/shm (where anyone may make files)
// before the agent starts: to read sandbox specs and plaintext checkpoints, or to swap files under
// the agent. The agent must refuse such a directory, never reuse it.
const made: string[] = [];
const state = tempStateDir();
afterAll(() => {
  for (const p of [...made, state]) fs.rmSync(p, { recursive: true, force: true });
});

function premade(name: string, mode: number, uid: number): string {
  const dir = `/dev/shm/sbx-hostile-${name}-${process.pid}`;
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir);
  fs.chmodSync(dir, mode);
  fs.chownSync(dir, uid, uid);
  made.push(dir);
  return dir;
}

async function start(env: Record<string, string>): Promise<{ code: number | null; output: string }> {
  const agent = runAgent(state, ['run'], { SBX_AGENT_STAGING_DIR: `/dev/shm/sbx-hostile-stage-${process.pid}`, ...env });
  const code = await agent.exit;
  return { code, output: agent.output() };
}

describe('agent directories someone else made first', () => {
  it('refuses a world-writable run directory, naming it and the setting', async () => {
    const dir = premade('open', 0o777, 65534);
    const r = await start({ SBX_AGENT_RUN_DIR: dir });
    expect(r.code).toBe(78);
    expect(r.output).toContain(`SBX_AGENT_RUN_DIR: ${dir} already exists and is owned by uid 65534, not by the agent (uid 0)`);
  });

  it('refuses the default run directory when another user made it first, even with mode 0700', async () => {
    const dir = parseAgentConfig({ SBX_AGENT_STATE_DIR: state }).runDir;
    fs.rmSync(dir, { recursive: true, force: true });
    fs.mkdirSync(dir, { mode: 0o700 });
    fs.chownSync(dir, 65534, 65534);
    made.push(dir);
    const r = await start({});
    expect(r.code).toBe(78);
    expect(r.output).toMatch(/SBX_AGENT_RUN_DIR: \/dev\/shm\/sbx-agent-run-[0-9a-f]{12} already exists and is owned by uid 65534/);
  });

  it('refuses a root-owned run directory others may write to, and a staging directory that is a link', async () => {
    const open = premade('rootopen', 0o1777, 0);
    expect((await start({ SBX_AGENT_RUN_DIR: open })).output).toContain(`${open} already exists and has mode 1777`);
    const target = premade('target', 0o700, 0);
    const link = `/dev/shm/sbx-hostile-link-${process.pid}`;
    fs.rmSync(link, { force: true });
    fs.symlinkSync(target, link);
    made.push(link);
    const r = await start({ SBX_AGENT_RUN_DIR: premade('fine', 0o700, 0), SBX_AGENT_STAGING_DIR: link });
    expect(r.code).toBe(78);
    expect(r.output).toContain(`SBX_AGENT_STAGING_DIR: ${link} already exists and is a symbolic link`);
  });

  it('takes its own directories (root, 0700) and makes missing ones so', async () => {
    const run = premade('own', 0o700, 0);
    const fresh = `/dev/shm/sbx-hostile-fresh-${process.pid}`;
    fs.rmSync(fresh, { recursive: true, force: true });
    made.push(fresh);
    const r = await start({ SBX_AGENT_RUN_DIR: run, SBX_AGENT_STAGING_DIR: fresh });
    // Past the directory checks, it stops only because this state directory holds no enrolled agent.
    expect(r.output).toContain('holds no enrolled agent');
    expect(fs.statSync(fresh).mode & 0o777).toBe(0o700);
  });
});
