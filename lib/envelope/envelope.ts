import { Transform, type TransformCallback } from 'node:stream';
import { ChunkCipher, decodeHeader, encodeHeader, EnvelopeError, TAG_BYTES, type EnvelopeHeader } from './format';

/**
 * Encrypts a stream into one envelope (see format.ts) under `dataKey`. A chunk is sealed only once
 * more data follows it, so the last one (marked as such in its nonce) is known at the end.
 */
export function encryptStream(dataKey: Buffer, header: EnvelopeHeader): Transform {
  const encoded = encodeHeader(header);
  const cipher = new ChunkCipher(dataKey, header);
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  let started = false;
  const take = (bytes: number): Buffer => {
    const all = pending.length === 1 ? (pending[0] as Buffer) : Buffer.concat(pending, pendingBytes);
    pending = pendingBytes > bytes ? [all.subarray(bytes)] : [];
    pendingBytes -= bytes;
    return all.subarray(0, bytes);
  };
  return new Transform({
    transform(data: Buffer, _enc, done: TransformCallback) {
      if (!started) {
        this.push(encoded);
        started = true;
      }
      pending.push(data);
      pendingBytes += data.length;
      while (pendingBytes > header.chunk) for (const part of cipher.seal(take(header.chunk), false)) this.push(part);
      done();
    },
    flush(done: TransformCallback) {
      if (!started) this.push(encoded);
      for (const part of cipher.seal(take(pendingBytes), true)) this.push(part);
      done();
    },
  });
}

/**
 * Decrypts one envelope. `keyFor` gets the header (which KEK version wrapped the data key, and the
 * wrapped key) and returns the data key, or throws. Emits plaintext only of chunks that
 * authenticated; fails with an EnvelopeError when the object was altered, reordered, cut off or
 * the key is wrong, and on bytes past the last chunk.
 */
export function decryptStream(keyFor: (header: EnvelopeHeader) => Promise<Buffer> | Buffer, onHeader?: (header: EnvelopeHeader) => void): Transform {
  let head: Buffer[] = [];
  let cipher: ChunkCipher | null = null;
  let sealedChunk = 0;
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  const open = (t: Transform, last: boolean) => {
    const all = pending.length === 1 ? (pending[0] as Buffer) : Buffer.concat(pending, pendingBytes);
    const size = last ? pendingBytes : sealedChunk;
    const plain = (cipher as ChunkCipher).open(all.subarray(0, size), last);
    pending = size < pendingBytes ? [all.subarray(size)] : [];
    pendingBytes -= size;
    t.push(plain);
  };
  return new Transform({
    transform(data: Buffer, _enc, done: TransformCallback) {
      void (async () => {
        if (!cipher) {
          head.push(data);
          const bytes = Buffer.concat(head);
          const decoded = decodeHeader(bytes);
          if (!decoded) return;
          head = [];
          onHeader?.(decoded.header);
          cipher = new ChunkCipher(await keyFor(decoded.header), decoded.header);
          sealedChunk = decoded.header.chunk + TAG_BYTES;
          data = bytes.subarray(decoded.end);
        }
        pending.push(data);
        pendingBytes += data.length;
        // A full chunk with more after it is not the last one.
        while (pendingBytes > sealedChunk) open(this, false);
      })().then(() => done(), (error: unknown) => done(error as Error));
    },
    flush(done: TransformCallback) {
      try {
        if (!cipher) throw head.length === 0 ? new EnvelopeError('truncated', 'the encrypted object is empty') : decodeHeader(Buffer.concat(head)) === null ? new EnvelopeError('truncated', 'the encrypted object is cut off in its header') : new EnvelopeError('truncated', 'the encrypted object has no chunks');
        open(this, true);
        done();
      } catch (error) {
        done(error as Error);
      }
    },
  });
}

/** Encrypts a whole buffer into one envelope (small objects). */
export function encryptBuffer(dataKey: Buffer, header: EnvelopeHeader, plain: Buffer): Buffer {
  const cipher = new ChunkCipher(dataKey, header);
  const parts: Buffer[] = [encodeHeader(header)];
  let at = 0;
  do {
    const end = Math.min(at + header.chunk, plain.length);
    parts.push(...cipher.seal(plain.subarray(at, end), end === plain.length));
    at = end;
  } while (at < plain.length);
  return Buffer.concat(parts);
}

/** Decrypts a whole envelope held in memory (small objects). */
export async function decryptBuffer(sealed: Buffer, keyFor: (header: EnvelopeHeader) => Promise<Buffer> | Buffer): Promise<Buffer> {
  const decoded = decodeHeader(sealed);
  if (!decoded) throw new EnvelopeError('truncated', 'the encrypted object is cut off in its header');
  const cipher = new ChunkCipher(await keyFor(decoded.header), decoded.header);
  const size = decoded.header.chunk + TAG_BYTES;
  const parts: Buffer[] = [];
  for (let at = decoded.end; ; at += size) {
    const last = sealed.length - at <= size;
    parts.push(cipher.open(sealed.subarray(at, Math.min(at + size, sealed.length)), last));
    if (last) break;
  }
  return Buffer.concat(parts);
}
