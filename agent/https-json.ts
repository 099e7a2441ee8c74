import https from 'node:https';

type Options = { method?: 'GET' | 'POST'; body?: unknown; ca?: string; insecure?: boolean };

/** One HTTPS request over TLS 1.3; with `ca` the server must chain to it, with `insecure` nothing is checked. */
export function httpsRequest(url: string, opts: Options = {}): Promise<{ status: number; text: string }> {
  const u = new URL(url);
  const payload = opts.body === undefined ? undefined : JSON.stringify(opts.body);
  return new Promise((resolve, reject) => {
    const req = https.request(
      {
        host: u.hostname.replace(/^\[|\]$/g, ''),
        port: u.port || 443,
        path: `${u.pathname}${u.search}`,
        method: opts.method ?? 'GET',
        headers: payload ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) } : {},
        minVersion: 'TLSv1.3',
        maxVersion: 'TLSv1.3',
        ...(opts.insecure ? { rejectUnauthorized: false } : { ca: opts.ca, rejectUnauthorized: true }),
        timeout: 15_000,
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (text += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
      },
    );
    req.on('timeout', () => req.destroy(new Error(`no answer from ${u.host} within 15 s`)));
    req.on('error', reject);
    if (payload) req.write(payload);
    req.end();
  });
}
