import { describe, expect, it } from 'vitest';
import { CreditWindow, TransferRouter, chunksOf } from '../../../lib/wire/transfer';

describe('transfer router', () => {
  it('hands events only to the transfer they name, and only from the agent it was opened for', () => {
    const router = new TransferRouter();
    const got: string[] = [];
    const close = router.open('t1', 'agent-a', { chunk: (d) => got.push(d.toString()), end: () => got.push('end'), credit: (n) => got.push(`+${n}`) });
    expect(router.dispatch('transfer.chunk', { transferId: 't1', data: Buffer.from('hi').toString('base64') }, 'agent-a')).toBe(true);
    // Another agent cannot inject bytes into this transfer, nor can a malformed event.
    expect(router.dispatch('transfer.chunk', { transferId: 't1', data: Buffer.from('evil').toString('base64') }, 'agent-b')).toBe(true);
    expect(router.dispatch('transfer.credit', { transferId: 't1', bytes: -5 }, 'agent-a')).toBe(true);
    router.dispatch('transfer.credit', { transferId: 't1', bytes: 5 }, 'agent-a');
    router.dispatch('transfer.end', { transferId: 't1' }, 'agent-a');
    expect(router.dispatch('exec.output', {}, 'agent-a')).toBe(false);
    close();
    router.dispatch('transfer.chunk', { transferId: 't1', data: 'aGk=' }, 'agent-a');
    expect(got).toEqual(['hi', '+5', 'end']);
  });

  it('abortAll tells only the transfers of the agent whose channel closed', () => {
    const router = new TransferRouter();
    const aborted: string[] = [];
    router.open('a', 'agent-a', { abort: (r) => aborted.push(`a:${r}`) });
    router.open('b', 'agent-b', { abort: (r) => aborted.push(`b:${r}`) });
    router.abortAll('gone', 'agent-a');
    expect(aborted).toEqual(['a:gone']);
  });
});

describe('credit window', () => {
  it('lets no more than the window go unacknowledged, and fails waiting senders', async () => {
    const w = new CreditWindow(10);
    await w.acquire(6);
    let second = false;
    const p = w.acquire(6).then(() => (second = true));
    await new Promise((r) => setTimeout(r, 10));
    expect(second).toBe(false);
    w.release(6);
    await p;
    expect(second).toBe(true);
    const third = w.acquire(6);
    w.fail(new Error('closed'));
    await expect(third).rejects.toThrow('closed');
  });

  it('splits into chunks no larger than asked', () => {
    expect([...chunksOf(Buffer.alloc(10), 4)].map((c) => c.length)).toEqual([4, 4, 2]);
  });
});
