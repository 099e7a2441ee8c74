import type { CommandView, ExecBody } from '../../lib/api/sandboxes';
import { EXEC_WINDOW_BYTES, type ExecOutcome } from '../../lib/wire/protocol';
import { newCommandId } from '../../lib/wire/ids';
import { audited } from '../audit/audited';
import { auditEvent, type RequestMeta } from '../audit/event';
import type { Principal } from '../auth/principal';
import type { ServerContext } from '../context';
import { commandLine } from './command-line';
import { recordingOf } from '../policies/recording';
import { toCommandView } from './command-view';
import type { LiveCommand } from './live-commands';
import { markStopped } from './mark-stopped';
import { appErrorOf, findRunningSandbox } from './running-sandbox';

type Deps = Pick<ServerContext, 'db' | 'ledger' | 'agents' | 'log' | 'commands' | 'policies'>;

/**
 * A command without its own timeout ends with its sandbox at the latest; the channel's wait for it is
 * bounded by the longest a timer can run (about 24.8 days).
 */
const NO_TIMEOUT_MS = 2_147_483_647 - 60_000;

function endState(o: ExecOutcome): string {
  if (o.timedOut) return 'timed_out';
  return o.signal ? 'killed' : 'exited';
}

/**
 * Starts a command in a sandbox. It is recorded (history row and audit event, one transaction)
 * before it runs: if that fails, it does not run. Its output goes to the returned LiveCommand;
 * when it ends, its exit code and duration are recorded and audited.
 */
export async function startCommand(
  deps: Deps,
  caller: Principal,
  id: string,
  body: ExecBody,
  meta: RequestMeta,
): Promise<{ live: LiveCommand; command: CommandView }> {
  const sandbox = await findRunningSandbox(deps, caller, id);
  // Its policy may keep command lines (which can hold secrets) out of the record: the fact, exit and time stay.
  const rec = recordingOf(deps.policies, sandbox.policy);
  const command = rec.commands ? commandLine(body.cmd) : `[command line not recorded: policy "${rec.policy ?? ''}"]`;
  const commandId = newCommandId();
  const target = { type: 'sandbox' as const, id, name: sandbox.image };
  const row = await audited(deps, async (tx, record) => {
    const created = await tx.sandboxCommand.create({
      data: { id: commandId, sandboxId: id, actorName: meta.actor.name, command, background: body.background, state: 'running', startedAt: new Date() },
    });
    await record(auditEvent(meta, { action: 'sandbox.exec', details: { phase: 'start', command, commandId, background: body.background } }, target));
    return created;
  });
  const credit = (bytes: number) => deps.agents.emit(sandbox.agentId, 'exec.credit', { execId: commandId, bytes });
  const live = deps.commands.open(commandId, id, sandbox.agentId, body.background, credit);
  const unsubscribe = deps.agents.onExecOutput(sandbox.agentId, commandId, (stream, data) => live.push({ type: stream, data: data.toString('base64') }));
  const params = { id, execId: commandId, cmd: body.cmd, env: body.env, cwd: body.cwd, timeoutMs: body.timeoutMs, stdin: body.stdin, window: EXEC_WINDOW_BYTES };
  void deps.agents
    .call(sandbox.agentId, 'sandbox.exec', params, body.timeoutMs === undefined ? NO_TIMEOUT_MS : body.timeoutMs + 30_000)
    .then(async (outcome) => {
      // A sandbox that ran out of memory is marked failed before anyone hears of it, so that the
      // next call meets the failed state; otherwise the caller hears the exit at once and its
      // record follows (the start was recorded before it ran).
      if (outcome.memoryLimitExceeded) await markStopped(deps, sandbox.agentId, id, 'memory_limit_exceeded').catch(() => undefined);
      live.finish({ type: 'exit', ...outcome });
      const durationMs = Math.round(outcome.durationMs);
      await audited(deps, async (tx, record) => {
        await tx.sandboxCommand.update({
          where: { id: commandId },
          data: { state: endState(outcome), exitCode: outcome.exitCode, signal: outcome.signal, endedAt: new Date(), durationMs },
        });
        await record(
          auditEvent(
            meta,
            { action: 'sandbox.exec', details: { phase: 'end', command, commandId, exitCode: outcome.exitCode, signal: outcome.signal, timedOut: outcome.timedOut, durationMs } },
            target,
            outcome.exitCode === 0 ? 'success' : 'failure',
          ),
        );
      }).catch((err: unknown) => deps.log.error({ err }, 'could not record the end of a command'));
    })
    .catch(async (err: unknown) => {
      const failure = appErrorOf(err, id);
      await deps.db.sandboxCommand
        .update({ where: { id: commandId }, data: { state: 'failed', endedAt: new Date() } })
        .catch((e: unknown) => deps.log.error({ err: e }, 'could not record a failed command'));
      live.finish({ type: 'error', error: { code: failure.code, message: failure.message } });
    })
    .finally(() => {
      live.endRecorded();
      unsubscribe();
      deps.commands.ended(live, body.background);
    });
  return { live, command: toCommandView(row) };
}
