"""Labels every job pod with the team that owns it, for cost reports."""

from traitlets import Unicode

from argo_scheduler.pod import main_container
from argo_scheduler.podspec.base import PodSpecMutator


class TeamLabelPodSpecMutator(PodSpecMutator):
    team = Unicode(
        "data",
        config=True,
        help="""The team label put on every job pod. Default: "data".

            c.TeamLabelPodSpecMutator.team = "finance"
        """,
    )

    def mutate(self, pod, job):
        # Setting keys (not appending) keeps the mutator idempotent.
        pod.metadata.labels = {**(pod.metadata.labels or {}), "example.com/team": self.team}
        container = main_container(pod)
        env = [e for e in (container.env or []) if e.name != "TEAM"]
        from kubernetes.client import V1EnvVar

        container.env = env + [V1EnvVar(name="TEAM", value=self.team)]
