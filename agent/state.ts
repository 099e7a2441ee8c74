import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { Labels } from '../lib/api/hosts';

/** What an enrolled agent keeps about itself, beside its key and certificates. */
export const AgentIdentity = z.object({
  agentId: z.string(),
  hostname: z.string(),
  consoleUrl: z.string(),
  gatewayUrl: z.string(),
  labels: Labels,
  enrolledAt: z.string(),
});
export type AgentIdentity = z.infer<typeof AgentIdentity>;

export type AgentFiles = { dir: string; key: string; cert: string; ca: string; identity: string };

/** The agent's state directory: root only (0700); the private key 0600 and never sent anywhere. */
export function agentFiles(dir: string): AgentFiles {
  return {
    dir,
    key: path.join(dir, 'agent.key'),
    cert: path.join(dir, 'agent.crt'),
    ca: path.join(dir, 'ca.crt'),
    identity: path.join(dir, 'agent.json'),
  };
}

export function ensureStateDir(files: AgentFiles): void {
  fs.mkdirSync(files.dir, { recursive: true, mode: 0o700 });
  fs.chmodSync(files.dir, 0o700);
}

/** Writes a file atomically (write, fsync, rename), so a crash never leaves half a certificate. */
export function writeAtomic(file: string, content: string, mode: number): void {
  const tmp = `${file}.tmp-${process.pid}`;
  const fd = fs.openSync(tmp, 'w', mode);
  try {
    fs.writeSync(fd, content);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(tmp, file);
}

export function loadIdentity(files: AgentFiles): AgentIdentity | null {
  if (!fs.existsSync(files.identity)) return null;
  return AgentIdentity.parse(JSON.parse(fs.readFileSync(files.identity, 'utf8')));
}
