import { createCipheriv, createDecipheriv, hash, randomBytes } from 'node:crypto';
import { z } from 'zod';

/**
 * The ciphertext envelope of everything a sandbox leaves on disk (staged uploads, workspace
 * archives, checkpoint images), one per object:
 *
 *   "SBXE" ‖ version (1 byte) ‖ header size H (4 bytes, big-endian) ‖ header JSON padded with
 *   spaces to H bytes ‖ chunks
 *
 * The header names the key-encryption key (KEK) and version that wrapped the object's data key and
 * holds that wrapped key, the chunk size, a random nonce prefix and what the object is. The data is
 * AES-256-GCM under the data key in chunks of `chunk` bytes (64 KiB to 1 MiB; the last may be
 * shorter), each followed by its 16-byte tag, as in the STREAM construction (Hoang, Reyhanitabar,
 * Rogaway, Vizár): chunk i's nonce is prefix (7 bytes) ‖ i (4 bytes, big-endian) ‖ 1 for the last
 * chunk, else 0, and every chunk's associated data is the SHA-256 of the header's fixed part (alg,
 * chunk, prefix, context). So chunks reordered, dropped or cut off after any chunk, a flipped bit,
 * a changed fixed part and a wrong key all fail to decrypt. The key part (KEK, version, wrapped
 * key) sits in the padded header so that rewrapping rewrites the header in place and leaves the
 * data as it is; a wrong key part only yields a key that fails the first chunk.
 */
export const ENVELOPE_MAGIC = Buffer.from('SBXE');
export const ENVELOPE_VERSION = 1;
export const TAG_BYTES = 16;
export const MIN_CHUNK = 64 * 1024;
export const MAX_CHUNK = 1024 * 1024;
/** The default chunk: large enough that per-chunk costs vanish, small enough to stream. */
export const DEFAULT_CHUNK = MAX_CHUNK;
const PREFIX_BYTES = 7;
const MAX_HEADER = 16 * 1024;
/** The header's room: its JSON is about 400 bytes, the rest is padding a rewrap may use. */
export const HEADER_ROOM = 1024;
const LEAD = 9;

const base64 = (bytes: number) => z.string().refine((s) => Buffer.from(s, 'base64').length === bytes && Buffer.from(s, 'base64').toString('base64') === s, `expected ${bytes} bytes in base64`);

/** The envelope's header: which KEK version wrapped the data key, the wrapped key, and the chunking. */
export const EnvelopeHeader = z.strictObject({
  alg: z.literal('A256GCM-STREAM'),
  chunk: z.number().int().min(MIN_CHUNK).max(MAX_CHUNK),
  prefix: base64(PREFIX_BYTES),
  /** The KEK (by id) and its version that wrapped the data key. */
  kek: z.strictObject({ id: z.string().min(1).max(64), version: z.number().int().positive() }),
  /** The data key wrapped by that KEK version (see wrapDataKey). */
  wrappedKey: z.string().min(1).max(512),
  /** What the object is (say, "checkpoint:sbx-…"): bound in, so one object cannot pass for another. */
  context: z.string().max(256),
});
export type EnvelopeHeader = z.infer<typeof EnvelopeHeader>;

/** Why an envelope cannot be opened; `code` says which, the message what to do. */
export class EnvelopeError extends Error {
  override name = 'EnvelopeError';
  constructor(
    readonly code: 'not_envelope' | 'unsupported' | 'bad_header' | 'altered' | 'truncated',
    message: string,
  ) {
    super(message);
  }
}

/** A fresh header for an object (random nonce prefix). */
export function newHeader(kek: { id: string; version: number }, wrappedKey: string, context: string, chunk = DEFAULT_CHUNK): EnvelopeHeader {
  return { alg: 'A256GCM-STREAM', chunk, prefix: randomBytes(PREFIX_BYTES).toString('base64'), kek, wrappedKey, context };
}

/** The bytes that start an envelope: magic, version, size and the padded header (`room` bytes in all). */
export function encodeHeader(header: EnvelopeHeader, room = HEADER_ROOM): Buffer {
  const json = Buffer.from(JSON.stringify(EnvelopeHeader.parse(header)));
  if (LEAD + json.length > room) throw new EnvelopeError('bad_header', `envelope header of ${json.length} bytes does not fit in ${room}`);
  const head = Buffer.alloc(room, 0x20);
  ENVELOPE_MAGIC.copy(head, 0);
  head[4] = ENVELOPE_VERSION;
  head.writeUInt32BE(room - LEAD, 5);
  json.copy(head, LEAD);
  return head;
}

/** The same header region (same size) with another key part: what a rewrap writes over the old one. */
export function rewrapHeader(region: Buffer, kek: { id: string; version: number }, wrappedKey: string): Buffer {
  const decoded = decodeHeader(region);
  if (!decoded) throw new EnvelopeError('truncated', 'the encrypted object is cut off in its header');
  return encodeHeader({ ...decoded.header, kek, wrappedKey }, decoded.end);
}

/** What every chunk is bound to: the header's fixed part, never the key part (which rewrap changes). */
function fixedPart(h: EnvelopeHeader): Buffer {
  return hash('sha256', JSON.stringify([h.alg, h.chunk, h.prefix, h.context]), 'buffer');
}

/**
 * Reads the header at the start of `bytes`: null while more bytes are needed, else the header and
 * where the chunks begin.
 */
export function decodeHeader(bytes: Buffer): { header: EnvelopeHeader; end: number } | null {
  if (bytes.length >= 4 && !bytes.subarray(0, 4).equals(ENVELOPE_MAGIC)) throw new EnvelopeError('not_envelope', 'not an encrypted object (no envelope header)');
  if (bytes.length < LEAD) return null;
  if (bytes[4] !== ENVELOPE_VERSION) throw new EnvelopeError('unsupported', `envelope version ${bytes[4]} is not supported (this build reads version ${ENVELOPE_VERSION})`);
  const length = bytes.readUInt32BE(5);
  if (length > MAX_HEADER) throw new EnvelopeError('bad_header', `envelope header of ${length} bytes (at most ${MAX_HEADER})`);
  if (bytes.length < LEAD + length) return null;
  let json: unknown;
  try {
    json = JSON.parse(bytes.subarray(LEAD, LEAD + length).toString('utf8'));
  } catch {
    throw new EnvelopeError('bad_header', 'envelope header is not JSON (altered)');
  }
  const parsed = EnvelopeHeader.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new EnvelopeError('bad_header', `envelope header: ${issue?.path.join('.') || 'header'}: ${issue?.message}`);
  }
  return { header: parsed.data, end: LEAD + length };
}

/** Seals and opens the chunks of one envelope. */
export class ChunkCipher {
  private readonly aad: Buffer;
  private readonly nonce = Buffer.alloc(12);
  private index = 0;

  constructor(
    private readonly dataKey: Buffer,
    header: EnvelopeHeader,
  ) {
    if (dataKey.length !== 32) throw new RangeError('a data key has 32 bytes');
    Buffer.from(header.prefix, 'base64').copy(this.nonce, 0);
    this.aad = fixedPart(header);
  }

  private next(last: boolean): Buffer {
    if (this.index > 0xffffffff) throw new EnvelopeError('unsupported', 'object too large for one envelope');
    this.nonce.writeUInt32BE(this.index, PREFIX_BYTES);
    this.nonce[11] = last ? 1 : 0;
    this.index += 1;
    return this.nonce;
  }

  /** The next chunk's ciphertext and tag. */
  seal(plain: Uint8Array, last: boolean): Buffer[] {
    const cipher = createCipheriv('aes-256-gcm', this.dataKey, this.next(last));
    cipher.setAAD(this.aad);
    const out = cipher.update(plain);
    cipher.final();
    return [out, cipher.getAuthTag()];
  }

  /** The next chunk's plaintext, from its ciphertext followed by its tag. */
  open(sealed: Buffer, last: boolean): Buffer {
    if (sealed.length < TAG_BYTES) throw new EnvelopeError('truncated', 'the encrypted object is cut off (a chunk has no tag)');
    const decipher = createDecipheriv('aes-256-gcm', this.dataKey, this.next(last));
    decipher.setAAD(this.aad);
    decipher.setAuthTag(sealed.subarray(sealed.length - TAG_BYTES));
    const out = decipher.update(sealed.subarray(0, sealed.length - TAG_BYTES));
    try {
      decipher.final();
    } catch {
      throw new EnvelopeError('altered', `chunk ${this.index - 1} does not authenticate: the object was altered, reordered or cut off, or the key is wrong`);
    }
    return out;
  }
}
