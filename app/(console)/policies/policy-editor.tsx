'use client';

import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useMemo, useState } from 'react';
import { stringify } from 'yaml';
import type { CurrentPolicies, PolicyVersionView } from '@/lib/api/policies';
import { diffPolicies, formatDiff } from '@/lib/policy/diff';
import { parsePolicyFile } from '@/lib/policy/parse-policy-file';
import { sortPolicies } from '@/lib/policy/policy-set';
import { ApiError, api } from '../../_client/api';
import { Alert } from '../../_ui/common';

const TEMPLATE = 'name: my-policy\ndescription: What it is for\nscope:\n  teams: []\nnetwork:\n  mode: allowlist\n  allow: []\n';

/**
 * Edits one policy as YAML, checked as you type by the same parser as `sbx policy validate`
 * (line, field, what was expected), with the plan of what saving changes. Saving makes a new
 * signed version of the whole set, like `sbx policy apply`.
 */
export function PolicyEditor({ current, name, onDone }: { current: CurrentPolicies; name: string; onDone: () => void }) {
  const qc = useQueryClient();
  const existing = current.policies.find((p) => p.name === name);
  const [text, setText] = useState(() => (existing ? stringify(existing) : TEMPLATE));
  const parsed = useMemo(() => parsePolicyFile(text), [text]);
  const proposed = useMemo(() => {
    if (!parsed.ok) return null;
    const others = current.policies.filter((p) => p.name !== name && p.name !== parsed.policy.name);
    return sortPolicies([...others, parsed.policy]);
  }, [parsed, current, name]);
  const plan = proposed ? formatDiff(diffPolicies(current.policies, proposed)) : [];
  const save = useMutation({
    mutationFn: (policies: unknown[]) => api<{ version: PolicyVersionView }>('/policies', { method: 'PUT', body: { policies, source: { kind: 'console' }, expectedVersion: current.version.version } }),
    onSuccess: () => {
      void qc.invalidateQueries({ queryKey: ['policies'] });
      void qc.invalidateQueries({ queryKey: ['policy-versions'] });
      onDone();
    },
  });
  return (
    <div className="card" data-testid="policy-editor" style={{ background: 'var(--bg-subtle, transparent)' }}>
      <h3 style={{ marginTop: 0 }}>{existing ? `Edit ${name}` : 'New policy'}</h3>
      <textarea aria-label="Policy YAML" className="mono" rows={18} style={{ width: '100%' }} value={text} onChange={(e) => setText(e.target.value)} spellCheck={false} />
      {parsed.ok ? null : (
        <Alert kind="error">
          <ul style={{ margin: 0 }} data-testid="policy-problems">
            {parsed.problems.map((p, i) => <li key={i}>line {p.line}: {p.field}: {p.message}</li>)}
          </ul>
        </Alert>
      )}
      {plan.length > 0 ? <pre className="mono" data-testid="policy-plan">{plan.join('\n')}</pre> : null}
      {save.error instanceof ApiError ? <Alert kind="error">{save.error.message}</Alert> : null}
      <div className="form-actions">
        <button className="btn primary" disabled={!proposed || save.isPending} onClick={() => proposed && save.mutate(proposed)}>Save as new version</button>
        {existing ? (
          <button className="btn danger" disabled={save.isPending || current.policies.length < 2} onClick={() => save.mutate(current.policies.filter((p) => p.name !== name))}>Remove policy</button>
        ) : null}
        <button className="btn" onClick={onDone}>Cancel</button>
      </div>
    </div>
  );
}
