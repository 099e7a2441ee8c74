import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { parseLabelText } from '../../../lib/api/hosts';
import { formatJoinToken, parseJoinToken } from '../../../lib/wire/join-token';
import { RpcError, RpcPeer } from '../../../lib/wire/rpc';

const methods = { add: { params: z.object({ a: z.number(), b: z.number() }), result: z.object({ sum: z.number() }) } };

/** Two peers wired back to back, as the gateway and an agent are over their WebSocket. */
function pair(slow = false) {
  const wire: string[] = [];
  const peers: { right?: RpcPeer<typeof methods, typeof methods> } = {};
  const left = new RpcPeer((t) => { wire.push(t); void peers.right?.receive(t); }, methods, methods, { add: async ({ a, b }) => ({ sum: a + b }) }, 'l');
  const right = new RpcPeer(
    (t) => { wire.push(t); if (!slow) void left.receive(t); },
    methods,
    methods,
    { add: async ({ a, b }) => { if (a < 0) throw new Error('no negatives'); return { sum: a + b }; } },
    'r',
  );
  peers.right = right;
  return { left, right, wire };
}

describe('RpcPeer', () => {
  it('answers each request with a response of the same id (the acknowledgement)', async () => {
    const { left, wire } = pair();
    expect(await left.call('add', { a: 2, b: 3 })).toEqual({ sum: 5 });
    const [req, res] = wire.map((w) => JSON.parse(w) as { id: string; kind: string });
    expect(req).toMatchObject({ kind: 'request', id: 'l1' });
    expect(res).toMatchObject({ kind: 'response', id: 'l1' });
  });

  it('refuses bad parameters without calling the handler, and reports handler failures', async () => {
    const { left } = pair();
    await expect(left.call('add', { a: 'x', b: 1 } as never)).rejects.toMatchObject({ code: 'invalid_argument' });
    await expect(left.call('add', { a: -1, b: 1 })).rejects.toThrow('no negatives');
  });

  it('rejects malformed frames and times out unanswered calls', async () => {
    const { left, right } = pair(true);
    expect(await right.receive('not json')).toBe(false);
    expect(await right.receive(JSON.stringify({ v: 2, kind: 'request', id: '1', method: 'add', params: {} }))).toBe(false);
    await expect(left.call('add', { a: 1, b: 1 }, 50)).rejects.toBeInstanceOf(RpcError);
    const pending = left.call('add', { a: 1, b: 1 }, 5000);
    left.close('channel closed');
    await expect(pending).rejects.toMatchObject({ code: 'closed' });
  });
});

describe('join tokens', () => {
  it('round-trip and carry the CA fingerprint', () => {
    const parts = { id: 'abcdefghij12', secret: 'A'.repeat(43), caFingerprint: 'f'.repeat(64) };
    expect(parseJoinToken(formatJoinToken(parts))).toEqual(parts);
    expect(parseJoinToken('sbxj1.short.x.y')).toBeNull();
  });
});

describe('label text', () => {
  it('parses k=v lists and refuses parts without a value', () => {
    expect(parseLabelText(' zone=eu-1, tier = gpu ')).toEqual({ zone: 'eu-1', tier: 'gpu' });
    expect(parseLabelText('')).toEqual({});
    expect(() => parseLabelText('zone')).toThrow('expected key=value, got "zone"');
  });
});
