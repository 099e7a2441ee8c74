import { createHash, randomUUID } from 'node:crypto';
import type { FileWritten } from '../../lib/api/files';
import { AppError } from '../../lib/errors';
import { CreditWindow, chunksOf } from '../../lib/wire/transfer';
import type { RequestMeta } from '../audit/event';
import type { Principal } from '../auth/principal';
import type { ServerContext } from '../context';
import { recordFileEnd, recordFileStart } from './file-audit';
import { appErrorOf, findRunningSandbox } from './running-sandbox';

type Deps = Pick<ServerContext, 'db' | 'ledger' | 'agents' | 'log'>;

/** How long one transfer may take end to end. */
export const TRANSFER_TIMEOUT_MS = 6 * 3_600_000;

/**
 * Streams an upload into a file of a sandbox. It is audited before the first byte moves; the bytes
 * go to the agent in chunks under a credit window (never the whole body in memory); the agent
 * replaces the file only when every byte arrived, and its size and SHA-256 must equal ours. The
 * end is audited with both.
 */
export async function writeFile(
  deps: Deps,
  caller: Principal,
  id: string,
  path: string,
  body: ReadableStream<Uint8Array> | null,
  meta: RequestMeta,
): Promise<FileWritten> {
  const sandbox = await findRunningSandbox(deps, caller, id);
  const agentId = sandbox.agentId;
  const target = { type: 'sandbox' as const, id, name: sandbox.image };
  await recordFileStart(deps, meta, target, { op: 'write', path });
  const transferId = randomUUID();
  const window = new CreditWindow();
  const hash = createHash('sha256');
  let size = 0;
  const close = deps.agents.onTransfer(agentId, transferId, {
    credit: (bytes) => window.release(bytes),
    abort: (reason) => window.fail(new AppError('unavailable', `Sandbox ${id}: the upload stopped (${reason}).`)),
  });
  const done = deps.agents.call(agentId, 'files.write', { id, transferId, path }, TRANSFER_TIMEOUT_MS);
  done.catch((err: unknown) => window.fail(appErrorOf(err, id)));
  const reader = body?.getReader();
  try {
    for (;;) {
      const next = reader ? await reader.read() : { done: true as const, value: undefined };
      if (next.done) break;
      for (const piece of chunksOf(Buffer.from(next.value.buffer, next.value.byteOffset, next.value.byteLength))) {
        await window.acquire(piece.length);
        hash.update(piece);
        size += piece.length;
        deps.agents.emit(agentId, 'transfer.chunk', { transferId, data: piece.toString('base64') });
      }
    }
    deps.agents.emit(agentId, 'transfer.end', { transferId });
    const digest = await done;
    const sha256 = hash.digest('hex');
    if (digest.size !== size || digest.sha256 !== sha256) {
      throw new AppError('internal', `Sandbox ${id}: ${path} arrived as ${digest.size} bytes (SHA-256 ${digest.sha256}) but ${size} bytes (SHA-256 ${sha256}) were sent.`);
    }
    await recordFileEnd(deps, meta, target, { op: 'write', path, size, sha256 });
    return { path, size, sha256 };
  } catch (error) {
    // Stop reading the body: its sender learns the outcome from the answer, not by stalling.
    void reader?.cancel().catch(() => undefined);
    deps.agents.emit(agentId, 'transfer.abort', { transferId, reason: 'the upload was interrupted' });
    await done.catch(() => undefined);
    const failure = appErrorOf(error, id);
    await recordFileEnd(deps, meta, target, { op: 'write', path, size, error: failure.message.slice(0, 500) });
    throw failure;
  } finally {
    close();
  }
}
