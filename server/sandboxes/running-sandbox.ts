import type { z } from 'zod';
import { AppError, type ErrorCode } from '../../lib/errors';
import type { ControlMethod, controlMethods } from '../../lib/wire/protocol';
import { RpcError } from '../../lib/wire/rpc';
import type { Principal } from '../auth/principal';
import type { ServerContext } from '../context';
import type { Sandbox } from '../db/generated/client';
import { findSandbox } from './sandbox-view';

/** A sandbox the caller may act on and that runs now; otherwise the error says what it is instead. */
export async function findRunningSandbox(deps: Pick<ServerContext, 'db'>, caller: Principal, id: string): Promise<Sandbox> {
  const sandbox = await findSandbox(deps, caller, id);
  if (sandbox.state === 'running') return sandbox;
  if (sandbox.stateReason === 'memory limit exceeded') {
    throw new AppError('memory_limit_exceeded', `Sandbox ${id} failed: memory limit (${sandbox.memoryMiB} MiB) exceeded; create a new one with more memory.`);
  }
  throw new AppError('conflict', `Sandbox ${id} is ${sandbox.state}${sandbox.stateReason ? ` (${sandbox.stateReason})` : ''}; only a running sandbox can do this.`);
}

const CODES: Record<string, ErrorCode> = {
  not_found: 'not_found',
  permission_denied: 'permission_denied',
  invalid_argument: 'invalid_argument',
  conflict: 'conflict',
  disk_full: 'disk_full',
  timeout: 'timeout',
  closed: 'unavailable',
};

/** An agent's refusal in the API's words; the sandbox id is named so the user knows which one. */
export function appErrorOf(error: unknown, sandboxId: string): AppError {
  if (error instanceof AppError) return error;
  // The gateway and the route handlers may load lib/wire/rpc as separate module instances (the
  // console's bundle and the server's own), so the class is recognised by name, not instanceof.
  if (error instanceof RpcError || (error instanceof Error && error.name === 'RpcError' && typeof (error as RpcError).code === 'string')) {
    const code = CODES[(error as RpcError).code] ?? 'unavailable';
    return new AppError(code, `Sandbox ${sandboxId}: ${(error as Error).message}`);
  }
  return new AppError('unavailable', `Sandbox ${sandboxId}: ${(error as Error).message}`);
}

/** Asks the agent of sandbox `sandboxId` for something; its refusal comes back as the API's error. */
export async function askAgent<K extends ControlMethod>(
  deps: Pick<ServerContext, 'agents'>,
  agentId: string,
  sandboxId: string,
  method: K,
  params: z.infer<(typeof controlMethods)[K]['params']>,
  timeoutMs: number,
): Promise<z.infer<(typeof controlMethods)[K]['result']>> {
  try {
    return await deps.agents.call(agentId, method, params, timeoutMs);
  } catch (error) {
    throw appErrorOf(error, sandboxId);
  }
}
