import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { ApplySource } from '../../lib/api/policies';
import type { Policy } from '../../lib/policy/model';
import { parsePolicyFile } from '../../lib/policy/parse-policy-file';
import { UsageError } from './command';

/** A policy directory read: its policies, or every problem as `file:line: field: what was expected`. */
export type PolicyDir = { files: number; policies: Policy[]; problems: string[] };

/** Reads every `*.yaml` / `*.yml` of `dir` (a usage error when it is not a directory of policy files). */
export function readPolicyDir(dir: string): PolicyDir {
  if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) throw new UsageError(`${dir}: no such directory`);
  const files = fs.readdirSync(dir).filter((f) => /\.ya?ml$/.test(f)).sort();
  if (files.length === 0) throw new UsageError(`${dir}: no policy files (*.yaml, *.yml)`);
  const names = new Map<string, string>();
  const policies: Policy[] = [];
  const problems: string[] = [];
  for (const f of files) {
    const file = path.join(dir, f);
    const r = parsePolicyFile(fs.readFileSync(file, 'utf8'));
    if (!r.ok) {
      for (const p of r.problems) problems.push(`${file}:${p.line}: ${p.field}: ${p.message}`);
      continue;
    }
    const other = names.get(r.policy.name);
    if (other) problems.push(`${file}:1: name: "${r.policy.name}" is the name of ${other} already`);
    names.set(r.policy.name, file);
    policies.push(r.policy);
  }
  return { files: files.length, policies, problems };
}

/** Where a directory's policies come from: its git commit and author when it is in a git work tree. */
export function sourceOf(dir: string): ApplySource {
  const git = (...args: string[]) => execFileSync('git', ['-C', dir, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  try {
    const commit = git('rev-parse', 'HEAD');
    const author = git('log', '-1', '--format=%an <%ae>');
    const dirty = git('status', '--porcelain', '--', '.') !== '';
    return { kind: 'git', commit, author, dirty };
  } catch {
    return { kind: 'cli' };
  }
}
