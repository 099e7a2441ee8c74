import { z } from 'zod';
import { describe, expect, it } from 'vitest';
import { CreateApiKeyBody } from '../../../lib/api/api-keys';
import { AppError, errorCodes, fromZodError, httpStatusOf } from '../../../lib/errors';
import { can, canDelegate } from '../../../lib/roles';

describe('error vocabulary', () => {
  it('maps each code to one status, user mistakes to 4xx', () => {
    expect(httpStatusOf('invalid_argument')).toBe(400);
    expect(httpStatusOf('audit_unavailable')).toBe(503);
    expect(httpStatusOf('memory_limit_exceeded')).toBe(409);
    expect(httpStatusOf('disk_full')).toBe(507);
    for (const code of errorCodes) {
      const status = httpStatusOf(code);
      // Conditions of the appliance or of a sandbox's resources, not mistakes in the request.
      const serverSide = ['internal', 'unavailable', 'audit_unavailable', 'no_capacity', 'timeout', 'disk_full'];
      if (serverSide.includes(code)) expect(status).toBeGreaterThanOrEqual(500);
      else expect(status).toBeLessThan(500);
    }
  });

  it('names the offending field from a zod failure', () => {
    const r = CreateApiKeyBody.safeParse({ name: 'ci', role: 'developer', expiresInDays: 'soon' });
    expect(r.success).toBe(false);
    const e = fromZodError((r as { error: z.ZodError }).error);
    expect(e).toBeInstanceOf(AppError);
    expect(e.field).toBe('expiresInDays');
    expect(e.message).toMatch(/^expiresInDays: expected number/);
  });
});

describe('roles', () => {
  it('gives each role what the product promises', () => {
    expect(can('admin', 'users.write')).toBe(true);
    expect(can('operator', 'users.write')).toBe(false);
    expect(can('operator', 'policies.write')).toBe(true);
    expect(can('auditor', 'audit.export')).toBe(true);
    expect(can('auditor', 'settings.write')).toBe(false);
    expect(can('developer', 'audit.read')).toBe(false);
    expect(can('developer', 'apikeys.write_own')).toBe(true);
  });

  it('never lets a key outrank its owner', () => {
    expect(canDelegate('developer', 'admin')).toBe(false);
    expect(canDelegate('operator', 'auditor')).toBe(false);
    expect(canDelegate('auditor', 'developer')).toBe(true);
    expect(canDelegate('admin', 'operator')).toBe(true);
  });
});

describe('home page by role', () => {
  it('lands every role on a page it may read', async () => {
    const { homePathFor } = await import('../../../lib/roles');
    expect(homePathFor('admin')).toBe('/audit');
    expect(homePathFor('auditor')).toBe('/audit');
    expect(homePathFor('operator')).toBe('/hosts');
    expect(homePathFor('developer')).toBe('/api-keys');
  });
});

describe('errors for record keys', () => {
  it('says what was expected of a bad label key', async () => {
    const { CreateJoinTokenBody } = await import('../../../lib/api/hosts');
    const r = CreateJoinTokenBody.safeParse({ labels: { 'Bad Key': 'x' } });
    const e = fromZodError((r as { error: z.ZodError }).error);
    expect(e.field).toBe('labels.Bad Key');
    expect(e.message).toBe('labels.Bad Key: expected a label key of lower-case letters, digits, . _ / -');
  });
});
