import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { policyJsonSchema } from '../../../lib/policy/model';
import { parsePolicyFile } from '../../../lib/policy/parse-policy-file';

const root = path.resolve(import.meta.dirname, '../../..');
const samples = fs.readdirSync(path.join(root, 'policies')).filter((f) => f.endsWith('.yaml'));
const sample = (f: string) => fs.readFileSync(path.join(root, 'policies', f), 'utf8');

describe('the policy model and its files', () => {
  it('accepts the sample policies, with defaults filled in', () => {
    expect(samples.sort()).toEqual(['baseline.yaml', 'data-science.yaml', 'regulated-no-network.yaml']);
    for (const f of samples) expect(parsePolicyFile(sample(f))).toMatchObject({ ok: true });
    const ds = parsePolicyFile(sample('data-science.yaml'));
    expect(ds.ok && ds.policy.network.allow[0]).toEqual({ domain: 'pypi.org', ports: [443], protocol: 'tcp' });
    expect(ds.ok && ds.policy.audit).toEqual({ recordCommands: true, recordFileAccess: true, recordEgress: true, retentionYears: 6 });
  });

  it('keeps policies/schema.json the JSON Schema of the model', () => {
    expect(JSON.parse(fs.readFileSync(path.join(root, 'policies', 'schema.json'), 'utf8'))).toEqual(JSON.parse(JSON.stringify(policyJsonSchema())));
  });

  it('names the line, the field and what was expected for each problem', () => {
    const r = parsePolicyFile(['name: Bad Name', 'sandbox:', '  maxMemoryMiB: 10', 'network:', '  mode: allowlist', '  allow:', '    - domain: example.com', '    - domain: "bad domain"', 'audit:', '  retentionYears: 2', 'encryption: { kek: default, extra: 1 }'].join('\n'));
    expect(r.ok).toBe(false);
    const problems = r.ok ? [] : r.problems.map((p) => `${p.line}: ${p.field}: ${p.message}`);
    expect(problems).toEqual(
      expect.arrayContaining([
        '1: name: expected 2 to 63 lower-case letters, digits or dashes',
        '3: sandbox.maxMemoryMiB: expected at least 64 MiB',
        expect.stringMatching(/^8: network\.allow\.1\.domain: expected a domain/) as string,
        '10: audit.retentionYears: expected at least 6 years (HIPAA 164.316(b)(2)(i))',
        expect.stringMatching(/^11: encryption: Unrecognized key: "extra"/) as string,
      ]),
    );
    expect(parsePolicyFile('name: ok-name\nnetwork: [1\n')).toMatchObject({ ok: false, problems: [{ line: 3, field: '(syntax)' }] });
    expect(parsePolicyFile('- just\n- a list\n')).toMatchObject({ ok: false, problems: [{ line: 1, field: '(file)', message: 'expected a policy: a mapping with at least name' }] });
    expect(parsePolicyFile('description: no name\n')).toMatchObject({ ok: false, problems: [{ field: 'name' }] });
  });

  it('never throws on mangled files, and every problem names a field and a line (fuzz, 2,000 cases)', () => {
    let seed = 12345;
    const rand = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) % n);
    const junk = [':', '-', ' ', '\n', '"', "'", '{', '}', '[', ']', '&a', '*a', '!!binary', '#', '\t', 'x', '9', 'null', '~', '|'];
    for (let i = 0; i < 2000; i++) {
      let text = sample(samples[rand(samples.length)] as string);
      for (let k = 0, edits = 1 + rand(5); k < edits; k++) {
        const at = rand(text.length + 1);
        const op = rand(3);
        if (op === 0) text = text.slice(0, at) + (junk[rand(junk.length)] as string) + text.slice(at);
        else if (op === 1) text = text.slice(0, at) + text.slice(at + 1 + rand(8));
        else text = text.split('\n').sort(() => rand(3) - 1).join('\n');
      }
      const r = parsePolicyFile(text);
      if (!r.ok) {
        expect(r.problems.length).toBeGreaterThan(0);
        for (const p of r.problems) {
          expect(p.field.length).toBeGreaterThan(0);
          expect(p.line).toBeGreaterThanOrEqual(1);
          expect(p.message.length).toBeGreaterThan(0);
        }
      }
    }
  }, 60_000);

  it('sbx policy validate prints file:line: field: problem and exits 1, or counts the valid files', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sbx-policies-'));
    try {
      fs.writeFileSync(path.join(dir, 'a.yaml'), sample('baseline.yaml'));
      fs.writeFileSync(path.join(dir, 'b.yaml'), 'name: baseline\n');
      fs.writeFileSync(path.join(dir, 'c.yml'), 'name: c-policy\nsandbox:\n  maxCpus: 99\n');
      const r = spawnSync(path.join(root, 'bin', 'sbx'), ['policy', 'validate', dir], { encoding: 'utf8', env: { PATH: process.env.PATH ?? '', NODE_ENV: 'production', HOME: dir }, timeout: 30_000 });
      expect(r.status).toBe(1);
      expect(r.stdout).toContain(`${path.join(dir, 'b.yaml')}:1: name: "baseline" is the name of ${path.join(dir, 'a.yaml')} already`);
      expect(r.stdout).toContain(`${path.join(dir, 'c.yml')}:3: sandbox.maxCpus: expected at most 16 CPUs`);
      const ok = spawnSync(path.join(root, 'bin', 'sbx'), ['policy', 'validate', path.join(root, 'policies')], { encoding: 'utf8', env: { PATH: process.env.PATH ?? '', NODE_ENV: 'production', HOME: dir }, timeout: 30_000 });
      expect(ok.stdout.trim()).toBe('3 policies valid');
      expect(ok.status).toBe(0);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
