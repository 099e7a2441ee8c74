/**
 * Envelope benchmark (`npm run bench:envelope`): encrypt and decrypt throughput of the envelope
 * format (chunked AES-256-GCM, STREAM nonces, in memory and streamed) against raw AES-256-GCM over
 * the same bytes with one cipher, in the same run. BENCH_ENVELOPE_MIB sets the size (default 256).
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { decryptBuffer, decryptStream, encryptBuffer, encryptStream } from '../../lib/envelope/envelope';
import { newHeader } from '../../lib/envelope/format';

const MIB = Number(process.env.BENCH_ENVELOPE_MIB ?? 256);
const ROUNDS = 3;
const plain = randomBytes(MIB * 1048576);
const key = randomBytes(32);
const header = newHeader({ id: 'kek-bench', version: 1 }, 'wrapped-key-placeholder', 'bench');

/** Best of a few rounds, in MiB/s. */
async function rate(run: () => unknown): Promise<number> {
  let best = Infinity;
  for (let i = 0; i < ROUNDS; i++) {
    const t = performance.now();
    await run();
    best = Math.min(best, performance.now() - t);
  }
  return MIB / (best / 1000);
}

const pieces = (b: Buffer, size = 1 << 20) => Array.from({ length: Math.ceil(b.length / size) }, (_, i) => b.subarray(i * size, (i + 1) * size));
const sink = () => new Writable({ write: (_c, _e, done) => done() });

async function main(): Promise<void> {
  const iv = randomBytes(12);
  let rawSealed: Buffer = Buffer.alloc(0);
  let tag: Buffer = Buffer.alloc(0);
  // Raw: one cipher over the same bytes, fed a MiB at a time (faster here than one huge call).
  const rawEncrypt = await rate(() => {
    const c = createCipheriv('aes-256-gcm', key, iv);
    rawSealed = Buffer.concat([...pieces(plain).map((p) => c.update(p)), c.final()]);
    tag = c.getAuthTag();
  });
  const rawDecrypt = await rate(() => {
    const d = createDecipheriv('aes-256-gcm', key, iv);
    d.setAuthTag(tag);
    return Buffer.concat([...pieces(rawSealed).map((p) => d.update(p)), d.final()]);
  });
  let sealed: Buffer = Buffer.alloc(0);
  const envEncrypt = await rate(() => (sealed = encryptBuffer(key, header, plain)));
  const envDecrypt = await rate(() => decryptBuffer(sealed, () => key));
  const streamEncrypt = await rate(() => pipeline(Readable.from(pieces(plain)), encryptStream(key, header), sink()));
  const streamDecrypt = await rate(() => pipeline(Readable.from(pieces(sealed)), decryptStream(() => key), sink()));
  const pct = (a: number, b: number) => `${Math.round((a / b) * 100)} %`;
  const f = (x: number) => `${Math.round(x).toLocaleString('en')} MiB/s`;
  console.log(`${MIB} MiB, best of ${ROUNDS}, one core:`);
  console.log(`  raw AES-256-GCM, one cipher: encrypt ${f(rawEncrypt)}, decrypt ${f(rawDecrypt)}`);
  console.log(`  envelope in memory:          encrypt ${f(envEncrypt)} (${pct(envEncrypt, rawEncrypt)} of raw), decrypt ${f(envDecrypt)} (${pct(envDecrypt, rawDecrypt)})`);
  console.log(`  envelope streamed (1 MiB):   encrypt ${f(streamEncrypt)} (${pct(streamEncrypt, rawEncrypt)} of raw), decrypt ${f(streamDecrypt)} (${pct(streamDecrypt, rawDecrypt)})`);
}

void main();
