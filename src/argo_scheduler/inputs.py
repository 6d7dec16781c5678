"""What a client may set on a job or job definition, checked before anything is written.

jupyter-scheduler's REST handlers pass a client's JSON straight into
CreateJob / CreateJobDefinition / UpdateJobDefinition: `input_filename`
becomes a path in the staging area (and, on download, in the user's
folder), `input_uri` a file the server copies, parameter names papermill
assignments in the notebook. A submission that fails these checks is
refused with a SchedulerError naming the field, before any record, file,
Secret or workflow exists.
"""

from __future__ import annotations

import keyword
import os
from typing import Mapping

from jupyter_scheduler.exceptions import SchedulerError

# Columns whose text comes from the user (the rest are ids and times we make).
USER_TEXT_COLUMNS = ("name", "input_filename", "runtime_environment_name", "compute_type")


class InputError(SchedulerError):
    """A client-set field is unusable; the message names it and says what is allowed."""


def check_file_name(value: str | None, field: str = "input_filename") -> None:
    """`value` is a plain file name: no folder part, no traversal, nothing the file system reads specially."""
    if value is None:
        return
    separators = {"/", "\\", os.sep, os.altsep} - {None}
    problem = None
    if not value.strip():
        problem = "is empty"
    elif value in (".", ".."):
        problem = "is a folder reference"
    elif any(s in value for s in separators):
        problem = "contains a path separator"
    elif "\0" in value:
        problem = "contains a NUL character"
    if problem:
        raise InputError(
            f"{field} {value!r} {problem}: it must be a plain file name (like report.ipynb), "
            "without folders or '..'"
        )


def check_inside(root: str, path: str, field: str = "input_uri") -> str:
    """The absolute path of `path` (relative to `root`, or absolute), refused unless it lies inside `root`.

    The comparison is on normalised paths, as Jupyter's contents manager
    makes it (a symbolic link inside the root is followed, as the UI shows it).
    """
    root = os.path.abspath(root)
    full = os.path.abspath(os.path.join(root, path))
    if full != root and os.path.commonpath([root, full]) != root:
        raise InputError(f"{field} {path!r} is outside the server's root folder: only notebooks under it can run")
    return full


def check_parameter_names(parameters: Mapping[str, object] | None) -> None:
    """Every parameter name can be assigned in Python: the job's pod injects them as papermill parameters."""
    for name in parameters or {}:
        if not isinstance(name, str) or not name.isidentifier():
            raise InputError(
                f"parameter name {name!r} is not a Python name: use letters, digits and _, not starting with a digit"
            )
        if keyword.iskeyword(name):
            raise InputError(f"parameter name {name!r} is a Python keyword: the notebook could not assign it")


def check_lengths(model) -> None:
    """Text that fits jupyter-scheduler's columns: PostgreSQL refuses what sqlite would keep."""
    from jupyter_scheduler.orm import Job

    for name in USER_TEXT_COLUMNS:
        limit = Job.__table__.columns[name].type.length
        value = getattr(model, name, None)
        if isinstance(value, str) and len(value) > limit:
            raise InputError(
                f"the {name.replace('_', ' ')} is {len(value)} characters long; at most {limit} fit: "
                "shorten it and submit again"
            )


def check_fields(model) -> None:
    """Every client-set field of a job or job definition that needs no file system or engine."""
    check_lengths(model)
    check_file_name(getattr(model, "input_filename", None))
    check_parameter_names(getattr(model, "parameters", None))
