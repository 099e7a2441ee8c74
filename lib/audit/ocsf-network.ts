import type { AuditRecord } from './events';

/** The OCSF schema version exports are written against. */
export const OCSF_VERSION = '1.3.0';

type EgressRecord = Extract<AuditRecord, { action: 'sandbox.egress' }>;

/**
 * An egress decision (`sandbox.egress`) as an OCSF Network Activity event (class 4001). A denied
 * connection is a Refuse (activity 5, disposition Blocked), an allowed one an Open (activity 1,
 * disposition Allowed); DNS decisions are the same class with the name as the destination host
 * and port 53. `count`, `start_time` and `end_time` carry the aggregation; the rule that matched
 * and the reason go in `unmapped` (OCSF has no field for them).
 */
export function toOcsfNetworkActivity(e: EgressRecord, product = { name: 'Sandbox appliance', vendor_name: 'Sandbox appliance' }): Record<string, unknown> {
  const d = e.details;
  const allowed = d.verdict === 'allowed';
  const activityId = allowed ? 1 : 5;
  const dst: Record<string, unknown> =
    d.kind === 'dns'
      ? { hostname: d.name, port: 53 }
      : { ...(d.destination ? { ip: d.destination } : {}), ...(d.name ? { hostname: d.name } : {}), ...(d.port !== undefined ? { port: d.port } : {}) };
  return {
    class_uid: 4001,
    class_name: 'Network Activity',
    category_uid: 4,
    category_name: 'Network Activity',
    activity_id: activityId,
    activity_name: allowed ? 'Open' : 'Refuse',
    type_uid: 4001 * 100 + activityId,
    severity_id: allowed ? 1 : 3,
    time: Date.parse(e.at),
    start_time: Date.parse(d.firstAt),
    end_time: Date.parse(d.lastAt),
    count: d.count,
    status_id: allowed ? 1 : 2,
    disposition_id: allowed ? 1 : 2,
    disposition: allowed ? 'Allowed' : 'Blocked',
    action_id: allowed ? 1 : 2,
    action: allowed ? 'Allowed' : 'Denied',
    message: `${d.kind === 'dns' ? `DNS ${d.queryType ?? ''} ${d.name ?? ''}` : `${d.protocol ?? ''} ${d.name ?? d.destination ?? ''}:${d.port ?? ''}`} ${d.verdict} (${d.reason})`,
    src_endpoint: { uid: e.target?.id ?? undefined, name: e.target?.id ?? undefined, type: 'Virtual Machine' },
    dst_endpoint: dst,
    connection_info: { protocol_name: d.kind === 'dns' ? 'udp' : (d.protocol ?? 'tcp'), direction_id: 2, direction: 'Outbound' },
    actor: { user: { name: e.actor.name, uid: e.actor.id ?? undefined, type: e.actor.type } },
    metadata: { version: OCSF_VERSION, product, uid: String(e.seq), log_name: 'audit', original_time: e.at },
    unmapped: { reason: d.reason, rule: d.rule, query_type: d.queryType, addresses: d.addresses, audit_hash: e.hash },
  };
}
