/**
 * The component jupyter-scheduler renders through `IAdvancedOptions`: in
 * the Create Job form (jobs and job definitions) and in the job and job
 * definition details, told apart by `jobsView`.
 */
import React from 'react';

import { JobsView, Scheduler } from '@jupyterlab/scheduler';

import { CreateOptions } from './createOptions';
import { DefinitionRun } from './definitionRun';
import { JobRun } from './jobRun';
import { StockDetail } from './stock';

export function AdvancedOptions(
  props: Scheduler.IAdvancedOptionsProps
): JSX.Element | null {
  switch (props.jobsView) {
    case JobsView.CreateForm:
      return (
        <CreateOptions
          model={props.model}
          handleModelChange={props.handleModelChange}
        />
      );
    case JobsView.JobDetail:
      return (
        <>
          <StockDetail
            showToken
            idempotencyToken={props.model.idempotencyToken}
            tags={props.model.tags}
          />
          <JobRun jobId={props.model.jobId} />
        </>
      );
    case JobsView.JobDefinitionDetail:
      return (
        <>
          <StockDetail showToken={false} tags={props.model.tags} />
          <DefinitionRun
            definitionId={props.model.definitionId}
            model={props.model}
          />
        </>
      );
    default:
      return null;
  }
}
