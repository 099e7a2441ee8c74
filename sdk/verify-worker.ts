/**
 * A worker thread of `verifyBundleFile`: checks members of events.jsonl.gz and the tree against the
 * leaves it was started with (shared, not copied), and answers each task by its id.
 */
import { parentPort, workerData } from 'node:worker_threads';
import zlib from 'node:zlib';
import { checkEvents, type EventsChecked } from '../lib/ledger/check-events';
import { verifyTree } from '../lib/ledger/log-verifier';
import type { VerifyTask } from './verify-pool';

const leaves = new Uint8Array((workerData as { leaves: SharedArrayBuffer }).leaves);

/** A member's lines checked, and held to the count its header gives. */
function checkMember(member: Uint8Array, first: number, lines: number): EventsChecked | 'unreadable' {
  let text: Buffer;
  try {
    // The trailer gives the size (mod 2^32): one output buffer, no joining of pieces.
    const size = member.length >= 4 ? Buffer.from(member.buffer, member.byteOffset, member.length).readUInt32LE(member.length - 4) : 0;
    text = zlib.gunzipSync(member, { chunkSize: Math.max(64 * 1024, size + 1) });
  } catch {
    return 'unreadable';
  }
  const r = checkEvents(text, first, leaves);
  if (r.problem || r.lines === lines) return r;
  const missing = first + Math.min(r.lines, lines);
  return { lines: r.lines, problem: { seq: missing, reason: `event ${missing}: missing here (a member of events.jsonl holds ${r.lines} events where its header says ${lines})` } };
}

parentPort?.on('message', (task: VerifyTask) => {
  if (task.kind === 'member') parentPort?.postMessage({ id: task.id, result: checkMember(task.member, task.first, task.lines) });
  else parentPort?.postMessage({ id: task.id, result: verifyTree({ ...task.input, leaves }) });
});
