"""The whitelist parsers for every text a user types (floor 1: never ``eval``).

User text is a security boundary. Each parser here reads text with Python's
:mod:`ast` (or its tokenizer), which only *parses*, walks the tree itself and
accepts a fixed whitelist of constructs; anything else raises a
:class:`~mlekit.errors.FormulaError` naming the offending piece. Nothing a
user types ever reaches ``eval``, ``exec``, SymPy's ``sympify``/``parse_expr``
or a library that evaluates Python (formulaic evaluates Python inside terms).

* :func:`parse_density` — a density formula such as ``"exp(-abs(x - mu)/b) / (2*b)"``
  into a SymPy expression (:mod:`._density`).
"""

from __future__ import annotations

from ._density import FUNCTIONS as DENSITY_FUNCTIONS
from ._density import parse_formula as parse_density

__all__ = ["DENSITY_FUNCTIONS", "parse_density"]
