import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import forge from 'node-forge';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuditPage } from '../../lib/api/audit';
import { CHANNEL_PATH } from '../../lib/wire/protocol';
import { createCaCertificate, issueAgentCertificate, type KeyPair } from '../../server/pki/certificates';
import { loadOrCreateRootKey } from '../../server/keys/root-key';
import { unseal } from '../../server/keys/seal';
import { joinToken, runAgent, tempStateDir } from '../support/agent';
import { adminClient, startControlPlane, type ControlPlane } from '../support/control-plane';

let cp: ControlPlane;
let admin: Awaited<ReturnType<typeof adminClient>>;
let work: string;
let good: { key: string; cert: string; agentId: string };

const pub = (keyPem: string) => {
  const k = forge.pki.privateKeyFromPem(keyPem);
  return forge.pki.setRsaPublicKey(k.n, k.e);
};

beforeAll(async () => {
  cp = await startControlPlane();
  admin = await adminClient(cp);
  work = tempStateDir();
  const state = path.join(work, 'agent');
  const t = await joinToken(admin);
  const join = runAgent(state, ['join', '--url', `https://127.0.0.1:${cp.port}`, '--token', t.token]);
  expect(await join.exit).toBe(0);
  const identity = JSON.parse(fs.readFileSync(path.join(state, 'agent.json'), 'utf8')) as { agentId: string };
  good = { key: fs.readFileSync(path.join(state, 'agent.key'), 'utf8'), cert: fs.readFileSync(path.join(state, 'agent.crt'), 'utf8'), agentId: identity.agentId };
  fs.writeFileSync(path.join(work, 'ca.crt'), cp.ca);
});
afterAll(async () => {
  await cp?.stop();
  fs.rmSync(work, { recursive: true, force: true });
});

function realCa(): KeyPair {
  const root = loadOrCreateRootKey(cp.dataDir).key;
  const keyPem = unseal(root, 'internal-ca-private-key', fs.readFileSync(path.join(cp.dataDir, 'pki', 'ca.key.sealed'), 'utf8')).toString();
  return { certPem: cp.ca, keyPem };
}

function write(name: string, content: string): string {
  const file = path.join(work, name);
  fs.writeFileSync(file, content, { mode: 0o600 });
  return file;
}

/** Opens the agent channel from Node; resolves whether the gateway let it through. */
function nodeChannel(opts: { key?: string; cert?: string; maxVersion?: 'TLSv1.2' | 'TLSv1.3' }): Promise<{ open: boolean; error: string }> {
  return new Promise((resolve) => {
    const ws = new WebSocket(`wss://127.0.0.1:${cp.gatewayPort}${CHANNEL_PATH}`, {
      ca: cp.ca,
      key: opts.key,
      cert: opts.cert,
      maxVersion: opts.maxVersion ?? 'TLSv1.3',
      handshakeTimeout: 5000,
    });
    ws.on('open', () => {
      ws.close();
      resolve({ open: true, error: '' });
    });
    ws.on('error', (e) => resolve({ open: false, error: e.message }));
    ws.on('unexpected-response', (_q, res) => resolve({ open: false, error: `HTTP ${res.statusCode}` }));
  });
}

/** The same from outside Node: openssl s_client sends a request and prints what comes back. */
function opensslChannel(opts: { key?: string; cert?: string; flag?: string }): string {
  const args = ['s_client', '-connect', `127.0.0.1:${cp.gatewayPort}`, opts.flag ?? '-tls1_3', '-CAfile', path.join(work, 'ca.crt'), '-servername', 'localhost', '-ign_eof'];
  if (opts.cert && opts.key) args.push('-cert', write('c.crt', opts.cert), '-key', write('c.key', opts.key));
  const r = spawnSync('openssl', args, { input: 'GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n', encoding: 'utf8', timeout: 15_000 });
  return `${r.stdout}\n${r.stderr}`;
}

/**
 * A certificate that fails verification completes the TLS 1.3 handshake on the client's side (the
 * client sends its certificate last) and the gateway drops the connection before any byte of the
 * application: the request openssl sends gets no answer at all.
 */
function expectDroppedAfterHandshake(output: string): void {
  expect(output).toContain('CONNECTED');
  expect(output).not.toMatch(/HTTP\/1\.1/);
}

async function lastRefusal(): Promise<{ reason: string; detail: string } | undefined> {
  await new Promise((r) => setTimeout(r, 300));
  const page = (await admin.get('/api/v1/audit?action=agent.handshake_refused&limit=1')).body as AuditPage;
  return page.events[0]?.details as { reason: string; detail: string } | undefined;
}

describe('agent gateway handshakes', () => {
  it('lets an enrolled agent in (the baseline every refusal below is measured against)', async () => {
    expect(await nodeChannel({ key: good.key, cert: good.cert })).toEqual({ open: true, error: '' });
    expect(opensslChannel({ key: good.key, cert: good.cert })).toMatch(/HTTP\/1\.1 404/);
  });

  it('refuses TLS 1.2', async () => {
    const r = await nodeChannel({ key: good.key, cert: good.cert, maxVersion: 'TLSv1.2' });
    expect(r.open).toBe(false);
    expect(await lastRefusal()).toMatchObject({ reason: 'protocol_version' });
    const o = opensslChannel({ key: good.key, cert: good.cert, flag: '-tls1_2' });
    expect(o).not.toMatch(/HTTP\/1\.1/);
    expect(o).toMatch(/alert protocol version|wrong version|unsupported protocol/i);
  });

  it('refuses a client with no certificate', async () => {
    const r = await nodeChannel({});
    expect(r.open).toBe(false);
    expect(await lastRefusal()).toMatchObject({ reason: 'no_certificate' });
    const o = opensslChannel({});
    expect(o).not.toMatch(/HTTP\/1\.1/);
    expect(o).toMatch(/certificate required/i);
  });

  it('refuses a certificate from another CA', async () => {
    const other = createCaCertificate('Impostor CA', 'Impostor', 1);
    const forged = issueAgentCertificate(other, pub(good.key), good.agentId, 3600);
    const r = await nodeChannel({ key: good.key, cert: forged.certPem });
    expect(r.open).toBe(false);
    expect(await lastRefusal()).toMatchObject({ reason: 'unknown_ca' });
    const o = opensslChannel({ key: good.key, cert: forged.certPem });
    expect(o).not.toMatch(/HTTP\/1\.1/);
    expectDroppedAfterHandshake(o);
  });

  it('refuses an expired certificate from the right CA', async () => {
    const expired = issueAgentCertificate(realCa(), pub(good.key), good.agentId, -30);
    const r = await nodeChannel({ key: good.key, cert: expired.certPem });
    expect(r.open).toBe(false);
    expect(await lastRefusal()).toMatchObject({ reason: 'expired' });
    const o = opensslChannel({ key: good.key, cert: expired.certPem });
    expect(o).not.toMatch(/HTTP\/1\.1/);
    expectDroppedAfterHandshake(o);
  });

  it('refuses a revoked certificate at the handshake (the CA\'s CRL is loaded into TLS) and publishes it in the CRL', async () => {
    const revoke = await admin.post(`/api/v1/hosts/${good.agentId}/revoke`);
    expect(revoke.status).toBe(200);
    const r = await nodeChannel({ key: good.key, cert: good.cert });
    expect(r.open).toBe(false);
    expect(await lastRefusal()).toMatchObject({ reason: 'revoked' });
    const o = opensslChannel({ key: good.key, cert: good.cert });
    expect(o).not.toMatch(/HTTP\/1\.1/);
    expectDroppedAfterHandshake(o);
    const crl = await admin.get('/api/v1/pki/crl');
    fs.writeFileSync(path.join(work, 'crl.pem'), crl.text);
    const listed = spawnSync('openssl', ['crl', '-in', path.join(work, 'crl.pem'), '-CAfile', path.join(work, 'ca.crt'), '-noout', '-text'], { encoding: 'utf8' });
    expect(listed.status).toBe(0);
    const serial = (JSON.parse(revoke.text) as { serials: string[] }).serials[0] ?? '';
    expect(listed.stdout.toLowerCase()).toContain(serial);
  });
});
