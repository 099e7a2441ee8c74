import { randomUUID } from 'node:crypto';
import type { CreateSandboxBody, SandboxView } from '../../lib/api/sandboxes';
import { AppError } from '../../lib/errors';
import { newSandboxId } from '../../lib/wire/ids';
import { audited } from '../audit/audited';
import { auditEvent, type RequestMeta } from '../audit/event';
import type { Principal } from '../auth/principal';
import type { ServerContext } from '../context';
import { policeSandbox } from '../policies/sandbox-policy';
import { syncHostPolicy } from '../policies/roll-out-policy';
import { findKek } from '../keys/kek-store';
import { getSettings } from '../settings/get-settings';
import { pickHost } from './schedule';
import { toSandboxView } from './sandbox-view';

type Deps = Pick<ServerContext, 'db' | 'ledger' | 'agents' | 'log' | 'policies'>;

/**
 * Creates a sandbox: picks a host, records the sandbox and its audit event (nothing starts
 * unrecorded), asks the host's agent to start it over the channel, and records the outcome.
 */
export async function createSandbox(deps: Deps, caller: Principal, body: CreateSandboxBody, meta: RequestMeta): Promise<SandboxView> {
  const settings = await getSettings(deps);
  const maxSeconds = settings.sandboxMaxLifetimeHours * 3600;
  if (body.timeoutSeconds > maxSeconds) {
    throw new AppError(
      'invalid_argument',
      `timeoutSeconds: expected at most ${maxSeconds} (the appliance's maximum sandbox lifetime, ${maxSeconds / 3600} hours; an admin can raise it in Settings)`,
      'timeoutSeconds',
    );
  }
  if (body.network.mode === 'open' && !settings.egressOpenAllowed) {
    throw new AppError('permission_denied', 'network.mode: "open" is not allowed on this appliance (an admin can allow it in Settings); list the domains and networks the sandbox needs instead.', 'network.mode');
  }
  // Its policy decides its limits, its idle timeout, its data's key and the hosts that may run it.
  const policed = policeSandbox(deps.policies, caller, body);
  const kek = await findKek(deps.db, policed.kek);
  // An empty allowlist needs no enforcement: a host without egress runs it with no interface at all.
  const host = await pickHost(deps, { ...policed.policy.scope.hostLabels, ...body.hostLabels }, {
    egress: body.network.mode === 'open' || (body.network.mode === 'allowlist' && body.network.allow.length > 0),
    allowed: policed.hostAllowed,
    policy: policed.policy.name,
  });
  // The host checks the request against its own signed copy: it must hold the version in force.
  await syncHostPolicy(deps, host.id);
  const id = newSandboxId();
  const now = new Date();
  const target = { type: 'sandbox' as const, id, name: body.image };
  await audited(deps, async (tx, record) => {
    await tx.sandbox.create({
      data: {
        id, agentId: host.id, ownerId: caller.userId, ownerName: caller.username, image: body.image, cpus: body.cpus, memoryMiB: body.memoryMiB,
        pids: body.pids, diskMiB: body.diskMiB, timeoutSeconds: body.timeoutSeconds, metadata: JSON.stringify(body.metadata), network: JSON.stringify(body.network), state: 'starting', kekId: kek.id, policy: policed.policy.name,
        createdAt: now, deadlineAt: new Date(now.getTime() + body.timeoutSeconds * 1000),
      },
    });
    await record(
      auditEvent(meta, {
        action: 'sandbox.create',
        details: { host: host.hostname, image: body.image, cpus: body.cpus, memoryMiB: body.memoryMiB, pids: body.pids, diskMiB: body.diskMiB, timeoutSeconds: body.timeoutSeconds, envNames: Object.keys(body.env), network: body.network, kek: kek.name, policy: policed.policy.name },
      }, target),
    );
  });
  const agentMeta: RequestMeta = { actor: { type: 'agent', id: host.id, name: host.hostname }, sourceIp: null, userAgent: null, requestId: randomUUID() };
  try {
    const started = await deps.agents.call(
      host.id,
      'sandbox.create',
      { id, image: body.image, limits: { cpus: body.cpus, memoryMiB: body.memoryMiB, pids: body.pids, diskMiB: body.diskMiB }, env: body.env, timeoutSeconds: body.timeoutSeconds, idleTimeoutSeconds: policed.idleTimeoutSeconds, network: body.network, policy: policed.policy.name },
      60_000,
    );
    const row = await audited(deps, async (tx, record) => {
      const r = await tx.sandbox.update({ where: { id }, data: { state: 'running' } });
      await record(auditEvent(agentMeta, { action: 'sandbox.start', details: { startMs: Math.round(started.startMs) } }, target));
      return r;
    });
    return toSandboxView(row);
  } catch (error) {
    const detail = (error as Error).message;
    await audited(deps, async (tx, record) => {
      await tx.sandbox.update({ where: { id }, data: { state: 'failed', stateReason: detail.slice(0, 500), endedAt: new Date() } });
      await record(auditEvent(agentMeta, { action: 'sandbox.stop', details: { reason: 'failed', detail: detail.slice(0, 500) } }, target, 'failure'));
    }).catch((err: unknown) => deps.log.error({ err }, 'could not record a failed sandbox start'));
    throw new AppError('unavailable', `Sandbox ${id} could not be started on ${host.hostname}: ${detail}`);
  }
}
