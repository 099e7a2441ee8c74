import { pipeline } from 'node:stream/promises';
import { Sandbox } from '../../sandbox';
import { clientOptions, parse, table, UsageError, type Command } from '../command';

/** Parses `ID PATH` (and the global flags) and connects to the sandbox. */
async function target(args: string[], extra: Parameters<typeof parse>[1] = {}) {
  const { values, positionals } = parse(args, extra);
  if (positionals.length !== 2) throw new UsageError('expected a sandbox id and a path');
  const [id, path] = positionals as [string, string];
  return { sandbox: await Sandbox.connect(id, clientOptions(values)), path, values };
}

/** `sbx files write ID PATH < local-file`: streams standard input into the file. */
export const filesWrite: Command = {
  usage: 'sbx files write ID PATH  (the content is read from standard input)',
  async run(args, io) {
    const { sandbox, path, values } = await target(args);
    const written = await sandbox.files.write(path, process.stdin);
    io.out(values.json ? JSON.stringify(written, null, 2) : `wrote ${written.size} bytes to ${written.path} (sha256 ${written.sha256})`);
  },
};

/** `sbx files read ID PATH > local-file`: streams the file to standard output. */
export const filesRead: Command = {
  usage: 'sbx files read ID PATH  (the content goes to standard output)',
  async run(args) {
    const { sandbox, path } = await target(args);
    await pipeline(await sandbox.files.readStream(path), process.stdout);
  },
};

export const filesList: Command = {
  usage: 'sbx files list ID [PATH] [--json]',
  async run(args, io) {
    const { values, positionals } = parse(args, {});
    if (positionals.length < 1 || positionals.length > 2) throw new UsageError('expected a sandbox id and optionally a path');
    const sandbox = await Sandbox.connect(positionals[0] as string, clientOptions(values));
    const entries = await sandbox.files.list(positionals[1] ?? '.');
    if (values.json) return io.out(JSON.stringify(entries, null, 2));
    io.out(table([['TYPE', 'MODE', 'SIZE', 'MODIFIED', 'NAME'], ...entries.map((e) => [e.type, e.mode, String(e.size), e.modifiedAt, e.name])]));
  },
};

export const filesRemove: Command = {
  usage: 'sbx files rm ID PATH [--recursive]',
  async run(args, io) {
    const { sandbox, path, values } = await target(args, { recursive: { type: 'boolean', short: 'r', default: false } });
    await sandbox.files.remove(path, { recursive: values.recursive === true });
    io.out(`removed ${path}`);
  },
};

export const filesMkdir: Command = {
  usage: 'sbx files mkdir ID PATH',
  async run(args, io) {
    const { sandbox, path } = await target(args);
    await sandbox.files.mkdir(path);
    io.out(`made ${path}`);
  },
};
