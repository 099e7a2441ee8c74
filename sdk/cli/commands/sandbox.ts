import { CreateSandboxBody } from '../../../lib/api/sandboxes';
import { Sandbox } from '../../sandbox';
import { clientOptions, parse, table, UsageError, type Command } from '../command';

/** `10m`, `90s`, `2h` or plain seconds. */
function seconds(text: string): number {
  const m = /^(\d+)(s|m|h)?$/.exec(text.trim());
  if (!m) throw new UsageError(`--timeout: expected a duration such as 90s, 10m or 2h, got "${text}"`);
  return Number(m[1]) * ({ s: 1, m: 60, h: 3600 }[(m[2] ?? 's') as 's' | 'm' | 'h']);
}

export const sandboxCreate: Command = {
  usage: 'sbx sandbox create [--image I] [--memory MiB] [--cpus N] [--timeout 10m] [--json]',
  async run(args, io) {
    const { values } = parse(args, { image: { type: 'string' }, memory: { type: 'string' }, cpus: { type: 'string' }, timeout: { type: 'string' } });
    const body = CreateSandboxBody.safeParse({
      ...(values.image ? { image: values.image } : {}),
      ...(values.memory ? { memoryMiB: Number(values.memory) } : {}),
      ...(values.cpus ? { cpus: Number(values.cpus) } : {}),
      ...(values.timeout ? { timeoutSeconds: seconds(values.timeout) } : {}),
    });
    if (!body.success) {
      const issue = body.error.issues[0];
      const flag = { memoryMiB: '--memory', cpus: '--cpus', timeoutSeconds: '--timeout', image: '--image' }[String(issue?.path[0])] ?? 'arguments';
      throw new UsageError(`${flag}: ${issue?.message}`);
    }
    const sandbox = await Sandbox.create({ ...body.data, ...clientOptions(values) });
    io.out(values.json ? JSON.stringify(sandbox.info, null, 2) : sandbox.id);
  },
};

export const sandboxList: Command = {
  usage: 'sbx sandbox list [--json]',
  async run(args, io) {
    const { values } = parse(args, {});
    const list = await Sandbox.list(clientOptions(values));
    if (values.json) return io.out(JSON.stringify(list, null, 2));
    if (list.length === 0) return io.out('no sandboxes; create one with: sbx sandbox create');
    io.out(table([['ID', 'STATE', 'OWNER', 'IMAGE', 'MEMORY', 'CREATED', 'DEADLINE'], ...list.map((s) => [s.id, s.state, s.owner, s.image, `${s.memoryMiB} MiB`, s.createdAt, s.deadlineAt])]));
  },
};

export const sandboxKill: Command = {
  usage: 'sbx sandbox kill ID',
  async run(args, io) {
    const { values, positionals } = parse(args, {});
    if (positionals.length !== 1) throw new UsageError('expected exactly one sandbox id');
    const sandbox = await Sandbox.connect(positionals[0] as string, clientOptions(values));
    await sandbox.kill();
    io.out(`killed ${sandbox.id}`);
  },
};

/** `sbx exec ID -- CMD ARGS...`: streams the output and exits with the command's own exit code. */
export const execCommand: Command = {
  usage: 'sbx exec ID [--timeout 30s] -- CMD [ARGS...]',
  async run(args) {
    const dash = args.indexOf('--');
    if (dash < 0 || dash === args.length - 1) throw new UsageError('expected the command after --');
    const { values, positionals } = parse(args.slice(0, dash), { timeout: { type: 'string' } });
    if (positionals.length !== 1) throw new UsageError('expected exactly one sandbox id before --');
    const sandbox = await Sandbox.connect(positionals[0] as string, clientOptions(values));
    const r = await sandbox.exec(args.slice(dash + 1), {
      onStdout: (s) => process.stdout.write(s),
      onStderr: (s) => process.stderr.write(s),
      ...(values.timeout ? { timeoutMs: seconds(values.timeout) * 1000 } : {}),
    });
    if (r.timedOut) process.stderr.write(`sbx exec: the command was killed at its timeout\n`);
    process.exitCode = r.exitCode ?? 128 + (r.signal === 'SIGKILL' ? 9 : 15);
  },
};
