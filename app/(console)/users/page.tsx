'use client';

import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import type { CreatedUser, UserView } from '@/lib/api/users';
import { Role } from '@/lib/roles';
import { ApiError, api, fieldError } from '../../_client/api';
import { Alert, Badge, EmptyState, PageHead, Time } from '../../_ui/common';
import { Field } from '../../_ui/field';
import { QueryState } from '../../_ui/query-state';

export default function UsersPage() {
  const qc = useQueryClient();
  const users = useQuery({ queryKey: ['users'], queryFn: () => api<{ users: UserView[] }>('/users') });
  const [showCreate, setShowCreate] = useState(false);
  const update = useMutation({
    mutationFn: (v: { id: string; body: { role?: Role; disabled?: boolean; unlock?: true } }) =>
      api(`/users/${v.id}`, { method: 'PATCH', body: v.body }),
    onSettled: () => qc.invalidateQueries({ queryKey: ['users'] }),
  });
  return (
    <>
      <PageHead
        title="Users"
        description="People who sign in to the console. Users are disabled, never deleted, so the audit trail keeps its actors."
        actions={<button className="btn primary" onClick={() => setShowCreate((s) => !s)}>{showCreate ? 'Close' : 'Create user'}</button>}
      />
      {showCreate ? <CreateUserForm onDone={() => void qc.invalidateQueries({ queryKey: ['users'] })} /> : null}
      {update.error ? <Alert kind="error">{(update.error as Error).message}</Alert> : null}
      <div className="card flush">
        <QueryState
          query={users}
          loading="Loading users…"
          isEmpty={(d) => d.users.length === 0}
          empty={<EmptyState title="No users yet">Create the first one above.</EmptyState>}
        >
          {(data) => (
          <table className="table">
            <thead>
              <tr><th>User</th><th>Role</th><th>Status</th><th>Last sign-in</th><th /></tr>
            </thead>
            <tbody>
              {data.users.map((u) => (
                <tr key={u.id} data-testid={`user-row-${u.username}`}>
                  <td><b>{u.displayName}</b><div className="muted mono">{u.username}</div></td>
                  <td>
                    <select
                      aria-label={`Role of ${u.username}`}
                      value={u.role}
                      disabled={update.isPending}
                      onChange={(e) => update.mutate({ id: u.id, body: { role: Role.parse(e.target.value) } })}
                    >
                      {Role.options.map((r) => <option key={r} value={r}>{r}</option>)}
                    </select>
                  </td>
                  <td>
                    {u.disabled ? <Badge tone="danger">disabled</Badge> : <Badge tone="ok">active</Badge>}{' '}
                    {u.lockedUntil ? <Badge tone="warn">locked</Badge> : null}{' '}
                    {u.mustChangePassword ? <Badge tone="info">must change password</Badge> : null}
                  </td>
                  <td><Time iso={u.lastSignInAt} /></td>
                  <td>
                    <div className="row-actions">
                      {u.lockedUntil ? (
                        <button className="btn small" onClick={() => update.mutate({ id: u.id, body: { unlock: true } })}>Unlock</button>
                      ) : null}
                      <button
                        className={`btn small ${u.disabled ? '' : 'danger'}`}
                        onClick={() => update.mutate({ id: u.id, body: { disabled: !u.disabled } })}
                      >
                        {u.disabled ? 'Enable' : 'Disable'}
                      </button>
                    </div>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          )}
        </QueryState>
      </div>
    </>
  );
}

function CreateUserForm({ onDone }: { onDone: () => void }) {
  const [username, setUsername] = useState('');
  const [displayName, setDisplayName] = useState('');
  const [role, setRole] = useState<Role>('developer');
  const create = useMutation({
    mutationFn: () => api<CreatedUser>('/users', { method: 'POST', body: { username, displayName, role } }),
    onSuccess: () => {
      setUsername('');
      setDisplayName('');
      onDone();
    },
  });
  const onSubmit = (e: FormEvent) => {
    e.preventDefault();
    create.mutate();
  };
  const err = create.error;
  return (
    <div className="card">
      <h2>Create user</h2>
      {create.data?.initialPassword ? (
        <Alert kind="ok">
          User <b>{create.data.user.username}</b> created. Give them this one-time password; it is shown only now, and they must change it at first sign-in:
          <div className="secret" data-testid="initial-password">{create.data.initialPassword}</div>
        </Alert>
      ) : null}
      {err instanceof ApiError && !err.field ? <Alert kind="error">{err.message}</Alert> : null}
      <form className="form inline" onSubmit={onSubmit} noValidate>
        <Field label="User name" htmlFor="new-username" error={fieldError(err, 'username')} hint="Lower-case letters, digits, . _ -">
          <input id="new-username" value={username} onChange={(e) => setUsername(e.target.value)} />
        </Field>
        <Field label="Display name" htmlFor="new-displayName" error={fieldError(err, 'displayName')}>
          <input id="new-displayName" value={displayName} onChange={(e) => setDisplayName(e.target.value)} />
        </Field>
        <Field label="Role" htmlFor="new-role" error={fieldError(err, 'role')}>
          <select id="new-role" value={role} onChange={(e) => setRole(Role.parse(e.target.value))}>
            {Role.options.map((r) => <option key={r} value={r}>{r}</option>)}
          </select>
        </Field>
        <div className="field">
          <label>&nbsp;</label>
          <button className="btn primary" type="submit" disabled={create.isPending}>Create</button>
        </div>
      </form>
    </div>
  );
}
