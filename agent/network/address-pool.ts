import { formatIp, parseCidr } from '../../lib/api/network';

/** One sandbox's addresses: a /30 of the pool, the host end being its gateway (and its DNS server). */
export type NetworkLease = {
  index: number;
  gateway: string;
  address: string;
  /** The host end of the veth pair (where every rule is anchored). */
  hostIf: string;
  /** The sandbox end, moved into its namespace. */
  peerIf: string;
};

export const HOST_IF_PREFIX = 'sbxv';

/** Hands out /30 networks from the configured pool; a lease is taken by index (for reconciling, too). */
export class AddressPool {
  private readonly base: number;
  private readonly size: number;
  private readonly taken = new Set<number>();

  constructor(readonly cidr: string) {
    const net = parseCidr(cidr);
    if (!net || net.bits > 28) throw new Error(`address pool ${cidr}: expected an IPv4 network of /28 or larger`);
    this.base = net.base;
    this.size = 2 ** (32 - net.bits) / 4;
  }

  leaseAt(index: number): NetworkLease {
    const net = this.base + index * 4;
    return { index, gateway: formatIp(net + 1), address: formatIp(net + 2), hostIf: `${HOST_IF_PREFIX}${index}`, peerIf: `sbxp${index}` };
  }

  /** The lowest free /30, or null when the pool is used up. */
  take(): NetworkLease | null {
    for (let i = 0; i < this.size; i++) {
      if (!this.taken.has(i)) {
        this.taken.add(i);
        return this.leaseAt(i);
      }
    }
    return null;
  }

  claim(index: number): void {
    this.taken.add(index);
  }

  release(index: number): void {
    this.taken.delete(index);
  }
}
