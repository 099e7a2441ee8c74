import { describe, expect, it } from 'vitest';
import { NetworkSpec } from '../../../../lib/api/network';
import { AddressPool } from '../../../../agent/network/address-pool';
import { applyAllowlist, attachSandbox, baseTable, detachSandbox, learnAddresses } from '../../../../agent/network/nft-rules';

const lease = new AddressPool('10.250.0.0/24').leaseAt(3);

describe('address pool', () => {
  it('hands out /30s: gateway .1, sandbox .2, and reuses released ones', () => {
    const pool = new AddressPool('10.250.0.0/28');
    const a = pool.take();
    const b = pool.take();
    expect([a?.gateway, a?.address, b?.gateway, b?.address]).toEqual(['10.250.0.1', '10.250.0.2', '10.250.0.5', '10.250.0.6']);
    pool.take();
    pool.take();
    expect(pool.take()).toBeNull();
    pool.release(0);
    expect(pool.take()?.index).toBe(0);
    expect(() => new AddressPool('10.0.0.0/29')).toThrow(/\/28 or larger/);
  });
});

describe('nftables rules', () => {
  it('checks the deny floor before any sandbox allow, and drops everything else', () => {
    const text = baseTable(['10.0.0.0/8', '169.254.0.0/16'], '10.250.0.0/16');
    const chain = text.slice(text.indexOf('chain from_sandbox'));
    const order = ['nfproto ipv6', '!= @sources', 'ct state established', 'l4proto udp', 'l4proto != tcp', '@floor', 'vmap @sandboxes', 'update @denied_rule'].map((s) => chain.indexOf(s));
    expect(order.every((i) => i >= 0)).toBe(true);
    expect([...order].sort((x, y) => x - y)).toEqual(order);
    expect(text).toContain('elements = { 10.0.0.0/8, 169.254.0.0/16 }');
    expect(text).toContain('ip saddr 10.250.0.0/16 oifname != "sbxv*" masquerade');
  });

  it('anchors a sandbox by its interface and address, with DNS to its gateway only', () => {
    const text = attachSandbox(lease);
    expect(text).toContain('add element inet sbx_agent sources { "sbxv3" . 10.250.0.14 }');
    expect(text).toContain('"sbxv3" . 10.250.0.13 . udp . 53, "sbxv3" . 10.250.0.13 . tcp . 53');
    expect(text).toContain('add element inet sbx_agent sandboxes { "sbxv3" : jump sb_3 }');
    expect(detachSandbox(lease)).toContain('delete chain inet sbx_agent sb_3');
  });

  it('writes CIDR rules as static elements, names as learned timed elements, open as one TCP accept', () => {
    const spec = NetworkSpec.parse({ allow: [{ cidr: '203.0.113.0/24', ports: [443, 8443] }, { domain: 'pypi.org' }] });
    const text = applyAllowlist(lease, 'allowlist', spec.allow);
    expect(text).toContain('add element inet sbx_agent sb_3_cidrs { 203.0.113.0/24 . 443, 203.0.113.0/24 . 8443 }');
    expect(text).toContain('flush set inet sbx_agent sb_3_names');
    expect(text).not.toContain('allowed_open');
    expect(applyAllowlist(lease, 'open', [])).toContain('meta l4proto tcp update @allowed_open');
    expect(learnAddresses(lease, [{ address: '198.51.100.4', port: 443 }], 90)).toBe('add element inet sbx_agent sb_3_names { 198.51.100.4 . 443 timeout 90s }\n');
    expect(learnAddresses(lease, [], 90)).toBe('');
  });
});
