import { describe, expect, it } from 'vitest';
import { outputBytes, type ExecEvent } from '../../../lib/api/sandboxes';
import { ExecFlows } from '../../../agent/sandboxes/exec-flows';
import { FOLLOWER_QUEUE_CHARS, commandStream } from '../../../server/http/ndjson';
import { LiveCommand } from '../../../server/sandboxes/live-commands';

const out = (bytes: number): ExecEvent & { type: 'stdout' } => ({ type: 'stdout', data: Buffer.alloc(bytes, 1).toString('base64') });

async function readLines(res: Response, n: number): Promise<ExecEvent[]> {
  const reader = (res.body as ReadableStream<Uint8Array>).getReader();
  const lines: ExecEvent[] = [];
  let text = '';
  while (lines.length < n) {
    const { value, done } = await reader.read();
    if (done) break;
    text += new TextDecoder().decode(value);
    while (text.includes('\n')) {
      const [line, rest] = [text.slice(0, text.indexOf('\n')), text.slice(text.indexOf('\n') + 1)];
      text = rest;
      lines.push(JSON.parse(line) as ExecEvent);
    }
  }
  reader.releaseLock();
  return lines;
}

describe('output bytes of an event', () => {
  it('counts the decoded bytes of base64 data', () => {
    for (const n of [0, 1, 2, 3, 4, 65_536, 65_537]) expect(outputBytes(out(n))).toBe(n);
    expect(outputBytes({ type: 'start', commandId: 'x' })).toBe(0);
  });
});

describe('a foreground command', () => {
  it('credits the agent only for what its caller was handed', async () => {
    const credits: number[] = [];
    const live = new LiveCommand('c1', 's1', 'a1', false, (b) => credits.push(b));
    const res = commandStream((l) => live.listen(l, true), { onDelivered: (e) => live.delivered(e) });
    for (let i = 0; i < 16; i++) live.push(out(64 * 1024));
    // Nothing was read yet: nothing is credited, however much arrived.
    await new Promise((r) => setTimeout(r, 10));
    expect(credits).toEqual([]);
    const lines = await readLines(res, 5);
    expect(lines[0]).toMatchObject({ type: 'start', commandId: 'c1' });
    expect(credits).toEqual([256 * 1024]);
    await readLines(res, 12);
    expect(credits.reduce((a, b) => a + b, 0)).toBe(16 * 64 * 1024);
  });
});

describe('a background command', () => {
  it('is credited as its output arrives, and a follower that does not read drops what does not fit', async () => {
    const credits: number[] = [];
    const live = new LiveCommand('c2', 's1', 'a1', true, (b) => credits.push(b));
    const res = commandStream((l) => live.listen(l));
    const chunk = out(512 * 1024);
    const n = Math.ceil(FOLLOWER_QUEUE_CHARS / chunk.data.length) + 4;
    for (let i = 0; i < n; i++) live.push(chunk);
    expect(credits.reduce((a, b) => a + b, 0)).toBe(n * 512 * 1024);
    live.finish({ type: 'exit', exitCode: 0, signal: null, timedOut: false, durationMs: 1, memoryLimitExceeded: false } as ExecEvent);
    const lines = await readLines(res, 1000);
    const kept = lines.filter((e) => e.type === 'stdout').length;
    const dropped = lines.find((e) => e.type === 'dropped');
    expect(kept).toBeLessThan(n);
    expect(dropped).toMatchObject({ type: 'dropped' });
    expect(kept * 512 * 1024 + (dropped as { bytes: number }).bytes).toBe(n * 512 * 1024);
    expect(lines.at(-1)).toMatchObject({ type: 'exit' });
  });
});

describe("the agent's output windows", () => {
  it('shut the gate at the window and open it below half of it', () => {
    const flows = new ExecFlows();
    const flow = flows.open('e1', 1000);
    flow.sent(600);
    expect(flow.gate?.shut).toBe(false);
    flow.sent(400);
    expect(flow.gate?.shut).toBe(true);
    expect(flows.credit({ execId: 'e1', bytes: 400 })).toBe(true);
    expect(flow.gate?.shut).toBe(true);
    flows.credit({ execId: 'e1', bytes: 200 });
    expect(flow.gate?.shut).toBe(false);
    expect(flows.credit({ execId: 'e1', bytes: -5 })).toBe(false);
    expect(flows.credit('nonsense')).toBe(false);
    flow.close();
    expect(flows.size).toBe(0);
  });

  it('hold nothing back for a control plane that sends no window', () => {
    const flow = new ExecFlows().open('e2', undefined);
    expect(flow.gate).toBeUndefined();
  });
});
