import { describe, expect, it } from 'vitest';
import { toHostView } from '../../../server/hosts/list-hosts';

const hour = 3_600_000;
function agent(issuedHoursAgo: number, revoked = false) {
  const now = Date.now();
  const notBefore = new Date(now - issuedHoursAgo * hour);
  return {
    id: 'a1', hostname: 'h', labels: '{"zone":"eu"}', enrolledAt: notBefore, revokedAt: revoked ? new Date() : null, connected: true,
    lastSeenAt: null, agentVersion: null, runscVersion: null, kernel: null, platform: null, capacity: null, health: null, sandboxes: 0, policyVersion: null, policyHash: null, policyAt: null, policyError: null,
    certificates: [{ serial: 'ab', agentId: 'a1', issuedAt: notBefore, notBefore, notAfter: new Date(notBefore.getTime() + 24 * hour), revokedAt: null }],
  };
}

describe('host view', () => {
  it('warns once a certificate passes 80 % of its life unrenewed', () => {
    expect(toHostView(agent(19), true).renewalOverdue).toBe(false);
    const late = toHostView(agent(20), true);
    expect(late.renewalOverdue).toBe(true);
    expect(late.certificate?.lifeSpent).toBeGreaterThanOrEqual(0.8);
  });

  it('reports online, offline and revoked', () => {
    expect(toHostView(agent(1), true).status).toBe('online');
    expect(toHostView(agent(1), false).status).toBe('offline');
    const revoked = toHostView(agent(21, true), true);
    expect(revoked.status).toBe('revoked');
    expect(revoked.renewalOverdue).toBe(false);
  });
});
