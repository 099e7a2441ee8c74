import { z } from 'zod';
import { ErrorBody } from '../errors';
import { ApiKeyView, CreateApiKeyBody, CreatedApiKey } from './api-keys';
import { ApplyPoliciesBody, CurrentPolicies, PlanPoliciesBody, PolicyPlan, PolicyRollout, PolicyVersionDetail, PolicyVersionView } from './policies';
import { CreateKekBody, DestroyKekVersionBody, KekVersionStateBody, KekView, RewrapStatus, UpdateKekBody } from './keys';
import { SiemDestinationBody, SiemDestinationView } from './siem';
import { AuditPage, AuditQuery, ExportBody, ExportView, InclusionProofView, LedgerSelfCheck, LedgerStatus, PurgeView, RetentionView } from './audit';
import { ChangePasswordBody, SessionInfo, SignInBody, SignOutBody } from './auth';
import { Health } from './health';
import { CreateJoinTokenBody, CreatedJoinToken, EnrollBody, EnrollResult, HostView } from './hosts';
import { FileList, FilePathQuery, FileWritten, MakeDirectoryBody, RemoveFileQuery } from './files';
import { CommandView, CreateSandboxBody, ExecBody, ExecEvent, SandboxView, SetNetworkBody } from './sandboxes';
import { NetworkSpec } from './network';
import { Settings, UpdateSettingsBody } from './settings';
import { SandboxUsage } from '../wire/protocol';
import { CreateUserBody, CreatedUser, UpdateUserBody, UserView } from './users';

type Operation = {
  method: 'get' | 'post' | 'put' | 'patch' | 'delete';
  path: string;
  summary: string;
  auth: boolean;
  body?: z.ZodType;
  query?: z.ZodType;
  response?: z.ZodType;
  /** The response is NDJSON, one of these per line. */
  ndjson?: z.ZodType;
  text?: boolean;
  /** The request body, or the answer, is raw bytes (application/octet-stream). */
  binaryBody?: boolean;
  binary?: boolean;
};

/** Every route of /api/v1, with the zod schemas it parses and answers with. A test keeps it in step with app/api. */
export const operations: Operation[] = [
  { method: 'get', path: '/health', summary: 'Health of the control plane', auth: false, response: Health },
  { method: 'post', path: '/auth/sign-in', summary: 'Sign in to the console', auth: false, body: SignInBody, response: SessionInfo },
  { method: 'post', path: '/auth/sign-out', summary: 'Sign out', auth: true, body: SignOutBody },
  { method: 'get', path: '/auth/session', summary: 'The current console session', auth: true, response: SessionInfo },
  { method: 'post', path: '/auth/password', summary: 'Change your password', auth: true, body: ChangePasswordBody },
  { method: 'get', path: '/users', summary: 'List users', auth: true, response: z.object({ users: z.array(UserView) }) },
  { method: 'post', path: '/users', summary: 'Create a user', auth: true, body: CreateUserBody, response: CreatedUser },
  { method: 'patch', path: '/users/{id}', summary: 'Change a role, disable, enable or unlock a user', auth: true, body: UpdateUserBody, response: z.object({ user: UserView }) },
  { method: 'get', path: '/api-keys', summary: 'List API keys', auth: true, response: z.object({ apiKeys: z.array(ApiKeyView) }) },
  { method: 'post', path: '/api-keys', summary: 'Create an API key (its secret is shown once)', auth: true, body: CreateApiKeyBody, response: CreatedApiKey },
  { method: 'delete', path: '/api-keys/{id}', summary: 'Revoke an API key', auth: true, response: z.object({ apiKey: ApiKeyView }) },
  { method: 'get', path: '/audit', summary: 'Page through the audit trail', auth: true, query: AuditQuery, response: AuditPage },
  { method: 'post', path: '/audit/verify', summary: 'Run the ledger integrity self-check now (recompute every event, check every signed checkpoint)', auth: true, response: LedgerSelfCheck },
  { method: 'get', path: '/audit/ledger', summary: 'The ledger: size, root, latest signed checkpoint, key versions, last self-check', auth: true, response: LedgerStatus },
  { method: 'post', path: '/audit/ledger/rotate-key', summary: 'Make a new checkpoint signing key version (old versions stay for verification)', auth: true, response: LedgerStatus },
  { method: 'post', path: '/audit/exports', summary: 'Start an evidence export (from/to optional); answers with its progress', auth: true, body: ExportBody, response: z.object({ export: ExportView }) },
  { method: 'get', path: '/audit/exports/{id}', summary: "An export's progress, then its bundle's size and SHA-256", auth: true, response: z.object({ export: ExportView }) },
  { method: 'get', path: '/audit/exports/{id}/bundle', summary: 'Download a finished evidence bundle (a tar)', auth: true, binary: true },
  { method: 'get', path: '/audit/retention', summary: 'Audit retention in force, events past it, purges', auth: true, response: RetentionView },
  { method: 'post', path: '/audit/retention/purges', summary: 'Ask to remove the events past retention (a second admin approves)', auth: true, response: z.object({ purge: PurgeView }) },
  { method: 'post', path: '/audit/retention/purges/{id}/approve', summary: "Approve and carry out another admin's purge (tombstones keep the tree verifiable)", auth: true, response: z.object({ purge: PurgeView }) },
  { method: 'get', path: '/audit/siem', summary: 'SIEM destinations and how far each got', auth: true, response: z.object({ destinations: z.array(SiemDestinationView) }) },
  { method: 'post', path: '/audit/siem', summary: 'Add a SIEM destination (Splunk HEC, HTTPS OCSF, syslog/TLS CEF)', auth: true, body: SiemDestinationBody, response: z.object({ destination: SiemDestinationView }) },
  { method: 'delete', path: '/audit/siem/{id}', summary: 'Remove a SIEM destination', auth: true },
  { method: 'get', path: '/policies', summary: 'The policies in force and their version', auth: true, response: CurrentPolicies },
  { method: 'put', path: '/policies', summary: 'Replace the policy set (a new signed version, rolled out to every host)', auth: true, body: ApplyPoliciesBody, response: z.object({ version: PolicyVersionView, changed: z.boolean() }) },
  { method: 'post', path: '/policies/plan', summary: 'What applying a policy set would change', auth: true, body: PlanPoliciesBody, response: PolicyPlan },
  { method: 'get', path: '/policies/rollout', summary: 'Per host: applied, pending or failed, and drift', auth: true, response: PolicyRollout },
  { method: 'get', path: '/policies/versions', summary: 'Every version of the policy set, newest first', auth: true, response: z.object({ versions: z.array(PolicyVersionView) }) },
  { method: 'get', path: '/policies/versions/{version}', summary: 'One version with its policies', auth: true, response: PolicyVersionDetail },
  { method: 'post', path: '/policies/versions/{version}/rollback', summary: 'Roll back: a new version with that version\'s policies', auth: true, response: z.object({ version: PolicyVersionView, changed: z.boolean() }) },
  { method: 'get', path: '/keys', summary: 'Key-encryption keys and their versions (never key material)', auth: true, response: z.object({ keys: z.array(KekView) }) },
  { method: 'post', path: '/keys', summary: 'Create a key-encryption key', auth: true, body: CreateKekBody, response: z.object({ key: KekView }) },
  { method: 'get', path: '/keys/{id}', summary: 'One key-encryption key, by id or name', auth: true, response: z.object({ key: KekView }) },
  { method: 'patch', path: '/keys/{id}', summary: "Set a key's minimum decryption version", auth: true, body: UpdateKekBody, response: z.object({ key: KekView }) },
  { method: 'get', path: '/keys/{id}/rewrap', summary: 'How far the stored data keys are, by version, and whether a rewrap runs', auth: true, response: z.object({ rewrap: RewrapStatus }) },
  { method: 'post', path: '/keys/{id}/rewrap', summary: 'Move every stored data key to the latest version (headers only, the data stays)', auth: true, response: z.object({ rewrap: RewrapStatus }) },
  { method: 'post', path: '/keys/{id}/rotate', summary: 'Add a version; new data keys use it at once', auth: true, response: z.object({ key: KekView }) },
  { method: 'patch', path: '/keys/{id}/versions/{version}', summary: 'Disable or enable a version', auth: true, body: KekVersionStateBody, response: z.object({ key: KekView }) },
  { method: 'post', path: '/keys/{id}/versions/{version}/destroy', summary: 'Destroy a version for good (crypto-shredding); confirm with NAME:vVERSION', auth: true, body: DestroyKekVersionBody, response: z.object({ key: KekView }) },
  { method: 'get', path: '/audit/events/{seq}/proof', summary: "An event's inclusion proof in the latest signed checkpoint", auth: true, response: InclusionProofView },
  { method: 'get', path: '/settings', summary: 'Appliance settings', auth: true, response: z.object({ settings: Settings }) },
  { method: 'patch', path: '/settings', summary: 'Change appliance settings', auth: true, body: UpdateSettingsBody, response: z.object({ settings: Settings }) },
  { method: 'get', path: '/hosts', summary: 'List hosts', auth: true, response: z.object({ hosts: z.array(HostView) }) },
  { method: 'get', path: '/hosts/{id}', summary: 'A host', auth: true, response: z.object({ host: HostView }) },
  { method: 'post', path: '/hosts/{id}/revoke', summary: 'Revoke a host', auth: true },
  { method: 'post', path: '/hosts/join-tokens', summary: 'Create a join token for a new host', auth: true, body: CreateJoinTokenBody, response: CreatedJoinToken },
  { method: 'post', path: '/hosts/ping', summary: 'Push an echo to every connected agent', auth: true },
  { method: 'post', path: '/agents/enroll', summary: 'Enrol a host agent with a join token', auth: false, body: EnrollBody, response: EnrollResult },
  { method: 'get', path: '/pki/ca', summary: 'The internal CA certificate (PEM)', auth: false, text: true },
  { method: 'get', path: '/pki/crl', summary: 'The signed certificate revocation list (PEM, or DER with ?format=der)', auth: false, text: true },
  { method: 'get', path: '/sandboxes', summary: 'List sandboxes', auth: true, response: z.object({ sandboxes: z.array(SandboxView) }) },
  { method: 'post', path: '/sandboxes', summary: 'Create a sandbox', auth: true, body: CreateSandboxBody, response: z.object({ sandbox: SandboxView }) },
  { method: 'get', path: '/sandboxes/{id}', summary: 'A sandbox', auth: true, response: z.object({ sandbox: SandboxView }) },
  { method: 'delete', path: '/sandboxes/{id}', summary: 'Kill a sandbox', auth: true, response: z.object({ sandbox: SandboxView }) },
  { method: 'post', path: '/sandboxes/{id}/exec', summary: 'Run a command; output streams as NDJSON (with background: true, answers { command } at once)', auth: true, body: ExecBody, ndjson: ExecEvent },
  { method: 'get', path: '/sandboxes/{id}/network', summary: 'A sandbox\'s network: mode and egress rules', auth: true, response: z.object({ network: NetworkSpec }) },
  { method: 'put', path: '/sandboxes/{id}/network', summary: 'Replace a running sandbox\'s egress rules (applied live)', auth: true, body: SetNetworkBody, response: z.object({ sandbox: SandboxView }) },
  { method: 'post', path: '/sandboxes/{id}/pause', summary: 'Pause a sandbox into an encrypted image on its host (memory freed, clock stopped)', auth: true, response: z.object({ sandbox: SandboxView }) },
  { method: 'post', path: '/sandboxes/{id}/resume', summary: 'Resume a paused sandbox with its files and processes', auth: true, response: z.object({ sandbox: SandboxView }) },
  { method: 'get', path: '/sandboxes/{id}/network/decisions', summary: 'Recent egress decisions of a sandbox (audit events)', auth: true, response: AuditPage },
  { method: 'get', path: '/sandboxes/{id}/usage', summary: 'Resource use of a running sandbox', auth: true, response: z.object({ usage: SandboxUsage }) },
  { method: 'get', path: '/sandboxes/{id}/commands', summary: 'Command history of a sandbox', auth: true, response: z.object({ commands: z.array(CommandView) }) },
  { method: 'get', path: '/sandboxes/{id}/commands/{commandId}', summary: 'A command', auth: true, response: z.object({ command: CommandView }) },
  { method: 'post', path: '/sandboxes/{id}/commands/{commandId}/wait', summary: 'Follow a command: kept output, live output, exit (NDJSON)', auth: true, ndjson: ExecEvent },
  { method: 'post', path: '/sandboxes/{id}/commands/{commandId}/kill', summary: 'Kill a running command', auth: true, response: z.object({ command: CommandView }) },
  { method: 'get', path: '/sandboxes/{id}/files', summary: 'Download a file (streamed bytes)', auth: true, query: FilePathQuery, binary: true },
  { method: 'put', path: '/sandboxes/{id}/files', summary: 'Upload a file from the raw body (streamed)', auth: true, query: FilePathQuery, binaryBody: true, response: z.object({ file: FileWritten }) },
  { method: 'delete', path: '/sandboxes/{id}/files', summary: 'Remove a file or, recursively, a directory', auth: true, query: RemoveFileQuery, response: z.object({ removed: z.boolean() }) },
  { method: 'get', path: '/sandboxes/{id}/files/list', summary: 'List a directory', auth: true, query: FilePathQuery, response: FileList },
  { method: 'post', path: '/sandboxes/{id}/files/mkdir', summary: 'Make a directory and its missing parents', auth: true, body: MakeDirectoryBody, response: z.object({ created: z.boolean() }) },
  { method: 'get', path: '/openapi.json', summary: 'This document', auth: false },
];

const json = (schema: z.ZodType) => z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' });

/** The OpenAPI 3.1 document of /api/v1, generated from the same zod schemas the routes parse with. */
export function openApiDocument(version: string): object {
  const paths: Record<string, Record<string, object>> = {};
  for (const op of operations) {
    const params = [...op.path.matchAll(/\{(\w+)\}/g)].map((m) => ({ name: m[1], in: 'path', required: true, schema: { type: 'string' } }));
    const query = op.query ? Object.entries((json(op.query) as { properties?: Record<string, object> }).properties ?? {}).map(([name, schema]) => ({ name, in: 'query', required: false, schema })) : [];
    const ok = op.ndjson
      ? { 'application/x-ndjson': { schema: json(op.ndjson) } }
      : op.binary
        ? { 'application/octet-stream': { schema: { type: 'string', contentMediaType: 'application/octet-stream' } } }
        : op.text
        ? { 'application/x-pem-file': { schema: { type: 'string' } } }
        : { 'application/json': { schema: op.response ? json(op.response) : {} } };
    (paths[op.path] ??= {})[op.method] = {
      summary: op.summary,
      ...(op.auth ? {} : { security: [] }),
      ...(params.length + query.length ? { parameters: [...params, ...query] } : {}),
      ...(op.body ? { requestBody: { required: true, content: { 'application/json': { schema: json(op.body) } } } } : {}),
      ...(op.binaryBody ? { requestBody: { required: true, content: { 'application/octet-stream': { schema: { type: 'string', contentMediaType: 'application/octet-stream' } } } } } : {}),
      responses: {
        '200': { description: 'OK', content: ok },
        default: { description: 'An error, in the one error shape', content: { 'application/json': { schema: json(ErrorBody) } } },
      },
    };
  }
  return {
    openapi: '3.1.0',
    info: { title: 'Sandbox appliance API', version },
    servers: [{ url: '/api/v1' }],
    components: { securitySchemes: { apiKey: { type: 'http', scheme: 'bearer', description: 'sbx_<id>_<secret>' }, session: { type: 'apiKey', in: 'cookie', name: '__Host-sbx_session' } } },
    security: [{ apiKey: [] }, { session: [] }],
    paths,
  };
}
