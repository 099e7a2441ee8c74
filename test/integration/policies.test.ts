import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CreatedApiKey } from '../../lib/api/api-keys';
import type { CurrentPolicies, PolicyRollout, PolicyVersionView } from '../../lib/api/policies';
import { canonicalJson } from '../../lib/canonical-json';
import { policySetHash } from '../../lib/policy/signed-policy';
import type { Policy } from '../../lib/policy/model';
import { Sandbox, type ExecResult } from '../../sdk';
import { joinToken, runAgent, tempStateDir, waitForHost, type AgentProcess } from '../support/agent';
import { adminClient, startControlPlane, type ControlPlane } from '../support/control-plane';
import { until as untilRaw } from '../support/until';

const root = path.resolve(import.meta.dirname, '../..');
const until = (check: () => boolean | Promise<boolean>, ms: number) => untilRaw(check, ms, 'the expected policy state');
let cp: ControlPlane;
let admin: Awaited<ReturnType<typeof adminClient>>;
let work: string;
let agentDir: string;
let agent: AgentProcess;
let agentId: string;
let env: Record<string, string>;

const repo = () => path.join(work, 'policy-repo');
const consoleUrl = () => `https://127.0.0.1:${cp.port}`;
const sbx = (args: string[]) => {
  const r = spawnSync(path.join(root, 'bin', 'sbx'), args, { env: env as NodeJS.ProcessEnv, encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
};
const git = (...args: string[]) => execFileSync('git', ['-C', repo(), ...args], { encoding: 'utf8' }).trim();
const rollout = async () => (await admin.get('/api/v1/policies/rollout')).body as PolicyRollout;
const current = async () => (await admin.get('/api/v1/policies')).body as CurrentPolicies;
const events = async (action: string) =>
  ((await admin.get(`/api/v1/audit?action=${action}&limit=200`)).body as { events: { actor: { name: string }; outcome: string; details: Record<string, unknown> }[] }).events;
const hostState = async () => (await rollout()).hosts.find((h) => h.hostId === agentId);

function startAgent(): AgentProcess {
  return runAgent(agentDir, ['run'], { SBX_AGENT_RUN_DIR: `/dev/shm/sbx-agent-run-pol-${process.pid}`, SBX_AGENT_STAGING_DIR: `/dev/shm/sbx-agent-pol-${process.pid}` });
}

beforeAll(async () => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'sbx-policies-'));
  cp = await startControlPlane({ SBX_LOG_LEVEL: 'info' }, path.join(work, 'cp'));
  admin = await adminClient(cp);
  const key = (await admin.post('/api/v1/api-keys', { name: 'policy-admin', role: 'admin', expiresInDays: 1 })).body as CreatedApiKey;
  fs.writeFileSync(path.join(work, 'ca.crt'), cp.ca);
  env = { PATH: process.env.PATH ?? '', NODE_ENV: 'production', HOME: work, SBX_URL: `https://localhost:${cp.port}`, SBX_API_KEY: key.secret, SBX_CA_FILE: path.join(work, 'ca.crt'), SBX_CONFIG: path.join(work, 'absent.json') };
  agentDir = tempStateDir();
  const t = await joinToken(admin, { labels: { zone: 'general' } });
  const join = runAgent(agentDir, ['join', '--url', consoleUrl(), '--token', t.token, '--hostname', 'policy-host']);
  expect(await join.exit).toBe(0);
  agent = startAgent();
  const hosts = (await admin.get('/api/v1/hosts')).body as { hosts: { id: string; hostname: string }[] };
  agentId = hosts.hosts.find((h) => h.hostname === 'policy-host')?.id ?? '';
  await waitForHost(admin, agentId, (h) => h.status === 'online');
  // The sample repository, as a team keeps it: in git, with an author.
  fs.cpSync(path.join(root, 'policies'), repo(), { recursive: true });
  execFileSync('git', ['init', '-q', repo()]);
  git('-c', 'user.name=Dana Reviewer', '-c', 'user.email=dana@example.org', 'add', '.');
  git('-c', 'user.name=Dana Reviewer', '-c', 'user.email=dana@example.org', 'commit', '-q', '-m', 'policies');
}, 180_000);
afterAll(async () => {
  await agent?.stop();
  await cp?.stop();
  fs.rmSync(work, { recursive: true, force: true });
  if (agentDir) fs.rmSync(agentDir, { recursive: true, force: true });
});

describe('policy as code', () => {
  it('starts with a signed version 1 that every host acknowledges', async () => {
    const c = await current();
    expect(c.version).toMatchObject({ version: 1, source: { kind: 'initial' }, actor: 'system' });
    expect(c.policies.map((p) => p.name)).toEqual(['default']);
    await until(async () => (await hostState())?.state === 'applied', 20_000);
    expect(await hostState()).toMatchObject({ state: 'applied', version: 1, hash: c.version.hash, drift: false });
    expect(((await admin.get(`/api/v1/hosts/${agentId}`)).body as { host: { policyVersion: number | null } }).host.policyVersion).toBe(1);
    // The agent keeps it on disk, signed, as its last known good version.
    const held = JSON.parse(fs.readFileSync(path.join(agentDir, 'policy.json'), 'utf8')) as { version: number; signature: string; signer: string };
    expect(held).toMatchObject({ version: 1, hash: c.version.hash });
    expect(held.signer).toContain('BEGIN CERTIFICATE');
  });

  it('plan shows the diff and exits 2; apply refuses a missing key by field, then applies with the git commit and author', async () => {
    const plan = sbx(['policy', 'plan', repo()]);
    expect(plan.out).toContain('+ policy baseline');
    expect(plan.out).toContain('- policy default');
    expect(plan.out).toContain('Plan: 3 to add, 0 to change, 1 to remove.');
    expect(plan.code).toBe(2);

    const refused = sbx(['policy', 'apply', repo()]);
    expect(refused.code).toBe(1);
    expect(refused.err).toMatch(/policies\.\d\.encryption\.kek: policy "data-science" names key "team-data-science", which does not exist/);
    expect((await current()).version.version).toBe(1);

    for (const name of ['team-data-science', 'regulated-data']) expect((await admin.post('/api/v1/keys', { name })).status).toBe(200);
    const applied = sbx(['policy', 'apply', repo(), '--wait']);
    expect(applied.err).toBe('');
    expect(applied.out).toMatch(/Applied: version 2 \([0-9a-f]{12}\) from commit [0-9a-f]{12}\./);
    expect(applied.out).toContain('Acknowledged by every connected host (1).');
    expect(applied.code).toBe(0);
    const v2 = (await current()).version;
    expect(v2.source).toEqual({ kind: 'git', commit: git('rev-parse', 'HEAD'), author: 'Dana Reviewer <dana@example.org>', dirty: false });
    expect(v2.changes).toMatchObject({ added: ['baseline', 'data-science', 'regulated-no-network'], removed: ['default'] });
    const [audit] = await events('policy.apply');
    expect(audit).toMatchObject({ actor: { name: 'admin/policy-admin' }, details: { version: 2, previousVersion: 1, source: { kind: 'git', author: 'Dana Reviewer <dana@example.org>' } } });
    // Before and after in the audit trail itself: whole policies that came and went.
    expect(audit?.details.removedPolicies).toEqual([expect.objectContaining({ name: 'default', network: { mode: 'open', allow: [] } })]);
    expect((audit?.details.addedPolicies as { name: string }[]).map((p) => p.name)).toEqual(['baseline', 'data-science', 'regulated-no-network']);
    expect((await events('policy.enforce')).some((e) => e.details.version === 2)).toBe(true);
    // The regulated policy keeps audit events 7 years: longer than Settings' 6, so 7 is in force.
    expect((await admin.get('/api/v1/audit/retention')).body).toMatchObject({ retentionYears: 7 });

    const again = sbx(['policy', 'plan', repo()]);
    expect(again.out.trim()).toBe('No changes: the control plane holds these policies.');
    expect(again.code).toBe(0);
    // 2 means "changes": a mistyped call must not look like a plan to a CI step.
    const typo = sbx(['policy', 'plan', repo(), '--colour']);
    expect(typo.err).toContain("Unknown option '--colour'");
    expect(typo.code).toBe(1);
  });

  it('plans a field change, and pull writes files that plan as unchanged', async () => {
    fs.writeFileSync(path.join(repo(), 'baseline.yaml'), fs.readFileSync(path.join(repo(), 'baseline.yaml'), 'utf8').replace('maxCpus: 1', 'maxCpus: 2'));
    const plan = sbx(['policy', 'plan', repo()]);
    expect(plan.out).toContain('~ policy baseline\n    sandbox.maxCpus: 1 -> 2');
    expect(plan.out).toContain('Plan: 0 to add, 1 to change, 0 to remove.');
    expect(plan.code).toBe(2);
    // Applied from a tree with uncommitted changes: the version says so, and its audit event
    // carries the field's before and after.
    const dirty = sbx(['policy', 'apply', repo()]);
    expect(dirty.out).toMatch(/Applied: version 3 .* \(with uncommitted changes\)\./);
    expect((await current()).version.source).toMatchObject({ kind: 'git', dirty: true });
    expect((await events('policy.apply'))[0]?.details.changes).toEqual({ added: [], removed: [], changed: [{ name: 'baseline', fields: [{ path: 'sandbox.maxCpus', before: 1, after: 2 }] }] });
    git('checkout', '--', 'baseline.yaml');
    expect(sbx(['policy', 'apply', repo()]).out).toMatch(/Applied: version 4 .* from commit [0-9a-f]{12}\./);
    const pulled = path.join(work, 'pulled');
    const pull = sbx(['policy', 'pull', pulled]);
    expect(pull.out).toContain('Wrote 3 policies of version 4');
    expect(sbx(['policy', 'validate', pulled]).out.trim()).toBe('3 policies valid');
    expect(sbx(['policy', 'plan', pulled]).code).toBe(0);
  });

  it('refuses bad input by field, a stale plan, and changes nothing', async () => {
    const policies = (await current()).policies;
    const bad = await admin.put('/api/v1/policies', { policies: [{ ...policies[0], sandbox: { maxCpus: 'many' } }] });
    expect(bad.status).toBe(400);
    expect(JSON.stringify(bad.body)).toMatch(/policies\.0\.sandbox\.maxCpus/);
    const twice = await admin.put('/api/v1/policies', { policies: [policies[0], policies[0]] });
    expect(JSON.stringify(twice.body)).toContain('expected a unique name');
    const stale = await admin.put('/api/v1/policies', { policies: [policies[0]], expectedVersion: 1 });
    expect(stale.status).toBe(409);
    // Policies are for admins and operators to change; auditors read them; developers do neither.
    const auditor = ((await admin.post('/api/v1/api-keys', { name: 'reader', role: 'auditor', expiresInDays: 1 })).body as CreatedApiKey).secret;
    const developer = ((await admin.post('/api/v1/api-keys', { name: 'dev', role: 'developer', expiresInDays: 1 })).body as CreatedApiKey).secret;
    expect((await admin.get('/api/v1/policies/rollout', { bearer: auditor })).status).toBe(200);
    expect((await admin.put('/api/v1/policies', { policies: [policies[0]] }, { bearer: auditor })).status).toBe(403);
    expect((await admin.post('/api/v1/policies/versions/1/rollback', {}, { bearer: auditor })).status).toBe(403);
    expect((await admin.get('/api/v1/policies', { bearer: developer })).status).toBe(403);
    expect((await admin.put('/api/v1/policies', { policies: [policies[0]] }, { bearer: developer })).status).toBe(403);
    expect((await admin.post('/api/v1/policies/versions/99/rollback', {})).body).toMatchObject({ error: { code: 'not_found', message: 'No policy version 99 to roll back to.' } });
    expect((await current()).version.version).toBe(4);
  });

  it('holds sandboxes to their policy: limits, key and network, by API key team', async () => {
    const over = await admin.post('/api/v1/sandboxes', { cpus: 2, timeoutSeconds: 60 });
    expect(over.status).toBe(403);
    expect(over.body).toMatchObject({ error: { code: 'permission_denied', field: 'cpus' } });
    expect(JSON.stringify(over.body)).toContain('cpus: expected at most 1 (policy \\"baseline\\")');
    const otherKey = await admin.post('/api/v1/sandboxes', { cpus: 1, timeoutSeconds: 60, kek: 'regulated-data' });
    expect(otherKey.body).toMatchObject({ error: { code: 'permission_denied', field: 'kek' } });
    const team = ((await admin.post('/api/v1/api-keys', { name: 'ds', role: 'developer', team: 'data-science', expiresInDays: 1 })).body as CreatedApiKey).secret;
    // Only an admin puts a key in a team (a team's policy may allow more).
    const picked = await admin.post('/api/v1/api-keys', { name: 'self-made', role: 'developer', team: 'data-science', expiresInDays: 1 }, { bearer: team });
    expect(picked.body).toMatchObject({ error: { code: 'permission_denied', field: 'team' } });
    const evil = await admin.post('/api/v1/sandboxes', { timeoutSeconds: 60, network: { mode: 'allowlist', allow: [{ domain: 'evil.example' }] } }, { bearer: team });
    expect(evil.body).toMatchObject({ error: { code: 'permission_denied', field: 'network.allow.0' } });
    expect(JSON.stringify(evil.body)).toContain('data-science');
    const ok = await admin.post('/api/v1/sandboxes', { cpus: 1, memoryMiB: 256, timeoutSeconds: 60 });
    expect(ok.status).toBe(200);
    const sandbox = (ok.body as { sandbox: { id: string; kekId: string } }).sandbox;
    const [created] = await events('sandbox.create');
    expect(created?.details).toMatchObject({ policy: 'baseline', kek: 'default' });
    expect((await admin.del(`/api/v1/sandboxes/${sandbox.id}`)).status).toBe(200);
  });

  it('records what the policy asks: command lines and file reads can be left out, never the fact of a command or a write', async () => {
    const { policies, version } = await current();
    const quiet = { ...policies.find((p) => p.name === 'baseline'), name: 'quiet', scope: { hostLabels: {}, teams: [], apiKeys: ['quiet-key'] }, audit: { recordCommands: false, recordFileAccess: false, recordEgress: true, retentionYears: 6 } };
    expect((await admin.put('/api/v1/policies', { policies: [...policies, quiet], source: { kind: 'console' }, expectedVersion: version.version })).status).toBe(200);
    const key = ((await admin.post('/api/v1/api-keys', { name: 'quiet-key', role: 'developer', expiresInDays: 1 })).body as CreatedApiKey).secret;
    const sandbox = await Sandbox.create({ url: `https://localhost:${cp.port}`, apiKey: key, caFile: path.join(work, 'ca.crt'), memoryMiB: 256, timeoutSeconds: 120 });
    try {
      expect(((await sandbox.exec(['sh', '-c', 'echo token-4711 > note.txt'])) as ExecResult).exitCode).toBe(0);
      await sandbox.files.write('written.txt', 'w');
      expect(await sandbox.files.read('note.txt')).toBe('token-4711\n');
      const mine = async (action: string) => ((await admin.get(`/api/v1/audit?action=${action}&target=${sandbox.id}&limit=50`)).body as { events: { details: Record<string, unknown> }[] }).events;
      const execs = await mine('sandbox.exec');
      expect(execs.map((e) => e.details.phase).sort()).toEqual(['end', 'start']);
      for (const e of execs) expect(e.details.command).toBe('[command line not recorded: policy "quiet"]');
      const files = await mine('sandbox.file');
      expect(files.map((e) => `${String(e.details.op)}:${String(e.details.phase)}`).sort()).toEqual(['write:end', 'write:start']);
      expect(JSON.stringify(await admin.get('/api/v1/audit?limit=500'))).not.toContain('token-4711');
    } finally {
      await sandbox.kill();
    }
  });

  it('shows drift for a host that was offline during a change and clears it when the host catches up', async () => {
    await agent.stop();
    await until(async () => (await hostState())?.connected === false, 20_000);
    const rolled = await admin.post('/api/v1/policies/versions/1/rollback', {});
    expect(rolled.status).toBe(200);
    expect((rolled.body as { version: PolicyVersionView }).version).toMatchObject({ version: 6, source: { kind: 'rollback', to: 1 } });
    expect(await hostState()).toMatchObject({ state: 'pending', version: 5, drift: true, connected: false });
    agent = startAgent();
    await until(async () => (await hostState())?.state === 'applied', 30_000);
    expect(await hostState()).toMatchObject({ version: 6, drift: false });
    // Back to version 2's policies, as a new version 7.
    expect((await admin.post('/api/v1/policies/versions/2/rollback', {})).status).toBe(200);
    await until(async () => (await hostState())?.version === 7 && (await hostState())?.state === 'applied', 20_000);
  });

  it('an agent restarted offline enforces its last good version; a forged version and an older one are refused and audited', async () => {
    const good = await current();
    expect(good.version.version).toBe(7);
    await agent.stop();
    await cp.kill('SIGTERM');
    // While the control plane is away the agent starts from its stored version.
    agent = startAgent();
    await until(() => agent.output().includes('enforcing the last known good policy'), 30_000);
    expect(agent.output()).toMatch(/"version":7/);

    // Someone with write access to the database adds a version that lifts the limits, hashed
    // correctly but without the control plane's signature (it reuses version 7's).
    const db = new Database(path.join(cp.dataDir, 'control-plane.db'));
    const loose: Policy[] = good.policies.map((p) => (p.name === 'baseline' ? { ...p, sandbox: { ...p.sandbox, maxCpus: 4 } } : p));
    const row = db.prepare('SELECT * FROM PolicyVersion WHERE version = 7').get() as Record<string, unknown>;
    db.prepare('INSERT INTO PolicyVersion (version, hash, policies, signature, signer, createdAt, actorType, actorId, actorName, source, changes) VALUES (8, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)').run(
      policySetHash(loose), canonicalJson(loose), row.signature, row.signer, row.createdAt, row.actorType, row.actorId, row.actorName, row.source, row.changes,
    );
    db.close();
    await cp.launch();
    await until(async () => (await hostState())?.state === 'failed', 30_000);
    expect((await hostState())?.error).toMatch(/signature of policy version 8 does not hold/);
    await until(async () => (await events('policy.refuse')).length > 0, 30_000);
    expect((await events('policy.refuse'))[0]).toMatchObject({ outcome: 'denied', actor: { name: 'policy-host' }, details: { version: 8, reason: 'bad_signature' } });
    // The control plane believes the forged limits; the host does not.
    const lifted = await admin.post('/api/v1/sandboxes', { cpus: 4, memoryMiB: 256, timeoutSeconds: 60 });
    expect(JSON.stringify(lifted.body)).toMatch(/cpus: expected at most 1 \(policy \\"baseline\\"\)/);

    // An older version (the newer ones removed from the database) is refused as not newer.
    await cp.kill('SIGTERM');
    const db2 = new Database(path.join(cp.dataDir, 'control-plane.db'));
    db2.prepare('DELETE FROM PolicyVersion WHERE version >= 7').run();
    db2.close();
    await cp.launch();
    await until(async () => (await events('policy.refuse')).some((e) => e.details.reason === 'not_newer'), 30_000);
    expect((await events('policy.refuse')).find((e) => e.details.reason === 'not_newer')?.details).toMatchObject({ version: 6 });
    expect(JSON.parse(fs.readFileSync(path.join(agentDir, 'policy.json'), 'utf8'))).toMatchObject({ version: 7, hash: good.version.hash });
  });
});
