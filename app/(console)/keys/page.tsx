'use client';

import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import type { SessionInfo } from '@/lib/api/auth';
import type { KekView } from '@/lib/api/keys';
import { can } from '@/lib/roles';
import { ApiError, api, fieldError } from '../../_client/api';
import { Alert, EmptyState, PageHead } from '../../_ui/common';
import { Field } from '../../_ui/field';
import { KeyCard } from './key-card';

/** Key-encryption keys: versions and what uses them, create, rotate, rewrap, disable, destroy. */
export default function KeysPage() {
  const qc = useQueryClient();
  const session = useQuery({ queryKey: ['session'], queryFn: () => api<SessionInfo>('/auth/session') });
  const writable = session.data ? can(session.data.user.role, 'keys.write') : false;
  const keys = useQuery({ queryKey: ['keys'], queryFn: () => api<{ keys: KekView[] }>('/keys'), refetchInterval: 5000 });
  const [name, setName] = useState('');
  const create = useMutation({
    mutationFn: () => api<{ key: KekView }>('/keys', { method: 'POST', body: { name } }),
    onSuccess: () => {
      setName('');
      void qc.invalidateQueries({ queryKey: ['keys'] });
    },
  });
  const onCreate = (e: FormEvent) => {
    e.preventDefault();
    create.mutate();
  };
  return (
    <>
      <PageHead
        title="Keys"
        description="Key-encryption keys (KEKs) wrap the data key of everything a sandbox leaves on disk. They never leave the control plane and cannot be exported; every operation is recorded in the audit trail."
      />
      {keys.data ? (
        keys.data.keys.map((k) => <KeyCard key={k.id} kek={k} writable={writable} />)
      ) : (
        <div className="card">
          <EmptyState title="Loading keys…"> </EmptyState>
        </div>
      )}
      {writable ? (
        <div className="card">
          <h2 style={{ marginTop: 0 }}>New key</h2>
          <form className="form" onSubmit={onCreate} noValidate style={{ maxWidth: 480 }}>
            {create.error instanceof ApiError && !create.error.field ? <Alert kind="error">{create.error.message}</Alert> : null}
            <Field label="Name" htmlFor="kek-name" error={fieldError(create.error, 'name')}>
              <input id="kek-name" value={name} onChange={(e) => setName(e.target.value)} placeholder="team-data-science" />
            </Field>
            <div className="form-actions">
              <button className="btn primary" type="submit" disabled={create.isPending}>Create key</button>
            </div>
          </form>
        </div>
      ) : null}
    </>
  );
}
