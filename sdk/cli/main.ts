/**
 * `sbx`, the appliance's command-line client. It finds the appliance from --url, SBX_URL or
 * ~/.config/sbx/config.json, and authenticates with SBX_API_KEY (or apiKey in that file).
 */
import { SbxError } from '../errors';
import { UsageError, type Command } from './command';
import { auditExport, auditVerify } from './commands/audit';
import { hostList } from './commands/host-list';
import { hostRevoke } from './commands/host-revoke';
import { hostTokenCreate } from './commands/host-token-create';
import { filesList, filesMkdir, filesRead, filesRemove, filesWrite } from './commands/files';
import { policyApply, policyPlan, policyPull, policyValidate } from './commands/policy';
import { commandKill, commandList, commandWait, execCommand, sandboxCreate, sandboxKill, sandboxList, sandboxNetwork, sandboxPause, sandboxResume } from './commands/sandbox';

const commands: Record<string, Command> = {
  'host list': hostList,
  'host token create': hostTokenCreate,
  'host revoke': hostRevoke,
  'sandbox create': sandboxCreate,
  'sandbox list': sandboxList,
  'sandbox kill': sandboxKill,
  'sandbox network': sandboxNetwork,
  'sandbox pause': sandboxPause,
  'policy validate': policyValidate,
  'policy plan': policyPlan,
  'policy apply': policyApply,
  'policy pull': policyPull,
  'sandbox resume': sandboxResume,
  exec: execCommand,
  'command wait': commandWait,
  'command kill': commandKill,
  'command list': commandList,
  'files write': filesWrite,
  'files read': filesRead,
  'files list': filesList,
  'files rm': filesRemove,
  'files mkdir': filesMkdir,
  'audit export': auditExport,
  'audit verify': auditVerify,
};

function usage(): string {
  return ['usage:', ...Object.values(commands).map((c) => `  ${c.usage}`), '', 'global options: --url URL  --ca-file FILE  --json'].join('\n');
}

async function main(argv: string[]): Promise<number> {
  const name = Object.keys(commands)
    .sort((a, b) => b.length - a.length)
    .find((n) => n.split(' ').every((w, i) => argv[i] === w));
  const command = name ? commands[name] : undefined;
  if (!name || !command) {
    console.error(usage());
    return 2;
  }
  try {
    await command.run(argv.slice(name.split(' ').length), { out: (s) => console.log(s) });
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (error) {
    if (error instanceof UsageError) {
      console.error(`sbx ${name}: ${error.message}\nusage: ${command.usage}`);
      return command.usageExitCode ?? 2;
    }
    if (error instanceof SbxError) {
      console.error(`sbx ${name}: ${error.message}${error.requestId ? ` (request ${error.requestId})` : ''}`);
      return 1;
    }
    console.error(`sbx ${name}: ${(error as Error).message}`);
    return 1;
  }
}

void main(process.argv.slice(2)).then((code) => process.exit(code));
