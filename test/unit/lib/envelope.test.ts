import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { describe, expect, it } from 'vitest';
import { decryptBuffer, decryptStream, encryptBuffer, encryptStream } from '../../../lib/envelope/envelope';
import { decodeHeader, HEADER_ROOM, MIN_CHUNK, newHeader, rewrapHeader, TAG_BYTES, type EnvelopeHeader } from '../../../lib/envelope/format';
import { unwrapDataKey, wrapDataKey } from '../../../lib/envelope/wrap';

const kek = randomBytes(32);
const ref = { id: 'kek-team-a', version: 3 };
const dataKey = randomBytes(32);
const bound = { context: 'checkpoint:sbx-test', host: 'agent-1' };
const header = (chunk = MIN_CHUNK) => newHeader(ref, wrapDataKey(kek, ref, bound, dataKey), 'checkpoint:sbx-test', chunk);
const keyOf = (h: EnvelopeHeader) => {
  const k = unwrapDataKey(kek, h.kek, bound, h.wrappedKey);
  if (!k) throw new Error('cannot unwrap');
  return k;
};

/** Streams `bytes` through `t` in pieces of `piece` bytes. */
async function through(t: NodeJS.ReadWriteStream, bytes: Buffer, piece = 10_007): Promise<Buffer> {
  const pieces = Array.from({ length: Math.ceil(bytes.length / piece) }, (_, i) => bytes.subarray(i * piece, (i + 1) * piece));
  const out: Buffer[] = [];
  await pipeline(Readable.from(pieces), t, async (source: AsyncIterable<Buffer | string>) => {
    for await (const c of source) out.push(Buffer.from(c));
  });
  return Buffer.concat(out);
}

const sealed = (plain: Buffer) => encryptBuffer(dataKey, header(), plain);
const open = (bytes: Buffer) => decryptBuffer(bytes, keyOf);
const chunkAt = (i: number) => HEADER_ROOM + i * (MIN_CHUNK + TAG_BYTES);

describe('the envelope format', () => {
  it('round-trips every size, streamed and in memory, the two writing the same layout', async () => {
    for (const size of [0, 1, MIN_CHUNK - 1, MIN_CHUNK, MIN_CHUNK + 1, 3 * MIN_CHUNK + 5]) {
      const plain = randomBytes(size);
      const h = header();
      const inMemory = encryptBuffer(dataKey, h, plain);
      const streamed = await through(encryptStream(dataKey, h), plain);
      expect(streamed.equals(inMemory)).toBe(true);
      expect(inMemory.length).toBe(HEADER_ROOM + size + Math.max(1, Math.ceil(size / MIN_CHUNK)) * TAG_BYTES);
      expect((await open(inMemory)).equals(plain)).toBe(true);
      expect((await through(decryptStream(keyOf), inMemory, 4099)).equals(plain)).toBe(true);
    }
  });

  it('holds no plaintext', () => {
    const marker = Buffer.from('SBX-MARKER-7f3a9c'.repeat(10_000));
    expect(sealed(marker).includes(Buffer.from('SBX-MARKER-7f3a9c'))).toBe(false);
  });

  it('detects a flipped bit in data or tag, chunks swapped, and a changed fixed header', async () => {
    const bytes = sealed(randomBytes(3 * MIN_CHUNK));
    const flipped = Buffer.from(bytes);
    flipped[chunkAt(1) + 100] = (flipped[chunkAt(1) + 100] as number) ^ 1;
    await expect(open(flipped)).rejects.toMatchObject({ code: 'altered', message: expect.stringMatching(/^chunk 1 does not authenticate/) });
    const tag = Buffer.from(bytes);
    tag[chunkAt(1) - 1] = (tag[chunkAt(1) - 1] as number) ^ 0x80;
    await expect(open(tag)).rejects.toMatchObject({ code: 'altered' });
    const swapped = Buffer.concat([bytes.subarray(0, chunkAt(0)), bytes.subarray(chunkAt(1), chunkAt(2)), bytes.subarray(chunkAt(0), chunkAt(1)), bytes.subarray(chunkAt(2))]);
    await expect(open(swapped)).rejects.toMatchObject({ code: 'altered', message: expect.stringMatching(/^chunk 0 /) });
    const context = Buffer.from(bytes);
    context.write(JSON.stringify(decodeHeader(bytes)?.header).replace('checkpoint:sbx-test', 'checkpoint:sbx-tesu'), 9);
    await expect(open(context)).rejects.toMatchObject({ code: 'altered' });
    await expect(through(decryptStream(keyOf), flipped)).rejects.toMatchObject({ code: 'altered' });
  });

  it('detects truncation after any chunk, inside a chunk, in the header, and bytes added at the end', async () => {
    const bytes = sealed(randomBytes(3 * MIN_CHUNK));
    // Cut after a chunk, the last one left fails as not the last; cut inside one, its tag is gone.
    const cutOff = { code: expect.stringMatching(/^(altered|truncated)$/), message: expect.stringMatching(/cut off/) };
    for (const cut of [chunkAt(1), chunkAt(2), chunkAt(2) + 7, bytes.length - 1]) {
      await expect(open(bytes.subarray(0, cut))).rejects.toMatchObject(cutOff);
      await expect(through(decryptStream(keyOf), bytes.subarray(0, cut))).rejects.toMatchObject(cutOff);
    }
    await expect(through(decryptStream(keyOf), bytes.subarray(0, chunkAt(0)))).rejects.toMatchObject({ code: 'truncated' });
    await expect(through(decryptStream(keyOf), bytes.subarray(0, 500))).rejects.toMatchObject({ code: 'truncated', message: 'the encrypted object is cut off in its header' });
    await expect(open(Buffer.concat([bytes, Buffer.from('x')]))).rejects.toMatchObject({ code: 'altered' });
    await expect(through(decryptStream(keyOf), Buffer.concat([bytes, randomBytes(MIN_CHUNK + 100)]))).rejects.toMatchObject({ code: 'altered' });
  });

  it('refuses a wrong data key, something not an envelope, and another version', async () => {
    const bytes = sealed(Buffer.from('secret'));
    await expect(decryptBuffer(bytes, () => randomBytes(32))).rejects.toMatchObject({ code: 'altered', message: expect.stringMatching(/or the key is wrong$/) });
    await expect(open(Buffer.from('plain text, not encrypted'))).rejects.toMatchObject({ code: 'not_envelope' });
    const v2 = Buffer.from(bytes);
    v2[4] = 2;
    await expect(open(v2)).rejects.toMatchObject({ code: 'unsupported' });
  });

  it('is rewrapped by rewriting its header in place: the data stays byte for byte', async () => {
    const plain = randomBytes(2 * MIN_CHUNK);
    const bytes = sealed(plain);
    const next = { id: ref.id, version: 4 };
    const newKek = randomBytes(32);
    const region = rewrapHeader(bytes.subarray(0, HEADER_ROOM), next, wrapDataKey(newKek, next, bound, dataKey));
    expect(region.length).toBe(HEADER_ROOM);
    const rewrapped = Buffer.concat([region, bytes.subarray(HEADER_ROOM)]);
    expect(rewrapped.subarray(HEADER_ROOM).equals(bytes.subarray(HEADER_ROOM))).toBe(true);
    expect(decodeHeader(rewrapped)?.header.kek).toEqual(next);
    const key = (h: EnvelopeHeader) => unwrapDataKey(newKek, h.kek, bound, h.wrappedKey) ?? Buffer.alloc(32);
    expect((await decryptBuffer(rewrapped, key)).equals(plain)).toBe(true);
  });
});

describe('data key wrapping', () => {
  it('unwraps only with the KEK version that wrapped it', () => {
    const wrapped = wrapDataKey(kek, ref, bound, dataKey);
    expect(unwrapDataKey(kek, ref, bound, wrapped)?.equals(dataKey)).toBe(true);
    expect(unwrapDataKey(randomBytes(32), ref, bound, wrapped)).toBeNull();
    expect(unwrapDataKey(kek, { ...ref, version: 2 }, bound, wrapped)).toBeNull();
    expect(unwrapDataKey(kek, { ...ref, id: 'kek-team-b' }, bound, wrapped)).toBeNull();
    expect(unwrapDataKey(kek, ref, bound, 'AAAA')).toBeNull();
  });

  it('unwraps only for the object and the host it was issued for', () => {
    const wrapped = wrapDataKey(kek, ref, bound, dataKey);
    expect(unwrapDataKey(kek, ref, { ...bound, context: 'checkpoint:sbx-other:pages' }, wrapped)).toBeNull();
    expect(unwrapDataKey(kek, ref, { ...bound, host: 'agent-2' }, wrapped)).toBeNull();
    expect(unwrapDataKey(kek, ref, { ...bound }, wrapped)?.equals(dataKey)).toBe(true);
  });
});
