"""Output formats a job may ask for."""

from __future__ import annotations

# nbconvert exporters that make no sense as a job output.
_NOT_OUTPUTS = {"custom", "notebook", "qtpdf", "qtpng"}


def output_formats_mapping() -> dict[str, str]:
    """Every output format a job may ask for, with its label: ipynb plus nbconvert's exporters."""
    from nbconvert.exporters import get_export_names

    mapping = {"ipynb": "Notebook"}
    labels = {"html": "HTML", "pdf": "PDF", "webpdf": "PDF (web)", "latex": "LaTeX", "rst": "reStructuredText"}
    for name in get_export_names():
        if name not in _NOT_OUTPUTS:
            mapping[name] = labels.get(name, name.capitalize())
    return mapping
