'use client';

import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import type { AuditPage } from '@/lib/api/audit';
import { NetworkSpec, ruleFromShorthand, type EgressRule } from '@/lib/api/network';
import type { SandboxView } from '@/lib/api/sandboxes';
import { api } from '../../../_client/api';
import { Alert, EmptyState, Time } from '../../../_ui/common';
import { Field } from '../../../_ui/field';

const ruleText = (r: EgressRule) => `${r.domain ?? r.cidr}:${r.ports.join(',')}`;

/** Parses the form (one rule per line) with the API's own schema; errors name the line and field. */
export function parseNetworkForm(mode: string, text: string): { spec: NetworkSpec } | { errors: string[] } {
  const lines = text.split('\n').map((l) => l.trim()).filter((l) => l.length > 0 && !l.startsWith('#'));
  const r = NetworkSpec.safeParse({ mode, allow: lines.map(ruleFromShorthand) });
  if (r.success) return { spec: r.data };
  return {
    errors: r.error.issues.map((i) => {
      const [head, index, field] = i.path;
      return head === 'allow' && typeof index === 'number' ? `line “${lines[index]}”: ${String(field ?? 'rule')}: ${i.message}` : `${i.path.join('.') || 'mode'}: ${i.message}`;
    }),
  };
}

type Decision = { kind: string; verdict: string; reason: string; name?: string; queryType?: string; destination?: string; port?: number; protocol?: string; rule?: string; count: number; lastAt: string };

/** A sandbox's network: its rules (editable live, with a preview of the change) and its recent decisions. */
export function NetworkPanel({ sandbox }: { sandbox: SandboxView }) {
  const qc = useQueryClient();
  const current = sandbox.network;
  const [mode, setMode] = useState<string>(current.mode === 'open' ? 'open' : 'allowlist');
  const [text, setText] = useState(current.allow.map(ruleText).join('\n'));
  const [preview, setPreview] = useState<{ spec: NetworkSpec; added: string[]; removed: string[] } | null>(null);
  const [errors, setErrors] = useState<string[]>([]);
  const decisions = useQuery({
    queryKey: ['sandbox-egress', sandbox.id],
    queryFn: () => api<AuditPage>(`/sandboxes/${sandbox.id}/network/decisions?limit=100`, { background: true }),
    refetchInterval: 5000,
  });
  const apply = useMutation({
    mutationFn: (spec: NetworkSpec) => api(`/sandboxes/${sandbox.id}/network`, { method: 'PUT', body: spec }),
    onSuccess: () => {
      setPreview(null);
      void qc.invalidateQueries({ queryKey: ['sandbox', sandbox.id] });
    },
  });
  const onPreview = () => {
    const parsed = parseNetworkForm(mode, text);
    if ('errors' in parsed) {
      setErrors(parsed.errors);
      return setPreview(null);
    }
    setErrors([]);
    const before = new Set([`mode ${current.mode}`, ...current.allow.map(ruleText)]);
    const after = new Set([`mode ${parsed.spec.mode}`, ...parsed.spec.allow.map(ruleText)]);
    setPreview({ spec: parsed.spec, added: [...after].filter((x) => !before.has(x)), removed: [...before].filter((x) => !after.has(x)) });
  };
  const events = (decisions.data?.events ?? []).map((e) => ({ id: e.seq, ...(e.details as Decision) }));
  return (
    <div className="card" data-testid="network-panel">
      <h2>Network</h2>
      <p className="muted">
        Mode <b>{current.mode}</b>
        {current.mode === 'none' ? ': no interface at all.' : current.allow.length === 0 && current.mode === 'allowlist' ? ': nothing allowed.' : `: ${current.allow.map(ruleText).join(', ') || 'anywhere but the deny floor'}`}
      </p>
      {sandbox.state === 'running' && current.mode !== 'none' ? (
        <div className="form">
          {apply.error ? <Alert kind="error">{(apply.error as Error).message}</Alert> : null}
          {errors.map((e) => (
            <Alert key={e} kind="error">{e}</Alert>
          ))}
          <Field label="Mode" htmlFor="network-mode">
            <select id="network-mode" value={mode} onChange={(e) => setMode(e.target.value)}>
              <option value="allowlist">allowlist</option>
              <option value="open">open (if an admin allows it)</option>
            </select>
          </Field>
          <Field label="Allowed (one per line: domain, *.domain or IPv4 CIDR, then :ports; 443 when none)" htmlFor="network-rules">
            <textarea id="network-rules" className="mono" rows={5} value={text} onChange={(e) => setText(e.target.value)} placeholder={'pypi.org\n*.pythonhosted.org:443\n203.0.113.0/24:8443'} />
          </Field>
          {preview ? (
            <div data-testid="network-preview">
              <p>Change to apply (takes effect at once, open connections go on):</p>
              <ul className="mono">
                {preview.added.map((x) => <li key={`+${x}`}>+ {x}</li>)}
                {preview.removed.map((x) => <li key={`-${x}`}>− {x}</li>)}
                {preview.added.length + preview.removed.length === 0 ? <li>no change</li> : null}
              </ul>
            </div>
          ) : null}
          <div className="form-actions">
            <button className="btn" type="button" onClick={onPreview}>Preview change</button>
            <button className="btn primary" type="button" disabled={!preview || apply.isPending} onClick={() => preview && apply.mutate(preview.spec)}>
              Apply
            </button>
          </div>
        </div>
      ) : null}
      <h3>Recent decisions</h3>
      {events.length === 0 ? (
        <EmptyState title="No decisions yet">DNS queries and connections of this sandbox, allowed and denied, show here (aggregated per minute).</EmptyState>
      ) : (
        <table className="table" data-testid="network-decisions">
          <thead>
            <tr><th>Last</th><th>What</th><th>Verdict</th><th>Reason</th><th>Rule</th><th>Count</th></tr>
          </thead>
          <tbody>
            {events.map((d) => (
              <tr key={d.id}>
                <td><Time iso={d.lastAt} /></td>
                <td className="mono">
                  {d.kind === 'dns' ? `DNS ${d.queryType ?? ''} ${d.name ?? ''}` : `${d.protocol ?? ''} ${d.name ?? d.destination ?? ''}${d.port ? `:${d.port}` : ''}`}
                </td>
                <td className={d.verdict === 'denied' ? 'bad' : 'good'}>{d.verdict}</td>
                <td>{d.reason}</td>
                <td className="mono">{d.rule ?? '—'}</td>
                <td>{d.count}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}
