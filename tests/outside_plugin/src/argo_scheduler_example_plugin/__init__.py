"""An argo_scheduler plugin from outside the project: one mutator, one notifier."""
