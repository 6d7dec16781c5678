/**
 * The run behind a job's detail: progress, attempts, the log's tail, the
 * settings it ran with and its Argo workflow (GET argo-scheduler/jobs/{id}).
 * While the run is not final and the view is open it asks again every few
 * seconds; jupyter-scheduler's own detail does not refresh by itself.
 */
import { Alert, LinearProgress, Stack } from '@mui/material';
import React, { useEffect, useRef, useState } from 'react';

import { IJobRun, IResolvedOptions, jobRun, serverOptions } from './api';
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
      <div className="jp-argo-scheduler-fields">
        <Progress run={run} />
        <Attempts run={run} />
        <Log run={run} />
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

/** The configured notifiers' names for their target keys ("Slack channel"). */
function useTargetLabels(): { [key: string]: string } {
  const [labels, setLabels] = useState<{ [key: string]: string }>({});
  useEffect(() => {
    let mounted = true;
    serverOptions()
      .then(options => {
        if (mounted) {
          const found: { [key: string]: string } = {};
          options.notifications.targets.forEach(target => {
            found[target.key] = target.label;
          });
          setLabels(found);
        }
      })
      .catch(() => {
        // Without them the keys themselves label the targets.
      });
    return () => {
      mounted = false;
    };
  }, []);
  return labels;
}

export function RanWith(props: {
  options: IResolvedOptions;
  title?: string;
}): JSX.Element {
  const { options } = props;
  const targets = Object.entries(options.targets ?? {});
  const labels = useTargetLabels();
  return (
    <div className="jp-argo-scheduler-fields" data-testid="argo-options">
      <div className="jp-argo-scheduler-section-title">
        {props.title ?? 'Settings it ran with'}
      </div>
      {options.invalid && (
        <Field label="Not valid now">{options.invalid}</Field>
      )}
      <Field label="Run timeout" testId="argo-option-timeout_seconds">
        {describeSeconds(options.timeout_seconds)}
      </Field>
      <Field label="Retries" testId="argo-option-retries">
        {options.retries ?? '—'}
      </Field>
      <Field label="Retry backoff" testId="argo-option-retry_backoff_seconds">
        {describeSeconds(options.retry_backoff_seconds)}
      </Field>
      <Field label="Per-cell timeout" testId="argo-option-cell_timeout_seconds">
        {describeSeconds(options.cell_timeout_seconds)}
      </Field>
      {options.concurrency_policy !== undefined && (
        <Field
          label="Concurrency policy"
          testId="argo-option-concurrency_policy"
        >
          {options.concurrency_policy}
        </Field>
      )}
      {options.starting_deadline_seconds !== undefined && (
        <Field
          label="Starting deadline"
          testId="argo-option-starting_deadline_seconds"
        >
          {describeSeconds(options.starting_deadline_seconds)}
        </Field>
      )}
      <Field label="Notify on" testId="argo-option-notify_on">
        {describeEvents(options.notify_on)}
      </Field>
      {targets.map(([key, value]) => (
        <Field
          key={key}
          label={labels[key] ?? key}
          testId={`argo-option-${key}`}
        >
          {value}
        </Field>
      ))}
    </div>
  );
}
