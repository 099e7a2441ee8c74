import { CreateJoinTokenBody, CreatedJoinToken, parseLabelText } from '../../../lib/api/hosts';
import { clientFrom, parse, UsageError, type Command } from '../command';

function labelsFrom(text: string | undefined): Record<string, string> {
  try {
    return parseLabelText(text ?? '');
  } catch (error) {
    throw new UsageError(`--labels: ${(error as Error).message}`);
  }
}

export const hostTokenCreate: Command = {
  usage: 'sbx host token create [--labels k=v,...] [--ttl-minutes N] [--json]',
  async run(args, io) {
    const { values } = parse(args, { labels: { type: 'string' }, 'ttl-minutes': { type: 'string' } });
    const ttl = values['ttl-minutes'];
    const body = CreateJoinTokenBody.safeParse({ labels: labelsFrom(values.labels), ...(ttl !== undefined ? { ttlMinutes: Number(ttl) } : {}) });
    if (!body.success) {
      const issue = body.error.issues[0];
      const flag = issue?.path[0] === 'ttlMinutes' ? '--ttl-minutes' : '--labels';
      throw new UsageError(`${flag}: ${issue?.code === 'invalid_key' ? (issue.issues[0]?.message ?? issue.message) : issue?.message}`);
    }
    const created = await clientFrom(values).request('POST', '/hosts/join-tokens', CreatedJoinToken, body.data);
    if (values.json) return io.out(JSON.stringify(created, null, 2));
    io.out(`Join token (works once, until ${created.expiresAt}). Run on the new host as root:\n\n  ${created.command}\n`);
  },
};
