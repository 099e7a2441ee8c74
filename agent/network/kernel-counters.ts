import { COUNTED_SETS, TABLE } from './nft-rules';
import { mustRun } from './run-command';

/** One element of a counted set: packets seen to (or, for spoofing, from) an address. */
export type CountedRow = { set: string; iface: string; address: string; protocol: string; port: number; packets: number };

const COUNTED = new Set([...COUNTED_SETS, 'denied_ipv6']);

type JsonElem = { elem?: { val?: unknown; counter?: { packets?: number } } };
type JsonSet = { set?: { name?: string; elem?: JsonElem[] } };

/** Reads every counted set of the agent's table in one `nft -j` call. */
export async function readCountedSets(): Promise<CountedRow[]> {
  const out = await mustRun('nft', ['-j', 'list', 'table', 'inet', TABLE]);
  const doc = JSON.parse(out) as { nftables?: JsonSet[] };
  const rows: CountedRow[] = [];
  for (const item of doc.nftables ?? []) {
    const name = item.set?.name;
    if (!name || !COUNTED.has(name)) continue;
    for (const e of item.set?.elem ?? []) {
      const packets = e.elem?.counter?.packets ?? 0;
      const val = e.elem?.val;
      if (name === 'denied_ipv6' && typeof val === 'string') {
        rows.push({ set: name, iface: val, address: '', protocol: 'ipv6', port: 0, packets });
        continue;
      }
      const parts = (val as { concat?: unknown[] } | undefined)?.concat;
      if (!Array.isArray(parts) || parts.length !== 4) continue;
      const [iface, address, protocol, port] = parts;
      rows.push({ set: name, iface: String(iface), address: String(address), protocol: String(protocol), port: Number(port) || 0, packets });
    }
  }
  return rows;
}
