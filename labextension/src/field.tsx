/** A label and its value, as the detail views show them: read, not edited. */
import React from 'react';

export function Field(props: {
  label: string;
  testId?: string;
  children: React.ReactNode;
}): JSX.Element {
  return (
    <div className="jp-argo-scheduler-field">
      <div className="jp-argo-scheduler-field-label">{props.label}</div>
      <div className="jp-argo-scheduler-field-value" data-testid={props.testId}>
        {props.children}
      </div>
    </div>
  );
}

/** A name, linked when the server gave a URL (the Argo UI is configured). */
export function MaybeLink(props: {
  name: string | null;
  url: string | null;
}): JSX.Element {
  if (!props.name) {
    return <span>—</span>;
  }
  if (!props.url) {
    return <code>{props.name}</code>;
  }
  return (
    <a href={props.url} target="_blank" rel="noopener noreferrer">
      <code>{props.name}</code>
    </a>
  );
}
