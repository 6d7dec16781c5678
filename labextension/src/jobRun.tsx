/**
 * The run behind a job's detail: progress, attempts, the log's tail, the
 * settings it ran with and its Argo workflow (GET argo-scheduler/jobs/{id}).
 * While the run is not final and the view is open it asks again every few
 * seconds; jupyter-scheduler's own detail does not refresh by itself.
 */
import { Alert, LinearProgress, Stack } from '@mui/material';
import React, { useEffect, useRef, useState } from 'react';

import { IJobRun, IResolvedOptions, jobRun } from './api';
import { Field, MaybeLink } from './field';
import {
  describeBytes,
  describeEvents,
  describeSeconds,
  humanDuration,
  isFinal
} from './options';

export const POLL_MILLISECONDS = 3000;

const ATTEMPT_WORDS: { [status: string]: string } = {
  failed: 'failed',
  succeeded: 'succeeded',
  running: 'running'
};

/** The run of `jobId`, asked again every POLL_MILLISECONDS until it is final. */
function useJobRun(jobId: string): {
  run: IJobRun | null;
  error: string | null;
} {
  const [run, setRun] = useState<IJobRun | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    let mounted = true;
    let timer: number | undefined;
    const ask = () => {
      jobRun(jobId)
        .then(answer => {
          if (!mounted) {
            return;
          }
          setRun(answer);
          setError(null);
          if (!isFinal(answer.status)) {
            timer = window.setTimeout(ask, POLL_MILLISECONDS);
          }
        })
        .catch((reason: Error) => {
          if (mounted) {
            // The job is not (or no longer) this user's, or the server
            // side is missing: asking again would not change that.
            setError(reason.message);
          }
        });
    };
    if (jobId) {
      ask();
    }
    return () => {
      mounted = false;
      window.clearTimeout(timer);
    };
  }, [jobId]);
  return { run, error };
}

export function JobRun(props: { jobId: string }): JSX.Element {
  const { run, error } = useJobRun(props.jobId);
  if (error) {
    return (
      <Alert severity="warning" data-testid="argo-run-error">
        The run's details are unavailable: {error}
      </Alert>
    );
  }
  if (run === null) {
    return <LinearProgress />;
  }
  return (
    <Stack spacing={3} className="jp-argo-scheduler-run">
      <Progress run={run} />
      <Attempts run={run} />
      <Log run={run} />
      <div className="jp-argo-scheduler-fields">
        <Field label="Argo workflow" testId="argo-workflow">
          <MaybeLink name={run.workflow.name} url={run.workflow.url} />
          {run.workflow.namespace && (
            <span className="jp-argo-scheduler-muted">
              {' '}
              in namespace {run.workflow.namespace}
            </span>
          )}
        </Field>
        <Field label="Environment">{run.environment ?? '—'}</Field>
        <Field label="Compute type" testId="argo-compute-type">
          {run.compute_type ?? "the environment's default"}
        </Field>
        <Field label="Output formats" testId="argo-output-formats">
          {run.output_formats.length ? run.output_formats.join(', ') : '—'}
        </Field>
      </div>
      <RanWith options={run.options} />
    </Stack>
  );
}

function Progress(props: { run: IJobRun }): JSX.Element | null {
  const { progress, status } = props.run;
  if (progress === null) {
    return (
      <Field label="Progress" testId="argo-progress">
        {isFinal(status) ? 'no progress was recorded' : 'not started yet'}
      </Field>
    );
  }
  const percent = progress.cells
    ? Math.min(100, (100 * progress.cell) / progress.cells)
    : 0;
  return (
    <Field label="Progress" testId="argo-progress">
      <span className="jp-argo-scheduler-progress-text">
        Cell {progress.cell} of {progress.cells}
        {' · '}
        {humanDuration(progress.elapsed_seconds)}
        {isFinal(status) ? '' : ' so far'}
      </span>
      <LinearProgress
        variant="determinate"
        value={percent}
        aria-label="cells run"
      />
    </Field>
  );
}

function Attempts(props: { run: IJobRun }): JSX.Element {
  const { attempts } = props.run;
  return (
    <Field label="Attempts" testId="argo-attempts">
      {attempts.length === 0 ? (
        <em>none yet</em>
      ) : (
        <ol className="jp-argo-scheduler-attempts">
          {attempts.map(attempt => (
            <li
              key={attempt.attempt}
              className={`jp-argo-scheduler-attempt jp-mod-${attempt.status}`}
              data-testid={`argo-attempt-${attempt.attempt}`}
            >
              <strong>
                Attempt {attempt.attempt}:{' '}
                {ATTEMPT_WORDS[attempt.status] ?? attempt.status}
              </strong>
              {attempt.message && <span> — {attempt.message}</span>}
            </li>
          ))}
        </ol>
      )}
    </Field>
  );
}

function Log(props: { run: IJobRun }): JSX.Element {
  const { log } = props.run;
  const box = useRef<HTMLPreElement>(null);
  const following = useRef(true);
  // Keep the newest lines in view, unless the person scrolled up to read.
  useEffect(() => {
    const element = box.current;
    if (element && following.current) {
      element.scrollTop = element.scrollHeight;
    }
  }, [log?.tail]);
  if (log === null) {
    return (
      <Field label="Log" testId="argo-log">
        <em>no log yet</em>
      </Field>
    );
  }
  return (
    <Field label="Log" testId="argo-log">
      <div className="jp-argo-scheduler-muted">
        {log.truncated
          ? `the last ${describeBytes(log.tail.length)} of ${describeBytes(log.size)}`
          : describeBytes(log.size)}
      </div>
      <pre
        ref={box}
        className="jp-argo-scheduler-log"
        onScroll={event => {
          const element = event.currentTarget;
          following.current =
            element.scrollHeight - element.scrollTop - element.clientHeight < 8;
        }}
      >
        {log.tail}
      </pre>
    </Field>
  );
}

export function RanWith(props: {
  options: IResolvedOptions;
  title?: string;
}): JSX.Element {
  const { options } = props;
  const targets = Object.entries(options.targets ?? {});
  return (
    <div className="jp-argo-scheduler-fields" data-testid="argo-options">
      <div className="jp-argo-scheduler-section-title">
        {props.title ?? 'Settings it ran with'}
      </div>
      <Field label="Run timeout">
        {describeSeconds(options.timeout_seconds)}
      </Field>
      <Field label="Retries">{options.retries ?? '—'}</Field>
      <Field label="Retry backoff">
        {describeSeconds(options.retry_backoff_seconds)}
      </Field>
      <Field label="Per-cell timeout">
        {describeSeconds(options.cell_timeout_seconds)}
      </Field>
      {options.concurrency_policy !== undefined && (
        <Field label="Concurrency policy">{options.concurrency_policy}</Field>
      )}
      {options.starting_deadline_seconds !== undefined && (
        <Field label="Starting deadline">
          {describeSeconds(options.starting_deadline_seconds)}
        </Field>
      )}
      <Field label="Notify on">{describeEvents(options.notify_on)}</Field>
      {targets.map(([key, value]) => (
        <Field key={key} label={key}>
          {value}
        </Field>
      ))}
    </div>
  );
}
