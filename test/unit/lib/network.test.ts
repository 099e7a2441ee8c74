import { describe, expect, it } from 'vitest';
import { EgressRule, NetworkSpec, inCidrs, normalizeDomain, parseCidr, ruleFromShorthand, rulesForName } from '../../../lib/api/network';

describe('normalizeDomain', () => {
  it('lower-cases, punycodes and drops the trailing dot', () => {
    expect(normalizeDomain('PyPI.org.')).toBe('pypi.org');
    expect(normalizeDomain('bücher.de')).toBe('xn--bcher-kva.de');
  });

  it('refuses what is not a host name', () => {
    for (const bad of ['', 'localhost', '1.2.3.4', 'a..b', '-a.com', 'a/b.com', 'user@x.com', 'x.com:80', 'a b.com', `${'a'.repeat(64)}.com`]) {
      expect(normalizeDomain(bad), bad).toBeNull();
    }
  });
});

describe('egress rules', () => {
  it('defaults to port 443 over TCP and normalises targets', () => {
    expect(EgressRule.parse({ domain: '*.PythonHosted.org' })).toEqual({ domain: '*.pythonhosted.org', ports: [443], protocol: 'tcp' });
    expect(EgressRule.parse({ cidr: '203.0.113.7', ports: [80] })).toEqual({ cidr: '203.0.113.7/32', ports: [80], protocol: 'tcp' });
    expect(EgressRule.parse({ cidr: '203.0.113.77/24' }).cidr).toBe('203.0.113.0/24');
  });

  it('names the field and what was expected', () => {
    const cases: [unknown, string, RegExp][] = [
      [{ domain: 'x' }, 'domain', /expected a domain/],
      [{ cidr: '300.1.1.1' }, 'cidr', /expected an IPv4 network/],
      [{ domain: 'a.com', ports: [0] }, 'ports.0', /port from 1 to 65535/],
      [{ domain: 'a.com', protocol: 'udp' }, 'protocol', /no UDP/],
      [{ ports: [443] }, 'domain', /either a domain or a cidr/],
      [{ domain: 'a.com', cidr: '1.2.3.4' }, 'domain', /either a domain or a cidr/],
    ];
    for (const [input, field, message] of cases) {
      const r = EgressRule.safeParse(input);
      expect(r.success, JSON.stringify(input)).toBe(false);
      expect(r.error?.issues[0]?.path.join('.')).toBe(field);
      expect(r.error?.issues[0]?.message).toMatch(message);
    }
    expect(NetworkSpec.safeParse({ mode: 'wide' }).error?.issues[0]?.path).toEqual(['mode']);
  });

  it('matches exact names and wildcards below a domain (not the domain itself, not look-alikes)', () => {
    const { allow } = NetworkSpec.parse({ allow: [{ domain: 'pypi.org', ports: [443, 80] }, { domain: '*.pythonhosted.org' }] });
    expect(rulesForName(allow, 'pypi.org').map((r) => r.ports)).toEqual([[443, 80]]);
    expect(rulesForName(allow, 'files.pythonhosted.org')).toHaveLength(1);
    expect(rulesForName(allow, 'pythonhosted.org')).toHaveLength(0);
    expect(rulesForName(allow, 'evilpythonhosted.org')).toHaveLength(0);
    expect(rulesForName(allow, 'x.pypi.org')).toHaveLength(0);
  });

  it('reads the CLI short form', () => {
    expect(ruleFromShorthand('pypi.org')).toEqual({ domain: 'pypi.org' });
    expect(ruleFromShorthand('*.example.com:443,80')).toEqual({ domain: '*.example.com', ports: [443, 80] });
    expect(ruleFromShorthand('203.0.113.0/24:8443')).toEqual({ cidr: '203.0.113.0/24', ports: [8443] });
  });
});

describe('CIDR arithmetic', () => {
  it('masks and tests membership', () => {
    expect(parseCidr('10.1.2.3/8')).toEqual({ base: 0x0a000000, bits: 8 });
    expect(parseCidr('10.1.2.3/33')).toBeNull();
    expect(inCidrs('169.254.169.254', ['169.254.0.0/16'])).toBe(true);
    expect(inCidrs('172.32.0.1', ['172.16.0.0/12'])).toBe(false);
    expect(inCidrs('0.0.0.0', ['0.0.0.0/0'])).toBe(true);
    expect(inCidrs('not-an-ip', ['0.0.0.0/0'])).toBe(false);
  });
});
