import type { Settings } from '../../lib/api/settings';
import type { AuditRecord } from '../../lib/audit/events';
import type { BundleManifest } from '../../lib/ledger/bundle';

/** What the report counts while the export reads the events. */
export class ReportStats {
  readonly byAction = new Map<string, { success: number; failure: number; denied: number }>();
  first: string | null = null;
  last: string | null = null;
  selfChecks: { at: string; ok: boolean; reason: string | null }[] = [];

  add(e: AuditRecord): void {
    const c = this.byAction.get(e.action) ?? { success: 0, failure: 0, denied: 0 };
    c[e.outcome] += 1;
    this.byAction.set(e.action, c);
    this.first ??= e.at;
    this.last = e.at;
    if (e.action === 'ledger.self_check') this.selfChecks.push({ at: e.at, ok: e.details.ok, reason: e.details.reason });
  }

  count(actions: readonly string[], outcome?: 'success' | 'failure' | 'denied'): number {
    let n = 0;
    for (const a of actions) {
      const c = this.byAction.get(a);
      if (c) n += outcome ? c[outcome] : c.success + c.failure + c.denied;
    }
    return n;
  }
}

type Control = { framework: 'SOC 2' | 'HIPAA'; id: string; title: string; actions: string[]; proves: (s: ReportStats, f: Facts) => string };

/** Facts about the appliance's configuration at export time. */
export type Facts = { settings: Settings; sessionIdleMinutes: number; lockoutThreshold: number; lockoutMinutes: number; agentCertHours: number; checkpoints: number; keyVersions: number };

const ACCESS = ['auth.sign_in', 'auth.sign_out', 'auth.account_locked', 'auth.password_change', 'user.create', 'user.update', 'apikey.create', 'apikey.revoke'];
const HOSTS = ['agent.enroll', 'agent.revoke', 'certificate.issue', 'agent.handshake_refused', 'jointoken.create', 'jointoken.use'];
const SANDBOX = ['sandbox.create', 'sandbox.start', 'sandbox.stop', 'sandbox.exec', 'sandbox.file'];
const EGRESS = ['sandbox.egress', 'sandbox.network'];
const LEDGER = ['ledger.self_check', 'ledger.key_rotate', 'audit.export'];
const KEYS = ['key.create', 'key.rotate', 'key.update', 'key.destroy', 'key.rewrap', 'key.use', 'sandbox.pause', 'system.root_key_rotate'];
const CHANGES = ['policy.apply', 'settings.update', 'user.update', 'sandbox.network', 'ledger.key_rotate', 'system.root_key_rotate', 'apikey.revoke', 'agent.revoke'];

const CONTROLS: Control[] = [
  { framework: 'SOC 2', id: 'CC6.1', title: 'Logical access security', actions: [...ACCESS, ...HOSTS], proves: (s, f) => `Every sign-in (${s.count(['auth.sign_in'], 'success')} succeeded, ${s.count(['auth.sign_in'], 'failure')} failed), account and API key change, and every host enrolment and certificate is recorded. Sessions end after ${f.sessionIdleMinutes} idle minutes; ${f.lockoutThreshold} failed sign-ins lock an account for ${f.lockoutMinutes} minutes; hosts hold ${f.agentCertHours}-hour mTLS certificates.` },
  { framework: 'SOC 2', id: 'CC6.6', title: 'Boundary protection', actions: [...EGRESS, 'agent.handshake_refused'], proves: (s, f) => `Sandbox egress is deny-by-default: ${s.count(['sandbox.egress'], 'failure')} denied and ${s.count(['sandbox.egress'], 'success')} allowed decisions (aggregated), ${s.count(['sandbox.network'])} allowlist changes; open egress is ${f.settings.egressOpenAllowed ? 'ALLOWED by an admin setting' : 'not allowed'}. Refused agent handshakes: ${s.count(['agent.handshake_refused'])}.` },
  { framework: 'SOC 2', id: 'CC6.7', title: 'Restricting transmission of data', actions: ['sandbox.file', 'sandbox.egress'], proves: (s) => `The console and API speak TLS 1.3 only; hosts only mutual TLS 1.3. ${s.count(['sandbox.file'])} file transfers are recorded with path, size and SHA-256; data leaves sandboxes only to allowed destinations.` },
  { framework: 'SOC 2', id: 'CC6.8', title: 'Preventing unauthorised or malicious software', actions: SANDBOX, proves: (s) => `Code runs in gVisor sandboxes; ${s.count(['sandbox.create'])} sandboxes created and ${s.count(['sandbox.exec'])} command events recorded, each with its exit and duration and, where the sandbox's policy records commands, its command line.` },
  { framework: 'SOC 2', id: 'CC7.2', title: 'Monitoring for anomalies', actions: ['auth.account_locked', 'agent.handshake_refused', 'sandbox.egress', 'ledger.self_check'], proves: (s) => `Failures and refusals are recorded as they happen (${s.count(['auth.sign_in', 'sandbox.egress', 'agent.handshake_refused'], 'failure')} in this range); the ledger checked its own integrity ${s.selfChecks.length} times (${s.selfChecks.filter((c) => !c.ok).length} failed).` },
  { framework: 'SOC 2', id: 'CC7.3', title: 'Evaluating security events', actions: [...LEDGER], proves: (s) => `This bundle is the evaluation record: every event of the range with its proof of place in the signed ledger, ${s.count(['audit.export'])} exports in the range, and the verifier that needs no trust in the appliance.` },
  { framework: 'SOC 2', id: 'CC8.1', title: 'Change management', actions: CHANGES, proves: (s) => `${s.count(CHANGES)} configuration and access changes, each with actor, time, source and before/after values; ${s.count(['policy.apply'])} policy versions (each signed, with its git commit where it came from git), ${s.count(['policy.enforce'])} acknowledgements by hosts and ${s.count(['policy.refuse'])} refusals.` },
  { framework: 'HIPAA', id: '164.312(a)(1)', title: 'Access control', actions: ACCESS, proves: (s) => `Unique users with roles and expiring API keys; ${s.count(ACCESS)} access events in this range.` },
  { framework: 'HIPAA', id: '164.312(a)(2)(iv)', title: 'Encryption and decryption', actions: KEYS, proves: (s) => `The control plane's secrets (CA key, ledger signing keys, KEK material, SIEM secrets) are sealed with AES-256-GCM under the root key (${s.count(['system.root_key_rotate'])} root key rotations in this range). What a sandbox leaves on a host's disk (its paused image and spec) is encrypted with a data key of its own (AES-256-GCM in authenticated chunks) wrapped by a KEK that never leaves the control plane: ${s.count(['key.use'])} data key hand-outs, ${s.count(['key.create', 'key.rotate'])} KEKs or versions made, ${s.count(['key.destroy'])} versions destroyed (crypto-shredding) in this range.` },
  { framework: 'HIPAA', id: '164.312(b)', title: 'Audit controls', actions: LEDGER, proves: (_s, f) => `One append-only ledger of every event (RFC 6962 Merkle tree, ${f.checkpoints} signed checkpoints in this bundle, ${f.keyVersions} signing key versions).` },
  { framework: 'HIPAA', id: '164.312(c)(1)', title: 'Integrity', actions: ['ledger.self_check'], proves: (s) => `Any edited, removed, reordered or cut-off event fails the offline verification of this bundle. Self-checks in range: ${s.selfChecks.length}, failed: ${s.selfChecks.filter((c) => !c.ok).length}.` },
  { framework: 'HIPAA', id: '164.312(d)', title: 'Person or entity authentication', actions: ['auth.sign_in', 'auth.account_locked', 'agent.enroll', 'certificate.issue'], proves: (s) => `Passwords (scrypt), account lockout (${s.count(['auth.account_locked'])} lockouts) and mTLS certificates for hosts.` },
  { framework: 'HIPAA', id: '164.312(e)(1)', title: 'Transmission security', actions: ['sandbox.egress', 'agent.connect'], proves: () => 'TLS 1.3 for the console and API, mutual TLS 1.3 between control plane and hosts, and deny-by-default sandbox egress.' },
  { framework: 'HIPAA', id: '164.316(b)(2)(i)', title: 'Documentation retention (6 years)', actions: ['audit.purge_request', 'audit.purge'], proves: (s, f) => `Events are kept at least ${f.settings.auditRetentionYears} years (Settings; a policy may ask for longer, never shorter), and the retention can only be extended; legal hold is ${f.settings.auditLegalHold ? 'on' : 'off'}. Removing expired events takes one admin to ask and another to approve (${s.count(['audit.purge'])} removals in this range); removed events leave tombstones that keep every leaf, so the tree and older bundles still verify. This bundle is self-verifying evidence to keep as long.` },
];

const esc = (s: string) => s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c);

/** The bundle's readable report: what it holds, how to verify it, and which events evidence which control. */
export function evidenceReport(m: Omit<BundleManifest, 'files'>, stats: ReportStats, facts: Facts, verifierKeys: string[]): string {
  const rows = CONTROLS.map(
    (c) =>
      `<tr><td>${c.framework}</td><td><b>${esc(c.id)}</b><br>${esc(c.title)}</td><td>${c.actions.map((a) => `<code>${esc(a)}</code> ${stats.count([a])}`).join('<br>') || '—'}</td><td>${esc(c.proves(stats, facts))}</td></tr>`,
  ).join('\n');
  const actions = [...stats.byAction.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([a, c]) => `<tr><td><code>${esc(a)}</code></td><td>${c.success}</td><td>${c.failure}</td><td>${c.denied}</td></tr>`)
    .join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Audit evidence ${esc(m.exportId)}</title>
<style>body{font:14px/1.5 system-ui,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#1d2939}table{border-collapse:collapse;width:100%;margin:1em 0}td,th{border:1px solid #d0d5dd;padding:6px 8px;text-align:left;vertical-align:top}th{background:#f2f4f7}code{font-size:12px}</style>
</head><body>
<h1>Audit evidence</h1>
<p>Ledger <code>${esc(m.origin)}</code>. Events ${m.range.fromSeq}–${m.range.toSeq} (${m.range.events} events, ${esc(stats.first ?? '—')} to ${esc(stats.last ?? '—')}) of a ledger of ${m.treeSize} events, root <code>${esc(m.root)}</code>. Made ${esc(m.createdAt)}, export <code>${esc(m.exportId)}</code>.</p>
<h2>How to check this bundle</h2>
<p>Run <code>sbx audit verify THIS_FILE --key KEY</code> on any machine: it needs no network and no database. It recomputes every event's leaf and every signed root, checks the checkpoint signatures, the consistency proofs between checkpoints and the manifest's digests, and names the first bad event if any was edited, removed, swapped or cut off. Compare the keys below with the ones the console shows (Audit page) or that you recorded earlier; pass an earlier checkpoint with <code>--checkpoint FILE</code> to prove the ledger only grew since.</p>
<ul>${verifierKeys.map((k) => `<li><code>${esc(k)}</code></li>`).join('')}</ul>
<h2>Controls</h2>
<table><thead><tr><th>Framework</th><th>Control</th><th>Events in this bundle</th><th>What this shows</th></tr></thead><tbody>
${rows}
</tbody></table>
<h2>Events by action</h2>
<table><thead><tr><th>Action</th><th>Success</th><th>Failure</th><th>Denied</th></tr></thead><tbody>
${actions}
</tbody></table>
<h2>Files</h2>
<p><code>events.jsonl.gz</code> (canonical JSON, as hashed), <code>events.ocsf.jsonl.gz</code> (OCSF ${esc(m.ocsfVersion)}: Authentication 3002, Entity Management 3004, Network Activity 4001, API Activity 6003), <code>events.csv.gz</code>, <code>leaves.bin</code>, <code>checkpoints.txt</code>, <code>proofs.json</code>, <code>keys.json</code>, <code>manifest.json</code> and its signature <code>manifest.sig</code>.</p>
</body></html>
`;
}
