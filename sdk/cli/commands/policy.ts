import fs from 'node:fs';
import path from 'node:path';
import { stringify } from 'yaml';
import { CurrentPolicies, PolicyPlan, PolicyRollout, PolicyVersionView } from '../../../lib/api/policies';
import { formatDiff } from '../../../lib/policy/diff';
import { z } from 'zod';
import { clientFrom, parse, UsageError, type Command } from '../command';
import { readPolicyDir, sourceOf, type PolicyDir } from '../policy-dir';

function oneDir(positionals: string[]): string {
  if (positionals.length !== 1) throw new UsageError('expected one directory of policy files');
  return positionals[0] as string;
}

/** Prints a directory's problems; true when there were any (exit 1). */
function reportProblems(read: PolicyDir, io: { out: (s: string) => void }): boolean {
  for (const p of read.problems) io.out(p);
  if (read.problems.length === 0) return false;
  io.out(`${read.problems.length} problem(s) in ${read.files} file(s)`);
  process.exitCode = 1;
  return true;
}

/** `sbx policy validate DIR`: checks every policy file; problems as `file:line: field: what was expected`, exit 1. */
export const policyValidate: Command = {
  usage: 'sbx policy validate DIR',
  async run(args, io) {
    const { positionals } = parse(args, {});
    const read = readPolicyDir(oneDir(positionals));
    if (!reportProblems(read, io)) io.out(`${read.files} policies valid`);
  },
};

/** `sbx policy plan DIR`: the diff against the control plane; exit 2 when there are changes, 0 when none. */
export const policyPlan: Command = {
  usage: 'sbx policy plan DIR',
  // As `terraform plan -detailed-exitcode`: 2 is "changes", so a CI step cannot take a typo for a plan.
  usageExitCode: 1,
  async run(args, io) {
    const { values, positionals } = parse(args, {});
    const read = readPolicyDir(oneDir(positionals));
    if (reportProblems(read, io)) return;
    const plan = await clientFrom(values).request('POST', '/policies/plan', PolicyPlan, { policies: read.policies });
    if (values.json) io.out(JSON.stringify(plan, null, 2));
    else for (const line of formatDiff(plan.changes)) io.out(line);
    if (plan.changed) process.exitCode = 2;
  },
};

/**
 * `sbx policy apply DIR`: replaces the control plane's policies with the directory's, at once,
 * recording the git commit and author when DIR is in a git work tree; `--wait` waits until every
 * connected host acknowledged the new version.
 */
export const policyApply: Command = {
  usage: 'sbx policy apply DIR [--wait]',
  async run(args, io) {
    const { values, positionals } = parse(args, { wait: { type: 'boolean', default: false } });
    const dir = oneDir(positionals);
    const read = readPolicyDir(dir);
    if (reportProblems(read, io)) return;
    const client = clientFrom(values);
    const plan = await client.request('POST', '/policies/plan', PolicyPlan, { policies: read.policies });
    for (const line of formatDiff(plan.changes)) io.out(line);
    if (!plan.changed) return;
    const source = sourceOf(dir);
    const r = await client.request('PUT', '/policies', z.object({ version: PolicyVersionView, changed: z.boolean() }), { policies: read.policies, source, expectedVersion: plan.version });
    const from = source.kind === 'git' ? ` from commit ${source.commit.slice(0, 12)}${source.dirty ? ' (with uncommitted changes)' : ''}` : '';
    io.out(`Applied: version ${r.version.version} (${r.version.hash.slice(0, 12)})${from}.`);
    if (!values.wait) return;
    const deadline = Date.now() + 60_000;
    for (;;) {
      const rollout = await client.request('GET', '/policies/rollout', PolicyRollout);
      const waiting = rollout.hosts.filter((h) => h.connected && h.state !== 'applied');
      if (rollout.version === r.version.version && waiting.length === 0) {
        io.out(`Acknowledged by every connected host (${rollout.hosts.filter((h) => h.connected).length}).`);
        return;
      }
      if (Date.now() > deadline) {
        io.out(`Not acknowledged after 60 s by: ${waiting.map((h) => `${h.hostname} (${h.state}${h.error ? `: ${h.error}` : ''})`).join(', ')}`);
        process.exitCode = 1;
        return;
      }
      await new Promise((res) => setTimeout(res, 500));
    }
  },
};

/** `sbx policy pull DIR`: writes the control plane's policies into DIR, one `NAME.yaml` each. */
export const policyPull: Command = {
  usage: 'sbx policy pull DIR',
  async run(args, io) {
    const { values, positionals } = parse(args, {});
    const dir = oneDir(positionals);
    const current = await clientFrom(values).request('GET', '/policies', CurrentPolicies);
    fs.mkdirSync(dir, { recursive: true });
    for (const p of current.policies) {
      fs.writeFileSync(path.join(dir, `${p.name}.yaml`), `# yaml-language-server: $schema=./schema.json\n${stringify(p)}`);
    }
    const others = fs.readdirSync(dir).filter((f) => /\.ya?ml$/.test(f) && !current.policies.some((p) => `${p.name}.yaml` === f));
    io.out(`Wrote ${current.policies.length} policies of version ${current.version.version} to ${dir}.`);
    if (others.length > 0) io.out(`Left as they are: ${others.join(", ")} (not among the control plane's policies: a plan of ${dir} would add them).`);
  },
};
