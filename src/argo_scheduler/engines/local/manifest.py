"""What of an Argo Workflow manifest the local engine can run, read into a plan.

The local engine runs the manifest rendered for Argo, on this machine. It
must never run something *else*: a manifest that relies on a feature it
cannot honour is refused at submit time, before anything starts, with the
path of the field. Every object level has an explicit allow-list, so an
unknown or misspelled key is refused the same way.

Honoured: kind Workflow; metadata name / generateName / namespace / labels /
annotations; spec entrypoint, onExit, arguments.parameters (name, value);
templates of type `container` (image recorded, command + args as argv, env
name/value and name/valueFrom.secretKeyRef — read when the step starts from
the engine's Secret store, see secrets.py — and workingDir) and `steps`
(name, template, when, arguments.parameters); template inputs.parameters
(name, value, default); spec.activeDeadlineSeconds (the workflow's deadline;
the onExit handler is exempt, as on Argo); a container template's
retryStrategy with limit, retryPolicy Always / OnFailure / OnError and
backoff duration (seconds) and factor, and `{{retries}}` in its fields;
spec.ttlStrategy (secondsAfterCompletion / Success / Failure: a finished
run's folder is deleted once its time is up, as Argo deletes the Workflow).

Checked and moot: spec.podGC.strategy (one of Argo's four) — a run on this
machine has no pods to delete.

Recorded and ignored — scheduling or clean-up hints that cannot change what
a run does on one machine: see IGNORED_SPEC_HINTS, IGNORED_TEMPLATE_HINTS,
IGNORED_CONTAINER_HINTS.

Everything else is refused, among them: volumes, volumeMounts,
volumeClaimTemplates, env valueFrom other than secretKeyRef, envFrom,
securityContext (pod and container), a template's activeDeadlineSeconds,
retryStrategy on a steps template or in spec, retryStrategy expression,
affinity and retryPolicy OnTransientError, backoff cap and maxDuration,
timeout, dag, script, resource, data, http, containerSet, suspend,
artifacts, outputs, sidecars, initContainers, hooks, continueOn,
withItems/withParam, templateRef, workflowTemplateRef, parallelism,
synchronization, podSpecPatch, shutdown and workflowMetadata. Adding one
means implementing it, or deciding (and documenting here) that ignoring it
cannot change a run's meaning. A template tag in the spec outside templates
and arguments (podMetadata, say) is refused too: Argo substitutes global
variables there, the local engine does not (refuse_global_tags).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Callable, Iterator, Mapping

from ...names import is_dns1123_subdomain
from .expr import templating
from .expr import when as when_expr
from ..base import EngineError, UnsupportedManifest

API_VERSION = "argoproj.io/v1alpha1"

# Ignored because a single machine has no nodes, pods, service accounts or
# image registries to choose among, and keeps a run until delete(): none of
# these alter which commands run, with which arguments and environment.
IGNORED_SPEC_HINTS = frozenset({
    "podMetadata", "serviceAccountName", "nodeSelector", "tolerations", "affinity",
    "podPriorityClassName", "imagePullSecrets",
})
IGNORED_TEMPLATE_HINTS = frozenset({
    "metadata", "nodeSelector", "tolerations", "affinity", "priorityClassName",
    "serviceAccountName",
})
IGNORED_CONTAINER_HINTS = frozenset({"resources", "imagePullPolicy"})

_TOP_KEYS = frozenset({"apiVersion", "kind", "metadata", "spec"})
_METADATA_KEYS = frozenset({"name", "generateName", "namespace", "labels", "annotations"})
_SPEC_KEYS = frozenset({
    "entrypoint", "onExit", "arguments", "templates", "activeDeadlineSeconds", "ttlStrategy", "podGC",
}) | IGNORED_SPEC_HINTS
_TTL_KEYS = frozenset({"secondsAfterCompletion", "secondsAfterSuccess", "secondsAfterFailure"})
_POD_GC_KEYS = frozenset({"strategy"})
POD_GC_STRATEGIES = frozenset({"OnPodSuccess", "OnPodCompletion", "OnWorkflowSuccess", "OnWorkflowCompletion"})
_ARGUMENTS_KEYS = frozenset({"parameters"})
_ARGUMENT_KEYS = frozenset({"name", "value"})
_POD_METADATA_KEYS = frozenset({"labels", "annotations"})
_TEMPLATE_KEYS = frozenset({"name", "container", "steps", "inputs", "retryStrategy"}) | IGNORED_TEMPLATE_HINTS
_RETRY_KEYS = frozenset({"limit", "retryPolicy", "backoff"})
_BACKOFF_KEYS = frozenset({"duration", "factor"})
# Argo's node phases each policy retries; OnTransientError needs Argo's own error classes.
RETRY_POLICIES = {"Always": frozenset({"Failed", "Error"}), "OnFailure": frozenset({"Failed"}), "OnError": frozenset({"Error"})}
DEFAULT_RETRY_POLICY = "OnFailure"
# Argo's variable for the retry number, in a container template with a retryStrategy.
RETRIES_VARIABLE = "retries"
_INPUTS_KEYS = frozenset({"parameters"})
_INPUT_KEYS = frozenset({"name", "value", "default"})
_CONTAINER_KEYS = frozenset({"name", "image", "command", "args", "env", "workingDir"}) | IGNORED_CONTAINER_HINTS
_ENV_KEYS = frozenset({"name", "value", "valueFrom"})
_VALUE_FROM_KEYS = frozenset({"secretKeyRef"})
_SECRET_KEY_REF_KEYS = frozenset({"name", "key", "optional"})
_STEP_KEYS = frozenset({"name", "template", "when", "arguments"})

# Kubernetes object names; Argo caps workflow names at 63 characters.
NAME_MAX = 63

# Globals Argo defines for every template; `workflow.parameters.*`,
# `workflow.labels.*` and `workflow.annotations.*` come from the manifest.
WORKFLOW_GLOBALS = ("workflow.name", "workflow.uid", "workflow.namespace", "workflow.creationTimestamp")
# Defined only while the exit handler runs (Argo refuses them elsewhere).
EXIT_GLOBALS = ("workflow.status", "workflow.failures")


def is_workflow_name(name: str) -> bool:
    return is_dns1123_subdomain(name, NAME_MAX)


@dataclass(frozen=True)
class InputParameter:
    name: str
    default: str | None


@dataclass(frozen=True)
class SecretKeyRef:
    """env[].valueFrom.secretKeyRef: resolved when the step starts, as the kubelet does."""

    name: str
    key: str
    optional: bool = False


@dataclass(frozen=True)
class Container:
    image: str
    command: tuple[str, ...]
    args: tuple[str, ...]
    # (name, value or the Secret key it comes from), in order.
    env: tuple[tuple[str, str | SecretKeyRef], ...]
    working_dir: str | None


@dataclass(frozen=True)
class Step:
    name: str
    template: str
    when: str | None
    arguments: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class RetryStrategy:
    limit: int
    # The node phases that are retried.
    phases: frozenset[str]
    backoff_seconds: int = 0
    backoff_factor: int = 1

    def delay(self, retry_number: int) -> float:
        """Seconds to wait before retry `retry_number` (1 for the first retry), as Argo computes it."""
        return self.backoff_seconds * self.backoff_factor ** (retry_number - 1)


@dataclass(frozen=True)
class Template:
    name: str
    inputs: tuple[InputParameter, ...]
    container: Container | None = None
    # Groups run one after the other; the steps of a group run in parallel on Argo.
    steps: tuple[tuple[Step, ...], ...] | None = None
    retry: RetryStrategy | None = None


@dataclass(frozen=True)
class TimeToLive:
    """spec.ttlStrategy: seconds a finished run is kept, by how it ended (None: kept)."""

    after_completion: int | None = None
    after_success: int | None = None
    after_failure: int | None = None

    def seconds(self, phase: str) -> int | None:
        """What Argo applies to a run that ended in `phase`: the specific field, else secondsAfterCompletion."""
        specific = self.after_success if phase == "Succeeded" else self.after_failure
        return specific if specific is not None else self.after_completion


@dataclass(frozen=True)
class WorkflowPlan:
    name: str | None
    generate_name: str | None
    namespace: str | None
    labels: dict[str, str]
    annotations: dict[str, str]
    entrypoint: str
    on_exit: str | None
    parameters: dict[str, str]
    templates: dict[str, Template]
    active_deadline_seconds: int | None = None
    ttl: TimeToLive | None = None


def _unsupported(path: str, allowed: frozenset[str]) -> UnsupportedManifest:
    return UnsupportedManifest(
        f"{path} is not supported by the local engine, which runs workflows on this "
        f"machine without Kubernetes (supported here: {', '.join(sorted(allowed))}); "
        "submit this workflow to an Argo engine instead"
    )


def _invalid(path: str, problem: str) -> EngineError:
    return EngineError(f"invalid manifest: {path} {problem}")


def check_object(
    value: Any,
    path: str,
    allowed: frozenset[str],
    required: bool = False,
    *,
    invalid: Callable[[str, str], EngineError] = _invalid,
    unsupported: Callable[[str, frozenset[str]], UnsupportedManifest] = _unsupported,
) -> dict:
    """`value` as an object whose keys are all `allowed` ({} when absent, unless `required`).

    Shared with cron.py, which passes its own wording of the two errors.
    """
    if value is None and not required:
        return {}
    if not isinstance(value, Mapping):
        what = "missing" if value is None else f"a {type(value).__name__}"
        raise invalid(path or "the manifest", f"must be an object, got {what}")
    for key in value:
        if key not in allowed:
            raise unsupported(f"{path}.{key}" if path else str(key), allowed)
    return dict(value)


def _list(value: Any, path: str) -> list:
    if value is None:
        return []
    if not isinstance(value, list):
        raise EngineError(f"invalid manifest: {path} must be a list, got {type(value).__name__}")
    return value


def _string(value: Any, path: str, required: bool = True) -> str | None:
    if value is None and not required:
        return None
    # Argo parameter values are "AnyString": YAML numbers and booleans read as strings.
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    if not isinstance(value, str):
        what = "missing" if value is None else f"a {type(value).__name__}"
        raise EngineError(f"invalid manifest: {path} must be a string, got {what}")
    return value


def check_string_map(
    value: Any, path: str, *, invalid: Callable[[str, str], EngineError] = _invalid
) -> dict[str, str]:
    """`value` as labels or annotations are: strings to strings ({} when absent)."""
    if value is None:
        return {}
    if not isinstance(value, Mapping) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in value.items()
    ):
        raise invalid(path, "must map strings to strings")
    return dict(value)


_object = check_object
_string_map = check_string_map


def _parameters(value: Any, path: str, allowed: frozenset[str]) -> list[tuple[str, dict]]:
    out: list[tuple[str, dict]] = []
    seen: set[str] = set()
    for i, raw in enumerate(_list(value, path)):
        item = _object(raw, f"{path}[{i}]", allowed)
        name = _string(item.get("name"), f"{path}[{i}].name")
        if name in seen:
            raise EngineError(f"invalid manifest: {path}[{i}].name {name!r} is not unique")
        seen.add(name)
        out.append((name, item))
    return out


def _container(raw: Any, path: str) -> Container:
    c = _object(raw, path, _CONTAINER_KEYS)
    image = _string(c.get("image"), f"{path}.image")
    command = tuple(
        _string(a, f"{path}.command[{i}]") for i, a in enumerate(_list(c.get("command"), f"{path}.command"))
    )
    if not command:
        raise UnsupportedManifest(
            f"{path}.command is empty: the local engine cannot read the image's entrypoint; "
            "give the container an explicit command"
        )
    args = tuple(_string(a, f"{path}.args[{i}]") for i, a in enumerate(_list(c.get("args"), f"{path}.args")))
    env: list[tuple[str, str | SecretKeyRef]] = []
    for i, raw_entry in enumerate(_list(c.get("env"), f"{path}.env")):
        entry = _object(raw_entry, f"{path}.env[{i}]", _ENV_KEYS)
        name = _string(entry.get("name"), f"{path}.env[{i}].name")
        value = _string(entry.get("value"), f"{path}.env[{i}].value", required=False) or ""
        if entry.get("valueFrom") is None:
            env.append((name, value))
            continue
        if value:
            raise EngineError(
                f"invalid manifest: {path}.env[{i}]: value and valueFrom cannot both be set"
            )
        env.append((name, _secret_key_ref(entry["valueFrom"], f"{path}.env[{i}].valueFrom")))
    working_dir = _string(c.get("workingDir"), f"{path}.workingDir", required=False)
    return Container(image, command, args, tuple(env), working_dir or None)


def _secret_key_ref(raw: Any, path: str) -> SecretKeyRef:
    source = _object(raw, path, _VALUE_FROM_KEYS)
    if "secretKeyRef" not in source:
        raise EngineError(f"invalid manifest: {path} must name a source (supported here: secretKeyRef)")
    ref = _object(source["secretKeyRef"], f"{path}.secretKeyRef", _SECRET_KEY_REF_KEYS)
    optional = False if ref.get("optional") is None else ref["optional"]
    if not isinstance(optional, bool):
        raise EngineError(f"invalid manifest: {path}.secretKeyRef.optional must be a boolean")
    return SecretKeyRef(
        name=_string(ref.get("name"), f"{path}.secretKeyRef.name"),
        key=_string(ref.get("key"), f"{path}.secretKeyRef.key"),
        optional=optional,
    )


def _whole(value: Any, path: str, minimum: int) -> int:
    """An IntOrString field holding a whole number (Argo reads "3" and 3 alike)."""
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    if isinstance(value, bool) or not isinstance(value, int):
        if isinstance(value, str) and templating.OPEN in value:
            raise UnsupportedManifest(f"{path}: a template tag here is not supported by the local engine")
        raise UnsupportedManifest(
            f"{path} must be a whole number for the local engine (got {value!r}); "
            "durations like \"2m\" are not supported here"
        )
    if value < minimum:
        raise EngineError(f"invalid manifest: {path} must be at least {minimum}, got {value}")
    return value


def _ttl(raw: Any) -> TimeToLive | None:
    if raw is None:
        return None
    ttl = _object(raw, "spec.ttlStrategy", _TTL_KEYS)

    def seconds(key: str) -> int | None:
        return None if ttl.get(key) is None else _whole(ttl[key], f"spec.ttlStrategy.{key}", 0)

    return TimeToLive(seconds("secondsAfterCompletion"), seconds("secondsAfterSuccess"), seconds("secondsAfterFailure"))


def _pod_gc(raw: Any) -> None:
    if raw is None:
        return
    strategy = _object(raw, "spec.podGC", _POD_GC_KEYS).get("strategy")
    if strategy is not None and strategy not in POD_GC_STRATEGIES:
        raise EngineError(
            f"invalid manifest: spec.podGC.strategy {strategy!r} is not one of {', '.join(sorted(POD_GC_STRATEGIES))}"
        )


def _retry_strategy(raw: Any, path: str) -> RetryStrategy:
    r = _object(raw, path, _RETRY_KEYS)
    limit = _whole(r["limit"], f"{path}.limit", 0) if r.get("limit") is not None else None
    if limit is None:
        # Argo retries without end when there is no limit; a run here must end.
        raise UnsupportedManifest(f"{path}.limit is required by the local engine")
    policy = _string(r.get("retryPolicy"), f"{path}.retryPolicy", required=False) or DEFAULT_RETRY_POLICY
    if policy not in RETRY_POLICIES:
        raise UnsupportedManifest(
            f"{path}.retryPolicy {policy!r} is not supported by the local engine "
            f"(supported here: {', '.join(RETRY_POLICIES)})"
        )
    backoff = _object(r.get("backoff"), f"{path}.backoff", _BACKOFF_KEYS)
    duration = backoff.get("duration")
    factor = backoff.get("factor")
    return RetryStrategy(
        limit=limit,
        phases=RETRY_POLICIES[policy],
        backoff_seconds=0 if duration is None else _whole(duration, f"{path}.backoff.duration", 0),
        backoff_factor=1 if factor is None else _whole(factor, f"{path}.backoff.factor", 1),
    )


def _steps(raw: Any, path: str) -> tuple[tuple[Step, ...], ...]:
    groups = []
    names: set[str] = set()
    for g, raw_group in enumerate(_list(raw, path)):
        group = []
        for s, raw_step in enumerate(_list(raw_group, f"{path}[{g}]")):
            spath = f"{path}[{g}][{s}]"
            step = _object(raw_step, spath, _STEP_KEYS)
            name = _string(step.get("name"), f"{spath}.name")
            if name in names:
                raise EngineError(f"invalid manifest: {spath}.name {name!r} is not unique in its template")
            names.add(name)
            arguments = _object(step.get("arguments"), f"{spath}.arguments", _ARGUMENTS_KEYS)
            params = _parameters(arguments.get("parameters"), f"{spath}.arguments.parameters", _ARGUMENT_KEYS)
            group.append(Step(
                name=name,
                template=_string(step.get("template"), f"{spath}.template"),
                when=_string(step.get("when"), f"{spath}.when", required=False) or None,
                arguments=tuple(
                    (n, _string(p.get("value"), f"{spath}.arguments.parameters[{i}].value"))
                    for i, (n, p) in enumerate(params)
                ),
            ))
        groups.append(tuple(group))
    return tuple(groups)


def _template(raw: Any, path: str) -> tuple[Template, dict]:
    t = _object(raw, path, _TEMPLATE_KEYS)
    name = _string(t.get("name"), f"{path}.name")
    if "metadata" in t:
        _object(t["metadata"], f"{path}.metadata", _POD_METADATA_KEYS)
    inputs = _object(t.get("inputs"), f"{path}.inputs", _INPUTS_KEYS)
    params = []
    for i, (n, p) in enumerate(_parameters(inputs.get("parameters"), f"{path}.inputs.parameters", _INPUT_KEYS)):
        # Argo: an input's own value wins over its default; a caller's argument over both.
        given = p.get("value") if p.get("value") is not None else p.get("default")
        params.append(InputParameter(n, _string(given, f"{path}.inputs.parameters[{i}].value", required=False)))
    kinds = [k for k in ("container", "steps") if t.get(k) is not None]
    if len(kinds) != 1:
        raise UnsupportedManifest(
            f"{path} (template {name!r}) must have exactly one of container or steps for the local engine"
        )
    if kinds == ["container"]:
        retry = None
        if t.get("retryStrategy") is not None:
            retry = _retry_strategy(t["retryStrategy"], f"{path}.retryStrategy")
        container = _container(t["container"], f"{path}.container")
        return Template(name, tuple(params), container=container, retry=retry), t
    if t.get("retryStrategy") is not None:
        raise UnsupportedManifest(
            f"{path}.retryStrategy is not supported by the local engine on a steps template "
            "(it retries container templates)"
        )
    return Template(name, tuple(params), steps=_steps(t["steps"], f"{path}.steps")), t


def _strings(value: Any) -> Iterator[str]:
    """Every string inside `value` — where Argo would look for tags."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, Mapping):
        for v in value.values():
            yield from _strings(v)
    elif isinstance(value, list):
        for v in value:
            yield from _strings(v)


def refuse_global_tags(value: Any, path: str) -> None:
    """Refuse `{{` anywhere in `value`, a part of the spec Argo substitutes outside templates.

    Argo's controller substitutes global variables throughout a workflow's
    spec before it runs — pod metadata and workflowMetadata included — and
    fails the whole workflow on a tag it cannot read (an unterminated `{{`);
    the local engine substitutes only inside templates, so it refuses what it
    would otherwise run differently.
    """
    for text in _strings(value):
        if templating.OPEN not in text:
            continue
        try:
            templating.tag_names(text)
        except templating.UnsupportedTag:
            pass
        except templating.TemplateError as exc:
            raise EngineError(f"invalid manifest: {path}: {exc} (Argo would fail the workflow)") from None
        raise UnsupportedManifest(
            f"{path} contains a template tag ({text[:80]!r}); tags outside templates are not "
            "supported by the local engine"
        )


def _check_tags(text: str, scope: frozenset[str], path: str) -> None:
    try:
        names = templating.tag_names(text)
    except templating.UnsupportedTag as exc:
        raise UnsupportedManifest(f"{path}: {exc} by the local engine") from None
    except templating.TemplateError as exc:
        raise EngineError(f"invalid manifest: {path}: {exc}") from None
    for name in names:
        if name not in scope:
            hint = ""
            if name in EXIT_GLOBALS:
                hint = " (it exists only in the onExit handler)"
            raise EngineError(f"invalid manifest: {path}: failed to resolve {{{{{name}}}}}{hint}")


class _Checker:
    """Walks the templates reachable from entrypoint and onExit, as Argo's validation does."""

    def __init__(self, plan: WorkflowPlan, raw_templates: dict[str, tuple[int, dict]]):
        self.plan = plan
        self.raw = raw_templates
        base = set(WORKFLOW_GLOBALS)
        base.update(f"workflow.parameters.{p}" for p in plan.parameters)
        base.update(f"workflow.labels.{k}" for k in plan.labels)
        base.update(f"workflow.annotations.{k}" for k in plan.annotations)
        self.main_scope = frozenset(base)
        self.exit_scope = frozenset(base | set(EXIT_GLOBALS))
        self.done: set[tuple[str, bool]] = set()

    def call(self, name: str, supplied: set[str], in_exit: bool, caller: str, stack: tuple[str, ...]) -> None:
        if name not in self.plan.templates:
            raise EngineError(f"invalid manifest: {caller} refers to template {name!r}, which does not exist")
        if name in stack:
            raise UnsupportedManifest(
                f"{caller}: template {name!r} calls itself (through {' -> '.join(stack + (name,))}); "
                "recursive templates are not supported by the local engine"
            )
        template = self.plan.templates[name]
        index, raw = self.raw[name]
        for param in template.inputs:
            if param.default is None and param.name not in supplied:
                raise EngineError(
                    f"invalid manifest: {caller}: inputs.parameters.{param.name} was not supplied "
                    f"to template {name!r}"
                )
        if (name, in_exit) in self.done:
            return
        self.done.add((name, in_exit))
        path = f"spec.templates[{index}]"
        scope = (self.exit_scope if in_exit else self.main_scope) | {
            f"inputs.parameters.{p.name}" for p in template.inputs
        }
        if template.retry is not None:
            scope |= {RETRIES_VARIABLE}
        for text in _strings(raw):
            _check_tags(text, scope, f"{path} (template {name!r})")
        for g, group in enumerate(template.steps or ()):
            for s, step in enumerate(group):
                spath = f"{path}.steps[{g}][{s}]"
                if step.when is not None:
                    self._check_when(step.when, f"{spath}.when")
                self.call(step.template, {n for n, _ in step.arguments}, in_exit, spath, stack + (name,))

    @staticmethod
    def _check_when(expression: str, path: str) -> None:
        # The shape is checked now, with every tag standing in for a plain
        # word; its value is known only when the step is reached.
        try:
            shape = templating.substitute(expression, lambda _name: "x")
            when_expr.check(shape)
        except when_expr.WhenError as exc:
            raise UnsupportedManifest(f"{path}: {exc}") from None


def parse(manifest: Mapping[str, Any]) -> WorkflowPlan:
    """The plan of `manifest`, or UnsupportedManifest / EngineError saying what is wrong where."""
    top = _object(manifest, "", _TOP_KEYS)
    api_version, kind = top.get("apiVersion"), top.get("kind")
    if api_version != API_VERSION:
        raise EngineError(f"invalid manifest: apiVersion must be {API_VERSION!r}, got {api_version!r}")
    if kind != "Workflow":
        raise UnsupportedManifest(
            f"kind {kind!r} is not supported by the local engine's submit(): it runs kind 'Workflow'"
        )
    meta = _object(top.get("metadata"), "metadata", _METADATA_KEYS)
    spec = _object(top.get("spec"), "spec", _SPEC_KEYS)

    name = _string(meta.get("name"), "metadata.name", required=False) or None
    generate_name = _string(meta.get("generateName"), "metadata.generateName", required=False) or None
    if name is None and generate_name is None:
        raise EngineError("invalid manifest: metadata.name or metadata.generateName is required")
    if name is not None and not is_workflow_name(name):
        raise EngineError(
            f"invalid manifest: metadata.name {name!r} must be a lowercase DNS-1123 name "
            f"of at most {NAME_MAX} characters"
        )
    if "podMetadata" in spec:
        _object(spec["podMetadata"], "spec.podMetadata", _POD_METADATA_KEYS)
    for key in sorted(spec):
        # Templates are checked tag by tag below, the arguments' values at once.
        if key not in ("templates", "arguments"):
            refuse_global_tags(spec[key], f"spec.{key}")

    arguments = _object(spec.get("arguments"), "spec.arguments", _ARGUMENTS_KEYS)
    parameters: dict[str, str] = {}
    declared = _parameters(arguments.get("parameters"), "spec.arguments.parameters", _ARGUMENT_KEYS)
    for i, (n, p) in enumerate(declared):
        value = _string(p.get("value"), f"spec.arguments.parameters[{i}].value")
        if templating.OPEN in value:
            # Argo substitutes global variables inside the spec's own argument
            # values before anything runs; the local engine does not, so it
            # refuses rather than run something else. User text must arrive
            # with `{{` written as `{\u007b` (RunSpec.to_json does this).
            raise UnsupportedManifest(
                f"spec.arguments.parameters[{i}].value contains '{{{{', which Argo would read as a "
                "template tag; write it as '{\\u007b' in JSON text"
            )
        parameters[n] = value

    templates: dict[str, Template] = {}
    raw_templates: dict[str, tuple[int, dict]] = {}
    for i, raw in enumerate(_list(spec.get("templates"), "spec.templates")):
        template, raw_dict = _template(raw, f"spec.templates[{i}]")
        if template.name in templates:
            raise EngineError(f"invalid manifest: spec.templates[{i}].name {template.name!r} is not unique")
        templates[template.name] = template
        raw_templates[template.name] = (i, raw_dict)

    plan = WorkflowPlan(
        name=name,
        generate_name=generate_name,
        namespace=_string(meta.get("namespace"), "metadata.namespace", required=False) or None,
        labels=_string_map(meta.get("labels"), "metadata.labels"),
        annotations=_string_map(meta.get("annotations"), "metadata.annotations"),
        entrypoint=_string(spec.get("entrypoint"), "spec.entrypoint"),
        on_exit=_string(spec.get("onExit"), "spec.onExit", required=False) or None,
        parameters=parameters,
        templates=templates,
        active_deadline_seconds=(
            None
            if spec.get("activeDeadlineSeconds") is None
            # Zero asks Argo to terminate a running workflow: not a plan for a new one.
            else _whole(spec["activeDeadlineSeconds"], "spec.activeDeadlineSeconds", 1)
        ),
        ttl=_ttl(spec.get("ttlStrategy")),
    )
    _pod_gc(spec.get("podGC"))
    checker = _Checker(plan, raw_templates)
    # Argo hands the workflow's arguments to the entrypoint and to onExit.
    checker.call(plan.entrypoint, set(parameters), False, "spec.entrypoint", ())
    if plan.on_exit is not None:
        checker.call(plan.on_exit, set(parameters), True, "spec.onExit", ())
    return plan
