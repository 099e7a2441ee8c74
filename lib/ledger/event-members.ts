import { promisify } from 'node:util';
import zlib from 'node:zlib';

/**
 * events.jsonl.gz is written as a series of gzip members (RFC 1952 allows several; any gunzip reads
 * them as one file). Each member's header carries an extra field, `SX`, with the member's size in
 * bytes and how many lines it holds, so a verifier can hand whole members to threads without
 * decompressing anything first (the idea of BGZF). The field is only a hint for splitting the
 * work: every line is still held to its position and its leaf, and a line count that does not match
 * is a problem like any other.
 */
export const MEMBER_LINES = 16_384;

/** Bytes before a member's deflate data: the gzip header with FEXTRA and the SX field. */
export const MEMBER_HEADER = 24;
const HEADER = MEMBER_HEADER;
const PLAIN_HEADER = 10;
const gzip = promisify(zlib.gzip);

/** A member as found in the bytes: its size and the lines it says it holds. */
export type MemberHead = { bytes: number; lines: number };

/** Compresses whole lines (`count` of them) into one member (on the thread pool). */
export async function gzipMember(lines: Buffer, count: number): Promise<Buffer> {
  const gz = await gzip(lines, { level: 6 });
  const member = Buffer.allocUnsafe(gz.length - PLAIN_HEADER + HEADER);
  // ID1 ID2 CM, FLG = FEXTRA, MTIME 0, XFL 0, OS unknown; XLEN 12; SI1 SI2 'SX', LEN 8.
  member.set([0x1f, 0x8b, 8, 4, 0, 0, 0, 0, 0, 255, 12, 0, 0x53, 0x58, 8, 0], 0);
  member.writeUInt32LE(member.length, 16);
  member.writeUInt32LE(count, 20);
  // zlib's deflate data, CRC-32 and size follow its plain 10-byte header unchanged.
  gz.copy(member, HEADER, PLAIN_HEADER);
  return member;
}

/** The member starting at `at`, if the MEMBER_HEADER bytes there are the header of one. */
export function memberHead(buf: Uint8Array, at: number): MemberHead | null {
  if (buf.length - at < HEADER) return null;
  const b = Buffer.from(buf.buffer, buf.byteOffset + at, HEADER);
  if (b[0] !== 0x1f || b[1] !== 0x8b || b[2] !== 8 || b[3] !== 4 || b.readUInt16LE(10) !== 12 || b[12] !== 0x53 || b[13] !== 0x58 || b.readUInt16LE(14) !== 8) return null;
  const bytes = b.readUInt32LE(16);
  // The smallest member: the header, an empty deflate block and the 8-byte trailer.
  return bytes >= HEADER + 10 ? { bytes, lines: b.readUInt32LE(20) } : null;
}
