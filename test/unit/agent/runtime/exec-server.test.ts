import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ExecServer, MAX_LINE_BYTES } from '../../../../agent/runtime/exec-server';

// The command server runs as the sandbox's user: whatever it writes is the sandbox's to choose.
// A stand-in for `runsc exec` plays such a server here: it says ready, waits for the first
// command and then writes what the case gives, byte for byte.
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sbx-exec-server-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

let n = 0;
function serverSaying(output: string | Buffer): { server: ExecServer; faults: string[] } {
  const file = path.join(dir, `out-${++n}`);
  fs.writeFileSync(file, output);
  const runsc = path.join(dir, `runsc-${n}`);
  fs.writeFileSync(runsc, `#!/bin/sh\nprintf '{"ev":"ready"}\\n'\nread line\ncat '${file}'\nexec sleep 30\n`, { mode: 0o755 });
  const faults: string[] = [];
  const server = new ExecServer({ runsc, runscArgs: [], user: '1000:1000', sandboxId: 'sbx-aaaaaaaaaaaaaaaaaaaa', onFault: (r) => faults.push(r) });
  return { server, faults };
}

async function runOnce(output: string | Buffer) {
  const { server, faults } = serverSaying(output);
  expect(await server.ready).toBe(true);
  const out: string[] = [];
  try {
    const result = await server.exec({ cmd: ['true'], onStdout: (d) => out.push(d.toString()) }, () => false);
    return { result, faults, out, usable: server.usable({ cmd: ['true'] }, '1000:1000') };
  } finally {
    server.close();
  }
}

describe('the agent end of a command server that lies', () => {
  it('takes a well-formed answer as it is', async () => {
    const r = await runOnce(`{"id":"1","ev":"out","fd":1,"data":"${Buffer.from('hi\n').toString('base64')}"}\n{"id":"1","ev":"exit","code":3}\n`);
    expect(r.result).toMatchObject({ exitCode: 3, signal: null });
    expect(r.out).toEqual(['hi\n']);
    expect(r.faults).toEqual([]);
    expect(r.usable).toBe(true);
  });

  it.each([
    ['NaN where a message goes', '{"id":"1","ev":"error","message":NaN}\n', /not JSON/],
    ['a line that is not JSON', 'hello\n', /not JSON/],
    ['an exit code out of range', '{"id":"1","ev":"exit","code":1e9}\n', /code/],
    ['a signal that is no number', '{"id":"1","ev":"exit","signal":"9"}\n', /protocol/],
    ['an event the protocol does not have', '{"id":"1","ev":"own","x":1}\n', /protocol/],
    ['an id that is no id of ours', '{"id":"../x","ev":"exit","code":0}\n', /id/],
    ['output that is not base64', '{"id":"1","ev":"out","fd":1,"data":"**"}\n', /data/],
    ['ready said twice', '{"ev":"ready"}\n', /ready twice/],
    ['an array', '[1,2,3]\n', /protocol/],
    ['a line longer than the limit', `${'x'.repeat(MAX_LINE_BYTES + 10)}\n`, /line of/],
    ['bytes without end and no line break', Buffer.alloc(MAX_LINE_BYTES * 3, 0x41), /without a line break/],
  ])('ends the server on %s, reports the command killed, and never throws', async (_what, output, reason) => {
    const r = await runOnce(output);
    expect(r.result).toMatchObject({ exitCode: null, signal: 'SIGKILL' });
    expect(r.faults).toHaveLength(1);
    expect(r.faults[0]).toMatch(reason);
    // From now on commands of this sandbox go by `runsc exec`.
    expect(r.usable).toBe(false);
  });

  it('ignores events of commands that already ended (a kill racing an exit)', async () => {
    const r = await runOnce('{"id":"77","ev":"exit","code":0}\n{"id":"1","ev":"exit","signal":9}\n');
    expect(r.result).toMatchObject({ exitCode: null, signal: 'SIGKILL' });
    expect(r.faults).toEqual([]);
  });
});
