r"""Printers for the rendered steps: SymPy's own, with sums written as a reader would.

SymPy keeps the terms of a sum in a canonical order, so ``x_i - mu`` is stored (and,
with ``order="none"``, printed) as :math:`-\mu + x_i`. These printers keep SymPy's order
but move the terms that print with a leading minus after the others (a stable sort), so
the output reads :math:`x_i - \mu`, :math:`y - e^{\eta}` … The expressions themselves are
unchanged: only the text, LaTeX, pretty (Unicode) and presentation MathML output differ.

Imported only from inside the rendering methods (it imports SymPy).
"""

from __future__ import annotations

from typing import Any

from sympy import Add
from sympy.printing.latex import LatexPrinter
from sympy.printing.mathml import MathMLPresentationPrinter
from sympy.printing.pretty.pretty import PrettyPrinter
from sympy.printing.str import StrPrinter

__all__ = ["latex", "mathml", "pretty", "sstr"]


class _PositiveFirst:
    """Mixin: terms of a sum in SymPy's order, those with a leading minus last."""

    def _as_ordered_terms(self, expr, order=None):
        terms = super()._as_ordered_terms(expr, order=order)  # type: ignore[misc]
        if isinstance(expr, Add) and (order or self.order) == "none":  # type: ignore

            terms = sorted(terms, key=lambda t: t.could_extract_minus_sign())
        return terms


class _Str(_PositiveFirst, StrPrinter):
    pass


class _Latex(_PositiveFirst, LatexPrinter):
    pass


class _Pretty(_PositiveFirst, PrettyPrinter):
    pass


class _MathML(_PositiveFirst, MathMLPresentationPrinter):
    pass


def sstr(expr: Any) -> str:
    """One-line text, ``x - mu`` rather than ``-mu + x``."""
    return _Str({"order": "none"}).doprint(expr)


def latex(expr: Any) -> str:
    """LaTeX, ``x - \\mu`` rather than ``- \\mu + x``."""
    return _Latex({"order": "none"}).doprint(expr)


def pretty(expr: Any) -> str:
    """Unicode 2-D text, as ``sympy.pretty(expr, use_unicode=True)``."""
    return _Pretty({"order": "none", "use_unicode": True}).doprint(expr)


def mathml(expr: Any) -> str:
    """Presentation MathML (the inner markup, without the ``<math>`` element)."""
    return _MathML({"order": "none"}).doprint(expr)
