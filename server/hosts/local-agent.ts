import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { SYSTEM_ACTOR } from '../audit/event';
import type { ServerContext } from '../context';
import { createJoinToken } from './create-join-token';

export type LocalAgent = { stop(): Promise<void> };

/**
 * Single-host mode: enrols a host agent on this machine on first start (with a join token the
 * control plane makes for itself, audited like any other) and runs it as a child process, so a
 * fresh machine comes up with one working host. Stopping the control plane stops it.
 */
export async function startLocalAgent(ctx: ServerContext): Promise<LocalAgent> {
  const stateDir = path.join(ctx.config.dataDir, 'local-agent');
  const entry = path.join(ctx.config.projectRoot, 'agent', 'main.ts');
  const consoleUrl = `https://127.0.0.1:${ctx.config.console.port}`;
  const env = { ...ctx.config.inheritedEnv, SBX_AGENT_STATE_DIR: stateDir, SBX_AGENT_LOG_LEVEL: ctx.config.logLevel };
  const run = (args: string[]) => spawn(process.execPath, ['--import', 'tsx', entry, ...args], { cwd: ctx.config.projectRoot, env, stdio: ['ignore', 'inherit', 'inherit'] });

  if (!fs.existsSync(path.join(stateDir, 'agent.json'))) {
    const meta = { actor: SYSTEM_ACTOR, sourceIp: null, userAgent: null, requestId: randomUUID() };
    const { token } = await createJoinToken(ctx, { labels: { host: 'local' }, ttlMinutes: 5 }, meta);
    const code = await new Promise<number | null>((resolve) => run(['join', '--url', consoleUrl, '--token', token]).once('exit', resolve));
    if (code !== 0) {
      ctx.log.error({ code }, 'the local agent could not enrol; the appliance runs without a local host');
      return { stop: async () => undefined };
    }
  }

  let child: ChildProcess | null = null;
  let stopping = false;
  let restarts = 0;
  const launch = () => {
    child = run(['run']);
    child.once('exit', (code, signal) => {
      child = null;
      if (stopping) return;
      restarts += 1;
      const delay = Math.min(30_000, 1000 * 2 ** Math.min(restarts, 5));
      ctx.log.warn({ code, signal, delay }, 'local agent exited; restarting');
      setTimeout(() => !stopping && launch(), delay).unref();
    });
  };
  launch();
  return {
    stop: () =>
      new Promise<void>((resolve) => {
        stopping = true;
        const c = child;
        if (!c) return resolve();
        c.once('exit', () => resolve());
        c.kill('SIGTERM');
        setTimeout(() => c.kill('SIGKILL'), 5000).unref();
      }),
  };
}
