'use client';

import { useMutation } from '@tanstack/react-query';
import { useRouter } from 'next/navigation';
import { useState, type FormEvent } from 'react';
import type { SandboxView } from '@/lib/api/sandboxes';
import { ApiError, api, fieldError } from '../../_client/api';
import { Alert } from '../../_ui/common';
import { Field } from '../../_ui/field';

/** Creates a sandbox of the default image from the console and opens it. */
export function NewSandbox() {
  const router = useRouter();
  const [memoryMiB, setMemory] = useState(512);
  const [minutes, setMinutes] = useState(5);
  const create = useMutation({
    mutationFn: () => api<{ sandbox: SandboxView }>('/sandboxes', { method: 'POST', body: { memoryMiB, timeoutSeconds: Math.round(minutes * 60) } }),
    onSuccess: (r) => router.push(`/sandboxes/${r.sandbox.id}`),
  });
  const onSubmit = (e: FormEvent) => {
    e.preventDefault();
    create.mutate();
  };
  const err = create.error;
  return (
    <div className="card">
      <h2>New sandbox</h2>
      <form className="form" onSubmit={onSubmit} noValidate style={{ maxWidth: 560 }}>
        {err instanceof Error && !(err instanceof ApiError && err.field) ? <Alert kind="error">{err.message}</Alert> : null}
        <Field label="Memory (MiB)" htmlFor="new-memory" error={fieldError(err, 'memoryMiB')}>
          <input id="new-memory" type="number" min={64} value={Number.isNaN(memoryMiB) ? '' : memoryMiB} onChange={(e) => setMemory(e.target.valueAsNumber)} />
        </Field>
        <Field label="Lifetime (minutes)" htmlFor="new-minutes" error={fieldError(err, 'timeoutSeconds')}>
          <input id="new-minutes" type="number" min={1} value={Number.isNaN(minutes) ? '' : minutes} onChange={(e) => setMinutes(e.target.valueAsNumber)} />
        </Field>
        <div className="form-actions">
          <button className="btn primary" type="submit" disabled={create.isPending}>{create.isPending ? 'Starting…' : 'Create sandbox'}</button>
        </div>
      </form>
    </div>
  );
}
