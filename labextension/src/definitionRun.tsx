/**
 * What a job definition's detail adds: its CronWorkflow, the next times it
 * runs and the settings each run gets (GET argo-scheduler/job-definitions/{id}).
 */
import { Alert, LinearProgress, Stack } from '@mui/material';
import React, { useEffect, useState } from 'react';

import { IDefinitionRun, definitionRun } from './api';
import { Field, MaybeLink } from './field';
import { RanWith } from './jobRun';

export function DefinitionRun(props: {
  definitionId: string;
  // The detail reloads its model after Pause, Resume and edits: asked again then.
  model: unknown;
}): JSX.Element {
  const [run, setRun] = useState<IDefinitionRun | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    let mounted = true;
    if (props.definitionId) {
      definitionRun(props.definitionId)
        .then(answer => {
          if (mounted) {
            setRun(answer);
            setError(null);
          }
        })
        .catch((reason: Error) => mounted && setError(reason.message));
    }
    return () => {
      mounted = false;
    };
  }, [props.definitionId, props.model]);

  if (error) {
    return (
      <Alert severity="warning" data-testid="argo-run-error">
        The schedule's details are unavailable: {error}
      </Alert>
    );
  }
  if (run === null) {
    return <LinearProgress />;
  }
  return (
    <Stack spacing={3} className="jp-argo-scheduler-run">
      <div className="jp-argo-scheduler-fields">
        <Field label="Argo CronWorkflow" testId="argo-cron-workflow">
          <MaybeLink
            name={run.cron_workflow.name}
            url={run.cron_workflow.url}
          />
          {run.cron_workflow.namespace && (
            <span className="jp-argo-scheduler-muted">
              {' '}
              in namespace {run.cron_workflow.namespace}
            </span>
          )}
        </Field>
        <Field label="Schedule">
          <code>{run.schedule}</code>
          {run.timezone && (
            <span className="jp-argo-scheduler-muted"> ({run.timezone})</span>
          )}
        </Field>
        <Field label="Next runs" testId="argo-next-runs">
          {run.next_runs.length === 0 ? (
            <em>{run.active ? 'none scheduled' : 'none: it is paused'}</em>
          ) : (
            <ol className="jp-argo-scheduler-next-runs">
              {run.next_runs.map(time => (
                <li key={time}>
                  <time dateTime={new Date(time).toISOString()}>
                    {new Date(time).toLocaleString()}
                  </time>
                </li>
              ))}
            </ol>
          )}
        </Field>
      </div>
      <RanWith options={run.options} title="Settings each run gets" />
    </Stack>
  );
}
