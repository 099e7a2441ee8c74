import { CreateSandboxBody } from '../../../lib/api/sandboxes';
import { NetworkSpec, ruleFromShorthand } from '../../../lib/api/network';
import os from 'node:os';
import { Sandbox } from '../../sandbox';
import type { ExecResult, OutputCallbacks } from '../../command';
import { CommandTimeoutError } from '../../errors';
import { clientOptions, parse, table, UsageError, type Command } from '../command';

/** `10m`, `90s`, `2h` or plain seconds. */
function seconds(text: string): number {
  const m = /^(\d+)(s|m|h)?$/.exec(text.trim());
  if (!m) throw new UsageError(`--timeout: expected a duration such as 90s, 10m or 2h, got "${text}"`);
  return Number(m[1]) * ({ s: 1, m: 60, h: 3600 }[(m[2] ?? 's') as 's' | 'm' | 'h']);
}

const NETWORK_FLAGS = { network: { type: 'string' }, allow: { type: 'string', multiple: true } } as const;

/** `--network MODE` and repeated `--allow RULE` as a network spec (unparsed: the schema checks it). */
function networkFrom(values: { network?: string; allow?: string[] }): object | undefined {
  if (!values.network && !values.allow?.length) return undefined;
  return { ...(values.network ? { mode: values.network } : {}), allow: (values.allow ?? []).map(ruleFromShorthand) };
}

/** The flag a schema issue is about (`--allow` for a rule's field, named by its position). */
function flagOf(path: PropertyKey[]): string {
  if (path[0] === 'network') return path[1] === 'allow' ? `--allow (rule ${Number(path[2]) + 1}${path[3] ? `, ${String(path[3])}` : ''})` : '--network';
  return { memoryMiB: '--memory', cpus: '--cpus', timeoutSeconds: '--timeout', image: '--image', kek: '--kek' }[String(path[0])] ?? 'arguments';
}

export const sandboxCreate: Command = {
  usage: 'sbx sandbox create [--image I] [--memory MiB] [--cpus N] [--timeout 10m] [--network none|allowlist|open] [--allow DOMAIN|CIDR[:PORTS]]... [--kek KEY] [--json]',
  async run(args, io) {
    const { values } = parse(args, { image: { type: 'string' }, memory: { type: 'string' }, cpus: { type: 'string' }, timeout: { type: 'string' }, kek: { type: 'string' }, ...NETWORK_FLAGS });
    const network = networkFrom(values);
    const body = CreateSandboxBody.safeParse({
      ...(values.image ? { image: values.image } : {}),
      ...(values.memory ? { memoryMiB: Number(values.memory) } : {}),
      ...(values.cpus ? { cpus: Number(values.cpus) } : {}),
      ...(values.timeout ? { timeoutSeconds: seconds(values.timeout) } : {}),
      ...(network ? { network } : {}),
      ...(values.kek ? { kek: values.kek } : {}),
    });
    if (!body.success) {
      const issue = body.error.issues[0];
      throw new UsageError(`${flagOf(issue?.path ?? [])}: ${issue?.message}`);
    }
    const sandbox = await Sandbox.create({ ...body.data, ...clientOptions(values) });
    io.out(values.json ? JSON.stringify(sandbox.info, null, 2) : sandbox.id);
  },
};

/** `sbx sandbox network ID --allow ...`: replaces a running sandbox's egress rules (live). */
export const sandboxNetwork: Command = {
  usage: 'sbx sandbox network ID [--network allowlist|open] [--allow DOMAIN|CIDR[:PORTS]]... [--json]',
  async run(args, io) {
    const { values, positionals } = parse(args, NETWORK_FLAGS);
    if (positionals.length !== 1) throw new UsageError('expected exactly one sandbox id');
    const spec = NetworkSpec.safeParse(networkFrom(values) ?? { allow: [] });
    if (!spec.success) {
      const issue = spec.error.issues[0];
      throw new UsageError(`${flagOf(['network', ...(issue?.path ?? [])])}: ${issue?.message}`);
    }
    const sandbox = await Sandbox.connect(positionals[0] as string, clientOptions(values));
    const view = await sandbox.setNetwork(spec.data);
    if (values.json) return io.out(JSON.stringify(view.network, null, 2));
    const rules = view.network.allow.map((r) => `${r.domain ?? r.cidr}:${r.ports.join(',')}`);
    io.out(`${sandbox.id}: ${view.network.mode}${rules.length ? ` ${rules.join(' ')}` : ' (nothing allowed)'}`);
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

/** `sbx sandbox pause ID` and `sbx sandbox resume ID`: one sandbox, one word each. */
function pauseOrResume(verb: 'pause' | 'resume'): Command {
  return {
    usage: `sbx sandbox ${verb} ID`,
    async run(args, io) {
      const { values, positionals } = parse(args, {});
      if (positionals.length !== 1) throw new UsageError('expected exactly one sandbox id');
      const sandbox = await Sandbox.connect(positionals[0] as string, clientOptions(values));
      const view = verb === 'pause' ? await sandbox.pause() : await sandbox.resume();
      io.out(`${sandbox.id} ${view.state}`);
    },
  };
}

export const sandboxPause = pauseOrResume('pause');
export const sandboxResume = pauseOrResume('resume');

/** Streams a command's output and exits with its exit code (124 when killed at its timeout, as timeout(1)). */
async function followToExit(run: (cb: OutputCallbacks) => Promise<ExecResult>): Promise<void> {
  try {
    const r = await run({ onStdout: (s) => process.stdout.write(s), onStderr: (s) => process.stderr.write(s) });
    process.exitCode = r.exitCode ?? 128 + (os.constants.signals[r.signal as NodeJS.Signals] ?? 9);
  } catch (error) {
    if (!(error instanceof CommandTimeoutError)) throw error;
    process.stderr.write(`sbx: ${error.message}\n`);
    process.exitCode = 124;
  }
}

/** `sbx exec ID -- CMD ARGS...`: streams the output and exits with the command's own exit code. */
export const execCommand: Command = {
  usage: 'sbx exec ID [--timeout 30s] [--background] -- CMD [ARGS...]',
  async run(args, io) {
    const dash = args.indexOf('--');
    if (dash < 0 || dash === args.length - 1) throw new UsageError('expected the command after --');
    const { values, positionals } = parse(args.slice(0, dash), { timeout: { type: 'string' }, background: { type: 'boolean', default: false } });
    if (positionals.length !== 1) throw new UsageError('expected exactly one sandbox id before --');
    const sandbox = await Sandbox.connect(positionals[0] as string, clientOptions(values));
    const opts = values.timeout ? { timeoutMs: seconds(values.timeout) * 1000 } : {};
    if (values.background) {
      const handle = await sandbox.exec(args.slice(dash + 1), { ...opts, background: true });
      return io.out(values.json ? JSON.stringify(handle.info, null, 2) : handle.id);
    }
    await followToExit((cb) => sandbox.exec(args.slice(dash + 1), { ...opts, ...cb }));
  },
};

/** `sbx command wait|kill|list`: background commands and the history. */
export const commandWait: Command = {
  usage: 'sbx command wait ID COMMAND_ID  (replays kept output, follows it, exits with its code)',
  async run(args) {
    const { values, positionals } = parse(args, {});
    if (positionals.length !== 2) throw new UsageError('expected a sandbox id and a command id');
    const sandbox = await Sandbox.connect(positionals[0] as string, clientOptions(values));
    const handle = await sandbox.command(positionals[1] as string);
    await followToExit((cb) => handle.wait(cb));
  },
};

export const commandKill: Command = {
  usage: 'sbx command kill ID COMMAND_ID',
  async run(args, io) {
    const { values, positionals } = parse(args, {});
    if (positionals.length !== 2) throw new UsageError('expected a sandbox id and a command id');
    const sandbox = await Sandbox.connect(positionals[0] as string, clientOptions(values));
    const c = await (await sandbox.command(positionals[1] as string)).kill();
    io.out(values.json ? JSON.stringify(c, null, 2) : `${c.id}: ${c.state}`);
  },
};

export const commandList: Command = {
  usage: 'sbx command list ID [--json]',
  async run(args, io) {
    const { values, positionals } = parse(args, {});
    if (positionals.length !== 1) throw new UsageError('expected a sandbox id');
    const sandbox = await Sandbox.connect(positionals[0] as string, clientOptions(values));
    const list = await sandbox.commands();
    if (values.json) return io.out(JSON.stringify(list, null, 2));
    io.out(table([['ID', 'STATE', 'EXIT', 'ACTOR', 'STARTED', 'COMMAND'], ...list.map((c) => [c.id, c.state, c.exitCode === null ? (c.signal ?? '') : String(c.exitCode), c.actor, c.startedAt, c.command])]));
  },
};
