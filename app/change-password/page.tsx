'use client';

import { useMutation, useQuery } from '@tanstack/react-query';
import { useRouter } from 'next/navigation';
import { useState, type FormEvent } from 'react';
import type { SessionInfo } from '@/lib/api/auth';
import { ApiError, api, fieldError, setCsrfToken } from '../_client/api';
import { Alert } from '../_ui/common';
import { Field } from '../_ui/field';

export default function ChangePasswordPage() {
  const router = useRouter();
  const session = useQuery({
    queryKey: ['session'],
    queryFn: async () => {
      const info = await api<SessionInfo>('/auth/session');
      setCsrfToken(info.csrfToken);
      return info;
    },
  });
  const [currentPassword, setCurrent] = useState('');
  const [newPassword, setNew] = useState('');
  const [confirm, setConfirm] = useState('');
  const [mismatch, setMismatch] = useState(false);
  const change = useMutation({
    mutationFn: () => api('/auth/password', { method: 'POST', body: { currentPassword, newPassword } }),
    onSuccess: () => {
      router.replace('/');
      router.refresh();
    },
  });
  const onSubmit = (e: FormEvent) => {
    e.preventDefault();
    if (newPassword !== confirm) {
      setMismatch(true);
      return;
    }
    setMismatch(false);
    change.mutate();
  };
  const forced = session.data?.user.mustChangePassword ?? false;
  const error = change.error;
  return (
    <div className="auth-wrap">
      <div className="card auth-card">
        <div className="brand">Choose a new password</div>
        <p className="sub">
          {forced
            ? 'Your password was set by someone else. Choose your own before you continue.'
            : 'Change the password you sign in with.'}
        </p>
        <form className="form" onSubmit={onSubmit} noValidate>
          {error instanceof ApiError && !error.field ? <Alert kind="error">{error.message}</Alert> : null}
          <Field label="Current password" htmlFor="currentPassword" error={fieldError(error, 'currentPassword')}>
            <input id="currentPassword" type="password" autoComplete="current-password" value={currentPassword} onChange={(e) => setCurrent(e.target.value)} />
          </Field>
          <Field label="New password" htmlFor="newPassword" error={fieldError(error, 'newPassword')} hint="At least 12 characters; a passphrase is best.">
            <input id="newPassword" type="password" autoComplete="new-password" value={newPassword} onChange={(e) => setNew(e.target.value)} />
          </Field>
          <Field label="Repeat the new password" htmlFor="confirmPassword" error={mismatch ? 'The two new passwords differ.' : undefined}>
            <input id="confirmPassword" type="password" autoComplete="new-password" value={confirm} onChange={(e) => setConfirm(e.target.value)} />
          </Field>
          <button className="btn primary" type="submit" disabled={change.isPending || session.isPending}>
            {change.isPending ? 'Saving…' : 'Set new password'}
          </button>
        </form>
      </div>
    </div>
  );
}
