import { randomUUID } from 'node:crypto';
import type { ExecBody, ExecEvent } from '../../lib/api/sandboxes';
import { AppError } from '../../lib/errors';
import { audited } from '../audit/audited';
import { auditEvent, type RequestMeta } from '../audit/event';
import type { Principal } from '../auth/principal';
import type { ServerContext } from '../context';
import { findSandbox } from './sandbox-view';
import { markStopped } from './mark-stopped';

type Deps = Pick<ServerContext, 'db' | 'auditLock' | 'agents' | 'log'>;

/** How a command line is recorded: quoted where needed, at most 2,000 characters (never its output). */
export function commandLine(cmd: readonly string[]): string {
  const line = cmd.map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`)).join(' ');
  return line.length > 2000 ? `${line.slice(0, 2000)}…` : line;
}

/**
 * Runs a command in a sandbox and streams its output to `emit` as it comes. The command is audited
 * before it runs (if that fails it does not run) and again with its exit code and duration.
 */
export async function execInSandbox(
  deps: Deps,
  caller: Principal,
  id: string,
  body: ExecBody,
  meta: RequestMeta,
  emit: (e: ExecEvent) => void,
): Promise<void> {
  const sandbox = await findSandbox(deps, caller, id);
  if (sandbox.state !== 'running') throw new AppError('conflict', `Sandbox ${id} is ${sandbox.state}${sandbox.stateReason ? ` (${sandbox.stateReason})` : ''}; commands run only in a running sandbox.`);
  const command = commandLine(body.cmd);
  const target = { type: 'sandbox' as const, id, name: sandbox.image };
  await audited(deps, (_tx, record) => record(auditEvent(meta, { action: 'sandbox.exec', details: { phase: 'start', command } }, target)));
  const execId = randomUUID();
  const unsubscribe = deps.agents.onExecOutput(sandbox.agentId, execId, (stream, data) => emit({ type: stream, data: data.toString('base64') }));
  try {
    const outcome = await deps.agents.call(
      sandbox.agentId,
      'sandbox.exec',
      { id, execId, cmd: body.cmd, env: body.env, cwd: body.cwd, timeoutMs: body.timeoutMs, stdin: body.stdin },
      (body.timeoutMs ?? 3_600_000) + 30_000,
    );
    await audited(deps, (_tx, record) =>
      record(
        auditEvent(
          meta,
          { action: 'sandbox.exec', details: { phase: 'end', command, exitCode: outcome.exitCode, signal: outcome.signal, timedOut: outcome.timedOut, durationMs: Math.round(outcome.durationMs) } },
          target,
          outcome.exitCode === 0 ? 'success' : 'failure',
        ),
      ),
    ).catch((err: unknown) => deps.log.error({ err }, 'could not record the end of a command'));
    if (outcome.memoryLimitExceeded) await markStopped(deps, sandbox.agentId, id, 'memory_limit_exceeded');
    emit({ type: 'exit', ...outcome });
  } finally {
    unsubscribe();
  }
}
