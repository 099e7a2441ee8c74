import { setTimeout as sleep } from 'node:timers/promises';
import type { SignInBody } from '../../lib/api/auth';
import type { AuditActor } from '../../lib/audit/events';
import { AppError } from '../../lib/errors';
import { Role } from '../../lib/roles';
import { audited } from '../audit/audited';
import { auditEvent, type RequestMeta } from '../audit/event';
import type { ServerContext } from '../context';
import { UNUSABLE_HASH, verifyPassword } from './password';
import type { Principal } from './principal';
import { randomToken, sha256Hex } from './tokens';

type Deps = Pick<ServerContext, 'db' | 'ledger' | 'config' | 'metrics'>;
type Origin = Omit<RequestMeta, 'actor'>;
export type SignedIn = { token: string; principal: Extract<Principal, { kind: 'session' }> };

const WRONG = 'Wrong user name or password.';

/** Growing delay after each failed attempt: 250 ms, 500 ms, 1 s, ... capped at 4 s. */
export function failureDelayMs(failures: number): number {
  return Math.min(250 * 2 ** Math.max(0, failures - 1), 4000);
}

/**
 * Checks a user name and password and opens a console session. Every attempt is audited; repeated
 * failures slow the caller down and then lock the account for a while.
 */
export async function signIn(deps: Deps, body: SignInBody, origin: Origin): Promise<SignedIn> {
  const now = new Date();
  const user = await deps.db.user.findUnique({ where: { username: body.username } });
  const anonymous: AuditActor = { type: 'anonymous', id: null, name: body.username };
  const actor: AuditActor = user ? { type: 'user', id: user.id, name: user.username } : anonymous;
  const meta: RequestMeta = { ...origin, actor };
  const target = { type: 'user' as const, id: user?.id ?? null, name: body.username };
  const fail = async (reason: 'bad_password' | 'unknown_user' | 'locked' | 'disabled', failures?: number) => {
    deps.metrics.signInFailures.inc({ reason });
    await audited(deps, (_tx, record) =>
      record(auditEvent(meta, { action: 'auth.sign_in', details: { reason, failures } }, target, 'failure')),
    );
  };

  if (user?.lockedUntil && user.lockedUntil > now) {
    await fail('locked', user.failedSignIns);
    throw new AppError(
      'locked',
      `The account ${user.username} is locked after repeated failed sign-ins until ${user.lockedUntil.toISOString()}; an admin can unlock it on the Users page.`,
    );
  }
  const passwordOk = await verifyPassword(body.password, user?.passwordHash ?? UNUSABLE_HASH);
  if (!user) {
    await fail('unknown_user');
    await sleep(failureDelayMs(1));
    throw new AppError('unauthenticated', WRONG);
  }
  if (!passwordOk) {
    const failures = user.failedSignIns + 1;
    const lock = failures >= deps.config.lockout.threshold;
    const until = new Date(now.getTime() + deps.config.lockout.minutes * 60_000);
    deps.metrics.signInFailures.inc({ reason: 'bad_password' });
    await audited(deps, async (tx, record) => {
      await tx.user.update({
        where: { id: user.id },
        data: { failedSignIns: failures, lockedUntil: lock ? until : user.lockedUntil },
      });
      await record(auditEvent(meta, { action: 'auth.sign_in', details: { reason: 'bad_password', failures } }, target, 'failure'));
      if (lock) {
        await record(auditEvent(meta, { action: 'auth.account_locked', details: { failures, until: until.toISOString() } }, target));
      }
    });
    await sleep(failureDelayMs(failures));
    throw new AppError('unauthenticated', WRONG);
  }
  if (user.disabled) {
    await fail('disabled');
    throw new AppError('unauthenticated', `The account ${user.username} is disabled; ask an admin to enable it.`);
  }

  const token = randomToken(32);
  const sessionId = sha256Hex(token);
  const csrfToken = randomToken(24);
  const expiresAt = new Date(now.getTime() + deps.config.session.maxHours * 3_600_000);
  await audited(deps, async (tx, record) => {
    await tx.user.update({
      where: { id: user.id },
      data: { failedSignIns: 0, lockedUntil: null, lastSignInAt: now },
    });
    await tx.session.create({
      data: {
        id: sessionId,
        userId: user.id,
        csrfToken,
        createdAt: now,
        lastSeenAt: now,
        expiresAt,
        sourceIp: origin.sourceIp,
        userAgent: origin.userAgent,
      },
    });
    await record(auditEvent(meta, { action: 'auth.sign_in', details: {} }, { type: 'session', id: sessionId.slice(0, 16), name: user.username }));
  });
  return {
    token,
    principal: {
      kind: 'session',
      userId: user.id,
      username: user.username,
      displayName: user.displayName,
      role: Role.parse(user.role),
      mustChangePassword: user.mustChangePassword,
      sessionId,
      csrfToken,
      expiresAt,
    },
  };
}
