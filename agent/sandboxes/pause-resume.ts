import fs from 'node:fs';
import path from 'node:path';
import type { Logger } from 'pino';
import { RpcError } from '../../lib/wire/rpc';
import type { NetworkSpec } from '../../lib/api/network';
import type { SandboxRuntime, SandboxSpec } from '../runtime/types';
import type { LongTimer } from './long-timer';
import type { DataKeys, PausedImages } from './paused-images';

/** The sandbox's spec, sealed with its checkpoint image (it holds its environment). */
const SPEC_FILE = 'sandbox-spec.json';

/** What is saved of a running sandbox to start it again. */
export type Saved = { spec: SandboxSpec; env: Record<string, string>; networked: boolean; idleMs: number | null };
type Running = Saved & { runtimeId: string; running: number; deadline: LongTimer };

/** What pausing and resuming need of the sandbox manager. */
export type Pausing<L extends Running> = {
  runtime: SandboxRuntime;
  images: PausedImages;
  log: Logger;
  get(id: string): L | undefined;
  /** Starts the clocks of a sandbox that runs (again). */
  track(id: string, s: Saved, timeoutSeconds: number): void;
  /** Stops its clocks and forgets it as running. */
  stopClocks(id: string, s: L): void;
  /** The egress rules its network enforces now (by runtime id). */
  rulesOf(runtimeId: string): NetworkSpec | undefined;
  /** Removes its network (by runtime id). */
  dropNetwork(runtimeId: string): Promise<void>;
};

/**
 * runsc restores a sandbox without its network interface (only loopback comes back: netstack's
 * links are not part of the image in this gVisor). A sandbox whose rules allow something would come
 * back cut off, so it is not paused; one that is allowed nothing loses nothing by it: its network
 * is removed with the pause and it resumes without one.
 */
const NO_NETWORK_RESTORE = (id: string) =>
  `sandbox ${id} has egress rules, and runsc restores a sandbox without its network interface, so it is not paused (keep it running, or allow it nothing first: it then resumes without a network)`;

const secondsLeft = (s: Running) => Math.max(1, Math.round(s.deadline.remainingMs() / 1000));

/**
 * Pauses a sandbox: checkpoints it into memory, encrypts the image (and its spec) to disk with
 * data keys from the control plane, and frees it. If the image cannot be sealed, the sandbox is
 * restored from memory at once, so a failed pause loses nothing.
 */
export async function pauseSandbox<L extends Running>(m: Pausing<L>, id: string, keys: DataKeys): Promise<{ bytes: number; kek: { id: string; version: number }; networkRemoved: boolean }> {
  const s = m.get(id);
  if (!s) throw new RpcError('not_found', `sandbox ${id} is not running on this host`);
  const rules = s.networked ? m.rulesOf(s.runtimeId) : undefined;
  if (s.networked && (rules?.mode !== 'allowlist' || rules.allow.length > 0)) throw new RpcError('conflict', NO_NETWORK_RESTORE(id));
  // What just ended may still be settling (a killed command's exit, a transfer's last bytes): give it a moment.
  for (let i = 0; i < 50 && s.running > 0; i++) await new Promise((r) => setTimeout(r, 100));
  if (s.running > 0) throw new RpcError('conflict', `sandbox ${id} has ${s.running} command(s) or file transfer(s) running; wait for them or kill them before pausing`);
  const staging = m.images.stage(id);
  m.stopClocks(id, s);
  try {
    // What resumes has no network (see NO_NETWORK_RESTORE).
    const { network, ...rest } = s.spec;
    const spec = network ? { ...rest, formerNameserver: network.nameserver } : s.spec;
    const saved: Saved = { spec, env: s.env, networked: false, idleMs: s.idleMs };
    fs.writeFileSync(path.join(staging, SPEC_FILE), JSON.stringify(saved), { mode: 0o600 });
    await m.runtime.checkpoint(s.runtimeId, staging);
  } catch (error) {
    m.images.wipe(staging);
    m.track(id, s, secondsLeft(s));
    throw new RpcError('failed', `could not pause sandbox ${id}: ${(error as Error).message}`);
  }
  try {
    const sealed = await m.images.seal(id, staging, keys);
    if (!sealed.kek) throw new Error('no data key was issued');
    if (s.networked) await m.dropNetwork(s.runtimeId);
    m.log.info({ sandbox: id, bytes: sealed.bytes, networkRemoved: s.networked }, 'sandbox paused');
    return { bytes: sealed.bytes, kek: sealed.kek, networkRemoved: s.networked };
  } catch (error) {
    await m.runtime.restore(s.spec, staging).finally(() => m.images.wipe(staging));
    m.track(id, s, secondsLeft(s));
    throw new RpcError('failed', `could not encrypt the checkpoint of sandbox ${id} (it runs on): ${(error as Error).message}`);
  }
}

/** Resumes a paused sandbox from its encrypted image: files and processes as they were. */
export async function resumeSandbox<L extends Running>(m: Pausing<L>, id: string, timeoutSeconds: number, keys: DataKeys): Promise<{ resumeMs: number }> {
  const t0 = performance.now();
  if (m.get(id)) throw new RpcError('conflict', `sandbox ${id} is running already`);
  if (!m.images.has(id)) throw new RpcError('not_found', `sandbox ${id} has no checkpoint on this host`);
  let staging: string;
  try {
    staging = await m.images.open(id, keys);
  } catch (error) {
    throw new RpcError('conflict', `cannot resume sandbox ${id}: ${(error as Error).message}`);
  }
  try {
    const saved = JSON.parse(fs.readFileSync(path.join(staging, SPEC_FILE), 'utf8')) as Saved;
    fs.rmSync(path.join(staging, SPEC_FILE));
    // An image an earlier version paused with its network: it comes back without one, like any other.
    if (saved.spec.network) Object.assign(saved, { networked: false, spec: { ...saved.spec, network: undefined, formerNameserver: saved.spec.network.nameserver } });
    await m.runtime.restore(saved.spec, staging);
    m.track(id, saved, timeoutSeconds);
  } catch (error) {
    throw new RpcError('failed', `could not resume sandbox ${id}: ${(error as Error).message}`);
  } finally {
    m.images.wipe(staging);
  }
  m.images.remove(id);
  m.log.info({ sandbox: id }, 'sandbox resumed');
  return { resumeMs: performance.now() - t0 };
}
