import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DENY_FLOOR, inCidrs, rulesForName, type NetworkSpec } from '../../lib/api/network';
import type { NetworkDecision } from '../../lib/wire/protocol';
import { AddressPool, type NetworkLease } from './address-pool';
import { DecisionAggregator } from './decisions';
import { holdEgressLock } from './egress-lock';
import { SandboxResolver, resolveA } from './dns-resolver';
import { SandboxProxy } from './sni-proxy';
import { readCountedSets } from './kernel-counters';
import { applyAllowlist, attachSandbox, baseTable, deleteTable, detachSandbox, learnAddresses } from './nft-rules';
import { NETNS_DIR, createPlumbing, destroyPlumbing, setSysctl } from './plumbing';
import { mustRun } from './run-command';

export type EnforcerOptions = {
  stateDir: string;
  pool: string;
  upstream: { host: string; port: number };
  /** Extra networks no sandbox may reach (besides the built-in floor, the host's and the control plane's addresses). */
  extraFloor: string[];
  controlPlaneAddresses: string[];
  auditWindowMs: number;
  report: (decisions: NetworkDecision[]) => void;
};

type Attached = { lease: NetworkLease; spec: NetworkSpec; resolver: SandboxResolver; proxy: SandboxProxy; names: Map<string, string>; learned: Map<string, number> };

/**
 * The network enforcer of one host: per sandbox a namespace, a veth pair, a resolver and rules in
 * the agent's own nftables table. It fails closed: a sandbox whose rules or resolver cannot be set
 * up does not start.
 */
export class NetworkEnforcer {
  private readonly pool: AddressPool;
  private readonly sandboxes = new Map<string, Attached>();
  private readonly records: string;
  private readonly floor: string[];
  private readonly decisions: DecisionAggregator;
  private poller: NodeJS.Timeout | null = null;
  private lock: { release(): Promise<void> } | null = null;
  private lastCounts = new Map<string, number>();

  private constructor(private readonly opts: EnforcerOptions) {
    this.pool = new AddressPool(opts.pool);
    this.records = path.join(opts.stateDir, 'network');
    fs.mkdirSync(this.records, { recursive: true, mode: 0o700 });
    const hostAddresses = Object.values(os.networkInterfaces())
      .flat()
      .filter((a) => a?.family === 'IPv4')
      .map((a) => `${a?.address}/32`);
    this.floor = [...DENY_FLOOR, opts.pool, ...hostAddresses, ...opts.controlPlaneAddresses.map((a) => `${a}/32`), ...opts.extraFloor];
    this.decisions = new DecisionAggregator(opts.auditWindowMs, opts.report);
  }

  /**
   * Loads the table (replacing an earlier one), turns forwarding on and removes what a crashed
   * earlier run left (namespaces, veths); returns the sandboxes whose leftovers were removed.
   */
  static async open(opts: EnforcerOptions): Promise<{ enforcer: NetworkEnforcer; removed: string[] }> {
    // Before anything is touched: another agent's table and namespaces are not ours to replace.
    const lock = await holdEgressLock();
    let e: NetworkEnforcer;
    let removed: string[];
    try {
      e = new NetworkEnforcer(opts);
      e.lock = lock;
      removed = await e.reconcile();
      await mustRun('nft', ['-f', '-'], { input: baseTable(e.floor, opts.pool) });
    } catch (error) {
      await lock.release();
      throw error;
    }
    setSysctl('net.ipv4.ip_forward', '1');
    e.poller = setInterval(() => void e.pollKernel(), Math.min(opts.auditWindowMs, 5000));
    e.poller.unref();
    return { enforcer: e, removed };
  }

  private async reconcile(): Promise<string[]> {
    const removed: string[] = [];
    for (const file of fs.readdirSync(this.records)) {
      try {
        const { id, lease } = JSON.parse(fs.readFileSync(path.join(this.records, file), 'utf8')) as { id: string; lease: NetworkLease };
        await destroyPlumbing(id, lease);
        removed.push(id);
      } catch {
        // an unreadable record: nothing to undo from it
      }
      fs.rmSync(path.join(this.records, file), { force: true });
    }
    return removed;
  }

  /** Makes a sandbox's namespace and anchors with nothing allowed yet; the runtime starts runsc in it. */
  async attach(id: string, spec: NetworkSpec): Promise<{ netnsPath: string; nameserver: string }> {
    const lease = this.pool.take();
    if (!lease) throw new Error(`the address pool ${this.opts.pool} is used up`);
    fs.writeFileSync(path.join(this.records, `${id}.json`), JSON.stringify({ id, lease }), { mode: 0o600 });
    const names = new Map<string, string>();
    /** Until when each learned address:port is in the sandbox's allow set (a new rule set clears it). */
    const learned = new Map<string, number>();
    const resolver = new SandboxResolver(lease.gateway, {
      upstream: this.opts.upstream,
      allows: (name) => this.allows(id, name),
      inFloor: (address) => inCidrs(address, this.floor),
      learn: async (addresses, ports, seconds) => {
        // An address already in the set for long enough is not written again (each write is an nft run).
        const now = Date.now();
        const until = now + (seconds + 30) * 1000;
        const entries = addresses
          .flatMap((address) => ports.map((port) => ({ address, port })))
          .filter((e) => (learned.get(`${e.address}:${e.port}`) ?? 0) < now + (seconds * 1000) / 2);
        if (entries.length === 0) return;
        await mustRun('nft', ['-f', '-'], { input: learnAddresses(lease, entries, seconds + 30) });
        for (const e of entries) learned.set(`${e.address}:${e.port}`, until);
      },
      record: (d) => {
        for (const a of d.addresses ?? []) if (d.verdict === 'allowed' && d.rule) names.set(a, d.rule);
        this.decisions.add({ sandboxId: id, kind: 'dns', verdict: d.verdict, reason: d.reason, name: d.name, queryType: d.type, ...(d.rule ? { rule: d.rule } : {}) });
      },
    });
    const proxy = new SandboxProxy(lease.gateway, {
      allows: (name, port) => {
        const s = this.sandboxes.get(id)?.spec;
        if (s?.mode !== 'allowlist') return null;
        return rulesForName(s.allow, name).find((r) => r.ports.includes(port))?.domain ?? null;
      },
      resolve: (name) => resolveA(this.opts.upstream, name),
      inFloor: (address) => inCidrs(address, this.floor),
      record: (d) =>
        this.decisions.add({
          sandboxId: id,
          kind: 'connection',
          verdict: d.verdict,
          reason: d.verdict === 'allowed' ? 'allowed_proxy' : `proxy_${d.reason}`,
          ...(d.name ? { name: d.name } : {}),
          ...(d.destination ? { destination: d.destination } : {}),
          port: d.port,
          protocol: 'tcp',
          ...(d.rule ? { rule: d.rule } : {}),
        }),
    });
    try {
      await createPlumbing(id, lease);
      await mustRun('nft', ['-f', '-'], { input: attachSandbox(lease) });
      await resolver.start();
      await proxy.start();
      this.sandboxes.set(id, { lease, spec, resolver, proxy, names, learned });
      await this.apply(id, spec);
    } catch (error) {
      await this.detach(id, lease, resolver, proxy);
      throw error;
    }
    return { netnsPath: path.join(NETNS_DIR, id), nameserver: lease.gateway };
  }

  /** Rule changes waiting for the next nft run (changes asked for together go in one transaction). */
  private pending: { text: string; done: (error: Error | null) => void }[] = [];

  private runBatched(text: string): Promise<void> {
    return new Promise((resolve, reject) => {
      this.pending.push({ text, done: (e) => (e ? reject(e) : resolve()) });
      if (this.pending.length > 1) return;
      setImmediate(() => {
        const batch = this.pending.splice(0);
        void mustRun('nft', ['-f', '-'], { input: batch.map((b) => b.text).join('') }).then(
          () => batch.forEach((b) => b.done(null)),
          (e: unknown) => batch.forEach((b) => b.done(e as Error)),
        );
      });
    });
  }

  /** The namespace and resolver of a sandbox's network, while it has one. */
  attached(id: string): { netnsPath: string; nameserver: string } | undefined {
    const a = this.sandboxes.get(id);
    return a ? { netnsPath: path.join(NETNS_DIR, id), nameserver: a.lease.gateway } : undefined;
  }

  /** The rules a sandbox's network enforces now, while it has one. */
  rulesOf(id: string): NetworkSpec | undefined {
    return this.sandboxes.get(id)?.spec;
  }

  /** Replaces a running sandbox's allowlist (one nft transaction, live; simultaneous changes share one). */
  async apply(id: string, spec: NetworkSpec): Promise<void> {
    const a = this.sandboxes.get(id);
    if (!a) throw new Error(`sandbox ${id} has no network here`);
    if (spec.mode === 'none') throw new Error('a sandbox started with a network cannot drop its interface while running');
    await this.runBatched(applyAllowlist(a.lease, spec.mode, spec.allow));
    a.spec = spec;
    a.names.clear();
    a.learned.clear();
  }

  private allows(id: string, name: string): { rule: string; ports: number[] } | null {
    const spec = this.sandboxes.get(id)?.spec;
    if (!spec) return null;
    if (spec.mode === 'open') return { rule: 'mode: open', ports: [] };
    const hits = rulesForName(spec.allow, name);
    if (hits.length === 0) return null;
    return { rule: hits[0]?.domain ?? name, ports: [...new Set(hits.flatMap((r) => r.ports))] };
  }

  /** Removes every trace of a sandbox's network; what is already gone is not an error. */
  async detach(id: string, leaseGiven?: NetworkLease, resolverGiven?: SandboxResolver, proxyGiven?: SandboxProxy): Promise<void> {
    const a = this.sandboxes.get(id);
    const lease = a?.lease ?? leaseGiven;
    this.sandboxes.delete(id);
    await (a?.resolver ?? resolverGiven)?.stop();
    await (a?.proxy ?? proxyGiven)?.stop();
    if (!lease) return;
    await mustRun('nft', ['-f', '-'], { input: detachSandbox(lease) }).catch(() => undefined);
    await destroyPlumbing(id, lease);
    this.pool.release(lease.index);
    fs.rmSync(path.join(this.records, `${id}.json`), { force: true });
  }

  /** Reads the kernel's per-destination counters and turns what grew into decisions. */
  private async pollKernel(): Promise<void> {
    const byIf = new Map([...this.sandboxes].map(([id, a]) => [a.lease.hostIf, { id, a }]));
    let rows;
    try {
      rows = await readCountedSets();
    } catch {
      return;
    }
    const next = new Map<string, number>();
    for (const r of rows) {
      const key = `${r.set}|${r.iface}|${r.address}|${r.protocol}|${r.port}`;
      next.set(key, r.packets);
      const grew = r.packets - (this.lastCounts.get(key) ?? 0);
      const owner = byIf.get(r.iface);
      if (grew <= 0 || !owner) continue;
      const [verdict, reason] = r.set.split('_') as ['allowed' | 'denied', string];
      const rule =
        reason === 'name'
          ? owner.a.names.get(r.address)
          : reason === 'cidr'
            ? owner.a.spec.allow.find((x) => x.cidr && inCidrs(r.address, [x.cidr]))?.cidr
            : undefined;
      this.decisions.add(
        {
          sandboxId: owner.id,
          kind: 'connection',
          verdict,
          reason: verdict === 'allowed' ? `allowed_${reason}` : reason,
          destination: r.address,
          port: r.port,
          protocol: r.protocol,
          ...(rule ? { rule } : {}),
        },
        grew,
      );
    }
    this.lastCounts = next;
  }

  /** Stops reporting and removes the table (the agent is stopping; sandboxes end with it). */
  async close(): Promise<void> {
    if (this.poller) clearInterval(this.poller);
    await this.pollKernel();
    this.decisions.stop();
    for (const id of [...this.sandboxes.keys()]) await this.detach(id);
    await mustRun('nft', ['-f', '-'], { input: deleteTable }).catch(() => undefined);
    await this.lock?.release();
  }
}
