"""The expression languages of Argo's manifests, as the local engine evaluates them.

templating.py  {{…}} tags (parameters, workflow.*, inputs.*), Go's quoting
when.py        a step's `when` condition
expansion.py   Kubernetes' $(VAR) references in a container's command, args and env
"""
