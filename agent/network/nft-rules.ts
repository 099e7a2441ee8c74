import type { EgressRule, NetworkMode } from '../../lib/api/network';
import { HOST_IF_PREFIX, type NetworkLease } from './address-pool';
import { PROXY_PORTS } from './sni-proxy';

/**
 * The agent's own nftables table, as text for `nft -f` (each batch is one atomic transaction).
 *
 * Every rule sits on the host side of the sandboxes' veth pairs, where code in a sandbox cannot
 * reach it. Order in `from_sandbox`: IPv6 dropped, spoofed sources dropped, replies let through,
 * anything but TCP dropped, the deny floor, then the sandbox's own chain (its allowlist); whatever
 * is left is dropped. Every drop and every new allowed connection is counted per (interface,
 * destination, protocol, port) in a dynamic set, which the agent reads to audit decisions
 * aggregated per minute.
 */
export const TABLE = 'sbx_agent';
const T = `inet ${TABLE}`;

/** Reasons a packet was dropped, each counted in its own set (`denied_<reason>`). */
export const DENY_REASONS = ['floor', 'rule', 'protocol', 'spoof', 'host'] as const;
export type DenyReason = (typeof DENY_REASONS)[number];

/** How matched allowed connections are counted (`allowed_<kind>`). */
export const ALLOW_KINDS = ['name', 'cidr', 'open'] as const;
export type AllowKind = (typeof ALLOW_KINDS)[number];

/** The dynamic sets that count drops and new allowed connections per (interface, address, protocol, port). */
export const COUNTED_SETS = [...DENY_REASONS.map((r) => `denied_${r}`), ...ALLOW_KINDS.map((k) => `allowed_${k}`)];

const COUNTED = 'type ifname . ipv4_addr . inet_proto . inet_service; flags dynamic,timeout; timeout 3m; counter;';
const TUPLE = 'iifname . ip daddr . meta l4proto . th dport';

/** The whole table, replacing any earlier one (start-up). */
export function baseTable(floor: readonly string[], pool: string): string {
  const wild = `"${HOST_IF_PREFIX}*"`;
  return [
    `table ${T}`,
    `delete table ${T}`,
    `table ${T} {`,
    `  set floor { type ipv4_addr; flags interval; auto-merge; elements = { ${floor.join(', ')} } }`,
    '  set sources { type ifname . ipv4_addr; }',
    '  set host_services { type ifname . ipv4_addr . inet_proto . inet_service; }',
    '  map sandboxes { type ifname : verdict; }',
    '  map proxied { type ifname : verdict; }',
    ...COUNTED_SETS.map((name) => `  set ${name} { ${COUNTED} }`),
    '  set denied_ipv6 { type ifname; flags dynamic,timeout; timeout 3m; counter; }',
    '  chain forward_hook {',
    '    type filter hook forward priority filter - 5; policy accept;',
    `    iifname ${wild} jump from_sandbox`,
    `    oifname ${wild} ct state established,related accept`,
    `    oifname ${wild} counter drop`,
    '  }',
    '  chain input_hook {',
    '    type filter hook input priority filter - 5; policy accept;',
    `    iifname ${wild} jump to_host`,
    '  }',
    '  chain prerouting_hook {',
    '    type nat hook prerouting priority dstnat; policy accept;',
    '    iifname vmap @proxied',
    '  }',
    '  chain postrouting_hook {',
    '    type nat hook postrouting priority srcnat; policy accept;',
    `    ip saddr ${pool} oifname != ${wild} masquerade`,
    '  }',
    '  chain from_sandbox {',
    '    meta nfproto ipv6 update @denied_ipv6 { iifname } drop',
    '    iifname . ip saddr != @sources update @denied_spoof { iifname . ip saddr . meta l4proto . 0 } drop',
    '    ct state established,related accept',
    `    meta l4proto udp update @denied_protocol { ${TUPLE} } drop`,
    '    meta l4proto != tcp update @denied_protocol { iifname . ip daddr . meta l4proto . 0 } drop',
    `    ip daddr @floor update @denied_floor { ${TUPLE} } drop`,
    '    iifname vmap @sandboxes',
    `    update @denied_rule { ${TUPLE} } drop`,
    '  }',
    '  chain to_host {',
    '    meta nfproto ipv6 update @denied_ipv6 { iifname } drop',
    '    iifname . ip saddr != @sources update @denied_spoof { iifname . ip saddr . meta l4proto . 0 } drop',
    '    ct state established,related accept',
    '    meta l4proto { tcp, udp } iifname . ip daddr . meta l4proto . th dport @host_services accept',
    `    meta l4proto { tcp, udp } update @denied_host { ${TUPLE} } drop`,
    '    update @denied_host { iifname . ip daddr . meta l4proto . 0 } drop',
    '  }',
    '}',
    '',
  ].join('\n');
}

const chainOf = (lease: NetworkLease) => `sb_${lease.index}`;

/** The agent's services a sandbox may reach on its gateway: DNS, and the name-checking proxy. */
function hostServices(lease: NetworkLease): string {
  const ifn = `"${lease.hostIf}"`;
  const gw = lease.gateway;
  return [`${ifn} . ${gw} . udp . 53`, `${ifn} . ${gw} . tcp . 53`, `${ifn} . ${gw} . tcp . ${PROXY_PORTS.http}`, `${ifn} . ${gw} . tcp . ${PROXY_PORTS.tls}`].join(', ');
}

/** Adds a sandbox's anchors: its source address, its DNS service, its (empty: deny-all) chain. */
export function attachSandbox(lease: NetworkLease): string {
  const c = chainOf(lease);
  const ifn = `"${lease.hostIf}"`;
  return [
    `add set ${T} ${c}_names { type ipv4_addr . inet_service; flags timeout; }`,
    `add set ${T} ${c}_cidrs { type ipv4_addr . inet_service; flags interval; }`,
    `add chain ${T} ${c}`,
    `add chain ${T} ${c}_nat`,
    `add element ${T} sources { ${ifn} . ${lease.address} }`,
    `add element ${T} host_services { ${hostServices(lease)} }`,
    `add element ${T} sandboxes { ${ifn} : jump ${c} }`,
    `add element ${T} proxied { ${ifn} : jump ${c}_nat }`,
    '',
  ].join('\n');
}

/**
 * Replaces a sandbox's allowlist in one transaction: its chain and its CIDR set are rewritten;
 * addresses learned for names are dropped (the names are resolved again under the new rules, and
 * connections already open go on).
 */
export function applyAllowlist(lease: NetworkLease, mode: Exclude<NetworkMode, 'none'>, rules: readonly EgressRule[]): string {
  const c = chainOf(lease);
  const cidrs = rules.flatMap((r) => (r.cidr ? r.ports.map((p) => `${r.cidr} . ${p}`) : []));
  const lines = [`flush chain ${T} ${c}`, `flush chain ${T} ${c}_nat`, `flush set ${T} ${c}_names`, `flush set ${T} ${c}_cidrs`];
  if (cidrs.length > 0) lines.push(`add element ${T} ${c}_cidrs { ${cidrs.join(', ')} }`);
  // HTTP and TLS on the ports domain rules open go through the proxy, which checks the Host or
  // SNI name (networks allowed by CIDR on that port are reached directly).
  const domainPorts = new Set(rules.flatMap((r) => (r.domain ? r.ports : [])));
  // The deny floor stays first: such a connection is not redirected but dropped (and counted).
  if (mode === 'allowlist' && (domainPorts.has(80) || domainPorts.has(443))) lines.push(`add rule ${T} ${c}_nat ip daddr @floor return`);
  for (const [port, to] of [[80, PROXY_PORTS.http], [443, PROXY_PORTS.tls]] as const) {
    if (mode !== 'allowlist' || !domainPorts.has(port)) continue;
    lines.push(`add rule ${T} ${c}_nat tcp dport ${port} ip daddr . tcp dport @${c}_cidrs return`);
    lines.push(`add rule ${T} ${c}_nat tcp dport ${port} dnat ip to ${lease.gateway}:${to}`);
  }
  lines.push(`add rule ${T} ${c} ip daddr . tcp dport @${c}_names update @allowed_name { ${TUPLE} } accept`);
  lines.push(`add rule ${T} ${c} ip daddr . tcp dport @${c}_cidrs update @allowed_cidr { ${TUPLE} } accept`);
  if (mode === 'open') lines.push(`add rule ${T} ${c} meta l4proto tcp update @allowed_open { ${TUPLE} } accept`);
  return `${lines.join('\n')}\n`;
}

/** Lets a sandbox connect to `address` on `ports` for `seconds` (an address learned for an allowed name). */
export function learnAddresses(lease: NetworkLease, entries: readonly { address: string; port: number }[], seconds: number): string {
  if (entries.length === 0) return '';
  const elems = entries.map((e) => `${e.address} . ${e.port} timeout ${seconds}s`).join(', ');
  return `add element ${T} ${chainOf(lease)}_names { ${elems} }\n`;
}

/** Removes every trace of a sandbox from the table. */
export function detachSandbox(lease: NetworkLease): string {
  const c = chainOf(lease);
  const ifn = `"${lease.hostIf}"`;
  return [
    `delete element ${T} sandboxes { ${ifn} }`,
    `delete element ${T} proxied { ${ifn} }`,
    `delete element ${T} host_services { ${hostServices(lease)} }`,
    `delete element ${T} sources { ${ifn} . ${lease.address} }`,
    `delete chain ${T} ${c}`,
    `delete chain ${T} ${c}_nat`,
    `delete set ${T} ${c}_names`,
    `delete set ${T} ${c}_cidrs`,
    '',
  ].join('\n');
}

export const deleteTable = `table ${T}\ndelete table ${T}\n`;
