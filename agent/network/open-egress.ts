import dns from 'node:dns/promises';
import fs from 'node:fs';
import path from 'node:path';
import type { NetworkDecision } from '../../lib/wire/protocol';
import type { AgentConfig } from '../config';
import { NetworkEnforcer } from './enforcer';

/** The host's first IPv4 nameserver (resolv.conf), the default upstream of the sandboxes' resolver. */
function hostNameserver(): string | null {
  try {
    const m = /^\s*nameserver\s+(\d{1,3}(?:\.\d{1,3}){3})\s*$/m.exec(fs.readFileSync('/etc/resolv.conf', 'utf8'));
    return m?.[1] ?? null;
  } catch {
    return null;
  }
}

/** IPv4 addresses of the control plane (its console and gateway), which no sandbox may reach. */
async function controlPlaneAddresses(urls: string[]): Promise<string[]> {
  const out = new Set<string>();
  for (const u of urls) {
    const host = new URL(u).hostname.replace(/^\[|\]$/g, '');
    const found = await dns.lookup(host, { all: true, family: 4 }).catch(() => []);
    for (const a of found) out.add(a.address);
  }
  return [...out];
}

/**
 * Starts the network enforcer as the configuration asks. Returns the enforcer (null when egress
 * is off), what it removed of an earlier run, or the problem that stopped it: then sandboxes with
 * a network are refused here (never run without their rules).
 */
export async function openEgress(
  config: AgentConfig,
  controlPlaneUrls: string[],
  report: (decisions: NetworkDecision[]) => void,
): Promise<{ enforcer: NetworkEnforcer | null; removed: string[]; problem: string | null }> {
  if (!config.egress.enabled) return { enforcer: null, removed: [], problem: null };
  const upstream = config.egress.upstream ?? (hostNameserver() ? { host: hostNameserver() as string, port: 53 } : null);
  if (!upstream) return { enforcer: null, removed: [], problem: 'egress: no upstream resolver (set SBX_AGENT_DNS_UPSTREAM)' };
  try {
    const { enforcer, removed } = await NetworkEnforcer.open({
      stateDir: path.join(config.stateDir, 'sandboxes'),
      pool: config.egress.pool,
      upstream,
      extraFloor: config.egress.extraFloor,
      controlPlaneAddresses: await controlPlaneAddresses(controlPlaneUrls),
      auditWindowMs: config.egress.auditWindowSeconds * 1000,
      report,
    });
    return { enforcer, removed, problem: null };
  } catch (error) {
    return { enforcer: null, removed: [], problem: `egress: ${(error as Error).message}` };
  }
}
