import { z } from 'zod';

/**
 * A sandbox's network, as its policy (or its create request, within the policy) gives it:
 * - `none`: no interface at all;
 * - `allowlist`: nothing but DNS to the host agent, and connections to what the rules allow;
 * - `open`: anywhere but the deny floor (only where an admin allows it).
 * An `allowlist` with no rules is the default: the sandbox can resolve nothing and reach nothing.
 */
export const NetworkMode = z.enum(['none', 'allowlist', 'open']);
export type NetworkMode = z.infer<typeof NetworkMode>;

/**
 * Normalises a domain as the DNS resolver and the allowlist compare it: lower case, punycode
 * (IDNA), no trailing dot. Returns null for something that is not a host name.
 */
export function normalizeDomain(name: string): string | null {
  const trimmed = name.trim().replace(/\.$/, '');
  if (trimmed.length === 0 || trimmed.length > 253) return null;
  if (/[/?#@:\\%\s]/.test(trimmed)) return null;
  let ascii: string;
  try {
    // WHATWG URL host parsing: lower case and IDNA (punycode), the same in Node and browsers.
    ascii = new URL(`http://${trimmed}/`).hostname;
  } catch {
    return null;
  }
  if (ascii.length > 253) return null;
  const labels = ascii.split('.');
  if (labels.length < 2) return null;
  // An address is not a name (and a numeric last label is never a top-level domain).
  if (/^\d+$/.test(labels[labels.length - 1] ?? '')) return null;
  return labels.every((l) => /^(?!-)[a-z0-9_-]{1,63}(?<!-)$/.test(l)) ? ascii : null;
}

const Port = z.number().int().min(1, 'expected a port from 1 to 65535').max(65_535, 'expected a port from 1 to 65535');
const Ports = z.array(Port).min(1, 'expected at least one port').max(32, 'expected at most 32 ports').default([443]);

/** A domain rule: `example.com` (that name only) or `*.example.com` (any name below it, not itself). */
const DomainPattern = z
  .string()
  .max(255)
  .transform((raw, ctx) => {
    const wildcard = raw.trim().startsWith('*.');
    const name = normalizeDomain(wildcard ? raw.trim().slice(2) : raw);
    if (!name) {
      ctx.addIssue({ code: 'custom', message: 'expected a domain such as example.com or *.example.com' });
      return z.NEVER;
    }
    return wildcard ? `*.${name}` : name;
  });

/** An IPv4 network in CIDR notation (a bare address means /32). */
const Cidr = z
  .string()
  .max(18)
  .transform((raw, ctx) => {
    const c = parseCidr(raw.includes('/') ? raw : `${raw}/32`);
    if (!c) {
      ctx.addIssue({ code: 'custom', message: 'expected an IPv4 network such as 203.0.113.0/24' });
      return z.NEVER;
    }
    return `${formatIp(c.base)}/${c.bits}`;
  });

/**
 * One allowlist rule. Only TCP is ever allowed out: the only UDP a sandbox may send is DNS to its
 * host agent (so no QUIC and no DNS around the resolver).
 */
export const EgressRule = z
  .strictObject({
    /** `example.com` (that name only) or `*.example.com` (any name below it). */
    domain: DomainPattern.optional(),
    /** An IPv4 network, e.g. `203.0.113.0/24`. */
    cidr: Cidr.optional(),
    ports: Ports,
    protocol: z.literal('tcp', { message: 'expected "tcp" (no UDP leaves a sandbox but DNS to its host)' }).default('tcp'),
  })
  .superRefine((r, ctx) => {
    if ((r.domain === undefined) === (r.cidr === undefined)) {
      ctx.addIssue({ code: 'custom', path: ['domain'], message: 'expected either a domain or a cidr' });
    }
  });
export type EgressRule = z.infer<typeof EgressRule>;

/** A sandbox's network: its mode and (for `allowlist`) its rules. */
export const NetworkSpec = z.strictObject({
  mode: NetworkMode.default('allowlist'),
  allow: z.array(EgressRule).max(1000, 'expected at most 1000 rules').default([]),
});
export type NetworkSpec = z.infer<typeof NetworkSpec>;

export const DEFAULT_NETWORK: NetworkSpec = { mode: 'allowlist', allow: [] };

/** No network at all: no interface, nothing to allow. */
export const NO_NETWORK: NetworkSpec = { mode: 'none', allow: [] };

/** The domain rules that allow `name` (already normalised), best (exact) first. */
export function rulesForName(rules: readonly EgressRule[], name: string): (EgressRule & { domain: string })[] {
  const hits = rules.filter((r): r is EgressRule & { domain: string } => {
    if (r.domain === undefined) return false;
    return r.domain.startsWith('*.') ? name.endsWith(r.domain.slice(1)) : name === r.domain;
  });
  return hits.sort((a, b) => Number(a.domain.startsWith('*.')) - Number(b.domain.startsWith('*.')));
}

/**
 * Where no sandbox may ever connect, whatever its rules or mode: this-network, private, shared,
 * loopback, link-local (cloud metadata), multicast and reserved ranges. The agent adds the host's
 * own addresses, the control plane's and configured extras.
 */
export const DENY_FLOOR = [
  '0.0.0.0/8',
  '10.0.0.0/8',
  '100.64.0.0/10',
  '127.0.0.0/8',
  '169.254.0.0/16',
  '172.16.0.0/12',
  '192.168.0.0/16',
  '224.0.0.0/4',
  '240.0.0.0/4',
] as const;

/** An IPv4 address as a 32-bit unsigned number, or null. */
export function parseIp(s: string): number | null {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(s.trim());
  if (!m) return null;
  const parts = m.slice(1).map(Number);
  if (parts.some((p) => p > 255)) return null;
  return (((parts[0] ?? 0) << 24) | ((parts[1] ?? 0) << 16) | ((parts[2] ?? 0) << 8) | (parts[3] ?? 0)) >>> 0;
}

export function formatIp(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

/** A CIDR network (base address masked to its prefix), or null. */
export function parseCidr(s: string): { base: number; bits: number } | null {
  const [addr = '', bitsText = ''] = s.trim().split('/');
  const ip = parseIp(addr);
  if (ip === null || !/^\d{1,2}$/.test(bitsText)) return null;
  const bits = Number(bitsText);
  if (bits > 32) return null;
  const mask = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
  return { base: (ip & mask) >>> 0, bits };
}

/** Whether `ip` lies in any of `cidrs`. */
export function inCidrs(ip: string, cidrs: readonly string[]): boolean {
  const n = parseIp(ip);
  if (n === null) return false;
  return cidrs.some((c) => {
    const net = parseCidr(c);
    if (!net) return false;
    const mask = net.bits === 0 ? 0 : (0xffffffff << (32 - net.bits)) >>> 0;
    return ((n & mask) >>> 0) === net.base;
  });
}

/**
 * Reads the short form of a rule used by the CLI and the console: `pypi.org`, `*.example.com:443,80`,
 * `203.0.113.0/24:8443` (ports after the last colon; 443 when none are given). The result still
 * goes through {@link EgressRule} for validation.
 */
export function ruleFromShorthand(text: string): { domain?: string; cidr?: string; ports?: number[] } {
  const m = /^(.*?)(?::([\d,]+))?$/.exec(text.trim());
  const target = m?.[1] ?? '';
  const ports = m?.[2] ? m[2].split(',').filter(Boolean).map(Number) : undefined;
  const isCidr = /^\d{1,3}(\.\d{1,3}){3}(\/\d{1,2})?$/.test(target);
  return { ...(isCidr ? { cidr: target } : { domain: target }), ...(ports ? { ports } : {}) };
}
