import { z } from 'zod';
import { HostView } from '../../../lib/api/hosts';
import { clientFrom, parse, table, type Command } from '../command';

export const hostList: Command = {
  usage: 'sbx host list [--json]',
  async run(args, io) {
    const { values } = parse(args, {});
    const { hosts } = await clientFrom(values).request('GET', '/hosts', z.object({ hosts: z.array(HostView) }));
    if (values.json) return io.out(JSON.stringify(hosts, null, 2));
    if (hosts.length === 0) return io.out('no hosts; add one with: sbx host token create');
    io.out(
      table([
        ['ID', 'HOSTNAME', 'STATUS', 'LABELS', 'CERT EXPIRES', 'AGENT', 'POLICY', 'SANDBOXES'],
        ...hosts.map((h) => [
          h.id,
          h.hostname,
          h.renewalOverdue ? `${h.status} (renewal overdue)` : h.status,
          Object.entries(h.labels).map(([k, v]) => `${k}=${v}`).join(',') || '-',
          h.certificate?.notAfter ?? '-',
          h.agentVersion ?? '-',
          h.policyVersion === null ? '-' : `v${h.policyVersion}`,
          String(h.sandboxes),
        ]),
      ]),
    );
  },
};
