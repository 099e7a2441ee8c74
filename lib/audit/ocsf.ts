import type { AuditRecord } from './events';
import { OCSF_VERSION, toOcsfNetworkActivity } from './ocsf-network';

export { OCSF_VERSION };

const PRODUCT = { name: 'Sandbox appliance', vendor_name: 'Sandbox appliance' };

type Mapping = { classUid: number; className: string; categoryUid: number; categoryName: string; activityId: number; activityName: string };

const IAM = { categoryUid: 3, categoryName: 'Identity & Access Management' };
const APP = { categoryUid: 6, categoryName: 'Application Activity' };

const auth = (activityId: number, activityName: string): Mapping => ({ classUid: 3002, className: 'Authentication', ...IAM, activityId, activityName });
const entity = (activityId: number, activityName: string): Mapping => ({ classUid: 3004, className: 'Entity Management', ...IAM, activityId, activityName });
const api = (activityId: number, activityName: string): Mapping => ({ classUid: 6003, className: 'API Activity', ...APP, activityId, activityName });

/**
 * The OCSF class of each action: sign-ins and sign-outs are Authentication (3002), changes to
 * users, keys, settings, hosts and certificates Entity Management (3004), egress decisions Network
 * Activity (4001), and every other call on the appliance (sandboxes, commands, files, the ledger)
 * API Activity (6003).
 */
const MAPPINGS: Record<Exclude<AuditRecord['action'], 'sandbox.egress'>, Mapping> = {
  'auth.sign_in': auth(1, 'Logon'),
  'auth.sign_out': auth(2, 'Logoff'),
  'auth.password_change': auth(99, 'Other'),
  'auth.account_locked': auth(99, 'Other'),
  'user.create': entity(1, 'Create'),
  'user.update': entity(3, 'Update'),
  'apikey.create': entity(1, 'Create'),
  'apikey.revoke': entity(4, 'Delete'),
  'settings.update': entity(3, 'Update'),
  'jointoken.create': entity(1, 'Create'),
  'jointoken.use': api(99, 'Other'),
  'agent.enroll': entity(1, 'Create'),
  'certificate.issue': entity(1, 'Create'),
  'agent.handshake_refused': api(99, 'Other'),
  'agent.revoke': entity(4, 'Delete'),
  'agent.connect': api(99, 'Other'),
  'agent.disconnect': api(99, 'Other'),
  'sandbox.create': api(1, 'Create'),
  'sandbox.start': api(99, 'Other'),
  'sandbox.stop': api(4, 'Delete'),
  'sandbox.exec': api(99, 'Other'),
  'sandbox.file': api(3, 'Update'),
  'sandbox.network': api(3, 'Update'),
  'agent.reconcile': api(99, 'Other'),
  'agent.audit_gap': api(99, 'Other'),
  'system.start': api(99, 'Other'),
  'system.bootstrap': api(1, 'Create'),
  'ledger.self_check': api(2, 'Read'),
  'ledger.key_rotate': entity(3, 'Update'),
  'system.root_key_rotate': entity(3, 'Update'),
  'siem.create': entity(1, 'Create'),
  'audit.purge_request': api(99, 'Other'),
  'audit.purge': api(4, 'Delete'),
  'siem.delete': entity(4, 'Delete'),
  'audit.export': api(2, 'Read'),
  'key.create': entity(1, 'Create'),
  'key.use': api(99, 'Other'),
  'key.rewrap': entity(3, 'Update'),
  'sandbox.pause': api(3, 'Update'),
  'sandbox.resume': api(3, 'Update'),
  'key.rotate': entity(3, 'Update'),
  'key.update': entity(3, 'Update'),
  'key.destroy': entity(4, 'Delete'),
  'policy.apply': entity(3, 'Update'),
  'policy.enforce': api(99, 'Other'),
  'policy.refuse': api(99, 'Other'),
};

/** The OCSF class an action maps to (4001 for egress decisions). */
export function ocsfClassOf(action: AuditRecord['action']): number {
  return action === 'sandbox.egress' ? 4001 : MAPPINGS[action].classUid;
}

/**
 * One audit event as an OCSF 1.3.0 event of its class. The fields every class shares (time,
 * status, actor, source, metadata with the event's number and hash) are filled the same way; the
 * event's own details go in `unmapped.details`, whole, so nothing is lost in translation.
 */
export function toOcsf(e: AuditRecord): Record<string, unknown> {
  if (e.action === 'sandbox.egress') return toOcsfNetworkActivity(e, PRODUCT);
  const m = MAPPINGS[e.action];
  const ok = e.outcome === 'success';
  const target = e.target ? { uid: e.target.id ?? undefined, name: e.target.name ?? undefined, type: e.target.type } : undefined;
  const base: Record<string, unknown> = {
    class_uid: m.classUid,
    class_name: m.className,
    category_uid: m.categoryUid,
    category_name: m.categoryName,
    activity_id: m.activityId,
    activity_name: m.activityName,
    type_uid: m.classUid * 100 + m.activityId,
    severity_id: ok ? 1 : 3,
    time: Date.parse(e.at),
    status_id: ok ? 1 : 2,
    status: ok ? 'Success' : e.outcome === 'denied' ? 'Denied' : 'Failure',
    message: `${e.action} by ${e.actor.name}${e.target ? ` on ${e.target.type} ${e.target.name ?? e.target.id ?? ''}` : ''}: ${e.outcome}`,
    actor: { user: { name: e.actor.name, uid: e.actor.id ?? undefined, type: e.actor.type } },
    src_endpoint: e.sourceIp ? { ip: e.sourceIp } : undefined,
    http_request: e.userAgent ? { user_agent: e.userAgent } : undefined,
    metadata: { version: OCSF_VERSION, product: PRODUCT, uid: String(e.seq), correlation_uid: e.requestId, log_name: 'audit', original_time: e.at },
    unmapped: { action: e.action, details: e.details, audit_hash: e.hash },
  };
  if (m.classUid === 3002) return { ...base, user: { name: e.target?.name ?? e.actor.name, uid: e.target?.id ?? e.actor.id ?? undefined }, auth_protocol: 'Password', is_mfa: false };
  if (m.classUid === 3004) return { ...base, entity: target ?? { name: e.action.split('.')[0] } };
  return { ...base, api: { operation: e.action, service: { name: 'sbx-control-plane' } }, resources: target ? [target] : undefined };
}
