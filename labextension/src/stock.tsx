/**
 * What jupyter-scheduler's own advanced options offer, kept: the idempotency
 * token (jobs only) and the tags, editable in the form and shown in the
 * details. Same field ids and names as its component, so what people and
 * scripts knew of that form still holds.
 */
import { addIcon, closeIcon } from '@jupyterlab/ui-components';
import { Button, FormLabel, Stack, TextField } from '@mui/material';
import React from 'react';

import type { ICreateJobModel } from '@jupyterlab/scheduler';

import { Field } from './field';

const PREFIX = 'jp-create-job-advanced-';

export function StockCreateOptions(props: {
  model: ICreateJobModel;
  handleModelChange: (model: ICreateJobModel) => void;
}): JSX.Element {
  const { model, handleModelChange } = props;
  const tags = model.tags ?? [];
  const setTags = (next: string[]) =>
    handleModelChange({ ...model, tags: next });

  return (
    <Stack spacing={4}>
      {model.createType === 'Job' && (
        <TextField
          label="Idempotency token"
          variant="outlined"
          id={`${PREFIX}idempotencyToken`}
          name="idempotencyToken"
          value={model.idempotencyToken ?? ''}
          onChange={event =>
            handleModelChange({
              ...model,
              idempotencyToken: event.target.value
            })
          }
        />
      )}
      <FormLabel component="legend">Tags</FormLabel>
      <Stack spacing={2}>
        {tags.map((tag, index) => (
          <Stack key={index} direction="row" spacing={2} alignItems="center">
            <TextField
              label={`Tag ${index + 1}`}
              id={`${PREFIX}tag-${index}`}
              name={`tag-${index}`}
              value={tag}
              onChange={event =>
                setTags(
                  tags.map((old, i) => (i === index ? event.target.value : old))
                )
              }
            />
            <Button
              variant="text"
              title={`Delete tag ${index + 1}`}
              onClick={() => setTags(tags.filter((_, i) => i !== index))}
            >
              <closeIcon.react tag="span" />
            </Button>
          </Stack>
        ))}
        <div>
          <Button
            variant="text"
            title="Add new tag"
            onClick={() => setTags([...tags, ''])}
          >
            <addIcon.react tag="span" />
          </Button>
        </div>
      </Stack>
    </Stack>
  );
}

export function StockDetail(props: {
  idempotencyToken?: string;
  showToken: boolean;
  tags?: string[];
}): JSX.Element {
  const tags = props.tags ?? [];
  return (
    <div className="jp-argo-scheduler-fields">
      {props.showToken && (
        <Field label="Idempotency token" testId="argo-idempotency-token">
          {props.idempotencyToken || '—'}
        </Field>
      )}
      <Field label="Tags" testId="argo-tags">
        {tags.length ? tags.join(', ') : <em>No tags</em>}
      </Field>
    </div>
  );
}
