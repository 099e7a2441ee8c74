'use client';

import { useMutation } from '@tanstack/react-query';
import { useRouter } from 'next/navigation';
import { useState, type FormEvent } from 'react';
import type { SessionInfo } from '@/lib/api/auth';
import { ApiError, api, fieldError, setCsrfToken } from '../_client/api';
import { Alert } from '../_ui/common';
import { Field } from '../_ui/field';

export function LoginForm({ notice }: { notice: string | undefined }) {
  const router = useRouter();
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const signIn = useMutation({
    mutationFn: () => api<SessionInfo>('/auth/sign-in', { method: 'POST', body: { username, password } }),
    onSuccess: (info) => {
      setCsrfToken(info.csrfToken);
      router.replace(info.user.mustChangePassword ? '/change-password' : '/');
      router.refresh();
    },
  });
  const onSubmit = (e: FormEvent) => {
    e.preventDefault();
    signIn.mutate();
  };
  const error = signIn.error;
  const general = error instanceof ApiError && !error.field ? error.message : error && !(error instanceof ApiError) ? 'The console could not be reached.' : null;
  return (
    <form className="form" onSubmit={onSubmit} noValidate>
      {notice && !error ? <Alert kind="warn">{notice}</Alert> : null}
      {general ? <Alert kind="error">{general}</Alert> : null}
      <Field label="User name" htmlFor="username" error={fieldError(error, 'username')}>
        <input id="username" name="username" autoComplete="username" autoFocus value={username} onChange={(e) => setUsername(e.target.value)} />
      </Field>
      <Field label="Password" htmlFor="password" error={fieldError(error, 'password')}>
        <input id="password" name="password" type="password" autoComplete="current-password" value={password} onChange={(e) => setPassword(e.target.value)} />
      </Field>
      <button className="btn primary" type="submit" disabled={signIn.isPending}>
        {signIn.isPending ? 'Signing in…' : 'Sign in'}
      </button>
    </form>
  );
}
