"""The output formats a job asks for: offered by its environment, and makeable where it runs."""

from __future__ import annotations

from ..environments.formats import missing_converters
from .report import FAILED, OK, Check

NAME = "output formats"


def formats_check(requested, offered, environment: str | None, runs_here: bool) -> Check:
    """`offered` None: any format nbconvert knows. `runs_here`: the job runs on this machine,
    so its converters can be looked for; in a cluster the job's image is the contract."""
    requested = list(dict.fromkeys(requested or []))
    if offered is not None:
        refused = [f for f in requested if f not in offered]
        if refused:
            where = f"environment {environment!r}" if environment else "this server"
            return Check(NAME, FAILED, (
                f"output format(s) {', '.join(refused)} not offered by {where}, which offers "
                f"{', '.join(offered)}: choose among those, or ask your administrator to add them "
                "(c.ArgoEnvironmentManager.output_formats)"
            ))
    if runs_here:
        missing = missing_converters(requested)
        if missing:
            return Check(NAME, FAILED, "; ".join(
                f"output format {fmt!r} cannot be made on this machine: it needs {' and '.join(needs)}"
                for fmt, needs in missing.items()
            ) + ": install that, or choose other formats")
        return Check(NAME, OK, f"{', '.join(requested) or 'no output'}: every converter is installed here")
    return Check(NAME, OK, f"{', '.join(requested) or 'no output'}: made in the job's image (not visible from here)")
