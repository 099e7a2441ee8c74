import { PassThrough } from 'node:stream';
import type { z } from 'zod';
import type { agentMethods, controlMethods } from '../../lib/wire/protocol';
import type { RpcPeer } from '../../lib/wire/rpc';
import { CreditWindow, chunksOf, type TransferRouter } from '../../lib/wire/transfer';
import type { SandboxManager } from './manager';

type Peer = RpcPeer<typeof agentMethods, typeof controlMethods>;
type Params<K extends keyof typeof controlMethods> = z.infer<(typeof controlMethods)[K]['params']>;

/** The owner name of transfers the control plane opened (the agent has one peer). */
export const CONTROL = 'control';

/**
 * An upload: the control plane's chunks are written on towards the sandbox, and each chunk is
 * credited back only once it has been passed on, so no more than the window waits here.
 */
export function receiveFile(peer: Peer, transfers: TransferRouter, p: Params<'files.write'>, sandboxes: SandboxManager) {
  const source = new PassThrough();
  let aborted: string | null = null;
  const close = transfers.open(p.transferId, CONTROL, {
    chunk: (d) => source.write(d, () => peer.emit('transfer.credit', { transferId: p.transferId, bytes: d.length })),
    end: () => source.end(),
    abort: (reason) => {
      aborted = reason;
      source.end();
    },
  });
  return sandboxes.writeFile(p.id, p.path, source, () => aborted).finally(close);
}

/** A download: the file's bytes go out as chunks, never more than the window ahead of the credit. */
export function sendFile(peer: Peer, transfers: TransferRouter, p: Params<'files.read'>, sandboxes: SandboxManager) {
  const window = new CreditWindow();
  const abort = new AbortController();
  const close = transfers.open(p.transferId, CONTROL, {
    credit: (bytes) => window.release(bytes),
    abort: (reason) => {
      abort.abort();
      window.fail(new Error(reason));
    },
  });
  const send = async (data: Buffer) => {
    for (const piece of chunksOf(data)) {
      await window.acquire(piece.length);
      peer.emit('transfer.chunk', { transferId: p.transferId, data: piece.toString('base64') });
    }
  };
  return sandboxes.readFile(p.id, p.path, send, abort.signal).finally(close);
}
