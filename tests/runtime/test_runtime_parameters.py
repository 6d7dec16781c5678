"""jupyter-scheduler's string parameters become typed papermill parameters."""

from __future__ import annotations

import math

import pytest
from nbformat.v4 import new_code_cell, new_notebook

from argo_scheduler.runtime.parameters import coerce, coerce_parameters, declared_types

GUESSES = [
    ("3", 3),
    ("-12", -12),
    ("+4", 4),
    ("0", 0),
    ("007", "007"),
    ("0.5", 0.5),
    ("2.", 2.0),
    (".5", 0.5),
    ("1.5e-3", 0.0015),
    ("3.10", 3.1),
    ("1e3", "1e3"),
    ("nan", "nan"),
    ("inf", "inf"),
    ("true", True),
    ("FALSE", False),
    ("True", True),
    (" 3", 3),
    ("3 ", 3),
    (" hello ", " hello "),
    ("1.2.3", "1.2.3"),
    ("", ""),
    ("None", "None"),
    ("yes", "yes"),
    ("1_000", "1_000"),
    ("0x1f", "0x1f"),
]


@pytest.mark.parametrize(("text", "expected"), GUESSES, ids=[repr(text) for text, _ in GUESSES])
def test_an_undeclared_parameter_is_read_as_the_literal_it_plainly_is(text, expected):
    # GIVEN a parameter the notebook does not declare
    # WHEN it is coerced
    value = coerce(text)
    # THEN it has the plain literal's type and value (bool is not an int here)
    assert (type(value), value) == (type(expected), expected)


DECLARED = [
    (str, "3.10", "3.10"),
    (str, "007", "007"),
    (str, " true ", " true "),
    (int, "007", 7),
    (int, " 42", 42),
    (float, "3", 3.0),
    (float, "1e3", 1000.0),
    (float, "-inf", -math.inf),
    (bool, "True", True),
    (bool, "false", False),
    # Not a literal of the declared type: the plain reading applies.
    (int, "2.5", 2.5),
    (bool, "yes", "yes"),
    (float, "abc", "abc"),
]


@pytest.mark.parametrize(
    ("declared", "text", "expected"),
    DECLARED,
    ids=[f"{declared.__name__}-{text!r}" for declared, text, _ in DECLARED],
)
def test_a_declared_parameter_takes_the_declared_type(declared, text, expected):
    # GIVEN a parameter the notebook declares with a type
    # WHEN it is coerced
    value = coerce(text, declared)
    # THEN it has that type when the text is a literal of it
    assert (type(value), value) == (type(expected), expected)


def test_a_declared_float_accepts_nan():
    # GIVEN a declared float THEN "nan" is the float, unlike an undeclared parameter
    assert math.isnan(coerce("NaN", float))


@pytest.mark.parametrize("value", [5, 0.25, True, None, [1, 2]], ids=["int", "float", "bool", "none", "list"])
def test_a_value_that_is_not_a_string_passes_through(value):
    # GIVEN a value an API client stored as real JSON, not as a string
    # THEN it reaches the notebook unchanged
    assert coerce(value) == value and type(coerce(value)) is type(value)


def parameters_notebook(source: str):
    return new_notebook(
        metadata={"kernelspec": {"name": "python3", "language": "python", "display_name": "Python 3"}},
        cells=[new_code_cell("import os"), new_code_cell(source, metadata={"tags": ["parameters"]})],
    )


def test_declared_types_come_from_annotations_then_defaults():
    # GIVEN a parameters cell with annotations, plain defaults and a None default
    nb = parameters_notebook(
        'count: int = 1\nrate = 0.5\nlabel = "x"\nflag = True\nnothing = None\nratio: float = 1\nitems = [1]'
    )
    # WHEN papermill's reading of it is turned into types
    types = declared_types(nb, "python3")
    # THEN annotations win, defaults decide otherwise, and None or containers declare nothing
    assert types == {"count": int, "rate": float, "label": str, "flag": bool, "ratio": float}


def test_a_notebook_without_a_parameters_cell_declares_nothing():
    # GIVEN no cell tagged "parameters" THEN every parameter is guessed
    nb = new_notebook(cells=[new_code_cell("x = 1")])
    assert declared_types(nb, "python3") == {}


def test_a_language_papermill_cannot_inspect_declares_nothing():
    # GIVEN an R notebook (papermill cannot inspect R) THEN no declarations, and no error
    nb = parameters_notebook("x <- 1")
    nb.metadata.kernelspec = {"name": "ir", "language": "R", "display_name": "R"}
    assert declared_types(nb, "ir") == {}


def test_coerce_parameters_uses_each_declaration():
    # GIVEN the notebook declares label as a str and n as an int
    declared = {"label": str, "n": int}
    # WHEN the UI's strings are coerced
    typed = coerce_parameters({"label": "42", "n": "7", "extra": "0.5"}, declared)
    # THEN label stays text, n is an int, and the undeclared one is guessed
    assert typed == {"label": "42", "n": 7, "extra": 0.5}
    assert type(typed["label"]) is str
