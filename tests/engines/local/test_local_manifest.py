"""What the local engine refuses at submit — before anything starts — and what it accepts."""

from __future__ import annotations

import copy

import pytest

from argo_scheduler.engines.base import EngineError, UnsupportedManifest
from argo_scheduler.engines.local.manifest import parse


def base_manifest() -> dict:
    """The shape of docs/manifest.md, with a tiny command."""
    return {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Workflow",
        "metadata": {"name": "nb-abc", "labels": {"argo-scheduler/job-id": "abc"}},
        "spec": {
            "entrypoint": "run",
            "onExit": "exit-handler",
            "arguments": {"parameters": [{"name": "spec", "value": '{"name": "x"}'}]},
            "templates": [
                {
                    "name": "run",
                    "container": {
                        "image": "img",
                        "command": ["python", "-m", "argo_scheduler.runtime"],
                        "args": ["run", "--spec", "{{workflow.parameters.spec}}",
                                 "--workflow-name", "{{workflow.name}}", "--workflow-uid", "{{workflow.uid}}"],
                        "env": [{"name": "A", "value": "1"}],
                    },
                },
                {
                    "name": "exit-handler",
                    "steps": [[{"name": "record-failure", "template": "record-failure",
                                "when": "{{workflow.status}} != Succeeded"}]],
                },
                {
                    "name": "record-failure",
                    "container": {
                        "image": "img",
                        "command": ["python", "-m", "argo_scheduler.runtime"],
                        "args": ["record-failure", "--workflow-status", "{{workflow.status}}",
                                 "--workflow-failures", "{{workflow.failures}}"],
                    },
                },
            ],
        },
    }


def edited(edit) -> dict:
    manifest = base_manifest()
    edit(manifest)
    return manifest


def run_container(m: dict) -> dict:
    return m["spec"]["templates"][0]["container"]


def test_the_documented_manifest_is_accepted():
    # GIVEN the manifest shape every engine receives
    # WHEN the local engine reads it
    plan = parse(base_manifest())
    # THEN it knows what to run
    assert plan.entrypoint == "run" and plan.on_exit == "exit-handler"
    assert plan.templates["run"].container.command == ("python", "-m", "argo_scheduler.runtime")
    assert plan.parameters == {"spec": '{"name": "x"}'}


@pytest.mark.parametrize(
    ("edit", "path"),
    [
        (lambda m: m["spec"].update(volumes=[{"name": "home", "emptyDir": {}}]), "spec.volumes"),
        (lambda m: run_container(m).update(volumeMounts=[{"name": "home", "mountPath": "/h"}]),
         "spec.templates[0].container.volumeMounts"),
        # secretKeyRef is served from the engine's secret store; other sources are not.
        (lambda m: run_container(m)["env"].append({"name": "T", "valueFrom": {"configMapKeyRef": {"name": "s", "key": "k"}}}),
         "spec.templates[0].container.env[1].valueFrom.configMapKeyRef"),
        (lambda m: run_container(m).update(envFrom=[{"secretRef": {"name": "s"}}]), "spec.templates[0].container.envFrom"),
        # The builder's retryStrategy and workflow deadline are honoured; other variants are not.
        (lambda m: m["spec"]["templates"][0].update(retryStrategy={"limit": 2, "expression": "true"}),
         "spec.templates[0].retryStrategy.expression"),
        (lambda m: m["spec"]["templates"][0].update(retryStrategy={"limit": 2, "retryPolicy": "OnTransientError"}),
         "spec.templates[0].retryStrategy.retryPolicy"),
        (lambda m: m["spec"]["templates"][0].update(retryStrategy={"limit": 2, "affinity": {"nodeAntiAffinity": {}}}),
         "spec.templates[0].retryStrategy.affinity"),
        (lambda m: m["spec"]["templates"][0].update(retryStrategy={"limit": 2, "backoff": {"duration": "1", "maxDuration": "1m"}}),
         "spec.templates[0].retryStrategy.backoff.maxDuration"),
        (lambda m: m["spec"]["templates"][0].update(retryStrategy={"limit": 2, "backoff": {"duration": "1", "cap": "1m"}}),
         "spec.templates[0].retryStrategy.backoff.cap"),
        (lambda m: m["spec"]["templates"][0].update(retryStrategy={"limit": 2, "backoff": {"duration": "2m"}}),
         "spec.templates[0].retryStrategy.backoff.duration"),
        (lambda m: m["spec"]["templates"][0].update(retryStrategy={"limit": "{{workflow.parameters.spec}}"}),
         "spec.templates[0].retryStrategy.limit"),
        (lambda m: m["spec"]["templates"][0].update(retryStrategy={}), "spec.templates[0].retryStrategy.limit"),
        (lambda m: m["spec"]["templates"][1].update(retryStrategy={"limit": 2}), "spec.templates[1].retryStrategy"),
        (lambda m: m["spec"].update(retryStrategy={"limit": 2}), "spec.retryStrategy"),
        (lambda m: m["spec"]["templates"][0].update(activeDeadlineSeconds=60), "spec.templates[0].activeDeadlineSeconds"),
        (lambda m: m["spec"].update(activeDeadlineSeconds="1h"), "spec.activeDeadlineSeconds"),
        (lambda m: m["spec"]["templates"].append({"name": "d", "dag": {"tasks": []}}), "spec.templates[3].dag"),
        (lambda m: m["spec"]["templates"].append({"name": "s", "script": {"image": "i", "source": "x"}}),
         "spec.templates[3].script"),
        (lambda m: m["spec"]["templates"][0].update(sidecars=[{"name": "x", "image": "i"}]), "spec.templates[0].sidecars"),
        (lambda m: m["spec"]["templates"][0].update(outputs={"parameters": []}), "spec.templates[0].outputs"),
        (lambda m: m["spec"].update(securityContext={"runAsUser": 1000}), "spec.securityContext"),
        (lambda m: run_container(m).update(securityContext={"privileged": True}), "spec.templates[0].container.securityContext"),
        (lambda m: m["spec"]["arguments"].update(artifacts=[]), "spec.arguments.artifacts"),
        (lambda m: m["spec"]["templates"][1]["steps"][0][0].update(withItems=[1, 2]), "spec.templates[1].steps[0][0].withItems"),
        (lambda m: m["spec"].update(entrypont="run"), "spec.entrypont"),
        (lambda m: run_container(m).update(comand=["x"]), "spec.templates[0].container.comand"),
        (lambda m: m["metadata"].update(finalizers=["x"]), "metadata.finalizers"),
        (lambda m: m["spec"].update(podMetadata={"labels": {}, "foo": {}}), "spec.podMetadata.foo"),
    ],
    ids=[
        "volumes", "volumeMounts", "env-valueFrom-configMap", "envFrom",
        "retry-expression", "retry-OnTransientError", "retry-affinity", "retry-maxDuration", "retry-cap",
        "retry-duration-units", "retry-limit-tag", "retry-without-limit", "retry-on-steps", "retry-in-spec",
        "template-activeDeadlineSeconds", "activeDeadlineSeconds-units",
        "dag", "script", "sidecars", "outputs", "pod-securityContext", "container-securityContext",
        "artifacts", "withItems", "misspelled-spec-key", "misspelled-container-key",
        "unknown-metadata-key", "unknown-podMetadata-key",
    ],
)
def test_unsupported_features_are_refused_with_their_path(edit, path):
    # GIVEN the documented manifest with one feature the local engine cannot honour
    manifest = edited(edit)
    # WHEN it is read
    # THEN it is refused, naming the field
    with pytest.raises(UnsupportedManifest) as refused:
        parse(manifest)
    assert path in str(refused.value)
    assert "local engine" in str(refused.value)


@pytest.mark.parametrize(
    "edit",
    [
        lambda m: m["spec"].update(podMetadata={"labels": {"a": "b"}, "annotations": {"c": "d"}}),
        lambda m: m["spec"].update(serviceAccountName="argo"),
        lambda m: m["spec"].update(nodeSelector={"k": "v"}),
        lambda m: m["spec"].update(tolerations=[{"key": "k", "operator": "Exists"}]),
        lambda m: m["spec"].update(affinity={"nodeAffinity": {}}),
        lambda m: m["spec"].update(imagePullSecrets=[{"name": "x"}]),
        lambda m: m["spec"].update(ttlStrategy={"secondsAfterCompletion": 60}),
        lambda m: m["spec"].update(podGC={"strategy": "OnPodSuccess"}),
        lambda m: m["spec"]["templates"][0].update(metadata={"labels": {"a": "b"}}),
        lambda m: m["spec"]["templates"][0].update(priorityClassName="high"),
        lambda m: run_container(m).update(resources={"limits": {"memory": "1Gi"}}),
        lambda m: run_container(m).update(imagePullPolicy="Always"),
        lambda m: run_container(m).update(name="main", workingDir="/tmp"),
    ],
    ids=[
        "podMetadata", "serviceAccountName", "nodeSelector", "tolerations", "affinity",
        "imagePullSecrets", "ttlStrategy", "podGC", "template-metadata", "priorityClassName",
        "resources", "imagePullPolicy", "container-name-and-workingDir",
    ],
)
def test_scheduling_hints_are_accepted(edit):
    # GIVEN the documented manifest with a hint that cannot change what runs on one machine
    # WHEN it is read
    # THEN it is accepted
    parse(edited(edit))


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda m: run_container(m)["args"].append("{{workflow.nope}}"), r"failed to resolve \{\{workflow\.nope\}\}"),
        (lambda m: run_container(m)["args"].append("{{workflow.parameters.missing}}"),
         r"failed to resolve \{\{workflow\.parameters\.missing\}\}"),
        (lambda m: run_container(m)["args"].append("{{inputs.parameters.x}}"), r"failed to resolve \{\{inputs\.parameters\.x\}\}"),
        (lambda m: run_container(m)["args"].append("{{workflow.status}}"), "only in the onExit handler"),
        (lambda m: run_container(m)["env"].append({"name": "X", "value": "{{steps.a.outputs.result}}"}),
         r"failed to resolve \{\{steps\.a\.outputs\.result\}\}"),
        (lambda m: m["spec"].update(entrypoint="nope"), "template 'nope', which does not exist"),
        (lambda m: m["spec"]["templates"][1]["steps"][0][0].update(template="nope"), "does not exist"),
        (lambda m: m["spec"]["arguments"]["parameters"][0].pop("value"), r"spec\.arguments\.parameters\[0\]\.value"),
        (lambda m: m.update(apiVersion="v1"), "apiVersion"),
        (lambda m: m["metadata"].update(name="Not_A_Name"), "DNS-1123"),
        (lambda m: m["spec"]["templates"].append(m["spec"]["templates"][0]), "not unique"),
    ],
    ids=[
        "unknown-workflow-variable", "unknown-parameter", "undeclared-input", "status-outside-exit-handler",
        "step-outputs", "missing-entrypoint", "missing-step-template", "parameter-without-value",
        "wrong-apiVersion", "bad-name", "duplicate-template",
    ],
)
def test_invalid_manifests_are_refused(edit, message):
    # GIVEN a manifest Argo itself would refuse
    # WHEN it is read
    # THEN it is refused with Argo's reason
    with pytest.raises(EngineError, match=message):
        parse(edited(edit))


@pytest.mark.parametrize(
    "when",
    ["{{workflow.status}} != Succeeded && true", "{{workflow.status}} =~ Fail", "({{workflow.status}} == Failed)"],
    ids=["and", "regex", "parentheses"],
)
def test_when_beyond_the_subset_is_refused_at_submit(when):
    # GIVEN an exit-handler step whose condition is more than `A == B` / `A != B`
    manifest = edited(lambda m: m["spec"]["templates"][1]["steps"][0][0].update(when=when))
    # WHEN it is read
    # THEN it is refused before any run, with the step's path
    with pytest.raises(UnsupportedManifest, match=r"spec\.templates\[1\]\.steps\[0\]\[0\]\.when"):
        parse(manifest)


def test_cron_workflows_are_not_submitted_here():
    manifest = base_manifest()
    manifest["kind"] = "CronWorkflow"
    with pytest.raises(UnsupportedManifest, match="CronWorkflow"):
        parse(manifest)


def test_a_tag_inside_a_parameter_value_is_refused():
    # GIVEN user text with `{{` that was not escaped as `{\u007b`
    manifest = edited(lambda m: m["spec"]["arguments"]["parameters"][0].update(value="{{workflow.name}}"))
    # WHEN it is read
    # THEN it is refused: Argo would substitute inside it
    with pytest.raises(UnsupportedManifest, match=r"spec\.arguments\.parameters\[0\]\.value"):
        parse(manifest)


def test_step_inputs_must_be_supplied_or_defaulted():
    # GIVEN an exit step calling a template whose input has no value
    manifest = base_manifest()
    manifest["spec"]["templates"][2]["inputs"] = {"parameters": [{"name": "who"}]}
    # WHEN it is read
    # THEN it is refused, as Argo does
    with pytest.raises(EngineError, match="inputs.parameters.who was not supplied"):
        parse(copy.deepcopy(manifest))
    # AND supplying the argument makes it valid
    manifest["spec"]["templates"][1]["steps"][0][0]["arguments"] = {"parameters": [{"name": "who", "value": "x"}]}
    parse(manifest)


def test_recursive_templates_are_refused():
    manifest = base_manifest()
    manifest["spec"]["templates"].append({"name": "loop", "steps": [[{"name": "again", "template": "loop"}]]})
    manifest["spec"]["entrypoint"] = "loop"
    with pytest.raises(UnsupportedManifest, match="recursive"):
        parse(manifest)


@pytest.mark.parametrize(
    ("retry_strategy", "limit", "phases", "delays"),
    [
        ({"limit": 2}, 2, {"Failed"}, [0, 0]),
        ({"limit": "3", "retryPolicy": "Always", "backoff": {"duration": "5", "factor": 2}}, 3, {"Failed", "Error"}, [5, 10, 20]),
        ({"limit": 1, "retryPolicy": "OnError", "backoff": {"duration": 2}}, 1, {"Error"}, [2]),
    ],
    ids=["default-policy", "builder-shape", "on-error"],
)
def test_a_retry_strategy_is_read_as_argo_reads_it(retry_strategy, limit, phases, delays):
    # GIVEN the run template with a retryStrategy whose container uses {{retries}}
    def edit(m):
        m["spec"]["templates"][0]["retryStrategy"] = retry_strategy
        run_container(m)["args"] += ["--retry-number", "{{retries}}"]

    # WHEN the local engine reads it
    retry = parse(edited(edit)).templates["run"].retry
    # THEN limit, retried phases and Argo's exponential backoff are as written
    assert (retry.limit, set(retry.phases)) == (limit, phases)
    assert [retry.delay(n) for n in range(1, limit + 1)] == delays


def test_retries_is_known_only_where_a_retry_strategy_is():
    # GIVEN {{retries}} in a template without a retryStrategy
    manifest = edited(lambda m: run_container(m)["args"].append("{{retries}}"))
    # WHEN it is read THEN it is refused as Argo refuses an unknown variable
    with pytest.raises(EngineError, match=r"failed to resolve \{\{retries\}\}"):
        parse(manifest)


@pytest.mark.parametrize(("value", "expected"), [(60, 60), ("60", 60)], ids=["int", "string"])
def test_the_workflow_deadline_is_read(value, expected):
    # GIVEN spec.activeDeadlineSeconds WHEN read THEN the plan carries it
    assert parse(edited(lambda m: m["spec"].update(activeDeadlineSeconds=value))).active_deadline_seconds == expected


def test_a_zero_deadline_is_invalid():
    # GIVEN activeDeadlineSeconds 0, which asks Argo to terminate a running workflow
    # WHEN read THEN it is refused as invalid for a new run
    with pytest.raises(EngineError, match="activeDeadlineSeconds must be at least 1"):
        parse(edited(lambda m: m["spec"].update(activeDeadlineSeconds=0)))


@pytest.mark.parametrize(
    ("ttl", "phase", "expected"),
    [
        ({"secondsAfterCompletion": 60}, "Failed", 60),
        ({"secondsAfterCompletion": 60, "secondsAfterSuccess": 5}, "Succeeded", 5),
        ({"secondsAfterCompletion": 60, "secondsAfterSuccess": 5}, "Error", 60),
        ({"secondsAfterFailure": "7"}, "Failed", 7),
        ({"secondsAfterFailure": 7}, "Succeeded", None),
    ],
    ids=["completion", "success-wins", "error-falls-back", "failure-as-string", "success-unset"],
)
def test_a_time_to_live_is_read_as_argo_applies_it(ttl, phase, expected):
    plan = parse(edited(lambda m: m["spec"].update(ttlStrategy=ttl)))
    assert plan.ttl.seconds(phase) == expected


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda m: m["spec"].update(ttlStrategy={"secondsAfterCompletion": -1}), "at least 0"),
        (lambda m: m["spec"].update(ttlStrategy={"secondsAfterCompleted": 60}), r"spec\.ttlStrategy\.secondsAfterCompleted"),
        (lambda m: m["spec"].update(podGC={"strategy": "OnPodFailure"}), "OnPodCompletion"),
        (lambda m: m["spec"].update(podGC={"strategy": "OnPodSuccess", "labelSelector": {}}), r"spec\.podGC\.labelSelector"),
    ],
    ids=["negative-ttl", "misspelled-ttl", "unknown-pod-gc-strategy", "pod-gc-label-selector"],
)
def test_clean_up_fields_are_checked_strictly(edit, message):
    with pytest.raises(EngineError, match=message):
        parse(edited(edit))
