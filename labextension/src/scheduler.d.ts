/**
 * The part of jupyter-scheduler's front end (`@jupyterlab/scheduler`) this
 * extension uses.
 *
 * The package on npm (2.11.0) ships its TypeScript sources but no `lib/`, so
 * it brings no declarations; these describe, from jupyter-scheduler 2.x's
 * `src/tokens.ts` and `src/model.ts`, what its `IAdvancedOptions` extension
 * point hands to the component a backend provides. At run time the module
 * is jupyter-scheduler's own (a shared, unbundled singleton: see
 * package.json's `jupyterlab.sharedPackages`), so the token and the
 * `JobsView` enum are the very objects its plugins use.
 */
declare module '@jupyterlab/scheduler' {
  import type { Token } from '@lumino/coreutils';
  import type React from 'react';

  export enum JobsView {
    CreateForm = 1,
    CreateFromJobDescriptionForm,
    ListJobs,
    ListJobDefinitions,
    JobDetail,
    JobDefinitionDetail,
    EditJobDefinition
  }

  export type EnvironmentParameters = {
    [key: string]: number | string | boolean;
  };

  export interface IJobParameter {
    name: string;
    value: string | number | boolean | undefined;
  }

  export interface ICreateJobModel {
    key?: number;
    jobName: string;
    inputFile: string;
    environment: string;
    jobDefinitionId?: string;
    createType: 'Job' | 'JobDefinition';
    createError?: string;
    runtimeEnvironmentParameters?: EnvironmentParameters;
    parameters?: IJobParameter[];
    outputFormats?: string[];
    computeType?: string;
    idempotencyToken?: string;
    tags?: string[];
    createInProgress?: boolean;
    [key: string]: unknown;
  }

  export interface IJobDetailModel {
    jobName: string;
    inputFile: string;
    environment: string;
    runtimeEnvironmentParameters?: EnvironmentParameters;
    outputFormats?: string[];
    computeType?: string;
    idempotencyToken?: string;
    tags?: string[];
    jobId: string;
    status?: string;
    statusMessage?: string;
    [key: string]: unknown;
  }

  export interface IJobDefinitionModel {
    name: string;
    inputFile: string;
    environment: string;
    runtimeEnvironmentParameters?: EnvironmentParameters;
    outputFormats?: string[];
    computeType?: string;
    tags?: string[];
    schedule?: string;
    timezone?: string;
    definitionId: string;
    active?: boolean;
    [key: string]: unknown;
  }

  export namespace Scheduler {
    type ErrorsType = { [key: string]: string };

    interface IAdvancedOptionsSharedProps {
      errors: ErrorsType;
      handleErrorsChange: (errors: ErrorsType) => void;
    }

    interface IAdvancedOptionsCreateProps extends IAdvancedOptionsSharedProps {
      jobsView: JobsView.CreateForm;
      model: ICreateJobModel;
      handleModelChange: (model: ICreateJobModel) => void;
    }

    interface IAdvancedOptionsJobDetailProps extends IAdvancedOptionsSharedProps {
      jobsView: JobsView.JobDetail;
      model: IJobDetailModel;
      handleModelChange: (model: IJobDetailModel) => void;
    }

    interface IAdvancedOptionsJobDefinitionDetailProps extends IAdvancedOptionsSharedProps {
      jobsView: JobsView.JobDefinitionDetail;
      model: IJobDefinitionModel;
      handleModelChange: (model: IJobDefinitionModel) => void;
    }

    type IAdvancedOptionsProps =
      | IAdvancedOptionsCreateProps
      | IAdvancedOptionsJobDetailProps
      | IAdvancedOptionsJobDefinitionDetailProps;

    type IAdvancedOptions = React.FC<IAdvancedOptionsProps>;

    const IAdvancedOptions: Token<IAdvancedOptions>;
  }
}
