import { describe, expect, it } from 'vitest';
import { canonicalJson } from '../../../lib/canonical-json';

describe('canonicalJson (RFC 8785)', () => {
  it('sorts keys by UTF-16 code units and drops whitespace', () => {
    expect(canonicalJson({ b: 1, a: [true, null, 'x'], A: {} })).toBe('{"A":{},"a":[true,null,"x"],"b":1}');
  });

  it('orders non-ASCII keys as RFC 8785 does (UTF-16, not code points)', () => {
    // U+1F600 is a surrogate pair (0xD83D...), which sorts before U+FB33 in UTF-16.
    expect(canonicalJson({ '\uFB33': 1, '\u{1F600}': 2, '\u00e9': 3 })).toBe('{"\u00e9":3,"\u{1F600}":2,"\uFB33":1}');
  });

  it('writes numbers in shortest ECMAScript form', () => {
    expect(canonicalJson([1e21, 0.1, -0, 1.5e-7, 100])).toBe('[1e+21,0.1,0,1.5e-7,100]');
  });

  it('escapes strings as JSON does', () => {
    expect(canonicalJson('a"\n\u0001')).toBe('"a\\"\\n\\u0001"');
  });

  it('omits undefined members and refuses what JSON cannot hold', () => {
    expect(canonicalJson({ a: undefined, b: 2 })).toBe('{"b":2}');
    expect(() => canonicalJson(Number.NaN)).toThrow(/non-finite/);
    expect(() => canonicalJson({ f: () => 1 })).toThrow(/cannot serialise/);
  });

  it('writes objects already in order the same as those it must sort, and still refuses what JSON cannot hold', () => {
    // In order over plain values: the quick way (JSON.stringify); the same members out of order: the sorting way.
    const inOrder = { addresses: ['198.51.100.7', '\u00e9'], count: 1, empty: null, no: false, port: -0, reason: 'a"\n', skip: undefined };
    const outOfOrder = { skip: undefined, reason: 'a"\n', port: -0, no: false, empty: null, count: 1, addresses: ['198.51.100.7', '\u00e9'] };
    const want = '{"addresses":["198.51.100.7","\u00e9"],"count":1,"empty":null,"no":false,"port":0,"reason":"a\\"\\n"}';
    expect(canonicalJson(inOrder)).toBe(want);
    expect(canonicalJson(outOfOrder)).toBe(want);
    // Integer-like keys come first from Object.keys whatever their text order: sorted as text all the same.
    expect(canonicalJson({ 9: 'a', 10: 'b' })).toBe('{"10":"b","9":"a"}');
    expect(() => canonicalJson({ a: Number.POSITIVE_INFINITY })).toThrow(/non-finite/);
    // eslint-disable-next-line no-sparse-arrays
    expect(() => canonicalJson({ a: [1, , 2] })).toThrow(/cannot serialise/);
  });
});
