import fs from 'node:fs';
import path from 'node:path';
import { parsePolicyFile } from '../../../lib/policy/parse-policy-file';
import { parse, UsageError, type Command } from '../command';

/** `sbx policy validate DIR`: checks every policy file; problems as `file:line: field: what was expected`, exit 1. */
export const policyValidate: Command = {
  usage: 'sbx policy validate DIR',
  async run(args, io) {
    const { positionals } = parse(args, {});
    if (positionals.length !== 1) throw new UsageError('expected one directory of policy files');
    const dir = positionals[0] as string;
    if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) throw new UsageError(`${dir}: no such directory`);
    const files = fs.readdirSync(dir).filter((f) => /\.ya?ml$/.test(f)).sort();
    if (files.length === 0) throw new UsageError(`${dir}: no policy files (*.yaml, *.yml)`);
    const names = new Map<string, string>();
    let problems = 0;
    for (const f of files) {
      const file = path.join(dir, f);
      const r = parsePolicyFile(fs.readFileSync(file, 'utf8'));
      if (!r.ok) {
        for (const p of r.problems) io.out(`${file}:${p.line}: ${p.field}: ${p.message}`);
        problems += r.problems.length;
        continue;
      }
      const other = names.get(r.policy.name);
      if (other) {
        io.out(`${file}:1: name: "${r.policy.name}" is the name of ${other} already`);
        problems += 1;
      }
      names.set(r.policy.name, file);
    }
    io.out(problems === 0 ? `${files.length} policies valid` : `${problems} problem(s) in ${files.length} file(s)`);
    if (problems > 0) process.exitCode = 1;
  },
};
