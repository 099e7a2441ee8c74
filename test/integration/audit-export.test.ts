import { spawnSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import fs from 'node:fs';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CreatedApiKey } from '../../lib/api/api-keys';
import type { InclusionProofView, LedgerStatus } from '../../lib/api/audit';
import { signCheckpoint, splitNotes, verifyCheckpoint, parseVerifierKey } from '../../lib/ledger/checkpoint';
import { verifyInclusion } from '../../lib/ledger/merkle';
import { createCaCertificate, issueServerCertificate } from '../../server/pki/certificates';
import { readBundle, writeBundle } from '../support/bundle-files';
import { adminClient, startControlPlane, type ControlPlane } from '../support/control-plane';

const root = path.resolve(import.meta.dirname, '../..');
let cp: ControlPlane;
let admin: Awaited<ReturnType<typeof adminClient>>;
let work: string;
let env: Record<string, string>;
let witness: https.Server;
const witnessed: string[] = [];

/** Runs the CLI with the environment given (nothing else: no HOME config, no data directory). */
function sbx(args: string[], withEnv: NodeJS.ProcessEnv = env as NodeJS.ProcessEnv) {
  const r = spawnSync(path.join(root, 'bin', 'sbx'), args, { env: withEnv, encoding: 'utf8', timeout: 120_000, cwd: work });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

const status = async () => (await admin.get('/api/v1/audit/ledger')).body as LedgerStatus;
const keysOf = (s: LedgerStatus) => s.keys.flatMap((k) => ['--key', k.verifierKey]);

beforeAll(async () => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'sbx-export-'));
  // A checkpoint witness on loopback: an HTTPS endpoint with its own CA, as a customer would run.
  const ca = createCaCertificate('Witness CA', 'Test', 1);
  const cert = issueServerCertificate(ca, { commonName: 'witness', dnsNames: ['localhost'], ipAddresses: ['127.0.0.1'], days: 1 });
  fs.writeFileSync(path.join(work, 'witness-ca.crt'), ca.certPem);
  witness = https.createServer({ key: cert.keyPem, cert: cert.certPem }, (req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      witnessed.push(body);
      res.end('ok');
    });
  });
  await new Promise<void>((r) => witness.listen(0, '127.0.0.1', () => r()));
  const port = (witness.address() as { port: number }).port;
  cp = await startControlPlane({
    SBX_LEDGER_CHECKPOINT_EVENTS: '10',
    SBX_LEDGER_CHECKPOINT_SINK: `https://127.0.0.1:${port}/checkpoints`,
    SBX_SINK_CA_FILE: path.join(work, 'witness-ca.crt'),
  });
  admin = await adminClient(cp);
  const key = (await admin.post('/api/v1/api-keys', { name: 'auditor', role: 'auditor', expiresInDays: 1 })).body as CreatedApiKey;
  for (let i = 0; i < 25; i++) await admin.post('/api/v1/api-keys', { name: `k${i}`, role: 'developer', expiresInDays: 1 });
  fs.writeFileSync(path.join(work, 'ca.crt'), cp.ca);
  env = {
    PATH: process.env.PATH ?? '',
    HOME: work,
    NODE_ENV: 'production',
    SBX_URL: `https://localhost:${cp.port}`,
    SBX_API_KEY: key.secret,
    SBX_CA_FILE: path.join(work, 'ca.crt'),
    SBX_CONFIG: path.join(work, 'absent.json'),
  };
}, 120_000);

afterAll(async () => {
  await cp?.stop();
  witness?.close();
  fs.rmSync(work, { recursive: true, force: true });
});

describe('signed checkpoints', () => {
  it('signs checkpoints every N events into the database, the checkpoint file and the witness', async () => {
    const s = await status();
    expect(s.latestCheckpoint?.size).toBeGreaterThanOrEqual(20);
    const trusted = s.keys.map((k) => parseVerifierKey(k.verifierKey)).filter((k) => k !== null);
    const file = splitNotes(fs.readFileSync(path.join(cp.dataDir, 'ledger-checkpoints.log'), 'utf8'));
    expect(file.length).toBeGreaterThanOrEqual(2);
    for (const note of file) expect(verifyCheckpoint(note, trusted)).not.toBeNull();
    for (let i = 0; i < 50 && witnessed.length < file.length; i++) await new Promise((r) => setTimeout(r, 100));
    expect(witnessed.slice(0, file.length)).toEqual(file);
  });

  it("answers an event's inclusion proof that verifies against the signed root", async () => {
    const p = (await admin.get('/api/v1/audit/events/3/proof')).body as InclusionProofView;
    expect(p.verified).toBe(true);
    expect(verifyInclusion(Buffer.from(p.leaf, 'hex'), 2, p.treeSize, p.proof.map((h) => Buffer.from(h, 'hex')), Buffer.from(p.root, 'hex'))).toBe(true);
    const bad = await admin.get('/api/v1/audit/events/0/proof');
    expect(bad.status).toBe(400);
    expect(bad.text).toMatch(/seq: expected an event number/);
  });
});

describe('sbx audit export / verify', () => {
  let bundle: string;
  let earlier: string;

  it('exports a bundle with progress, verifies it offline with pinned keys, and records the export', async () => {
    earlier = path.join(work, 'earlier.checkpoint');
    fs.writeFileSync(earlier, (await status()).latestCheckpoint?.note ?? '');
    await admin.post('/api/v1/api-keys', { name: 'after-earlier', role: 'developer', expiresInDays: 1 });
    bundle = path.join(work, 'evidence.tar');
    const made = sbx(['audit', 'export', '--out', bundle]);
    expect(made.code, made.err).toBe(0);
    expect(made.err).toMatch(/exporting: .* ledger positions read \(100%\)/);
    expect(made.out).toMatch(/wrote .*evidence\.tar: \d+ events, \d+ bytes, sha256 [0-9a-f]{64}/);
    const s = await status();
    const ok = sbx(['audit', 'verify', bundle, ...keysOf(s), '--checkpoint', earlier], { PATH: env.PATH ?? '', HOME: work, NODE_ENV: 'production' });
    expect(ok.code, ok.out + ok.err).toBe(0);
    expect(ok.out).toMatch(/^OK: \d+ events \(1\.\.\d+\) of a ledger of \d+/);
    expect(ok.out).toMatch(/only grew since the earlier checkpoint/);
    expect(ok.out).toMatch(/signed by the key\(s\) you gave/);
    const exports = (await admin.get('/api/v1/audit?action=audit.export')).body as { events: { details: { phase: string; sha256?: string } }[] };
    expect(exports.events.map((e) => e.details.phase)).toEqual(['end', 'start']);
    expect(made.out).toContain(exports.events[0]?.details.sha256);
  });

  it('holds the events as JSONL, pinned OCSF classes, CSV, and a report mapped to SOC 2 and HIPAA', async () => {
    const files = await readBundle(bundle);
    const lines = files.get('events.jsonl')?.toString().trim().split('\n') ?? [];
    const ocsf = (files.get('events.ocsf.jsonl')?.toString().trim().split('\n') ?? []).map((l) => JSON.parse(l) as { class_uid: number; metadata: { version: string } });
    expect(ocsf).toHaveLength(lines.length);
    expect(new Set(ocsf.map((o) => o.class_uid))).toEqual(new Set([3002, 3004, 6003]));
    expect(ocsf.every((o) => o.metadata.version === '1.3.0')).toBe(true);
    expect(files.get('events.csv')?.toString().trim().split('\r\n')).toHaveLength(lines.length + 1);
    const report = files.get('report.html')?.toString() ?? '';
    for (const c of ['CC6.1', 'CC6.6', 'CC6.7', 'CC6.8', 'CC7.2', 'CC7.3', 'CC8.1', '164.312(a)(1)', '164.312(a)(2)(iv)', '164.312(b)', '164.312(c)(1)', '164.312(d)', '164.312(e)(1)', '164.316(b)(2)(i)']) {
      expect(report).toContain(c);
    }
  });

  /**
   * Repacks the bundle with one file changed and verifies it; returns the CLI's answer. `members`:
   * events.jsonl is repacked in members of 4 lines, as the appliance writes it, and checked by two
   * worker threads (else it is one plain gzip, checked on one thread).
   */
  async function tampered(name: string, change: (data: Buffer, files: Map<string, Buffer>) => Buffer, members = false) {
    const files = await readBundle(bundle);
    files.set(name, change(files.get(name) ?? Buffer.alloc(0), files));
    const out = path.join(work, `tampered-${Math.random().toString(36).slice(2)}.tar`);
    await writeBundle(files, out, members ? 4 : undefined);
    return sbx(['audit', 'verify', out, ...keysOf(await status()), ...(members ? ['--workers', '2'] : [])]);
  }
  const editLines = (f: (lines: string[]) => string[]) => (data: Buffer) => Buffer.from(`${f(data.toString().trimEnd().split('\n')).join('\n')}\n`);

  it.each([
    ['one plain gzip, checked on one thread', false],
    ['members checked by worker threads', true],
  ])('names the first bad event of an edited, a deleted, two swapped events and a cut-off tail (%s)', async (_, members) => {
    // The appliance's own bundle passes either way; repacked unchanged, only its digest differs.
    const own = sbx(['audit', 'verify', bundle, ...keysOf(await status()), '--workers', members ? '2' : '0']);
    expect(own.out).toMatch(/^OK: /);
    const repacked = await tampered('events.jsonl', (data) => data, members);
    expect(repacked.out).toBe("FAILED: events.jsonl.gz does not match the manifest's digest (altered)\n");
    const edited = await tampered('events.jsonl', editLines((l) => l.map((x, i) => (i === 6 ? x.replace('"outcome":"success"', '"outcome":"failure"') : x))), members);
    expect(edited.code).toBe(1);
    expect(edited.out).toMatch(/FAILED: event 7: altered/);
    expect(edited.out).toMatch(/first bad event: 7/);

    const deleted = await tampered('events.jsonl', editLines((l) => l.filter((_, i) => i !== 11)), members);
    expect(deleted.code).toBe(1);
    expect(deleted.out).toMatch(/first bad event: 12/);

    const swapped = await tampered('events.jsonl', editLines((l) => l.map((x, i) => (i === 14 ? (l[15] as string) : i === 15 ? (l[14] as string) : x))), members);
    expect(swapped.code).toBe(1);
    expect(swapped.out).toMatch(/first bad event: 15/);

    const cut = await tampered('events.jsonl', editLines((l) => l.slice(0, l.length - 4)), members);
    expect(cut.code).toBe(1);
    expect(cut.out).toMatch(/cut off after event \d+/);
    const total = (await readBundle(bundle)).get('events.jsonl')?.toString().trim().split('\n').length ?? 0;
    expect(cut.out).toMatch(new RegExp(`first bad event: ${total - 3}`));
  });

  it('refuses a forged checkpoint, a forged manifest, and an earlier checkpoint of another history', async () => {
    const mallory = generateKeyPairSync('ed25519');
    const forged = await tampered('checkpoints.txt', (data) => {
      const notes = splitNotes(data.toString());
      const last = notes.at(-1) ?? '';
      const [origin = '', size = ''] = last.split('\n');
      // Same origin and key name, another key: as a forger without the ledger key would sign.
      return Buffer.from([...notes.slice(0, -1), signCheckpoint({ origin, size: Number(size), root: Buffer.alloc(32, 7) }, origin, mallory.privateKey)].join('\n'));
    });
    expect(forged.code).toBe(1);
    expect(forged.out).toMatch(/FAILED: checkpoint \d+: no valid signature by a trusted key/);

    const manifest = await tampered('manifest.json', (data) => Buffer.from(data.toString().replace(/"treeSize": \d+/, '"treeSize": 5')));
    expect(manifest.code).toBe(1);
    expect(manifest.out).toMatch(/manifest\.json is not signed by a trusted ledger key/);

    const other = await startControlPlane();
    try {
      await adminClient(other);
      const foreign = path.join(work, 'foreign.checkpoint');
      const otherAdmin = await adminClient(other);
      fs.writeFileSync(foreign, ((await otherAdmin.get('/api/v1/audit/ledger')).body as LedgerStatus).latestCheckpoint?.note ?? '');
      const r = sbx(['audit', 'verify', bundle, ...keysOf(await status()), '--checkpoint', foreign]);
      expect(r.code).toBe(1);
      expect(r.out).toMatch(/earlier checkpoint has no valid signature by a trusted key/);
    } finally {
      await other.stop();
    }
  }, 120_000);

  it('exports a time range that still verifies against every signed root, and keeps old checkpoints verifiable after a key rotation', async () => {
    await new Promise((r) => setTimeout(r, 50));
    const from = new Date().toISOString();
    const rotated = await admin.post('/api/v1/audit/ledger/rotate-key', {});
    expect(rotated.status).toBe(200);
    expect((rotated.body as LedgerStatus).keys).toHaveLength(2);
    for (let i = 0; i < 12; i++) await admin.post('/api/v1/api-keys', { name: `r${i}`, role: 'developer', expiresInDays: 1 });
    const range = path.join(work, 'range.tar');
    const made = sbx(['audit', 'export', '--out', range, '--from', from, '--to', new Date().toISOString()]);
    expect(made.code, made.err).toBe(0);
    const s = await status();
    const ok = sbx(['audit', 'verify', range, ...keysOf(s)]);
    expect(ok.code, ok.out).toBe(0);
    const [, events, first, , size] = /^OK: (\d+) events \((\d+)\.\.(\d+)\) of a ledger of (\d+)/.exec(ok.out) ?? [];
    expect(Number(first)).toBeGreaterThan(1);
    expect(Number(events)).toBeLessThan(Number(size));
    // Only the new key pinned: the checkpoints the old key signed are not trusted.
    const newest = s.keys.at(-1)?.verifierKey ?? '';
    const partial = sbx(['audit', 'verify', range, '--key', newest]);
    expect(partial.code).toBe(1);
    const bad = sbx(['audit', 'export', '--out', path.join(work, 'x.tar'), '--from', 'yesterday']);
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/--from: expected an ISO 8601 time/);
  }, 120_000);

  it('verifies a bundle with no appliance at all: stopped, its data directory gone, from another directory', async () => {
    const keys = keysOf(await status());
    const copy = path.join(os.tmpdir(), `sbx-bundle-${process.pid}.tar`);
    fs.copyFileSync(bundle, copy);
    await cp.stop();
    fs.rmSync(cp.dataDir, { recursive: true, force: true });
    try {
      const r = spawnSync(path.join(root, 'bin', 'sbx'), ['audit', 'verify', copy, ...keys], { env: { PATH: env.PATH ?? '', NODE_ENV: 'production' }, encoding: 'utf8', cwd: os.tmpdir(), timeout: 60_000 });
      expect(r.status, r.stdout + r.stderr).toBe(0);
      const unpinned = spawnSync(path.join(root, 'bin', 'sbx'), ['audit', 'verify', copy], { env: { PATH: env.PATH ?? '', NODE_ENV: 'production' }, encoding: 'utf8', cwd: os.tmpdir(), timeout: 60_000 });
      expect(unpinned.status).toBe(0);
      expect(unpinned.stdout).toMatch(/bundle's own key\(s\); compare with the console's/);
    } finally {
      fs.rmSync(copy, { force: true });
    }
  });
});
