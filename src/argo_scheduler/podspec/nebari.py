"""The `nebari` mutator: the labels the Nebari workflow controller acts on.

Nebari's workflow controller is a mutating admission webhook. For a Workflow
labelled `jupyterflow-override: "true"` it copies the creator's running
JupyterLab pod (image, env, volumes, nodeSelector, …) into every template.
When Argo Server saw the request with Nebari's shared service-account token
rather than the user's own, the controller finds the user from the
`workflows.argoproj.io/creator-preferred-username` label, which it decodes
(each `-<hex>` back to a character) — the encoding argo-jupyter-scheduler
wrote, reproduced here so existing Nebari deployments keep working.

The labels go on the pod; the builder copies labels a mutator adds to the
pod onto the Workflow (and a CronWorkflow's runs), where the controller
reads them.
"""

from __future__ import annotations

import os
import re
from typing import TYPE_CHECKING

from traitlets import Unicode

from ..labels import CREATOR_PREFERRED_USERNAME_LABEL as PREFERRED_USERNAME_LABEL
from ..names import is_label_value, label_value
from .base import PodSpecMutator
from .edit import set_labels

if TYPE_CHECKING:
    from kubernetes.client import V1Pod

    from ..spec import RunSpec

OVERRIDE_LABEL = "jupyterflow-override"

_NOT_ALNUM = re.compile(r"[^a-z0-9]")


def nebari_label_value(username: str) -> str:
    """The user name as the Nebari controller decodes it: lowercase, other characters as `-<hex>`.

    "ana.perez@example.com" -> "ana-2eperez-40example-2ecom". A name whose
    encoding is no valid label value (over 63 characters, say) gets
    `label_value`'s slug instead: the manifest stays valid, and the
    controller can then only find the user through Argo's own creator label.
    """
    encoded = _NOT_ALNUM.sub(lambda m: "-" + format(ord(m.group()), "x"), username.lower())
    if is_label_value(encoded):
        return encoded
    return label_value(username)


class NebariPodSpecMutator(PodSpecMutator):
    """Labels the job's workflow so the Nebari workflow controller dresses it like the user's JupyterLab pod."""

    preferred_username = Unicode(
        "",
        config=True,
        help="""The Nebari (Keycloak) user name the workflow controller looks up.
        Default: "" — the job's owner (c.ArgoScheduler.owner, which defaults to
        $JUPYTERHUB_USER), else $PREFERRED_USERNAME as argo-jupyter-scheduler
        read it.

            c.NebariPodSpecMutator.preferred_username = "ana.perez@example.com"
        """,
    )

    # The controller dresses whatever Workflow or CronWorkflow is created with
    # this label. A run starts from the stored CronWorkflow's spec and gets the
    # label from workflowMetadata, so a labelled CronWorkflow would have each
    # run dressed twice. See docs/plugins/nebari.md.
    run_only_labels = frozenset({OVERRIDE_LABEL})

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        # Read once here, so mutate depends on its arguments and config only.
        self._environment_username = os.environ.get("PREFERRED_USERNAME", "")

    def mutate(self, pod: "V1Pod", job: "RunSpec") -> None:
        username = self.preferred_username or job.owner or self._environment_username
        if not username:
            raise ValueError(
                "the nebari mutator needs the user's name for the Nebari workflow controller: "
                "set c.ArgoScheduler.owner, $PREFERRED_USERNAME or c.NebariPodSpecMutator.preferred_username"
            )
        set_labels(pod, {OVERRIDE_LABEL: "true", PREFERRED_USERNAME_LABEL: nebari_label_value(username)})

    def refusal_advice(self, message: str) -> str | None:
        """What to do about a denial by the Nebari workflow controller (its 2023.7.1 messages), else None."""
        for marker, advice in _ADVICE:
            if marker in message:
                return advice
        return None


_INSTEAD = (
    'or let the scheduler copy those settings itself when the job is submitted, with c.ArgoScheduler.podspec_mutators '
    '= ["inherit"] (or mount the storage with ["pvc"]); neither needs JupyterLab running later'
)
# (text in the controller's denial, what the user can do); see docs/plugins/nebari.md.
_ADVICE = (
    (
        "must be running when workflow starts",
        "Start your JupyterLab server before the run: the Nebari workflow controller copies its settings when a "
        "run starts and refuses the run when it is not running. If it was running, the controller did not find "
        "it by the label hub.jupyter.org/username as KubeSpawner before 7 escaped it (ask your administrator "
        f'for c.KubeSpawner.slug_scheme = "escape"); {_INSTEAD}.',
    ),
    (
        PREFERRED_USERNAME_LABEL,
        f"Argo Server removed the {PREFERRED_USERNAME_LABEL} label, as newer Argo Servers do for a service-account "
        "token, and the Nebari workflow controller needs it to know who submitted: use your own Argo token "
        f"(c.ArgoEngine.token) instead of the shared one, {_INSTEAD}.",
    ),
    (
        "submitted via Argo Workflows",
        'The Nebari workflow controller accepts only workflows submitted through Argo Server: set c.ArgoScheduler.engine = "argo".',
    ),
    (
        "user not found in Keycloak",
        "The Nebari workflow controller found no Keycloak user of that name: set "
        "c.NebariPodSpecMutator.preferred_username to your Nebari user name.",
    ),
    (
        "without either of the following roles",
        "The Argo token's service account is not one Nebari lets act for a user (argo-admin, argo-developer): "
        "use a token of one of those.",
    ),
)
