"""Every label and annotation key argo_scheduler writes or reads, and the selector of its own objects.

Constants only, no imports: the engines, the builder, the pod and the
checks share these keys without loading hera or the kubernetes client.

Ours (`argo-scheduler/…`):
    job-id, job-definition-id, owner      labels: how a workflow is found again
    owner, notebook, job-name             annotations: the original text, unaltered
Argo's, which the local engine writes as Argo's controllers do:
    workflows.argoproj.io/cron-workflow              label: the CronWorkflow a run came from
    workflows.argoproj.io/scheduled-time             annotation: the time it was fired for
    workflows.argoproj.io/creator-preferred-username label: who submitted it (Nebari reads it)
"""

from __future__ import annotations

LABEL_PREFIX = "argo-scheduler/"

# On every object argo_scheduler creates; status() lists by it alone.
MANAGED_BY = {"app.kubernetes.io/managed-by": "argo-scheduler"}
MANAGED_BY_SELECTOR = ",".join(f"{k}={v}" for k, v in MANAGED_BY.items())

JOB_ID_LABEL = LABEL_PREFIX + "job-id"
DEFINITION_ID_LABEL = LABEL_PREFIX + "job-definition-id"
OWNER_LABEL = LABEL_PREFIX + "owner"
OWNER_ANNOTATION = LABEL_PREFIX + "owner"
NOTEBOOK_ANNOTATION = LABEL_PREFIX + "notebook"
JOB_NAME_ANNOTATION = LABEL_PREFIX + "job-name"

CRON_WORKFLOW_LABEL = "workflows.argoproj.io/cron-workflow"
SCHEDULED_TIME_ANNOTATION = "workflows.argoproj.io/scheduled-time"
CREATOR_PREFERRED_USERNAME_LABEL = "workflows.argoproj.io/creator-preferred-username"
