import { describe, expect, it } from 'vitest';
import { toCef } from '../../../lib/audit/cef';
import { auditActionNames, type AuditRecord } from '../../../lib/audit/events';
import { ocsfClassOf, toOcsf } from '../../../lib/audit/ocsf';

const record: AuditRecord = {
  seq: 7,
  prevHash: '0'.repeat(64),
  hash: 'a'.repeat(64),
  at: '2026-11-28T10:00:00.000Z',
  action: 'settings.update',
  details: { changes: { signInBanner: { from: 'a|b', to: 'x=y\nz\\' } } },
  actor: { type: 'user', id: 'u1', name: 'ad|min' },
  target: { type: 'setting', id: null, name: 'signInBanner' },
  outcome: 'success',
  sourceIp: '192.0.2.7',
  userAgent: 'curl',
  requestId: 'req-1',
};

describe('SIEM formats', () => {
  it('maps every action to one of the four pinned OCSF classes', () => {
    for (const a of auditActionNames) expect([3002, 3004, 4001, 6003], a).toContain(ocsfClassOf(a));
    const o = toOcsf(record);
    expect(o).toMatchObject({ class_uid: 3004, activity_id: 3, type_uid: 300403, metadata: { version: '1.3.0', uid: '7', correlation_uid: 'req-1' } });
  });

  it('writes CEF with its header and extension escaping', () => {
    const cef = toCef(record, '0.1.0');
    expect(cef.startsWith('CEF:0|Sandbox appliance|sbx|0.1.0|settings.update|settings.update success|3|')).toBe(true);
    expect(cef).toContain('suser=ad|min');
    expect(cef).toContain('externalId=7');
    // In the extension: = and \ escaped, line breaks as \n; nothing can start a new key.
    expect(cef).toContain('x\\=y\\\\nz\\\\\\\\');
    expect(cef).not.toMatch(/\n/);
    expect(toCef({ ...record, action: 'auth.sign_in', details: {}, outcome: 'failure' }, 'v|1')).toContain('|v\\|1|auth.sign_in|auth.sign_in failure|7|');
  });
});
