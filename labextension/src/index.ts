import {
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import { Scheduler } from '@jupyterlab/scheduler';

import { AdvancedOptions } from './advancedOptions';

/**
 * argo_scheduler's advanced options, in place of jupyter-scheduler's own
 * (`@jupyterlab/scheduler:IAdvancedOptions`, disabled by this package's
 * `jupyterlab.disabledExtensions`): a token has one provider.
 */
const plugin: JupyterFrontEndPlugin<Scheduler.IAdvancedOptions> = {
  id: 'argo-scheduler:advanced-options',
  description:
    "The run's timeouts, retries, notifications and schedule policy in the Create Job form; its log, progress, attempts and Argo workflow in the details.",
  autoStart: true,
  provides: Scheduler.IAdvancedOptions,
  activate: (app: JupyterFrontEnd): Scheduler.IAdvancedOptions => {
    return AdvancedOptions;
  }
};

export default plugin;
