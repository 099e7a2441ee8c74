import type { ReactNode } from 'react';

/** A labelled form control with its hint and inline validation message. */
export function Field(props: { label: string; htmlFor: string; error?: string | undefined; hint?: string; children: ReactNode }) {
  return (
    <div className="field" data-invalid={props.error ? 'true' : 'false'}>
      <label htmlFor={props.htmlFor}>{props.label}</label>
      {props.children}
      {props.error ? (
        <span className="error" role="alert" id={`${props.htmlFor}-error`}>
          {props.error}
        </span>
      ) : props.hint ? (
        <span className="hint">{props.hint}</span>
      ) : null}
    </div>
  );
}
