"""The local engine's Secrets: what `secretKeyRef` reads on this machine.

    <state_dir>/secrets/            0700
        <secret name>/              0700
            <key>                   0600, the value's UTF-8 bytes

Only the owner of the state directory can read them; nothing else the
engine writes (manifest, run and state files, logs) ever holds a value.
A Secret is replaced as a whole, like Kubernetes' replace: keys not given
are removed. Each file is written under a temporary name and renamed, so a
reader sees the old value or the new one.
"""

from __future__ import annotations

import os
import re
import shutil
import uuid
from pathlib import Path

from ... import names
from ..base import EngineError

SECRETS_DIR = "secrets"

# Kubernetes: a Secret's name is a DNS-1123 subdomain; a key is [-._a-zA-Z0-9]+.
_KEY = re.compile(r"^[-._a-zA-Z0-9]{1,253}$")


class SecretMissing(EngineError):
    """A referenced Secret or key does not exist; str() is what Kubernetes would say."""


def check_name(name: str) -> None:
    if not names.is_dns1123_subdomain(name):
        raise EngineError(f"invalid Secret name {name!r}: it must be a lowercase DNS-1123 subdomain")


def _check_key(key: str) -> None:
    if not _KEY.match(key) or key in (".", ".."):
        raise EngineError(f"invalid Secret key {key!r}: use letters, digits, '-', '_' and '.'")


def _private_dir(path: Path) -> None:
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    # mkdir's mode is filtered by the umask, and an existing directory keeps its own.
    os.chmod(path, 0o700)


class SecretStore:
    def __init__(self, root: Path | str):
        self.root = Path(root)

    def put(self, name: str, data: dict[str, str]) -> None:
        check_name(name)
        for key, value in data.items():
            _check_key(key)
            if not isinstance(value, str):
                raise EngineError(f"Secret {name!r}: the value of {key!r} must be a string")
        _private_dir(self.root)
        folder = self.root / name
        _private_dir(folder)
        for key, value in data.items():
            tmp = folder / f".{key}.{uuid.uuid4().hex}.tmp"
            # Created 0600 from the start: the value is never readable by others, not even briefly.
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as f:
                f.write(value.encode("utf-8"))
            os.replace(tmp, folder / key)
        for stale in folder.iterdir():
            if stale.name not in data:
                stale.unlink(missing_ok=True)

    def delete(self, name: str) -> None:
        check_name(name)
        shutil.rmtree(self.root / name, ignore_errors=True)

    def keys(self, name: str) -> set[str] | None:
        """The keys Secret `name` holds, or None when there is no such Secret (never the values)."""
        folder = self.root / name
        if not names.is_dns1123_subdomain(name) or not folder.is_dir():
            return None
        return {p.name for p in folder.iterdir() if _KEY.match(p.name) and not p.name.startswith(".")}

    def read(self, name: str, key: str, namespace: str) -> str:
        """The value of `key` in Secret `name`, or SecretMissing worded as the kubelet words it."""
        if not names.is_dns1123_subdomain(name):
            raise SecretMissing(f'secret "{name}" not found')
        folder = self.root / name
        if not folder.is_dir():
            raise SecretMissing(f'secret "{name}" not found')
        if not _KEY.match(key) or key in (".", ".."):
            raise SecretMissing(f"couldn't find key {key} in Secret {namespace}/{name}")
        try:
            return (folder / key).read_bytes().decode("utf-8")
        except FileNotFoundError:
            raise SecretMissing(f"couldn't find key {key} in Secret {namespace}/{name}") from None
