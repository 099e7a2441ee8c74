import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import https from 'node:https';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '../..');

export type Bootstrap = { consoleUrl: string; caCertificate: string; username: string; oneTimePassword: string; developerApiKey?: string };

export type ControlPlane = {
  url: string;
  /** The address tests reach its console at. */
  host: string;
  port: number;
  gatewayPort: number;
  dataDir: string;
  /** The control plane process (it changes with a restart). */
  pid: () => number;
  ca: string;
  bootstrap: Bootstrap;
  output: () => string;
  stop: () => Promise<number | null>;
  restart: () => Promise<void>;
  /** Kills the process (SIGKILL unless told) and waits for it to end; `launch` starts it again on the same data. */
  kill: (signal?: NodeJS.Signals) => Promise<void>;
  launch: () => Promise<void>;
};

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === 'object' && addr ? resolve(addr.port) : reject(new Error('no port'))));
    });
  });
}

/** Runs the real control plane (`node --import tsx server/main.ts`) on a free port with its own data dir. */
/** Control planes this test file started that still run (see stopLeftoverControlPlanes). */
const running = new Map<ChildProcess, string | null>();

/**
 * Stops what a test file that failed half-way left running (integration-setup.ts runs it after
 * each file): SIGINT, as for Ctrl-C, so that each takes its local agent and sandboxes with it.
 */
export async function stopLeftoverControlPlanes(): Promise<number> {
  const left = [...running];
  await Promise.all(
    left.map(
      ([child, dir]) =>
        new Promise<void>((resolve) => {
          const hard = setTimeout(() => child.kill('SIGKILL'), 30_000);
          child.once('exit', () => {
            clearTimeout(hard);
            // A data directory it made itself goes too, as its stop() would have removed it.
            if (dir) fs.rmSync(dir, { recursive: true, force: true });
            resolve();
          });
          child.kill('SIGINT');
        }),
    ),
  );
  return left.length;
}

export async function startControlPlane(
  env: Record<string, string> = {},
  dataDir?: string,
  /** Run it in this network namespace, reached by the tests at `host` (default: loopback here). */
  where: { netns?: string; host?: string } = {},
): Promise<ControlPlane> {
  const port = await freePort();
  const gatewayPort = await freePort();
  const dir = dataDir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'sbx-cp-'));
  let child: ChildProcess;
  let out = '';
  const launch = async () => {
    // Output accumulates across restarts; each launch waits for its own start-up line.
    const from = out.length;
    const argv = [process.execPath, '--import', 'tsx', 'server/main.ts'];
    const [cmd, ...args] = where.netns ? ['nsenter', `--net=/var/run/netns/${where.netns}`, ...argv] : argv;
    child = spawn(cmd as string, args, {
      cwd: root,
      env: {
        PATH: process.env.PATH ?? '',
        NODE_ENV: 'production',
        SBX_DATA_DIR: dir,
        // In a test namespace of its own it listens on all of that namespace's addresses (its
        // local agent enrols over loopback, the test comes over the lab's link).
        SBX_CONSOLE_HOST: where.netns ? '0.0.0.0' : (where.host ?? '127.0.0.1'),
        // Reached at another address, the console's certificate must name it.
        ...(where.host ? { SBX_PUBLIC_URL: `https://${where.host}:${port}` } : {}),
        SBX_CONSOLE_PORT: String(port),
        SBX_AGENT_GATEWAY_HOST: '127.0.0.1',
        SBX_AGENT_GATEWAY_PORT: String(gatewayPort),
        SBX_AGENT_GATEWAY_URL: `wss://127.0.0.1:${gatewayPort}`,
        SBX_LOCAL_AGENT: 'false',
        SBX_LOG_LEVEL: 'warn',
        // A local agent here runs in this machine's own network namespace: no sandbox networks
        // (egress is tested with an agent in a test internet of its own, test/support/netlab.ts).
        SBX_AGENT_EGRESS: 'off',
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const launched = child;
    running.set(launched, dataDir ? null : dir);
    launched.once('exit', () => running.delete(launched));
    child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`control plane did not start:\n${out}`)), 90_000);
      const check = setInterval(() => {
        if (out.slice(from).includes('Console: ')) {
          clearInterval(check);
          clearTimeout(timer);
          resolve();
        }
      }, 50);
      child.once('exit', (code) => {
        clearInterval(check);
        clearTimeout(timer);
        reject(new Error(`control plane exited with ${code}:\n${out}`));
      });
    });
  };
  await launch();
  const bootstrap = JSON.parse(fs.readFileSync(path.join(dir, 'bootstrap.json'), 'utf8')) as Bootstrap;
  const stop = () =>
    new Promise<number | null>((resolve) => {
      if (child.exitCode !== null) return resolve(child.exitCode);
      child.once('exit', (code) => resolve(code));
      child.kill('SIGINT');
    });
  return {
    url: `https://localhost:${port}`,
    host: where.host ?? '127.0.0.1',
    port,
    gatewayPort,
    dataDir: dir,
    ca: fs.readFileSync(path.join(dir, 'pki', 'ca.crt'), 'utf8'),
    bootstrap,
    output: () => out,
    pid: () => child.pid ?? 0,
    stop: async () => {
      const code = await stop();
      if (!dataDir) fs.rmSync(dir, { recursive: true, force: true });
      return code;
    },
    restart: async () => {
      await stop();
      await launch();
    },
    kill: (signal = 'SIGKILL') =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill(signal);
      }),
    launch,
  };
}

export type Reply = { status: number; headers: Record<string, string | string[] | undefined>; body: unknown; text: string };

/** An HTTPS client that trusts only the appliance's CA, so every call is a real verified TLS 1.3 handshake. */
export function client(cp: Pick<ControlPlane, 'port' | 'ca'> & { host?: string }) {
  let cookie: string | null = null;
  let csrf: string | null = null;
  const call = (
    method: string,
    urlPath: string,
    opts: { body?: unknown; raw?: string; headers?: Record<string, string>; bearer?: string } = {},
  ): Promise<Reply> =>
    new Promise((resolve, reject) => {
      const headers: Record<string, string> = { ...opts.headers };
      const payload = opts.raw ?? (opts.body === undefined ? undefined : JSON.stringify(opts.body));
      if (payload !== undefined) headers['content-type'] = 'application/json';
      if (cookie && !opts.bearer) headers.cookie = cookie;
      if (csrf && method !== 'GET' && !('x-csrf-token' in headers)) headers['x-csrf-token'] = csrf;
      if (opts.bearer) headers.authorization = `Bearer ${opts.bearer}`;
      const req = https.request(
        // A fresh connection per call (agent: false): every call is a full handshake, and no test
        // depends on whether a kept-alive socket is still open.
        { host: cp.host ?? '127.0.0.1', servername: 'localhost', port: cp.port, path: urlPath, method, headers, ca: cp.ca, minVersion: 'TLSv1.3', agent: false },
        (res) => {
          let text = '';
          res.on('data', (d: Buffer) => (text += d.toString()));
          res.on('end', () => {
            const setCookie = res.headers['set-cookie']?.[0];
            if (setCookie?.startsWith('__Host-sbx_session=')) {
              const value = setCookie.split(';')[0] ?? '';
              cookie = value.endsWith('=') ? null : value;
            }
            let body: unknown = null;
            try {
              body = JSON.parse(text);
            } catch {
              body = null;
            }
            resolve({ status: res.statusCode ?? 0, headers: res.headers, body, text });
          });
        },
      );
      req.on('error', reject);
      if (payload !== undefined) req.write(payload);
      req.end();
    });
  return {
    call,
    get: (p: string, o?: Parameters<typeof call>[2]) => call('GET', p, o),
    post: (p: string, body?: unknown, o?: Parameters<typeof call>[2]) => call('POST', p, { ...o, body }),
    patch: (p: string, body?: unknown, o?: Parameters<typeof call>[2]) => call('PATCH', p, { ...o, body }),
    put: (p: string, body?: unknown, o?: Parameters<typeof call>[2]) => call('PUT', p, { ...o, body }),
    del: (p: string, o?: Parameters<typeof call>[2]) => call('DELETE', p, o),
    async signIn(username: string, password: string): Promise<Reply> {
      const r = await call('POST', '/api/v1/auth/sign-in', { body: { username, password } });
      if (r.status === 200) csrf = (r.body as { csrfToken: string }).csrfToken;
      return r;
    },
    cookie: () => cookie,
    csrf: () => csrf,
  };
}

/** Signs in as the bootstrap admin and sets a permanent password; returns the signed-in client. */
export async function adminClient(cp: ControlPlane, newPassword = 'admin-password-for-tests') {
  const c = client(cp);
  const first = await c.signIn(cp.bootstrap.username, cp.bootstrap.oneTimePassword);
  if (first.status !== 200) {
    const again = await c.signIn(cp.bootstrap.username, newPassword);
    if (again.status !== 200) throw new Error(`admin sign-in failed: ${again.text}`);
    return c;
  }
  const changed = await c.post('/api/v1/auth/password', { currentPassword: cp.bootstrap.oneTimePassword, newPassword });
  if (changed.status !== 200) throw new Error(`password change failed: ${changed.text}`);
  return c;
}
