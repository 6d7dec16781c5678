/**
 * The run options as `runtimeEnvironmentParameters` keys (docs/timeouts.md,
 * docs/http.md): what the form writes there, and how values read back.
 *
 * The form sends text as typed; the server validates every key, at create
 * and update alike, and the form shows its message. An empty field is no
 * key at all, which the server reads as "its default".
 */
import type { EnvironmentParameters } from '@jupyterlab/scheduler';

import type { NotifyEvent } from './api';

export const TIMING_KEYS = [
  'timeout_seconds',
  'retries',
  'retry_backoff_seconds',
  'cell_timeout_seconds'
] as const;
export type TimingKey = (typeof TIMING_KEYS)[number];

export const NOTIFY_ON_KEY = 'notify_on';
export const CONCURRENCY_POLICY_KEY = 'concurrency_policy';
export const STARTING_DEADLINE_KEY = 'starting_deadline_seconds';
/** Keys only a job definition (a CronWorkflow) has. */
export const DEFINITION_KEYS = [CONCURRENCY_POLICY_KEY, STARTING_DEADLINE_KEY];

/** `params` with `key` set to `value`, or without it when `value` is blank. */
export function withParameter(
  params: EnvironmentParameters | undefined,
  key: string,
  value: string
): EnvironmentParameters {
  const next = { ...(params ?? {}) };
  if (value.trim() === '') {
    delete next[key];
  } else {
    next[key] = value.trim();
  }
  return next;
}

export function withoutKeys(
  params: EnvironmentParameters | undefined,
  keys: readonly string[]
): EnvironmentParameters | undefined {
  if (params === undefined || !keys.some(key => key in params)) {
    return params;
  }
  const next = { ...params };
  keys.forEach(key => delete next[key]);
  return next;
}

/** The text a field shows for `key`: what the model has, or nothing. */
export function fieldText(
  params: EnvironmentParameters | undefined,
  key: string
): string {
  const value = params?.[key];
  return value === undefined ? '' : String(value);
}

/**
 * The events a job is notified of: its own `notify_on` when it has one,
 * else the notifiers' configured ones.
 */
export function notifyEvents(
  params: EnvironmentParameters | undefined,
  defaults: readonly NotifyEvent[]
): NotifyEvent[] {
  const value = params?.[NOTIFY_ON_KEY];
  if (value === undefined || String(value).trim() === '') {
    return [...defaults];
  }
  return String(value)
    .split(',')
    .map(event => event.trim())
    .filter((event): event is NotifyEvent =>
      ['success', 'failure'].includes(event)
    );
}

/** `notify_on`'s value for a choice of events: "none" when there is none. */
export function notifyOnValue(events: readonly NotifyEvent[]): string {
  const order: NotifyEvent[] = ['success', 'failure'];
  const chosen = order.filter(event => events.includes(event));
  return chosen.length ? chosen.join(',') : 'none';
}

/** Seconds as a person reads them: "none" for 0, else "90 s (1 min 30 s)". */
export function describeSeconds(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined) {
    return '—';
  }
  if (seconds === 0) {
    return 'none';
  }
  if (seconds < 60) {
    return `${seconds} s`;
  }
  return `${seconds} s (${humanDuration(seconds)})`;
}

export function humanDuration(seconds: number): string {
  const units: [number, string][] = [
    [86400, 'd'],
    [3600, 'h'],
    [60, 'min'],
    [1, 's']
  ];
  const parts: string[] = [];
  let rest = Math.round(seconds);
  for (const [size, unit] of units) {
    if (rest >= size) {
      parts.push(`${Math.floor(rest / size)} ${unit}`);
      rest %= size;
    }
    if (parts.length === 2) {
      break;
    }
  }
  return parts.length ? parts.join(' ') : '0 s';
}

/** A list of events as words: "success and failure", "none". */
export function describeEvents(events: readonly string[] | undefined): string {
  if (!events || events.length === 0) {
    return 'none';
  }
  return events.join(' and ');
}

export const FINAL_STATUSES = ['COMPLETED', 'FAILED', 'STOPPED'];

export function isFinal(status: string | undefined | null): boolean {
  return !!status && FINAL_STATUSES.includes(status);
}

/** "1.5 KiB": the size of a log. */
export function describeBytes(size: number): string {
  if (size < 1024) {
    return `${size} B`;
  }
  if (size < 1024 * 1024) {
    return `${(size / 1024).toFixed(1)} KiB`;
  }
  return `${(size / 1024 / 1024).toFixed(1)} MiB`;
}
