import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import tls from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { client, startControlPlane, type ControlPlane } from '../support/control-plane';

let cp: ControlPlane;
beforeAll(async () => {
  cp = await startControlPlane();
});
afterAll(async () => {
  await cp?.stop();
});

function handshake(version: 'TLSv1.2' | 'TLSv1.3'): Promise<{ ok: boolean; protocol?: string | null; error?: string }> {
  return new Promise((resolve) => {
    const socket = tls.connect(
      { host: '127.0.0.1', servername: 'localhost', port: cp.port, ca: cp.ca, minVersion: version, maxVersion: version },
      () => {
        const protocol = socket.getProtocol();
        socket.end();
        resolve({ ok: socket.authorized, protocol });
      },
    );
    socket.on('error', (e) => resolve({ ok: false, error: e.message }));
  });
}

describe('console listener', () => {
  it('accepts TLS 1.3 with a certificate that chains to the internal CA', async () => {
    const r = await handshake('TLSv1.3');
    expect(r).toMatchObject({ ok: true, protocol: 'TLSv1.3' });
  });

  it('refuses TLS 1.2', async () => {
    const r = await handshake('TLSv1.2');
    expect(r.ok).toBe(false);
    expect(r.error).toMatch(/protocol|version/i);
  });

  it('refuses TLS 1.2 and accepts TLS 1.3 from openssl s_client as well', () => {
    const run = (flag: string) =>
      spawnSync('openssl', ['s_client', '-connect', `127.0.0.1:${cp.port}`, flag, '-CAfile', path.join(cp.dataDir, 'pki', 'ca.crt'), '-servername', 'localhost'], {
        input: '',
        encoding: 'utf8',
        timeout: 10_000,
      });
    const v12 = run('-tls1_2');
    expect(v12.status).not.toBe(0);
    const v13 = run('-tls1_3');
    expect(v13.stdout).toMatch(/Protocol\s*:\s*TLSv1\.3|New, TLSv1\.3/);
    expect(v13.stdout).toMatch(/Verify return code: 0 \(ok\)/);
  });

  it('answers health, serves the login page and sets security headers', async () => {
    const c = client(cp);
    const health = await c.get('/api/v1/health');
    expect(health.status).toBe(200);
    expect(health.body).toMatchObject({ status: 'ok', database: 'ok' });
    const login = await c.get('/login');
    expect(login.status).toBe(200);
    expect(login.text).toContain('Sign in');
    expect(login.headers['strict-transport-security']).toMatch(/max-age/);
    expect(login.headers['x-frame-options']).toBe('DENY');
    expect(health.headers['x-request-id']).toMatch(/[0-9a-f-]{36}/);
  });

  it('serves its OpenAPI document', async () => {
    const r = await client(cp).get('/api/v1/openapi.json');
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ openapi: '3.1.0', info: { title: 'Sandbox appliance API' } });
    expect(Object.keys((r.body as { paths: object }).paths)).toContain('/sandboxes/{id}/exec');
  });

  it('sends an unauthenticated console visitor to the login page', async () => {
    const r = await client(cp).get('/users');
    expect([302, 303, 307, 308]).toContain(r.status);
    expect(String(r.headers.location)).toContain('/login');
  });

  it('exposes Prometheus metrics with request counts, latencies and sign-in failures', async () => {
    const c = client(cp);
    await c.signIn('nobody', 'wrong-password');
    const m = await c.get('/metrics');
    expect(m.status).toBe(200);
    expect(m.text).toMatch(/sbx_http_requests_total\{method="GET",route="\/api\/v1\/health",status="200"\} \d+/);
    expect(m.text).toContain('sbx_http_request_duration_seconds_bucket');
    expect(m.text).toMatch(/sbx_sign_in_failures_total\{reason="unknown_user"\} 1/);
  });

  it('writes bootstrap.json readable by root alone, with a CA path that exists', () => {
    const file = path.join(cp.dataDir, 'bootstrap.json');
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    expect(fs.existsSync(cp.bootstrap.caCertificate)).toBe(true);
    expect(cp.bootstrap.oneTimePassword.length).toBeGreaterThanOrEqual(16);
    const subject = execFileSync('openssl', ['x509', '-noout', '-subject', '-in', cp.bootstrap.caCertificate], { encoding: 'utf8' });
    expect(subject).toContain('internal CA');
  });
});
