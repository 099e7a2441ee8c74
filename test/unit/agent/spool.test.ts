import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { AuditSpool } from '../../../agent/audit/spool';
import type { AgentAuditEvent } from '../../../lib/wire/protocol';

const log = pino({ level: 'silent' });
const dirs: string[] = [];
const tmp = () => {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'sbx-spool-'));
  dirs.push(d);
  return path.join(d, 'spool');
};
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

const decision = (i: number): AgentAuditEvent => ({
  type: 'egress',
  decision: { sandboxId: 'sbx-aaaaaaaaaaaaaaaaaaaa', kind: 'dns', verdict: 'denied', reason: 'no_rule', name: `n${i}.test`, count: 1, firstAt: '2026-11-28T10:00:00.000Z', lastAt: '2026-11-28T10:00:00.000Z' },
});

describe('the agent audit spool', () => {
  it('numbers events from 1 without gaps, reads back only what is on disk, and keeps numbering across reopen', () => {
    const dir = tmp();
    const spool = AuditSpool.open(dir, log);
    spool.append([decision(1), decision(2)]);
    expect(spool.read(0, 10)).toEqual([]); // queued, not yet fsynced
    spool.flush();
    expect(spool.read(0, 10).map((e) => e.seq)).toEqual([1, 2]);
    spool.close();
    const again = AuditSpool.open(dir, log);
    again.append([decision(3)]);
    again.flush();
    expect(again.read(1, 10).map((e) => e.seq)).toEqual([2, 3]);
    again.close();
  });

  it('cuts off a line a crash left half written, and goes on after the last whole one', () => {
    const dir = tmp();
    const spool = AuditSpool.open(dir, log);
    spool.append([decision(1), decision(2)]);
    spool.close();
    const [segment = ''] = fs.readdirSync(dir).filter((f) => f.endsWith('.jsonl'));
    fs.appendFileSync(path.join(dir, segment), '{"seq":3,"at":"2026-11-28T1');
    const reopened = AuditSpool.open(dir, log);
    expect(fs.readFileSync(path.join(dir, segment), 'utf8').endsWith('\n')).toBe(true);
    reopened.append([decision(3)]);
    reopened.flush();
    expect(reopened.read(0, 10).map((e) => e.seq)).toEqual([1, 2, 3]);
    reopened.close();
  });

  it('forgets only what was acknowledged: whole segments go, the cursor survives a restart', () => {
    const dir = tmp();
    const spool = AuditSpool.open(dir, log);
    spool.append(Array.from({ length: 25_000 }, (_, i) => decision(i)));
    spool.flush();
    expect(fs.readdirSync(dir).filter((f) => f.endsWith('.jsonl'))).toHaveLength(3);
    spool.ack(20_000);
    expect(fs.readdirSync(dir).filter((f) => f.endsWith('.jsonl'))).toHaveLength(1);
    expect(spool.read(spool.acknowledged, 2).map((e) => e.seq)).toEqual([20_001, 20_002]);
    spool.close();
    const again = AuditSpool.open(dir, log);
    expect(again.acknowledged).toBe(20_000);
    expect(again.lastDurable).toBe(25_000);
    again.close();
  });
});
