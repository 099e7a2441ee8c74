import { z } from 'zod';
import { clientFrom, parse, UsageError, type Command } from '../command';

export const hostRevoke: Command = {
  usage: 'sbx host revoke ID [--json]',
  async run(args, io) {
    const { values, positionals } = parse(args, {});
    const id = positionals[0];
    if (!id || positionals.length > 1) throw new UsageError('expected exactly one host id (see sbx host list)');
    const result = await clientFrom(values).request(
      'POST',
      `/hosts/${encodeURIComponent(id)}/revoke`,
      z.object({ serials: z.array(z.string()), channelClosed: z.boolean() }),
    );
    if (values.json) return io.out(JSON.stringify(result, null, 2));
    io.out(`revoked host ${id}: ${result.serials.length} certificate(s) on the deny list${result.channelClosed ? ', its channel closed' : ''}`);
  },
};
