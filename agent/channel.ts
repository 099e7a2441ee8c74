import { X509Certificate } from 'node:crypto';
import fs from 'node:fs';
import type { Logger } from 'pino';
import WebSocket from 'ws';
import { CHANNEL_PATH, CloseCode, MAX_MESSAGE_BYTES, agentMethods, controlMethods, type NetworkDecision } from '../lib/wire/protocol';
import { RpcError, RpcPeer } from '../lib/wire/rpc';
import type { AuditSpool } from './audit/spool';
import { SpoolShipper } from './audit/ship-spool';
import type { AgentConfig } from './config';
import { capacity, health, kernel, runscVersion } from './host-facts';
import { certificateRequestPem, newPrivateKeyPem } from './keys';
import type { PolicyHolder } from './policy/policy-holder';
import type { SandboxManager } from './sandboxes/manager';
import { keysVia } from './sandboxes/data-keys';
import { CONTROL, receiveFile, sendFile } from './sandboxes/transfers';
import { TransferRouter } from '../lib/wire/transfer';
import { ExecFlows } from './sandboxes/exec-flows';
import { agentFiles, writeAtomic, type AgentIdentity } from './state';

export const AGENT_VERSION = '0.1.0';

/** Exit code of an agent whose host was revoked: a supervisor must not restart it. */
export const EXIT_REVOKED = 77;

/** Reconnect delay: exponential from 0.5 s, capped at 30 s, with ±50 % jitter. */
export function backoffMs(attempt: number, random = Math.random): number {
  const base = Math.min(30_000, 500 * 2 ** attempt);
  return Math.round(base * (0.5 + random()));
}

/** When to renew: at two thirds of the certificate's life, give or take 5 % of it. */
export function renewAtMs(notBefore: number, notAfter: number, random = Math.random): number {
  const life = notAfter - notBefore;
  return notBefore + life * (2 / 3) + life * 0.1 * (random() - 0.5);
}

type Peer = RpcPeer<typeof agentMethods, typeof controlMethods>;

/**
 * Keeps the agent's one channel to the control plane open: mutual TLS 1.3 with its own key and
 * certificate, the CA pinned, reconnecting with backoff and jitter; sends heartbeats, renews its
 * certificate over the channel before it expires, and ships the audit spool.
 */

export class AgentChannel {
  private ws: WebSocket | null = null;
  private peer: Peer | null = null;
  private attempt = 0;
  private stopped = false;
  private heartbeatTimer: NodeJS.Timeout | null = null;
  private renewTimer: NodeJS.Timeout | null = null;
  private retryTimer: NodeJS.Timeout | null = null;
  private resolveDone: (code: number) => void = () => undefined;
  readonly done = new Promise<number>((r) => (this.resolveDone = r));

  constructor(
    private readonly identity: AgentIdentity,
    private readonly config: AgentConfig,
    private readonly log: Logger,
    private readonly sandboxes: SandboxManager,
    private readonly runtimeProblem: string | null,
    private readonly egressProblem: string | null,
    private readonly spool: AuditSpool,
    private readonly policy: PolicyHolder,
    /** What this process removed of an earlier run; told to the control plane once, on first connect. */
    private reconciled: string[] | null = null,
  ) {
    this.shipper = new SpoolShipper(spool, log);
  }

  private readonly shipper: SpoolShipper;

  start(): void {
    this.connect();
  }

  /** Audits egress decisions (of sandboxes this agent runs): into the spool, shipped from there. */
  reportDecisions(decisions: NetworkDecision[]): void {
    const known = decisions.flatMap((d) => {
      const id = this.sandboxes.sandboxIdOf(d.sandboxId);
      return id ? [{ type: 'egress' as const, decision: { ...d, sandboxId: id } }] : [];
    });
    if (known.length > 0) this.spool.append(known);
  }

  stop(): Promise<number> {
    this.stopped = true;
    this.shipper.stop();
    this.spool.close();
    this.clearTimers();
    if (this.ws && this.ws.readyState === WebSocket.OPEN) this.ws.close(1000, 'agent stopping');
    else this.resolveDone(0);
    setTimeout(() => this.resolveDone(0), 2000).unref();
    return this.done;
  }

  private clearTimers() {
    for (const t of [this.heartbeatTimer, this.renewTimer, this.retryTimer]) if (t) clearTimeout(t);
    this.heartbeatTimer = this.renewTimer = this.retryTimer = null;
  }

  private connect(): void {
    const files = agentFiles(this.config.stateDir);
    const cert = fs.readFileSync(files.cert, 'utf8');
    const x509 = new X509Certificate(cert);
    if (new Date(x509.validTo).getTime() <= Date.now()) {
      this.log.fatal({ notAfter: x509.validTo }, 'the agent certificate has expired; join this host again with a new token');
      this.resolveDone(1);
      return;
    }
    const ws = new WebSocket(`${this.identity.gatewayUrl}${CHANNEL_PATH}`, {
      key: fs.readFileSync(files.key, 'utf8'),
      cert,
      ca: fs.readFileSync(files.ca, 'utf8'),
      minVersion: 'TLSv1.3',
      maxVersion: 'TLSv1.3',
      maxPayload: MAX_MESSAGE_BYTES,
      handshakeTimeout: 10_000,
    });
    this.ws = ws;
    const send = (text: string) => {
      this.log.trace({ frame: text.slice(0, 4096) }, 'frame sent');
      ws.send(text);
    };
    const sandboxes = this.sandboxes;
    const transfers = new TransferRouter();
    const flows = new ExecFlows();
    const peer: Peer = new RpcPeer(
      send,
      agentMethods,
      controlMethods,
      {
        echo: async ({ nonce }) => ({ nonce }),
        'sandbox.create': async (p) => {
          // Fail closed: what a sandbox does must be auditable, so none starts while the spool cannot be written.
          if (!this.spool.writable) throw new RpcError('disk_full', this.spool.problem ?? 'the audit spool cannot be written');
          this.policy.check(p.policy, { image: p.image, ...p.limits, timeoutSeconds: p.timeoutSeconds, idleTimeoutSeconds: p.idleTimeoutSeconds, network: p.network ?? { mode: 'none', allow: [] } });
          return sandboxes.create(p);
        },
        'sandbox.exec': (p) => {
          const flow = flows.open(p.execId, p.window);
          const emit = (stream: 'stdout' | 'stderr', data: Buffer) => {
            flow.sent(data.length);
            peer.emit('exec.output', { execId: p.execId, stream, data: data.toString('base64') });
          };
          return sandboxes.exec(p, emit, flow.gate).finally(flow.close);
        },
        'sandbox.exec.kill': async ({ execId }) => sandboxes.killCommand(execId),
        'sandbox.kill': ({ id }) => sandboxes.kill(id),
        'sandbox.network': ({ id, network, policy }) => {
          this.policy.checkNetwork(policy, network);
          return sandboxes.setNetwork(id, network);
        },
        'policy.apply': async (p) => this.policy.accept(p),
        'sandbox.pause': ({ id }) => sandboxes.pause(id, keysVia(peer)),
        'sandbox.resume': ({ id, timeoutSeconds }) => sandboxes.resume(id, timeoutSeconds, keysVia(peer)),
        'sandbox.rewrap': ({ id, kekId }) => sandboxes.rewrap(id, kekId, keysVia(peer)),
        'sandbox.usage': async ({ id }) => sandboxes.usage(id),
        'files.write': (p) => receiveFile(peer, transfers, p, sandboxes),
        'files.read': (p) => sendFile(peer, transfers, p, sandboxes),
        'files.stat': ({ id, path }) => sandboxes.statFile(id, path),
        'files.list': ({ id, path }) => sandboxes.listFiles(id, path),
        'files.remove': ({ id, path, recursive }) => sandboxes.removeFile(id, path, recursive),
        'files.mkdir': ({ id, path }) => sandboxes.makeDirectory(id, path),
      },
      'a',
      (topic, payload) => {
        if (topic === 'exec.credit') flows.credit(payload);
        else transfers.dispatch(topic, payload, CONTROL);
      },
    );
    this.peer = peer;
    sandboxes.onStopped = (id, reason) => {
      if (this.peer === peer) peer.emit('sandbox.stopped', { id, reason });
    };
    let revoked = false;
    ws.on('open', () => {
      this.log.info({ gateway: this.identity.gatewayUrl }, 'channel open');
      if (this.reconciled) {
        peer.emit('agent.reconciled', { removed: this.reconciled });
        this.reconciled = null;
      }
      this.shipper.attach((events) => peer.call('audit.ingest', { events }, 60_000));
      void this.heartbeat();
      this.scheduleRenewal(x509);
    });
    ws.on('message', (data, isBinary) => {
      if (!isBinary) void peer.receive(data.toString());
    });
    ws.on('unexpected-response', (_req, res) => {
      revoked = res.statusCode === 403;
      this.log.error({ status: res.statusCode }, revoked ? 'the control plane refuses this agent: its host was revoked' : 'channel refused');
      ws.terminate();
    });
    ws.on('error', (err) => this.log.warn({ err: err.message }, 'channel error'));
    ws.on('close', (code, reason) => {
      if (this.peer === peer) this.shipper.detach();
      peer.close('channel closed');
      transfers.abortAll('channel closed');
      this.clearTimers();
      this.ws = null;
      if (code === CloseCode.revoked || revoked) {
        this.log.error('this host was revoked by an administrator; stopping');
        this.resolveDone(EXIT_REVOKED);
        return;
      }
      if (this.stopped) return this.resolveDone(0);
      const delay = backoffMs(this.attempt++);
      this.log.warn({ code, reason: reason.toString(), retryInMs: delay }, 'channel closed; reconnecting');
      this.retryTimer = setTimeout(() => this.connect(), delay);
    });
  }

  private async heartbeat(): Promise<void> {
    const peer = this.peer;
    if (!peer) return;
    try {
      const runsc = await runscVersion();
      const x509 = new X509Certificate(fs.readFileSync(agentFiles(this.config.stateDir).cert, 'utf8'));
      await peer.call('heartbeat', {
        agentVersion: AGENT_VERSION,
        runscVersion: runsc,
        kernel: kernel(),
        platform: `${process.platform}/${process.arch}`,
        capacity: capacity(this.config.sandboxSlots, this.sandboxes.enforcesEgress),
        health: health(runsc, this.runtimeProblem, this.egressProblem, this.spool.problem),
        sandboxes: this.sandboxes.count,
        certificateNotAfter: new Date(x509.validTo).toISOString(),
        policy: this.policy.current(),
      });
      // An acknowledged heartbeat is the proof that the control plane accepted us.
      this.attempt = 0;
    } catch (err) {
      this.log.warn({ err: (err as Error).message }, 'heartbeat not acknowledged');
    }
    if (!this.stopped && this.peer === peer) {
      this.heartbeatTimer = setTimeout(() => void this.heartbeat(), this.config.heartbeatSeconds * 1000);
    }
  }

  private scheduleRenewal(x509: X509Certificate): void {
    const at = renewAtMs(new Date(x509.validFrom).getTime(), new Date(x509.validTo).getTime());
    this.renewTimer = setTimeout(() => void this.renew(), Math.max(0, at - Date.now()));
  }

  /** A new key and certificate, asked for over the open channel; the key never leaves this host. */
  private async renew(): Promise<void> {
    const peer = this.peer;
    if (!peer) return;
    const files = agentFiles(this.config.stateDir);
    try {
      const keyPem = newPrivateKeyPem();
      const { certificate, notAfter } = await peer.call('renew', { csr: certificateRequestPem(keyPem, this.identity.hostname) });
      writeAtomic(files.key, keyPem, 0o600);
      writeAtomic(files.cert, certificate, 0o644);
      this.log.info({ notAfter }, 'certificate renewed');
      this.scheduleRenewal(new X509Certificate(certificate));
    } catch (err) {
      this.log.warn({ err: (err as Error).message }, 'certificate renewal failed; retrying in 30 s');
      this.renewTimer = setTimeout(() => void this.renew(), 30_000);
    }
  }
}
