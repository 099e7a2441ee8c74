import { randomUUID } from 'node:crypto';
import https from 'node:https';
import type { TLSSocket } from 'node:tls';
import { WebSocketServer, type WebSocket } from 'ws';
import { AgentReconciled, CHANNEL_PATH, CloseCode, ExecOutput, MAX_MESSAGE_BYTES, SandboxStopped, agentMethods, controlMethods } from '../../lib/wire/protocol';
import { RpcError, RpcPeer } from '../../lib/wire/rpc';
import { TransferRouter } from '../../lib/wire/transfer';
import { audited } from '../audit/audited';
import { auditEvent, type RequestMeta } from '../audit/event';
import type { ServerContext } from '../context';
import { recordHeartbeat } from '../hosts/record-heartbeat';
import { syncHostPolicy } from '../policies/roll-out-policy';
import { renewAgentCertificate } from '../hosts/renew-agent-certificate';
import { markStopped } from '../sandboxes/mark-stopped';
import { recordReconcile } from '../sandboxes/record-reconcile';
import { AppError } from '../../lib/errors';
import { issueKeyForAgent, rewrapKeyForAgent, unwrapKeyForAgent } from '../keys/agent-data-keys';
import { ingestAgentEvents } from '../audit/ingest-agent-events';
import { agentUri, normalizeSerial, type KeyPair } from '../pki/certificates';
import { buildCrl } from '../pki/crl';
import type { AgentChannels } from './channels';
import { RefusalAuditor, classifyTlsError } from './handshake-refusals';

type Channel = { ws: WebSocket; peer: RpcPeer<typeof controlMethods, typeof agentMethods>; serial: string; hostname: string };

export type AgentGateway = AgentChannels & {
  server: https.Server;
  setServerCertificate(pair: KeyPair): void;
  close(): Promise<void>;
};

const PING_MS = 15_000;

/**
 * The agent gateway: a TLS 1.3-only server that demands a client certificate from the internal CA
 * (rejectUnauthorized), refuses revoked serials in the handshake (the CA's own CRL is loaded into
 * the TLS context) and again when the channel opens (deny list), then carries one WebSocket per
 * agent with the request/response protocol of lib/agent.
 */
export async function startAgentGateway(ctx: ServerContext, serverPair: KeyPair): Promise<AgentGateway> {
  const channels = new Map<string, Channel>();
  const execSinks = new Map<string, { agentId: string; handler: (stream: 'stdout' | 'stderr', data: Buffer) => void }>();
  const transfers = new TransferRouter();
  const revoked = new Set<string>();
  const refusals = new RefusalAuditor(ctx);
  let crl = '';
  let pair = serverPair;

  const tlsOptions = () => ({
    cert: pair.certPem,
    key: pair.keyPem,
    ca: ctx.pki.ca.certPem,
    crl,
    minVersion: 'TLSv1.3' as const,
    maxVersion: 'TLSv1.3' as const,
  });

  const loadRevocations = async () => {
    const rows = await ctx.db.agentCertificate.findMany({ where: { revokedAt: { not: null } }, select: { serial: true, revokedAt: true } });
    revoked.clear();
    for (const r of rows) revoked.add(r.serial);
    const now = new Date();
    crl = buildCrl(
      ctx.pki.ca,
      rows.map((r) => ({ serial: r.serial, revokedAt: r.revokedAt ?? now })),
      { number: Math.floor(now.getTime() / 1000), thisUpdate: now, nextUpdate: new Date(now.getTime() + 86_400_000) },
    );
  };
  await loadRevocations();
  const server = https.createServer({ ...tlsOptions(), requestCert: true, rejectUnauthorized: true }, (_req, res) => {
    res.writeHead(404, { 'content-type': 'text/plain' });
    res.end('the agent gateway speaks WebSocket only\n');
  });
  const refreshRevocations = async () => {
    await loadRevocations();
    server.setSecureContext(tlsOptions());
  };
  server.on('tlsClientError', (err: Error & { code?: string }, socket: TLSSocket) => {
    const verify = socket.authorizationError;
    const detail = verify ? `certificate verification failed: ${String(verify)}` : err.message;
    refusals.record(socket.remoteAddress ?? null, classifyTlsError(err, verify), detail);
  });

  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_MESSAGE_BYTES });
  server.on('upgrade', (req, socket, head) => {
    const tlsSocket = req.socket as TLSSocket;
    const peerAddress = tlsSocket.remoteAddress ?? null;
    const deny = (status: number, text: string) => {
      socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\n\r\n`);
      socket.destroy();
    };
    if ((req.url ?? '').split('?')[0] !== CHANNEL_PATH) return deny(404, 'Not Found');
    const cert = tlsSocket.getPeerCertificate();
    const serial = normalizeSerial(cert.serialNumber ?? '');
    const uri = /URI:(spiffe:\/\/sbx\.internal\/agent\/([a-z0-9]+))/.exec(cert.subjectaltname ?? '');
    const agentId = uri?.[2] ?? '';
    void (async () => {
      const row = await ctx.db.agentCertificate.findUnique({ where: { serial }, include: { agent: true } });
      if (!row || row.agentId !== agentId || uri?.[1] !== agentUri(agentId)) {
        refusals.record(peerAddress, 'unknown_agent', `certificate ${serial} names no enrolled agent`);
        return deny(403, 'Forbidden');
      }
      if (revoked.has(serial) || row.revokedAt || row.agent.revokedAt) {
        refusals.record(peerAddress, 'revoked', `certificate ${serial} is revoked`, { id: agentId, name: row.agent.hostname });
        return deny(403, 'Forbidden');
      }
      wss.handleUpgrade(req, socket, head, (ws) => void openChannel(ws, agentId, row.agent.hostname, serial, peerAddress));
    })().catch((err: unknown) => {
      ctx.log.error({ err }, 'agent upgrade failed');
      deny(503, 'Service Unavailable');
    });
  });

  async function openChannel(ws: WebSocket, agentId: string, hostname: string, serial: string, peerAddress: string | null) {
    const meta = (): RequestMeta => ({ actor: { type: 'agent', id: agentId, name: hostname }, sourceIp: peerAddress, userAgent: null, requestId: randomUUID() });
    const target = { type: 'agent' as const, id: agentId, name: hostname };
    const previous = channels.get(agentId);
    if (previous) previous.ws.close(CloseCode.replaced, 'replaced by a newer channel');
    const peer = new RpcPeer(
      (text) => ws.send(text),
      controlMethods,
      agentMethods,
      {
        heartbeat: async (hb) => {
          await recordHeartbeat(ctx, agentId, hb);
          if (hb.policy?.hash !== ctx.policies.current?.hash) void syncHostPolicy(ctx, agentId, { holds: hb.policy?.hash ?? null }).catch((err: unknown) => ctx.log.warn({ err }, 'policy push failed'));
          return { serverTime: new Date().toISOString() };
        },
        renew: async ({ csr }) => renewAgentCertificate(ctx, agentId, csr, meta()),
        'audit.ingest': async ({ events }) => ingestAgentEvents(ctx, agentId, events),
        'keys.issue': async (p) => rpcOf(() => issueKeyForAgent(ctx, agentId, p, meta())),
        'keys.unwrap': async (p) => rpcOf(() => unwrapKeyForAgent(ctx, agentId, p, meta())),
        'keys.rewrap': async (p) => rpcOf(() => rewrapKeyForAgent(ctx, agentId, p, meta())),
      },
      'c',
      (topic, payload) => {
        if (topic === 'agent.reconciled') {
          const r = AgentReconciled.safeParse(payload);
          if (r.success) void recordReconcile(ctx, agentId, r.data.removed).catch((err: unknown) => ctx.log.error({ err }, 'could not record a reconcile'));
          return;
        }
        if (topic === 'sandbox.stopped') {
          const stopped = SandboxStopped.safeParse(payload);
          if (stopped.success) {
            void markStopped(ctx, agentId, stopped.data.id, stopped.data.reason).catch((err: unknown) => ctx.log.error({ err }, 'could not record a sandbox stop'));
          }
          return;
        }
        if (transfers.dispatch(topic, payload, agentId)) return;
        const out = topic === 'exec.output' ? ExecOutput.safeParse(payload) : null;
        const sink = out?.success ? execSinks.get(out.data.execId) : undefined;
        // Output is accepted only from the agent the exec was sent to.
        if (out?.success && sink && sink.agentId === agentId) sink.handler(out.data.stream, Buffer.from(out.data.data, 'base64'));
      },
    );
    const channel: Channel = { ws, peer, serial, hostname };
    channels.set(agentId, channel);
    let alive = true;
    ws.on('pong', () => (alive = true));
    const pinger = setInterval(() => {
      if (!alive) return ws.terminate();
      alive = false;
      ws.ping();
    }, PING_MS);
    ws.on('message', (data, isBinary) => {
      if (isBinary) return ws.close(CloseCode.protocol, 'binary frames are not part of the protocol');
      const text = data.toString();
      ctx.log.trace({ agentId, frame: text.slice(0, 4096) }, 'agent frame received');
      void peer.receive(text).then((ok) => {
        if (!ok) ws.close(CloseCode.protocol, 'malformed message');
      });
    });
    ws.on('close', (code, reason) => {
      clearInterval(pinger);
      peer.close('channel closed');
      if (channels.get(agentId) === channel) {
        channels.delete(agentId);
        transfers.abortAll('the agent channel closed', agentId);
      }
      const stillOpen = channels.has(agentId);
      void audited(ctx, async (tx, record) => {
        if (!stillOpen) await tx.agent.update({ where: { id: agentId }, data: { connected: false, lastSeenAt: new Date() } });
        await record(auditEvent(meta(), { action: 'agent.disconnect', details: { code, reason: reason.toString().slice(0, 200) } }, target));
      }).catch((err: unknown) => ctx.log.error({ err }, 'could not record an agent disconnect'));
    });
    try {
      await audited(ctx, async (tx, record) => {
        await tx.agent.update({ where: { id: agentId }, data: { connected: true, lastSeenAt: new Date() } });
        await record(auditEvent(meta(), { action: 'agent.connect', details: { serial } }, target));
      });
      // A host that was away may hold an older version (drift): it gets the one in force at once.
      void syncHostPolicy(ctx, agentId, { force: true }).catch((err: unknown) => ctx.log.warn({ err }, 'policy push failed'));
    } catch (err) {
      // A channel that cannot be audited is not kept open.
      ctx.log.error({ err }, 'could not audit an agent connection; closing it');
      ws.close(CloseCode.shutdown, 'audit unavailable');
    }
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(ctx.config.agentGateway.port, ctx.config.agentGateway.host, () => resolve());
  });
  const crlTimer = setInterval(() => void refreshRevocations().catch(() => undefined), 6 * 3_600_000);
  crlTimer.unref();

  return {
    server,
    connectedIds: () => [...channels.keys()],
    isConnected: (id) => channels.has(id),
    disconnect(id, code, reason) {
      const ch = channels.get(id);
      if (!ch) return false;
      ch.ws.close(code, reason);
      // Do not wait for the peer's close frame: the socket goes now.
      setTimeout(() => ch.ws.terminate(), 1000).unref();
      return true;
    },
    call(id, method, params, timeoutMs) {
      const ch = channels.get(id);
      if (!ch) return Promise.reject(new Error(`agent ${id} is not connected`));
      return ch.peer.call(method, params, timeoutMs);
    },
    refreshRevocations,
    crlPem: () => crl,
    onExecOutput(agentId, execId, handler) {
      execSinks.set(execId, { agentId, handler });
      return () => execSinks.delete(execId);
    },
    onTransfer: (agentId, transferId, handlers) => transfers.open(transferId, agentId, handlers),
    emit(agentId, topic, payload) {
      const ch = channels.get(agentId);
      if (!ch) return false;
      ch.peer.emit(topic, payload);
      return true;
    },
    setServerCertificate(next) {
      pair = next;
      server.setSecureContext(tlsOptions());
    },
    async close() {
      clearInterval(crlTimer);
      for (const ch of channels.values()) ch.ws.close(CloseCode.shutdown, 'control plane stopping');
      await new Promise<void>((resolve) => {
        setTimeout(() => {
          for (const ch of channels.values()) ch.ws.terminate();
          server.closeAllConnections();
          server.close(() => resolve());
        }, 200);
      });
    },
  };
}

/** A service's refusal as the agent's RPC error, its code kept (the agent tells the user why). */
async function rpcOf<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof AppError) throw new RpcError(error.code, error.message);
    throw error;
  }
}
