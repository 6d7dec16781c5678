"""jupyter-scheduler's string parameters as typed papermill parameters.

The scheduler UI stores every parameter as a string, but a notebook that
says `n = 1` expects a number. The notebook's parameters cell is the best
witness of what it expects, so:

A parameter the notebook declares takes the declared type — the annotation
(`n: int = 1`), else the type of the default value:
  - str:   the text exactly as typed, always ("3.10" stays "3.10", "007"
           stays "007");
  - int:   any integer literal, leading zeros allowed ("007" -> 7);
  - float: any int or float literal, exponent included ("1e3" -> 1000.0),
           and "nan", "inf", "-inf";
  - bool:  "true" / "false" in any case.
Text that is not a literal of the declared type falls through to the rules
below (a notebook declaring `n = 1` that receives "2.5" gets 2.5).

A parameter the notebook does not declare (or declares with another type,
or a default of None) is read as the literal it plainly is:
  - "true" / "false", any case               -> bool
  - an integer without leading zeros           -> int    ("3", "-12", "0")
  - digits with a decimal point, optional exponent
                                               -> float  ("0.5", "2.", ".5", "1.5e-3")
  - anything else                              -> the string as typed.
  "007" stays a string (ids, zip codes); "1e3" stays a string (short hex ids
  and git hashes look like that: write 1000 or 1.0e3); "nan", "inf", "None"
  stay strings.

Surrounding whitespace is ignored when recognising a number or a bool
(" 3" -> 3: a stray space in a form field is a typo); a value that stays a
string is passed exactly as typed, spaces included. Values that are not
strings (an API client may store real JSON numbers) pass through unchanged.
"""

from __future__ import annotations

import ast
import logging
import re
from typing import Any, Mapping

import nbformat
from jupyter_scheduler.utils import find_cell_index_with_tag
from papermill.exceptions import PapermillException
from papermill.translators import papermill_translators

log = logging.getLogger(__name__)

_PLAIN_INT = re.compile(r"[-+]?(0|[1-9][0-9]*)")
_PLAIN_FLOAT = re.compile(r"[-+]?([0-9]+\.[0-9]*|\.[0-9]+)([eE][-+]?[0-9]+)?")
_ANY_INT = re.compile(r"[-+]?[0-9]+")
_ANY_FLOAT = re.compile(
    r"[-+]?(([0-9]+\.?[0-9]*|\.[0-9]+)([eE][-+]?[0-9]+)?|inf|infinity|nan)", re.IGNORECASE
)
_BOOLS = {"true": True, "false": False}

_TYPE_NAMES: dict[str, type] = {"str": str, "int": int, "float": float, "bool": bool}


def guess(text: str) -> bool | int | float | str:
    """`text` as the literal it plainly is, or the text itself."""
    word = text.strip()
    if word.lower() in _BOOLS:
        return _BOOLS[word.lower()]
    if _PLAIN_INT.fullmatch(word):
        return int(word)
    if _PLAIN_FLOAT.fullmatch(word):
        return float(word)
    return text


def as_declared(text: str, declared: type) -> bool | int | float | str | None:
    """`text` as a value of `declared`, or None when it is not a literal of that type."""
    word = text.strip()
    if declared is str:
        return text
    if declared is bool:
        return _BOOLS.get(word.lower())
    if declared is int and _ANY_INT.fullmatch(word):
        return int(word)
    if declared is float and _ANY_FLOAT.fullmatch(word):
        return float(word)
    return None


def coerce(text: Any, declared: type | None = None) -> Any:
    if not isinstance(text, str):
        return text
    if declared is not None:
        value = as_declared(text, declared)
        if value is not None:
            return value
    return guess(text)


def coerce_parameters(raw: Mapping[str, Any], declared: Mapping[str, type]) -> dict[str, Any]:
    typed = {}
    for name, text in raw.items():
        typed[name] = coerce(text, declared.get(name))
        wanted = declared.get(name)
        if wanted is not None and type(typed[name]) is not wanted:
            # Names and types only: a parameter may be a secret.
            log.warning(
                "Parameter %s: the notebook declares %s, the value given is not one; passing a %s",
                name,
                wanted.__name__,
                type(typed[name]).__name__,
            )
    return typed


def _literal_type(source: str) -> type | None:
    try:
        value = ast.literal_eval(source)
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return None
    return type(value) if type(value) in _TYPE_NAMES.values() else None


def declared_types(nb: nbformat.NotebookNode, kernel_name: str) -> dict[str, type]:
    """Parameter name -> str/int/float/bool, as the notebook's parameters cell declares them.

    Uses papermill's own reading of the cell, so it agrees with what papermill
    will override. Languages papermill cannot inspect declare nothing.
    """
    index = find_cell_index_with_tag(nb, "parameters")
    if index < 0:
        return {}
    language = nb.metadata.get("kernelspec", {}).get("language") or nb.metadata.get(
        "language_info", {}
    ).get("name")
    try:
        translator = papermill_translators.find_translator(kernel_name, language)
        found = translator.inspect(nb.cells[index])
    except (PapermillException, NotImplementedError):
        return {}
    types: dict[str, type] = {}
    for parameter in found:
        declared = _TYPE_NAMES.get(parameter.inferred_type_name) or _literal_type(parameter.default)
        if declared is not None:
            types[parameter.name] = declared
    return types
