"""The whitelist parsers for every text a user types (floor 1: never ``eval``).

User text is a security boundary. Each parser here reads text with Python's
:mod:`ast` or with its own tokenizer (which only *parse*), walks the tree itself
and accepts a fixed whitelist of constructs; anything else raises a
:class:`~mlekit.errors.FormulaError` naming the offending piece. Nothing a
user types ever reaches ``eval``, ``exec``, SymPy's ``sympify``/``parse_expr``
or a library that evaluates Python (formulaic evaluates Python inside terms).

* :func:`parse_density` — a density formula such as ``"exp(-abs(x - mu)/b) / (2*b)"``
  into a SymPy expression (:mod:`._density`).
* :func:`parse_model_formula` — a model formula such as ``"y ~ x1 * C(g) + log(x2)"``
  into an immutable :class:`ModelFormula` (:mod:`._model`); the regression code
  evaluates it with NumPy.
* :func:`parse_restriction` — linear hypotheses such as ``"x1 = x2, x3 = 0"`` on
  named coefficients into ``(R, q)`` (:mod:`._restriction`).
"""

from __future__ import annotations

from ._density import FUNCTIONS as DENSITY_FUNCTIONS
from ._density import parse_formula as parse_density
from ._model import ModelFormula, parse_model_formula
from ._restriction import parse_restriction

__all__ = ["DENSITY_FUNCTIONS", "ModelFormula", "parse_density", "parse_model_formula",
           "parse_restriction"]
