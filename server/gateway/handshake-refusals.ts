import { randomUUID } from 'node:crypto';
import { audited } from '../audit/audited';
import { auditEvent } from '../audit/event';
import type { ServerContext } from '../context';

export type RefusalReason = 'protocol_version' | 'no_certificate' | 'unknown_ca' | 'expired' | 'revoked' | 'unknown_agent' | 'other';

const byVerifyCode: Record<string, RefusalReason> = {
  CERT_HAS_EXPIRED: 'expired',
  CERT_NOT_YET_VALID: 'expired',
  CERT_REVOKED: 'revoked',
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: 'unknown_ca',
  UNABLE_TO_GET_ISSUER_CERT: 'unknown_ca',
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'unknown_ca',
  SELF_SIGNED_CERT_IN_CHAIN: 'unknown_ca',
  DEPTH_ZERO_SELF_SIGNED_CERT: 'unknown_ca',
  CERT_SIGNATURE_FAILURE: 'unknown_ca',
};

/**
 * Names why a client's handshake was refused. OpenSSL itself refuses bad protocol versions and
 * missing certificates (with an alert); a certificate that fails verification (unknown CA,
 * expired, revoked by the CRL) completes the TLS 1.3 handshake and Node then drops the socket,
 * leaving the verification code in `authorizationError`.
 */
export function classifyTlsError(error: Error & { code?: string }, authorizationError?: string | Error): RefusalReason {
  const verifyCode = typeof authorizationError === 'string' ? authorizationError : (authorizationError as { code?: string } | undefined)?.code;
  if (verifyCode && byVerifyCode[verifyCode]) return byVerifyCode[verifyCode];
  const text = `${error.code ?? ''} ${error.message}`.toLowerCase();
  if (/unsupported.?protocol|wrong.?version|version.?too.?low|protocol.?version/.test(text)) return 'protocol_version';
  if (/did.?not.?return.?a.?certificate|peer_did_not_return|certificate required|no.?certificate/.test(text)) return 'no_certificate';
  if (/revoked/.test(text)) return 'revoked';
  if (/expired/.test(text)) return 'expired';
  if (/unknown.?ca|unable.?to.?get.?local.?issuer|self.?signed|certificate.?verify.?failed|unable.?to.?get.?issuer/.test(text)) return 'unknown_ca';
  return 'other';
}

const WINDOW_MS = 60_000;
const PER_WINDOW = 20;

/**
 * Audits refused handshakes, at most PER_WINDOW per peer address a minute, so that a peer
 * hammering the gateway cannot flood the ledger; what is held back is counted in the next event.
 */
export class RefusalAuditor {
  private readonly windows = new Map<string, { start: number; count: number; suppressed: number }>();

  constructor(private readonly ctx: Pick<ServerContext, 'db' | 'ledger' | 'log'>) {}

  record(peer: string | null, reason: RefusalReason, detail: string, agent?: { id: string; name: string }): void {
    const key = peer ?? 'unknown';
    const now = Date.now();
    let w = this.windows.get(key);
    if (!w || now - w.start > WINDOW_MS) {
      w = { start: now, count: 0, suppressed: w?.suppressed ?? 0 };
      this.windows.set(key, w);
    }
    if (w.count >= PER_WINDOW) {
      w.suppressed += 1;
      return;
    }
    w.count += 1;
    const suppressed = w.suppressed;
    w.suppressed = 0;
    const actor = agent ? { type: 'agent' as const, id: agent.id, name: agent.name } : { type: 'anonymous' as const, id: null, name: key };
    void audited(this.ctx, (_tx, rec) =>
      rec(
        auditEvent(
          { actor, sourceIp: peer, userAgent: null, requestId: randomUUID() },
          { action: 'agent.handshake_refused', details: { reason, detail: detail.slice(0, 300), ...(suppressed ? { suppressed } : {}) } },
          agent ? { type: 'agent', id: agent.id, name: agent.name } : null,
          'denied',
        ),
      ),
    ).catch((err: unknown) => this.ctx.log.error({ err }, 'could not audit a refused handshake'));
    if (this.windows.size > 10_000) this.windows.clear();
  }
}
