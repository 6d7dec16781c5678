/**
 * The Create Job form's additional options: the run's limits and retries,
 * its notifications, and for a job definition what its CronWorkflow does
 * with overlapping and missed runs. Defaults and limits are the server's
 * (GET argo-scheduler/options); the server validates what is sent.
 */
import {
  Alert,
  Checkbox,
  FormControl,
  FormControlLabel,
  FormGroup,
  FormHelperText,
  FormLabel,
  InputLabel,
  MenuItem,
  Select,
  Stack,
  TextField
} from '@mui/material';
import React, { useEffect, useState } from 'react';

import type { ICreateJobModel } from '@jupyterlab/scheduler';

import {
  INotificationTarget,
  IServerOptions,
  NotifyEvent,
  serverOptions
} from './api';
import {
  CONCURRENCY_POLICY_KEY,
  DEFINITION_KEYS,
  NOTIFY_ON_KEY,
  STARTING_DEADLINE_KEY,
  TimingKey,
  describeEvents,
  describeSeconds,
  fieldText,
  notifyEvents,
  notifyOnValue,
  withParameter,
  withoutKeys
} from './options';
import { StockCreateOptions } from './stock';

const PREFIX = 'jp-argo-scheduler-';

const TIMING_FIELDS: {
  key: TimingKey;
  label: string;
  none: string;
  unit: string;
}[] = [
  {
    key: 'timeout_seconds',
    label: 'Run timeout (seconds)',
    none: 'no limit',
    unit: 's'
  },
  { key: 'retries', label: 'Retries', none: 'no retry', unit: '' },
  {
    key: 'retry_backoff_seconds',
    label: 'Retry backoff (seconds)',
    none: 'no wait',
    unit: 's'
  },
  {
    key: 'cell_timeout_seconds',
    label: 'Per-cell timeout (seconds)',
    none: 'no limit',
    unit: 's'
  }
];

const POLICY_HELP: { [policy: string]: string } = {
  Allow: 'a run may start while the previous one still runs',
  Forbid: 'a run is skipped while the previous one still runs',
  Replace: 'a new run stops the previous one'
};

function useServerOptions(): {
  options: IServerOptions | null;
  error: string | null;
} {
  const [options, setOptions] = useState<IServerOptions | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    let mounted = true;
    serverOptions()
      .then(answer => mounted && setOptions(answer))
      .catch((reason: Error) => mounted && setError(reason.message));
    return () => {
      mounted = false;
    };
  }, []);
  return { options, error };
}

function defaultText(
  value: number | undefined,
  none: string,
  unit: string
): string {
  if (value === undefined) {
    return '';
  }
  if (value === 0) {
    return `0 (${none})`;
  }
  return unit === 's' ? describeSeconds(value) : String(value);
}

export function CreateOptions(props: {
  model: ICreateJobModel;
  handleModelChange: (model: ICreateJobModel) => void;
}): JSX.Element {
  const { model, handleModelChange } = props;
  const { options, error } = useServerOptions();
  const params = model.runtimeEnvironmentParameters;
  const isDefinition = model.createType === 'JobDefinition';

  // The schedule is chosen below these fields: a job that was a definition
  // a moment ago must not carry a CronWorkflow's keys.
  useEffect(() => {
    if (!isDefinition) {
      const kept = withoutKeys(params, DEFINITION_KEYS);
      if (kept !== params) {
        handleModelChange({ ...model, runtimeEnvironmentParameters: kept });
      }
    }
  }, [isDefinition]);

  const set = (key: string, value: string) =>
    handleModelChange({
      ...model,
      runtimeEnvironmentParameters: withParameter(params, key, value)
    });

  const textField = (
    key: string,
    label: string,
    helper: string,
    placeholder?: string
  ) => (
    <TextField
      key={key}
      label={label}
      variant="outlined"
      id={`${PREFIX}${key}`}
      name={key}
      value={fieldText(params, key)}
      placeholder={placeholder}
      InputLabelProps={{ shrink: true }}
      inputProps={{ inputMode: 'numeric' }}
      helperText={helper}
      onChange={event => set(key, event.target.value)}
    />
  );

  return (
    <Stack spacing={4} className="jp-argo-scheduler-create-options">
      <StockCreateOptions model={model} handleModelChange={handleModelChange} />
      {error && (
        <Alert severity="warning">
          The server's defaults for these options are unavailable: {error}
        </Alert>
      )}
      <FormLabel component="legend">Run limits and retries</FormLabel>
      {TIMING_FIELDS.map(field => {
        const fallback = options?.defaults[field.key];
        const limit = options?.limits[field.key];
        const parts = [
          fallback !== undefined
            ? `Empty: the server's default, ${defaultText(fallback, field.none, field.unit)}`
            : "Empty: the server's default",
          `0: ${field.none}`
        ];
        if (limit !== undefined) {
          parts.push(
            `at most ${field.unit === 's' ? describeSeconds(limit) : limit}`
          );
        }
        return textField(
          field.key,
          field.label,
          parts.join('; '),
          fallback !== undefined ? String(fallback) : undefined
        );
      })}
      {isDefinition && (
        <DefinitionOptions options={options} params={params} set={set} />
      )}
      <Notifications options={options} params={params} set={set} />
    </Stack>
  );
}

function DefinitionOptions(props: {
  options: IServerOptions | null;
  params: ICreateJobModel['runtimeEnvironmentParameters'];
  set: (key: string, value: string) => void;
}): JSX.Element {
  const { options, params, set } = props;
  const policies = options?.concurrency_policies ?? [
    'Allow',
    'Forbid',
    'Replace'
  ];
  const defaultPolicy = options?.defaults.concurrency_policy ?? 'Allow';
  const policy = fieldText(params, CONCURRENCY_POLICY_KEY);
  const deadline = options?.defaults.starting_deadline_seconds;
  const deadlineLimit = options?.limits.starting_deadline_seconds;
  const labelId = `${PREFIX}${CONCURRENCY_POLICY_KEY}-label`;
  return (
    <>
      <FormLabel component="legend">Scheduled runs</FormLabel>
      <FormControl>
        <InputLabel id={labelId} shrink>
          Concurrency policy
        </InputLabel>
        <Select
          labelId={labelId}
          id={`${PREFIX}${CONCURRENCY_POLICY_KEY}`}
          name={CONCURRENCY_POLICY_KEY}
          label="Concurrency policy"
          value={policy}
          displayEmpty
          notched
          onChange={event => set(CONCURRENCY_POLICY_KEY, event.target.value)}
        >
          <MenuItem value="">Server default ({defaultPolicy})</MenuItem>
          {policies.map(name => (
            <MenuItem key={name} value={name}>
              {name}
            </MenuItem>
          ))}
        </Select>
        <FormHelperText>
          What a run does when the previous run still runs:{' '}
          {POLICY_HELP[policy || defaultPolicy] ?? ''}
        </FormHelperText>
      </FormControl>
      <TextField
        label="Starting deadline (seconds)"
        variant="outlined"
        id={`${PREFIX}${STARTING_DEADLINE_KEY}`}
        name={STARTING_DEADLINE_KEY}
        value={fieldText(params, STARTING_DEADLINE_KEY)}
        placeholder={deadline !== undefined ? String(deadline) : undefined}
        InputLabelProps={{ shrink: true }}
        inputProps={{ inputMode: 'numeric' }}
        helperText={[
          'How late a missed run (nothing could start it on time) may still start',
          deadline !== undefined
            ? `empty: the server's default, ${defaultText(deadline, 'no deadline', 's')}`
            : "empty: the server's default",
          '0: no deadline',
          ...(deadlineLimit !== undefined
            ? [`at most ${describeSeconds(deadlineLimit)}`]
            : [])
        ].join('; ')}
        onChange={event => set(STARTING_DEADLINE_KEY, event.target.value)}
      />
    </>
  );
}

function Notifications(props: {
  options: IServerOptions | null;
  params: ICreateJobModel['runtimeEnvironmentParameters'];
  set: (key: string, value: string) => void;
}): JSX.Element | null {
  const { options, params, set } = props;
  if (options === null) {
    return null;
  }
  const { events, default_events: defaults, targets } = options.notifications;
  // The server lists the events it knows even without notifiers, and
  // refuses notify_on then: nothing would ever tell the job's outcome.
  if (events.length === 0 || (defaults.length === 0 && targets.length === 0)) {
    return (
      <>
        <FormLabel component="legend">Notifications</FormLabel>
        <em>No notifier is configured on this server.</em>
      </>
    );
  }
  const chosen = notifyEvents(params, defaults);
  const toggle = (event: NotifyEvent, on: boolean) => {
    const next = on
      ? [...chosen, event]
      : chosen.filter(other => other !== event);
    set(NOTIFY_ON_KEY, notifyOnValue(next));
  };
  return (
    <>
      <FormLabel component="legend">Notifications</FormLabel>
      <FormControl component="fieldset">
        <FormGroup row>
          {events.map(event => (
            <FormControlLabel
              key={event}
              label={event === 'success' ? 'On success' : 'On failure'}
              control={
                <Checkbox
                  id={`${PREFIX}notify-${event}`}
                  name={`notify-${event}`}
                  checked={chosen.includes(event)}
                  onChange={change => toggle(event, change.target.checked)}
                />
              }
            />
          ))}
        </FormGroup>
        <FormHelperText>
          Unless changed here: {describeEvents(defaults)}
        </FormHelperText>
      </FormControl>
      {targets.map(target => (
        <TargetField
          key={target.key}
          target={target}
          value={fieldText(params, target.key)}
          set={value => set(target.key, value)}
        />
      ))}
    </>
  );
}

function TargetField(props: {
  target: INotificationTarget;
  value: string;
  set: (value: string) => void;
}): JSX.Element {
  const { target, value, set } = props;
  const fallback = target.default
    ? `the configured ${target.default}`
    : 'none configured';
  if (target.allowed !== null) {
    const labelId = `${PREFIX}${target.key}-label`;
    return (
      <FormControl>
        <InputLabel id={labelId} shrink>
          {target.label}
        </InputLabel>
        <Select
          labelId={labelId}
          id={`${PREFIX}${target.key}`}
          name={target.key}
          label={target.label}
          value={value}
          displayEmpty
          notched
          onChange={event => set(event.target.value)}
        >
          <MenuItem value="">Default ({fallback})</MenuItem>
          {target.allowed.map(choice => (
            <MenuItem key={choice} value={choice}>
              {choice}
            </MenuItem>
          ))}
        </Select>
        <FormHelperText>
          Where the {target.notifier} notifier tells of this job
          {target.hint ? `; ${target.hint}` : ''}
        </FormHelperText>
      </FormControl>
    );
  }
  return (
    <TextField
      label={target.label}
      variant="outlined"
      id={`${PREFIX}${target.key}`}
      name={target.key}
      value={value}
      placeholder={target.placeholder ?? undefined}
      InputLabelProps={{ shrink: true }}
      helperText={[
        `Where the ${target.notifier} notifier tells of this job`,
        `empty: ${fallback}`,
        ...(target.hint ? [target.hint] : [])
      ].join('; ')}
      onChange={event => set(event.target.value)}
    />
  );
}
