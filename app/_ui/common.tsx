import type { ReactNode } from 'react';

export function PageHead(props: { title: string; description: string; actions?: ReactNode }) {
  return (
    <div className="page-head">
      <div>
        <h1>{props.title}</h1>
        <p>{props.description}</p>
      </div>
      {props.actions ? <div className="form-actions">{props.actions}</div> : null}
    </div>
  );
}

export function EmptyState(props: { title: string; children: ReactNode }) {
  return (
    <div className="empty">
      <b>{props.title}</b>
      {props.children}
    </div>
  );
}

export function Alert(props: { kind: 'error' | 'ok' | 'warn'; children: ReactNode }) {
  return (
    <div className={`alert ${props.kind}`} role={props.kind === 'error' ? 'alert' : 'status'}>
      {props.children}
    </div>
  );
}

export function Badge(props: { tone?: 'ok' | 'danger' | 'warn' | 'info'; children: ReactNode }) {
  return <span className={`badge ${props.tone ?? ''}`}>{props.children}</span>;
}

/** A time shown in the viewer's locale, with the exact UTC instant on hover. */
export function Time(props: { iso: string | null }) {
  if (!props.iso) return <span className="muted">—</span>;
  return <time dateTime={props.iso} title={props.iso}>{new Date(props.iso).toLocaleString()}</time>;
}

/** The page of a part of the appliance that a later release installs. */
export function NotInstalled(props: { title: string; description: string }) {
  return (
    <>
      <PageHead title={props.title} description={props.description} />
      <div className="card">
        <EmptyState title="Nothing here yet">This part of the appliance is not installed in this release.</EmptyState>
      </div>
    </>
  );
}
