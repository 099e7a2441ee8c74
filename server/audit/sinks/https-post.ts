import https from 'node:https';

export type HttpsPostOptions = { ca?: string; headers?: Record<string, string>; timeoutMs?: number };

/**
 * POSTs a body to a customer's HTTPS endpoint (a SIEM, a checkpoint witness) and resolves when it
 * answered 2xx; anything else rejects with the status, so the caller retries. TLS 1.2 is allowed
 * here (and only here) because such endpoints are the customer's and not all speak 1.3 yet.
 */
export function httpsPost(url: string, body: string, contentType: string, opts: HttpsPostOptions = {}): Promise<void> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const req = https.request(
      {
        host: u.hostname.replace(/^\[|\]$/g, ''),
        port: u.port || 443,
        path: `${u.pathname}${u.search}`,
        method: 'POST',
        headers: { ...opts.headers, 'content-type': contentType, 'content-length': Buffer.byteLength(body) },
        minVersion: 'TLSv1.2',
        ...(opts.ca ? { ca: opts.ca } : {}),
        rejectUnauthorized: true,
        timeout: opts.timeoutMs ?? 15_000,
      },
      (res) => {
        res.resume();
        res.on('end', () => {
          const status = res.statusCode ?? 0;
          if (status >= 200 && status < 300) resolve();
          else reject(new Error(`${u.host} answered ${status}`));
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error(`no answer from ${u.host} within ${(opts.timeoutMs ?? 15_000) / 1000} s`)));
    req.on('error', reject);
    req.end(body);
  });
}
