"""Output formats: which exist, which an environment offers, and what each needs to be made."""

from __future__ import annotations

import functools
import importlib.util
import os
import shutil
from pathlib import Path

# What an environment offers unless configured otherwise: what jupyter-scheduler's
# own managers offer, and what every machine with nbconvert can make.
DEFAULT_OUTPUT_FORMATS = ("ipynb", "html")

# nbconvert exporters that make no sense as a job output.
_NOT_OUTPUTS = {"custom", "notebook", "qtpdf", "qtpng"}
_LABELS = {
    "ipynb": "Notebook", "html": "HTML", "pdf": "PDF", "webpdf": "PDF (web)", "latex": "LaTeX",
    "rst": "reStructuredText", "asciidoc": "AsciiDoc", "markdown": "Markdown", "script": "Script",
    "python": "Python", "slides": "Slides",
}


@functools.lru_cache(maxsize=1)
def _known() -> tuple[tuple[str, str], ...]:
    # nbconvert scans its entry points on every call (0.1 s and more): the
    # job list asks once per listed job, so this is computed once per process.
    from nbconvert.exporters import get_export_names

    names = ["ipynb", *(n for n in get_export_names() if n not in _NOT_OUTPUTS)]
    return tuple((name, _LABELS.get(name, name.capitalize())) for name in dict.fromkeys(names))


def output_formats_mapping() -> dict[str, str]:
    """Every output format a job may ask for, with its label: ipynb plus nbconvert's exporters."""
    return dict(_known())


def check_formats(formats, where: str) -> tuple[str, ...]:
    """`formats` as a tuple, or a ValueError naming `where` and the unknown ones."""
    if isinstance(formats, str) or not isinstance(formats, (list, tuple)):
        raise ValueError(f"{where} must be a list of output format names, e.g. [\"ipynb\", \"html\"]")
    known = output_formats_mapping()
    unknown = [f for f in formats if f not in known]
    if unknown:
        raise ValueError(f"{where}: unknown output format(s) {', '.join(map(str, unknown))}; known: {', '.join(known)}")
    if not formats:
        raise ValueError(f"{where} offers no output format; give at least \"ipynb\"")
    return tuple(dict.fromkeys(formats))


# What nbconvert needs beyond Python to make a format, measured here: pdf runs
# LaTeX on pandoc's output, latex/rst/asciidoc convert markdown cells with
# pandoc, webpdf prints with Playwright's own Chromium.
_PANDOC = ("pandoc", "pandoc (https://pandoc.org/installing.html; Debian: apt-get install pandoc)")
_XELATEX = ("xelatex", "XeLaTeX (Debian: apt-get install texlive-xetex texlive-fonts-recommended texlive-plain-generic)")
_NEEDS_PROGRAMS = {"pdf": (_XELATEX, _PANDOC), "latex": (_PANDOC,), "rst": (_PANDOC,), "asciidoc": (_PANDOC,)}
_WEBPDF = "Playwright's Chromium (pip install playwright, then: playwright install chromium)"


def _playwright_chromium_installed() -> bool:
    if importlib.util.find_spec("playwright") is None:
        return False
    # Where `playwright install` puts browsers; asking Playwright itself would
    # start its driver, and its sync API refuses to run inside the server's loop.
    root = os.environ.get("PLAYWRIGHT_BROWSERS_PATH") or str(Path.home() / ".cache" / "ms-playwright")
    return any(Path(root).glob("chromium*/*/chrome")) or any(Path(root).glob("chromium*/*/headless_shell"))


def missing_converters(formats) -> dict[str, list[str]]:
    """For each format that cannot be made on this machine, what to install; {} when all can."""
    missing: dict[str, list[str]] = {}
    for fmt in dict.fromkeys(formats):
        needs = [what for program, what in _NEEDS_PROGRAMS.get(fmt, ()) if shutil.which(program) is None]
        if fmt == "webpdf" and not _playwright_chromium_installed():
            needs.append(_WEBPDF)
        if needs:
            missing[fmt] = needs
    return missing
