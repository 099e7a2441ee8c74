import { describe, expect, it } from 'vitest';
import { backoffMs, renewAtMs } from '../../../agent/channel';
import { classifyTlsError } from '../../../server/gateway/handshake-refusals';

describe('agent reconnect backoff', () => {
  it('grows exponentially from 0.5 s, caps at 30 s, with ±50 % jitter', () => {
    expect(backoffMs(0, () => 0.5)).toBe(500);
    expect(backoffMs(3, () => 0.5)).toBe(4000);
    expect(backoffMs(20, () => 0.5)).toBe(30_000);
    expect(backoffMs(2, () => 0)).toBe(1000);
    expect(backoffMs(2, () => 0.999)).toBeLessThan(3000);
  });
});

describe('certificate renewal time', () => {
  it('is two thirds into the life, jittered by at most 5 % of it', () => {
    expect(renewAtMs(0, 3000, () => 0.5)).toBe(2000);
    expect(renewAtMs(0, 3000, () => 0)).toBe(1850);
    expect(renewAtMs(0, 3000, () => 1)).toBe(2150);
  });
});

describe('refused handshake reasons', () => {
  it('names what OpenSSL and the certificate check reported', () => {
    expect(classifyTlsError(new Error('SSL routines:tls_early_post_process_client_hello:unsupported protocol'))).toBe('protocol_version');
    expect(classifyTlsError(new Error('tls_process_client_certificate:peer did not return a certificate'))).toBe('no_certificate');
    expect(classifyTlsError(new Error('socket hang up'), 'CERT_HAS_EXPIRED')).toBe('expired');
    expect(classifyTlsError(new Error('socket hang up'), 'CERT_REVOKED')).toBe('revoked');
    expect(classifyTlsError(new Error('socket hang up'), 'UNABLE_TO_VERIFY_LEAF_SIGNATURE')).toBe('unknown_ca');
    expect(classifyTlsError(new Error('socket hang up'))).toBe('other');
  });
});
