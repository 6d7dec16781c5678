/**
 * The server's `argo-scheduler/…` handlers (docs/http.md), through
 * JupyterLab's ServerConnection: its base URL, token and XSRF header.
 */
import { URLExt } from '@jupyterlab/coreutils';
import { ServerConnection } from '@jupyterlab/services';

export type NotifyEvent = 'success' | 'failure';

export interface INotificationTarget {
  key: string;
  notifier: string;
  label: string;
  default: string | null;
  allowed: string[] | null;
  placeholder: string | null;
  /** What the administrator allows, in a line ("addresses at example.com only"). */
  hint?: string | null;
}

export interface IServerOptions {
  defaults: {
    timeout_seconds: number;
    retries: number;
    retry_backoff_seconds: number;
    cell_timeout_seconds: number;
    concurrency_policy: string;
    starting_deadline_seconds: number;
  };
  limits: {
    timeout_seconds: number;
    retries: number;
    retry_backoff_seconds: number;
    cell_timeout_seconds: number;
    starting_deadline_seconds: number;
  };
  notifications: {
    events: NotifyEvent[];
    default_events: NotifyEvent[];
    targets: INotificationTarget[];
  };
  concurrency_policies: string[];
  argo_ui_url: string | null;
}

/** The settings a run had, resolved by the server (its own values or the defaults). */
export interface IResolvedOptions {
  timeout_seconds?: number;
  retries?: number;
  retry_backoff_seconds?: number;
  cell_timeout_seconds?: number;
  notify_on?: string[];
  targets?: { [key: string]: string };
  concurrency_policy?: string;
  starting_deadline_seconds?: number;
  /** Why the stored settings no longer pass the server's checks (then shown as stored). */
  invalid?: string;
}

export interface ILink {
  name: string | null;
  namespace: string | null;
  url: string | null;
}

export interface IAttempt {
  attempt: number;
  status: 'failed' | 'succeeded' | 'running' | string;
  message: string | null;
}

export interface IJobRun {
  job_id: string;
  status: string;
  status_message: string | null;
  progress: { cell: number; cells: number; elapsed_seconds: number } | null;
  attempts: IAttempt[];
  log: { tail: string; truncated: boolean; size: number } | null;
  options: IResolvedOptions;
  compute_type: string | null;
  output_formats: string[];
  environment: string | null;
  workflow: ILink;
}

export interface IDefinitionRun {
  job_definition_id: string;
  schedule: string;
  timezone: string | null;
  active: boolean;
  options: IResolvedOptions;
  cron_workflow: ILink;
  next_runs: number[];
}

/** What the server answered, or why it could not: the handler's `message` when it gave one. */
export async function requestAPI<T>(path: string): Promise<T> {
  const settings = ServerConnection.makeSettings();
  const url = URLExt.join(settings.baseUrl, 'argo-scheduler', path);
  let response: Response;
  try {
    response = await ServerConnection.makeRequest(url, {}, settings);
  } catch (error) {
    throw new ServerConnection.NetworkError(error as TypeError);
  }
  const text = await response.text();
  let data: any = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    // Not JSON: an HTML error page (no such handler, a proxy's), never shown whole.
  }
  if (!response.ok) {
    const message =
      typeof data?.message === 'string'
        ? data.message
        : `${response.status} ${response.statusText || 'error'} from ${url}`;
    throw new ServerConnection.ResponseError(response, message);
  }
  if (data === null) {
    throw new ServerConnection.ResponseError(
      response,
      `${url} answered with no JSON`
    );
  }
  return data as T;
}

let optionsRequest: Promise<IServerOptions> | null = null;

/** The server's defaults and limits, asked once per page: they change only with its config. */
export function serverOptions(): Promise<IServerOptions> {
  if (optionsRequest === null) {
    optionsRequest = requestAPI<IServerOptions>('options');
    // A failed request is asked again by the next form, not remembered.
    optionsRequest.catch(() => {
      optionsRequest = null;
    });
  }
  return optionsRequest;
}

export function jobRun(jobId: string, logBytes = 16384): Promise<IJobRun> {
  return requestAPI<IJobRun>(
    `jobs/${encodeURIComponent(jobId)}?log_bytes=${logBytes}`
  );
}

export function definitionRun(definitionId: string): Promise<IDefinitionRun> {
  return requestAPI<IDefinitionRun>(
    `job-definitions/${encodeURIComponent(definitionId)}`
  );
}
