import os from 'node:os';
import { parseJoinToken } from '../lib/wire/join-token';
import { EnrollResult } from '../lib/api/hosts';
import { ErrorBody } from '../lib/errors';
import { httpsRequest } from './https-json';
import { certificateRequestPem, newPrivateKeyPem, pemFingerprint } from './keys';
import { agentFiles, ensureStateDir, loadIdentity, writeAtomic, type AgentIdentity } from './state';

/**
 * `agent join`: pins the appliance's CA by the fingerprint the join token carries (the CA
 * certificate is fetched, then trusted only if its SHA-256 matches), makes the agent's key on this
 * host, and enrols over a TLS 1.3 connection verified against that CA.
 */
export async function enroll(opts: { url: string; token: string; stateDir: string; hostname?: string }): Promise<AgentIdentity> {
  const files = agentFiles(opts.stateDir);
  if (loadIdentity(files)) throw new Error(`${opts.stateDir} already holds an enrolled agent; remove it to join again`);
  const parts = parseJoinToken(opts.token);
  if (!parts) throw new Error('--token: expected a join token of the form sbxj1.<id>.<secret>.<ca-fingerprint>');
  const base = opts.url.replace(/\/$/, '');

  const caReply = await httpsRequest(`${base}/api/v1/pki/ca`, { insecure: true });
  const caPem = caReply.text;
  if (caReply.status !== 200 || !caPem.includes('BEGIN CERTIFICATE')) throw new Error(`${base} did not serve a CA certificate`);
  const fingerprint = pemFingerprint(caPem);
  if (fingerprint !== parts.caFingerprint) {
    throw new Error(`the CA served by ${base} (sha256 ${fingerprint}) is not the one the token names (${parts.caFingerprint}); refusing to trust it`);
  }

  ensureStateDir(files);
  const keyPem = newPrivateKeyPem();
  writeAtomic(files.key, keyPem, 0o600);
  const hostname = opts.hostname ?? os.hostname();
  const reply = await httpsRequest(`${base}/api/v1/agents/enroll`, {
    method: 'POST',
    ca: caPem,
    body: { token: opts.token, csr: certificateRequestPem(keyPem, hostname), hostname },
  });
  if (reply.status !== 200) {
    const err = ErrorBody.safeParse(JSON.parse(reply.text || 'null'));
    throw new Error(err.success ? err.data.error.message : `enrolment failed with HTTP ${reply.status}`);
  }
  const result = EnrollResult.parse(JSON.parse(reply.text));
  writeAtomic(files.ca, result.caCertificate, 0o644);
  writeAtomic(files.cert, result.certificate, 0o644);
  const identity: AgentIdentity = {
    agentId: result.agentId,
    hostname,
    consoleUrl: base,
    gatewayUrl: result.gatewayUrl,
    labels: result.labels,
    enrolledAt: new Date().toISOString(),
  };
  writeAtomic(files.identity, `${JSON.stringify(identity, null, 2)}\n`, 0o600);
  return identity;
}
