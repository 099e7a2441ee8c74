'use client';

import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useState, type FormEvent } from 'react';
import type { Settings } from '@/lib/api/settings';
import { ApiError, api, fieldError } from '../../_client/api';
import { Alert, EmptyState, PageHead } from '../../_ui/common';
import { Field } from '../../_ui/field';
import { SiemPanel } from './siem-panel';

/** A whole-number input whose empty state is NaN (so the API's validation names the field). */
function NumberInput(props: { id: string; min: number; value: number; onChange: (v: number) => void }) {
  return <input id={props.id} type="number" min={props.min} value={Number.isNaN(props.value) ? '' : props.value} onChange={(e) => props.onChange(e.target.valueAsNumber)} />;
}

export default function SettingsPage() {
  const qc = useQueryClient();
  const settings = useQuery({ queryKey: ['settings'], queryFn: () => api<{ settings: Settings }>('/settings') });
  const [draft, setDraft] = useState<Settings | null>(null);
  useEffect(() => {
    if (settings.data && !draft) setDraft(settings.data.settings);
  }, [settings.data, draft]);
  const save = useMutation({
    mutationFn: (body: Settings) => api<{ settings: Settings }>('/settings', { method: 'PATCH', body }),
    onSuccess: (r) => {
      setDraft(r.settings);
      void qc.invalidateQueries({ queryKey: ['settings'] });
    },
  });
  const onSubmit = (e: FormEvent) => {
    e.preventDefault();
    if (draft) save.mutate(draft);
  };
  const err = save.error;
  return (
    <>
      <PageHead title="Settings" description="Appliance-wide settings. Every change is recorded in the audit trail with its before and after." />
      <div className="card">
        {!draft ? (
          <EmptyState title="Loading settings…"> </EmptyState>
        ) : (
          <form className="form" onSubmit={onSubmit} noValidate style={{ maxWidth: 560 }}>
            {save.isSuccess ? <Alert kind="ok">Settings saved.</Alert> : null}
            {err instanceof ApiError && !err.field ? <Alert kind="error">{err.message}</Alert> : null}
            <Field label="Organisation name" htmlFor="organizationName" error={fieldError(err, 'organizationName')}>
              <input id="organizationName" value={draft.organizationName} onChange={(e) => setDraft({ ...draft, organizationName: e.target.value })} />
            </Field>
            <Field label="Sign-in notice" htmlFor="signInBanner" error={fieldError(err, 'signInBanner')} hint="Shown on the sign-in page (system-use notice).">
              <textarea id="signInBanner" rows={4} value={draft.signInBanner} onChange={(e) => setDraft({ ...draft, signInBanner: e.target.value })} />
            </Field>
            <Field
              label="Maximum sandbox lifetime (hours)"
              htmlFor="sandboxMaxLifetimeHours"
              error={fieldError(err, 'sandboxMaxLifetimeHours')}
              hint="The longest timeout a sandbox may be created with. Sandboxes default to 5 minutes."
            >
              <NumberInput id="sandboxMaxLifetimeHours" min={1} value={draft.sandboxMaxLifetimeHours} onChange={(v) => setDraft({ ...draft, sandboxMaxLifetimeHours: v })} />
            </Field>
            <Field
              label="Network mode “open” for sandboxes"
              htmlFor="egressOpenAllowed"
              error={fieldError(err, 'egressOpenAllowed')}
              hint="Off: sandboxes reach only the domains and networks they list. On: a sandbox may ask for mode open (anywhere but private, link-local and other reserved networks)."
            >
              <label className="check">
                <input id="egressOpenAllowed" type="checkbox" checked={draft.egressOpenAllowed} onChange={(e) => setDraft({ ...draft, egressOpenAllowed: e.target.checked })} />{' '}
                Allow mode open
              </label>
            </Field>
            <Field
              label="Audit retention (years)"
              htmlFor="auditRetentionYears"
              error={fieldError(err, 'auditRetentionYears')}
              hint="At least six years (HIPAA 164.316(b)(2)(i)); it can only be extended. Removing older events takes two admins (Audit page)."
            >
              <NumberInput id="auditRetentionYears" min={6} value={draft.auditRetentionYears} onChange={(v) => setDraft({ ...draft, auditRetentionYears: v })} />
            </Field>
            <Field label="Legal hold" htmlFor="auditLegalHold" error={fieldError(err, 'auditLegalHold')} hint="While on, no audit event is removed, however old.">
              <label className="check">
                <input id="auditLegalHold" type="checkbox" checked={draft.auditLegalHold} onChange={(e) => setDraft({ ...draft, auditLegalHold: e.target.checked })} /> Hold every audit event
              </label>
            </Field>
            <div className="form-actions">
              <button className="btn primary" type="submit" disabled={save.isPending}>Save</button>
            </div>
          </form>
        )}
      </div>
      <SiemPanel />
    </>
  );
}
