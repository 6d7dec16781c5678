"""What the `pvc` and `hostpath` mutators share: a configured list of mounts
templated with the job's owner, checked when the config loads, and a check
that the pod will see the server's staging folder and sqlite database.

The runtime reads the notebook from `<staging_path>/<job id>/` and writes
the job record into the database at the paths the server uses, so a mount
set that misses either gives a job that fails only once its pod runs.
"""

from __future__ import annotations

import hashlib
import os
import posixpath
from typing import Any

from traitlets import CaselessStrEnum, TraitError

from ..names import is_dns1123_subdomain, object_name
from .base import PodSpecMutator
from .usernames import OBJECT_NAME_PLACEHOLDERS, PLACEHOLDERS, check_template, expand

PATH_CHECKS = ("warn", "error", "ignore")


def path_check_trait(class_name: str) -> CaselessStrEnum:
    return CaselessStrEnum(
        list(PATH_CHECKS),
        default_value="warn",
        config=True,
        help=f"""What to do when the server's staging folder or its sqlite
        database is not under any of this mutator's mount paths (the job's pod
        would not find the notebook or could not record the job): "warn"
        (log a warning once), "error" (refuse to submit, with the paths in
        the message) or "ignore" (another mutator mounts them). The check
        looks at this mutator's mounts only. Default: "warn".

            c.{class_name}.path_check = "error"
        """,
    )


def volume_name(kind: str, source: str) -> str:
    """A DNS-1123 volume name for `source`: readable, and distinct for distinct sources."""
    return object_name(f"{kind}-{source}", hashlib.sha256(source.encode("utf-8")).hexdigest()[:8])


def is_under(path: str, mount_path: str) -> bool:
    path, mount_path = posixpath.normpath(path), posixpath.normpath(mount_path)
    return path == mount_path or path.startswith(mount_path.rstrip("/") + "/")


def check_sub_path(sub_path: str, where: str) -> None:
    # Kubernetes refuses absolute subPaths and any ".." element.
    if sub_path.startswith("/") or ".." in sub_path.split("/"):
        raise ValueError(f"{where} {sub_path!r} must be a relative path without '..'")


class MountsMutator(PodSpecMutator):
    """Base of the mutators configured by a `mounts` list of dicts (not a plugin itself).

    Subclasses define the `mounts` and `path_check` traits and these
    class attributes describing one mount dict.
    """

    # key -> (type, default); the default MountsMutator._REQUIRED marks a required key.
    mount_keys: dict[str, tuple[type, Any]] = {}
    # Keys that name Kubernetes objects: only DNS-safe placeholders.
    object_name_keys: tuple[str, ...] = ()
    # Keys that hold absolute paths.
    absolute_path_keys: tuple[str, ...] = ("mount_path",)

    _REQUIRED = object()

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self._warned: set[str] = set()

    # ---- config ----------------------------------------------------------

    @property
    def entries(self) -> list[dict]:
        """The mounts with every key filled in (traitlets does not validate defaults)."""
        return self._normalize_mounts(self.mounts)

    def _normalize_mounts(self, mounts: list) -> list[dict]:
        where = f"c.{type(self).__name__}.mounts"
        normalized = []
        for i, mount in enumerate(mounts):
            item = f"{where}[{i}]"
            if not isinstance(mount, dict):
                raise TraitError(f"{item} must be a dict with keys {', '.join(self.mount_keys)}")
            unknown = sorted(set(mount) - set(self.mount_keys))
            if unknown:
                raise TraitError(f"{item} has unknown key(s) {', '.join(unknown)}; known: {', '.join(self.mount_keys)}")
            entry = {}
            for key, (kind, default) in self.mount_keys.items():
                if key not in mount:
                    if default is self._REQUIRED:
                        raise TraitError(f"{item} needs {key!r}")
                    entry[key] = default
                    continue
                if not isinstance(mount[key], kind):
                    raise TraitError(f"{item}[{key!r}] must be a {kind.__name__}, got {mount[key]!r}")
                entry[key] = mount[key]
            try:
                self._check_entry(entry, item)
            except ValueError as e:
                raise TraitError(str(e)) from None
            normalized.append(entry)
        paths = [posixpath.normpath(m["mount_path"]) for m in normalized]
        duplicated = sorted({p for p in paths if paths.count(p) > 1})
        if duplicated:
            raise TraitError(f"{where} mounts {', '.join(duplicated)} more than once")
        return normalized

    def _check_entry(self, entry: dict, item: str) -> None:
        for key, (kind, _) in self.mount_keys.items():
            if kind is str:
                allowed = OBJECT_NAME_PLACEHOLDERS if key in self.object_name_keys else PLACEHOLDERS
                check_template(entry[key], f"{item}[{key!r}]", allowed)
        for key in self.absolute_path_keys:
            if not entry[key].startswith("/"):
                raise ValueError(f"{item}[{key!r}] {entry[key]!r} must be an absolute path")
        for key in self.object_name_keys:
            # A sample owner shows whether the literal parts are DNS-safe.
            sample = expand(entry[key], "jovyan", f"{item}[{key!r}]")
            if not is_dns1123_subdomain(sample):
                raise ValueError(
                    f"{item}[{key!r}] {entry[key]!r} does not give a valid Kubernetes name "
                    "(lowercase letters, digits, '-' and '.')"
                )

    # ---- the staging folder and the database --------------------------------

    def prepare(self) -> None:
        if self.path_check == "ignore":
            return
        missing = self._unreachable_server_paths()
        if not missing:
            return
        name = type(self).__name__
        message = (
            f"{name}: the job's pod would not see {'; '.join(missing)}: none of "
            f"c.{name}.mounts covers it. Mount the folder that holds it, or set "
            f'c.{name}.path_check = "ignore" if another mutator mounts it'
        )
        if self.path_check == "error":
            raise ValueError(message)
        if message not in self._warned:
            self._warned.add(message)
            self.log.warning(message)

    def _unreachable_server_paths(self) -> list[str]:
        """The server paths the pod needs that no mount covers (empty when unknown)."""
        parent = self.parent
        owner = getattr(parent, "owner", None)
        try:
            mount_paths = [expand(m["mount_path"], owner, "mount_path") for m in self.entries]
        except ValueError:
            return []  # no owner to expand the paths with: nothing to compare
        needed = []
        staging = getattr(parent, "staging_path", None)
        if staging:
            needed.append(("the staging folder", os.path.abspath(staging)))
        database = _sqlite_path(getattr(parent, "db_url", None))
        if database and not getattr(parent, "db_url_secret_name", ""):
            needed.append(("the sqlite database", database))
        return [
            f"{what} {path}"
            for what, path in needed
            if not any(is_under(path, mount_path) for mount_path in mount_paths)
        ]


def _sqlite_path(db_url: str | None) -> str | None:
    if not db_url:
        return None
    from sqlalchemy.engine import make_url

    try:
        url = make_url(db_url)
    except Exception:
        return None
    if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
        return None
    # sqlite resolves a relative path against the server's working directory.
    return os.path.abspath(url.database)
