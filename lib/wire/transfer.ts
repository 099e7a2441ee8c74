import { z } from 'zod';

/**
 * Streamed file transfers over the agent channel. The bytes travel as events (base64 chunks) tied
 * to a transfer id; the receiver grants credit as it passes bytes on, and the sender never has
 * more than {@link TRANSFER_WINDOW_BYTES} unacknowledged. So a 100 MB upload or download moves
 * through the control plane and the agent without either holding more than the window.
 */
export const TRANSFER_CHUNK_BYTES = 256 * 1024;
export const TRANSFER_WINDOW_BYTES = 4 * 1024 * 1024;

const TransferId = z.string().min(1).max(64);

/** Bytes of one transfer (base64). */
export const TransferChunk = z.object({ transferId: TransferId, data: z.string().max(Math.ceil(TRANSFER_CHUNK_BYTES / 3) * 4 + 4) });
/** The sender has sent every byte. */
export const TransferEnd = z.object({ transferId: TransferId });
/** Either side gives up; the other discards what it has. */
export const TransferAbort = z.object({ transferId: TransferId, reason: z.string().max(500) });
/** The receiver passed this many bytes on; the sender may send as many more. */
export const TransferCredit = z.object({ transferId: TransferId, bytes: z.number().int().positive() });

export type TransferHandlers = {
  chunk?: (data: Buffer) => void;
  end?: () => void;
  abort?: (reason: string) => void;
  credit?: (bytes: number) => void;
};

/**
 * Routes transfer events to the open transfer they name. On the control plane one router serves
 * every agent: a transfer is opened for one agent (`owner`) and events from any other are ignored.
 */
export class TransferRouter {
  private readonly open_ = new Map<string, { owner: string; handlers: TransferHandlers }>();

  /** Starts receiving the events of `transferId`; the returned function stops it. */
  open(transferId: string, owner: string, handlers: TransferHandlers): () => void {
    this.open_.set(transferId, { owner, handlers });
    return () => {
      if (this.open_.get(transferId)?.handlers === handlers) this.open_.delete(transferId);
    };
  }

  /** Tells every open transfer (of `owner`, when given) that it is over: the channel closed. */
  abortAll(reason: string, owner?: string): void {
    for (const [id, t] of [...this.open_.entries()]) {
      if (owner !== undefined && t.owner !== owner) continue;
      this.open_.delete(id);
      t.handlers.abort?.(reason);
    }
  }

  /** Hands an event on; false when the topic is not a transfer's. Malformed or foreign events are dropped. */
  dispatch(topic: string, payload: unknown, from: string): boolean {
    const schema = { 'transfer.chunk': TransferChunk, 'transfer.end': TransferEnd, 'transfer.abort': TransferAbort, 'transfer.credit': TransferCredit }[topic];
    if (!schema) return false;
    const parsed = schema.safeParse(payload);
    if (!parsed.success) return true;
    const t = this.open_.get(parsed.data.transferId);
    if (!t || t.owner !== from) return true;
    const d = parsed.data as { data?: string; reason?: string; bytes?: number };
    if (topic === 'transfer.chunk') t.handlers.chunk?.(Buffer.from(d.data ?? '', 'base64'));
    else if (topic === 'transfer.end') t.handlers.end?.();
    else if (topic === 'transfer.abort') t.handlers.abort?.(d.reason ?? 'aborted');
    else t.handlers.credit?.(d.bytes ?? 0);
    return true;
  }
}

/**
 * The sender's side of the credit window: `acquire` waits until the bytes fit (one chunk always
 * may go when nothing is outstanding); `release` is called with the receiver's credit.
 */
export class CreditWindow {
  private outstanding = 0;
  private waiters: (() => void)[] = [];
  private failure: Error | null = null;

  constructor(private readonly size = TRANSFER_WINDOW_BYTES) {}

  async acquire(bytes: number): Promise<void> {
    while (!this.failure && this.outstanding > 0 && this.outstanding + bytes > this.size) {
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
    if (this.failure) throw this.failure;
    this.outstanding += bytes;
  }

  release(bytes: number): void {
    this.outstanding = Math.max(0, this.outstanding - bytes);
    this.wake();
  }

  /** Ends every wait with `error` (the transfer failed on the other side, or the channel closed). */
  fail(error: Error): void {
    this.failure ??= error;
    this.wake();
  }

  private wake(): void {
    for (const w of this.waiters.splice(0)) w();
  }
}

/** Splits a buffer into pieces of at most one chunk. */
export function* chunksOf(data: Buffer, size = TRANSFER_CHUNK_BYTES): Generator<Buffer> {
  for (let i = 0; i < data.length; i += size) yield data.subarray(i, i + size);
}
