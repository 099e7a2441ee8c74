import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CreatedApiKey } from '../../lib/api/api-keys';
import type { CreatedJoinToken, HostView } from '../../lib/api/hosts';
import { runAgent, tempStateDir } from '../support/agent';
import { adminClient, startControlPlane, type ControlPlane } from '../support/control-plane';

const root = path.resolve(import.meta.dirname, '../..');
let cp: ControlPlane;
let work: string;
let env: Record<string, string> & { NODE_ENV: 'production' };

beforeAll(async () => {
  cp = await startControlPlane();
  const admin = await adminClient(cp);
  const key = (await admin.post('/api/v1/api-keys', { name: 'cli', role: 'operator', expiresInDays: 1 })).body as CreatedApiKey;
  work = tempStateDir();
  fs.writeFileSync(path.join(work, 'ca.crt'), cp.ca);
  env = {
    PATH: process.env.PATH ?? '',
    NODE_ENV: 'production',
    SBX_URL: `https://localhost:${cp.port}`,
    SBX_API_KEY: key.secret,
    SBX_CA_FILE: path.join(work, 'ca.crt'),
    SBX_CONFIG: path.join(work, 'absent.json'),
  };
});
afterAll(async () => {
  await cp?.stop();
  fs.rmSync(work, { recursive: true, force: true });
});

function sbx(args: string[], extraEnv: Record<string, string> = {}) {
  const r = spawnSync(path.join(root, 'bin', 'sbx'), args, { env: { ...env, ...extraEnv }, encoding: 'utf8', timeout: 30_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

describe('sbx host', () => {
  it('creates a join token, lists the host that used it, and revokes it', async () => {
    const created = sbx(['host', 'token', 'create', '--labels', 'zone=eu-1,tier=cpu', '--ttl-minutes', '30', '--json']);
    expect(created.code).toBe(0);
    const token = JSON.parse(created.out) as CreatedJoinToken;
    expect(token.labels).toEqual({ zone: 'eu-1', tier: 'cpu' });
    const join = runAgent(path.join(work, 'agent'), ['join', '--url', `https://127.0.0.1:${cp.port}`, '--token', token.token, '--hostname', 'cli-host']);
    expect(await join.exit).toBe(0);

    const listed = sbx(['host', 'list', '--json']);
    expect(listed.code).toBe(0);
    const hosts = JSON.parse(listed.out) as HostView[];
    expect(hosts).toHaveLength(1);
    expect(hosts[0]).toMatchObject({ hostname: 'cli-host', status: 'offline', labels: { zone: 'eu-1', tier: 'cpu' } });
    const text = sbx(['host', 'list']);
    expect(text.out).toMatch(/^ID\s+HOSTNAME\s+STATUS/);
    expect(text.out).toContain('cli-host');

    const revoked = sbx(['host', 'revoke', hosts[0]!.id]);
    expect(revoked.code).toBe(0);
    expect(revoked.out).toContain(`revoked host ${hosts[0]!.id}`);
    expect((JSON.parse(sbx(['host', 'list', '--json']).out) as HostView[])[0]?.status).toBe('revoked');
  });

  it('explains bad arguments with the flag and what it expects (exit 2)', () => {
    const noEq = sbx(['host', 'token', 'create', '--labels', 'zone']);
    expect(noEq.code).toBe(2);
    expect(noEq.err).toContain('--labels: expected key=value, got "zone"');
    const badKey = sbx(['host', 'token', 'create', '--labels', 'Zone=x']);
    expect(badKey.code).toBe(2);
    expect(badKey.err).toContain('--labels: expected a label key');
    const ttl = sbx(['host', 'token', 'create', '--ttl-minutes', '5000']);
    expect(ttl.code).toBe(2);
    expect(ttl.err).toContain('--ttl-minutes: expected at most 1440 minutes (24 hours)');
    const unknownFlag = sbx(['host', 'list', '--colour']);
    expect(unknownFlag.code).toBe(2);
    expect(sbx(['host', 'revoke']).code).toBe(2);
    expect(sbx(['nonsense']).code).toBe(2);
  });

  it('reports the API\'s errors by name, never with a stack trace (exit 1)', () => {
    const missing = sbx(['host', 'revoke', 'nosuchhost']);
    expect(missing.code).toBe(1);
    expect(missing.err).toContain('No host with id nosuchhost');
    expect(missing.err).not.toMatch(/\n\s+at /);
    const badKey = sbx(['host', 'list'], { SBX_API_KEY: 'sbx_aaaaaaaaaaaa_' + 'A'.repeat(43) });
    expect(badKey.code).toBe(1);
    expect(badKey.err).toContain('is not valid');
    const noKey = sbx(['host', 'list'], { SBX_API_KEY: '' });
    expect(noKey.code).toBe(1);
    expect(noKey.err).toContain('no API key');
  });

  it('on the appliance host, finds URL, CA and the bootstrap developer key by itself', () => {
    const local = { SBX_URL: '', SBX_API_KEY: '', SBX_CA_FILE: '', SBX_CONFIG: path.join(work, 'absent.json'), SBX_DATA_DIR: cp.dataDir };
    const list = sbx(['sandbox', 'list', '--json'], local);
    expect(list.code).toBe(0);
    expect(JSON.parse(list.out)).toEqual([]);
    // The bootstrap key is a developer's: it may use sandboxes, not manage hosts.
    const hosts = sbx(['host', 'list'], local);
    expect(hosts.code).toBe(1);
    expect(hosts.err).toContain('does not allow hosts.read');
    // Pointed at another appliance, the local key is not offered to it.
    const elsewhere = sbx(['sandbox', 'list'], { ...local, SBX_URL: 'https://127.0.0.1:9' });
    expect(elsewhere.code).toBe(1);
    expect(elsewhere.err).toContain('no API key');
  });

  it('finds the appliance from the config file when the environment is silent', () => {
    const file = path.join(work, 'config.json');
    fs.writeFileSync(file, JSON.stringify({ url: env.SBX_URL, apiKey: env.SBX_API_KEY, caFile: env.SBX_CA_FILE }));
    const r = sbx(['host', 'list', '--json'], { SBX_URL: '', SBX_API_KEY: '', SBX_CA_FILE: '', SBX_CONFIG: file });
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out)).toHaveLength(1);
  });
});
