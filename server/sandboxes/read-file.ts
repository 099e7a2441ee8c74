import { createHash, randomUUID } from 'node:crypto';
import type { FileEntry } from '../../lib/wire/protocol';
import { AppError } from '../../lib/errors';
import type { RequestMeta } from '../audit/event';
import type { Principal } from '../auth/principal';
import type { ServerContext } from '../context';
import { recordFileEnd, recordFileStart } from './file-audit';
import { recordingOf } from '../policies/recording';
import { appErrorOf, askAgent, findRunningSandbox } from './running-sandbox';
import { TRANSFER_TIMEOUT_MS } from './write-file';

type Deps = Pick<ServerContext, 'db' | 'ledger' | 'agents' | 'log' | 'policies'>;

/**
 * Opens a file of a sandbox for download. Refusals (no such file, a directory) come before any
 * byte, as ordinary errors; the read is audited before it starts and again, with size and SHA-256,
 * when the last byte has gone. The bytes flow at the pace the reader takes them: each chunk is
 * credited back to the agent only once the HTTP response has taken it.
 */
export async function readFile(
  deps: Deps,
  caller: Principal,
  id: string,
  path: string,
  meta: RequestMeta,
): Promise<{ entry: FileEntry; stream: ReadableStream<Uint8Array> }> {
  const sandbox = await findRunningSandbox(deps, caller, id);
  const agentId = sandbox.agentId;
  const entry = await askAgent(deps, agentId, id, 'files.stat', { id, path }, 30_000);
  if (entry.type === 'dir') throw new AppError('invalid_argument', `Sandbox ${id}: ${path} is a directory; list it with /files/list.`, 'path');
  const target = { type: 'sandbox' as const, id, name: sandbox.image };
  // Its policy may leave reads out of the record (writes and removals are changes: always recorded).
  const recorded = recordingOf(deps.policies, sandbox.policy).fileAccess;
  if (recorded) await recordFileStart(deps, meta, target, { op: 'read', path });

  const transferId = randomUUID();
  const queue: Buffer[] = [];
  let wake: (() => void) | null = null;
  let outcome: { ok: true } | { ok: false; error: AppError } | null = null;
  const poke = () => {
    wake?.();
    wake = null;
  };
  const close = deps.agents.onTransfer(agentId, transferId, {
    chunk: (data) => {
      queue.push(data);
      poke();
    },
    abort: (reason) => {
      outcome ??= { ok: false, error: new AppError('unavailable', `Sandbox ${id}: the download stopped (${reason}).`) };
      poke();
    },
  });
  const hash = createHash('sha256');
  let size = 0;
  const finish = async (sha256: string | null, error?: string) => {
    close();
    if (recorded) await recordFileEnd(deps, meta, target, sha256 ? { op: 'read', path, size, sha256 } : { op: 'read', path, size, error });
  };
  let digest: { size: number; sha256: string } | null = null;
  deps.agents.call(agentId, 'files.read', { id, transferId, path }, TRANSFER_TIMEOUT_MS).then(
    (d) => {
      digest = d;
      outcome ??= { ok: true };
      poke();
    },
    (err: unknown) => {
      outcome ??= { ok: false, error: appErrorOf(err, id) };
      poke();
    },
  );

  const stream = new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        while (queue.length === 0 && !outcome) await new Promise<void>((resolve) => (wake = resolve));
        const chunk = queue.shift();
        if (chunk) {
          hash.update(chunk);
          size += chunk.length;
          controller.enqueue(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
          deps.agents.emit(agentId, 'transfer.credit', { transferId, bytes: chunk.length });
          return;
        }
        const end = outcome as { ok: true } | { ok: false; error: AppError };
        const d = digest as { size: number; sha256: string } | null;
        const sha256 = hash.digest('hex');
        if (end.ok && d && d.size === size && d.sha256 === sha256) {
          await finish(sha256);
          controller.close();
        } else {
          const message = end.ok ? `Sandbox ${id}: ${path} was sent as ${d?.size ?? '?'} bytes (SHA-256 ${d?.sha256 ?? '?'}) but ${size} (SHA-256 ${sha256}) arrived.` : end.error.message;
          await finish(null, message.slice(0, 500));
          controller.error(new Error(message));
        }
      },
      async cancel() {
        deps.agents.emit(agentId, 'transfer.abort', { transferId, reason: 'the reader went away' });
        await finish(null, 'the reader went away');
      },
    },
    { highWaterMark: 0 },
  );
  return { entry, stream };
}
