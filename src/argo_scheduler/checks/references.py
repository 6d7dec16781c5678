"""What a rendered manifest needs to exist in its namespace: Secrets (and their keys) and claims.

Pure: the manifest in, names out. Optional references are left out — a pod
starts without them (the per-job Secret of secret parameters is one).
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class References:
    # Secret name -> keys read from it (an empty set: the whole Secret), and where.
    secrets: dict[str, set[str]] = field(default_factory=dict)
    claims: set[str] = field(default_factory=set)
    where: dict[str, list[str]] = field(default_factory=dict)

    def need_secret(self, name: str, key: str | None, where: str) -> None:
        keys = self.secrets.setdefault(name, set())
        if key:
            keys.add(key)
        self.where.setdefault(f"secret/{name}", []).append(where)

    def need_claim(self, name: str, where: str) -> None:
        self.claims.add(name)
        self.where.setdefault(f"claim/{name}", []).append(where)


def workflow_spec(manifest: dict) -> dict:
    spec = manifest.get("spec") or {}
    return spec.get("workflowSpec") or {} if manifest.get("kind") == "CronWorkflow" else spec


def references(manifest: dict) -> References:
    spec = workflow_spec(manifest)
    found = References()
    for i, secret in enumerate(spec.get("imagePullSecrets") or []):
        if secret.get("name"):
            found.need_secret(secret["name"], None, f"imagePullSecrets[{i}]")
    for volume in spec.get("volumes") or []:
        _volume(found, volume, f"volume {volume.get('name')}")
    for template in spec.get("templates") or []:
        for part in ("container", "script"):
            if template.get(part):
                _container(found, template[part], f"template {template.get('name')}")
        for volume in template.get("volumes") or []:
            _volume(found, volume, f"template {template.get('name')} volume {volume.get('name')}")
    return found


def _volume(found: References, volume: dict, where: str) -> None:
    secret = volume.get("secret") or {}
    if secret.get("secretName") and not secret.get("optional"):
        found.need_secret(secret["secretName"], None, where)
        for item in secret.get("items") or []:
            found.need_secret(secret["secretName"], item.get("key"), where)
    claim = volume.get("persistentVolumeClaim") or {}
    if claim.get("claimName"):
        found.need_claim(claim["claimName"], where)


def _container(found: References, container: dict, where: str) -> None:
    for var in container.get("env") or []:
        ref = (var.get("valueFrom") or {}).get("secretKeyRef") or {}
        if ref.get("name") and not ref.get("optional"):
            found.need_secret(ref["name"], ref.get("key"), f"{where} env {var.get('name')}")
    for source in container.get("envFrom") or []:
        ref = source.get("secretRef") or {}
        if ref.get("name") and not ref.get("optional"):
            found.need_secret(ref["name"], None, f"{where} envFrom")


def main_resources(manifest: dict) -> dict:
    """requests/limits of the entrypoint's container: the pod that runs the notebook."""
    spec = workflow_spec(manifest)
    for template in spec.get("templates") or []:
        if template.get("name") == spec.get("entrypoint"):
            return (template.get("container") or template.get("script") or {}).get("resources") or {}
    return {}
