"""Where a job's files live: jupyter-scheduler's staging layout.

`<staging_path>/<job_id>/<input_filename>` is the notebook to run; outputs
sit beside it under `create_output_filename(input, create_time, format)`, the
names the server computes when it lists and downloads a job's files.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass

from jupyter_scheduler.utils import create_output_filename

LOG_FORMAT = "log"


@dataclass(frozen=True)
class JobFiles:
    folder: str
    input: str
    # Requested output format -> path, in the order the job asked for them.
    outputs: dict[str, str]
    log: str

    @classmethod
    def of(
        cls,
        staging_path: str,
        job_id: str,
        input_filename: str,
        create_time: int,
        output_formats: list[str],
    ) -> "JobFiles":
        folder = os.path.join(staging_path, job_id)
        input_path = os.path.normpath(os.path.join(folder, input_filename))
        if os.path.dirname(input_path) != os.path.normpath(folder):
            raise ValueError(f"input_filename {input_filename!r} must be a plain file name")

        def named(fmt: str) -> str:
            return os.path.join(folder, create_output_filename(input_filename, create_time, fmt))

        return cls(
            folder=folder,
            input=input_path,
            outputs={fmt: named(fmt) for fmt in dict.fromkeys(output_formats)},
            log=named(LOG_FORMAT),
        )

    def existing_outputs(self) -> dict[str, str]:
        return {fmt: path for fmt, path in self.outputs.items() if os.path.exists(path)}


class InputMissing(FileNotFoundError):
    """Neither the notebook to run nor a staged copy of it exists."""


def stage_input(source: str, files: JobFiles) -> None:
    """Put the notebook to run at the job's staging input path, unless it is already there.

    A one-off job's input was staged by the server when it created the job;
    a cron run's comes from the definition's staging folder. A copy that is
    already there is kept: it is what a first attempt of this run executed.
    """
    os.makedirs(files.folder, exist_ok=True)
    if os.path.exists(files.input):
        return
    if not os.path.exists(source):
        raise InputMissing(f"The notebook to run was not found: {source}")
    shutil.copyfile(source, files.input)
