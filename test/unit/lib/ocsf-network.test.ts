import { describe, expect, it } from 'vitest';
import { toOcsfNetworkActivity } from '../../../lib/audit/ocsf-network';

const base = {
  seq: 42, prevHash: 'a'.repeat(64), hash: 'b'.repeat(64), at: '2026-11-28T10:00:05.000Z', outcome: 'failure' as const,
  actor: { type: 'agent' as const, id: 'host1', name: 'host-1' }, target: { type: 'sandbox' as const, id: 'sbx-aaaaaaaaaaaaaaaaaaaa', name: 'debian-host' },
  sourceIp: null, userAgent: null, requestId: 'r', action: 'sandbox.egress' as const,
};

describe('OCSF Network Activity mapping', () => {
  it('maps a denied connection to a Refuse with a Blocked disposition, keeping the aggregation and the rule', () => {
    const o = toOcsfNetworkActivity({ ...base, details: { kind: 'connection', verdict: 'denied', reason: 'floor', destination: '169.254.169.254', port: 80, protocol: 'tcp', count: 7, firstAt: '2026-11-28T10:00:00.000Z', lastAt: '2026-11-28T10:00:04.000Z' } });
    expect(o).toMatchObject({
      class_uid: 4001, category_uid: 4, activity_id: 5, type_uid: 400105, disposition_id: 2, action_id: 2, count: 7,
      start_time: Date.parse('2026-11-28T10:00:00.000Z'), end_time: Date.parse('2026-11-28T10:00:04.000Z'),
      dst_endpoint: { ip: '169.254.169.254', port: 80 }, src_endpoint: { uid: 'sbx-aaaaaaaaaaaaaaaaaaaa' },
      connection_info: { protocol_name: 'tcp', direction_id: 2 }, metadata: { version: '1.3.0', uid: '42' }, unmapped: { reason: 'floor' },
    });
  });

  it('maps an allowed DNS answer to an Open towards the name on port 53', () => {
    const o = toOcsfNetworkActivity({ ...base, outcome: 'success', details: { kind: 'dns', verdict: 'allowed', reason: 'allowed', name: 'pypi.org', queryType: 'A', rule: 'pypi.org', addresses: ['151.101.0.223'], count: 1, firstAt: base.at, lastAt: base.at } });
    expect(o).toMatchObject({ activity_id: 1, type_uid: 400101, disposition_id: 1, dst_endpoint: { hostname: 'pypi.org', port: 53 }, connection_info: { protocol_name: 'udp' }, unmapped: { rule: 'pypi.org', query_type: 'A' } });
  });
});
