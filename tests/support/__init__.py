"""What the tests share: fakes of the HTTP services, Argo's contract tools, sample manifests and records, databases.

http_fake.py          the transport every HTTP fake here shares: 127.0.0.1, a request log, injected faults, a bearer token
fake_argo.py          the Argo Server's REST API (ArgoEngine)
fake_kube_api.py      the Kubernetes API: core/v1 (pods, Secrets, claims, quotas) and Argo's CRDs (KubernetesEngine,
                      the Secret store, the checks, the CLI, the inherit mutator, Nebari)
argo_crds.py          Argo's CRDs as the API server validates objects against them (fieldValidation=Strict)
fake_slack.py         Slack's Web API (the Slack notifier)
prism.py              Stoplight Prism in front of the Argo fake, checking both sides against Argo's swagger
manifests.py          sample Workflow / CronWorkflow manifests, rendered by the real builder
samples.py            the sample notebooks' folder, sample jupyter-scheduler jobs and job definitions
scheduler_helpers.py  SchedulerHome: a real ArgoScheduler for a test (the make_scheduler fixture); request models, rows
argo_helpers.py, k8s_helpers.py   an engine pointed at a fake
fixtures.py           alias() (a folder's short name for a shared fixture), emptied() (a session fake reset per test)
cron_refusal_cases.py the scheduled-run refusal cases both cluster engines run (star-imported)
databases.py          sqlite and a throwaway PostgreSQL cluster
leftovers.py          processes and files a test left behind

Imported as `support.<module>`: pytest's `pythonpath = ["tests"]` (pyproject.toml).
"""
