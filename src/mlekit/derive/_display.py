r"""SymPy objects that exist to be typeset: the hat of an estimate, an argmin with its
variable under it, and a density written as a textbook's product of factors.

Each prints in text exactly as the plain SymPy object it stands for (``mu_hat``,
``argmin(...)``, the evaluated product), so :meth:`Derivation.to_text` and the JSON of
the CLI are unchanged; in LaTeX it prints as a textbook writes it:

* :class:`Hat` — :math:`\hat\mu`, :math:`\hat\lambda` (the family's declared symbol of
  the parameter), :math:`\hat w_{\mu}`, :math:`\hat{\mathrm{rate}}`;
* :class:`ArgMin` — :math:`\underset{\mu}{\operatorname{argmin}}\ \frac1m\sum_i \dots`;
* :class:`Factors` — the factors of a density in the order the family file declares
  them (:math:`\frac{1}{\sigma\sqrt{2\pi}}\,e^{-(x-\mu)^2/(2\sigma^2)}`), whose product is
  the density (``Factors(...).doit()``).

The MathML of a derivation is converted from this LaTeX (one source), so both show the
same thing. Imported only from inside :mod:`mlekit.derive` (it imports SymPy).
"""

from __future__ import annotations

import re
from typing import Any

import sympy as sp

__all__ = ["ArgMin", "Factors", "Hat", "hat"]

# a declared parameter symbol that is safe to typeset as it stands: one letter, a Greek
# letter command, or a bold Greek letter (families declare e.g. r"\lambda" for ``rate``)
_SAFE_TEX = re.compile(r"^(?:[A-Za-z]|\\[A-Za-z]+|\\boldsymbol\{\\?[A-Za-z]+\})$")


def safe_tex(tex: str) -> bool:
    """True when ``tex`` is a single symbol (``k``, ``\\lambda``, ``\\boldsymbol{\\mu}``)."""
    return bool(_SAFE_TEX.match(tex or ""))


def _symbol_tex(printer: Any, name: str) -> str:
    """The LaTeX of the symbol called ``name``: the family's declared symbol when the
    printer knows one (``symbol_names``), else SymPy's (``mu`` -> ``\\mu``, ``w_mu`` ->
    ``w_{\\mu}``); a multi-letter name that SymPy leaves as letters is set upright."""
    names = printer._settings.get("symbol_names") or {}
    for sym, tex in names.items():
        if getattr(sym, "name", None) == name:
            return tex
    tex = printer._print(sp.Symbol(name))
    if re.fullmatch(r"[A-Za-z]{2,}", tex):
        return rf"\mathrm{{{tex}}}"
    return tex


class Hat(sp.Symbol):
    r"""An estimate: the symbol ``name`` with a hat (text ``mu_hat``, LaTeX ``\hat{\mu}``).

    The SymPy name is ``name + "hat"`` (unique, never a parameter's own name)."""

    @property
    def base_name(self) -> str:
        return self.name[:-3]

    def _sympystr(self, printer: Any) -> str:
        return self.base_name + "_hat"

    def _latex(self, printer: Any) -> str:
        base = self.base_name
        head, _, sub = base.partition("_")
        if sub and head:  # w_mu -> \hat{w}_{\mu}: the hat on the letter, not the subscript
            return rf"\hat{{{_symbol_tex(printer, head)}}}_{{{_symbol_tex(printer, sub)}}}"
        return rf"\hat{{{_symbol_tex(printer, base)}}}"


def hat(name: str) -> Hat:
    """The estimate of the parameter (or weight vector) called ``name``."""
    return Hat(name + "hat")


class ArgMin(sp.Function):
    r"""``ArgMin(objective, under)``: the minimiser of ``objective`` over ``under`` (a symbol,
    a matrix symbol or a tuple of them).

    Text: ``argmin(objective)`` (as before); LaTeX:
    ``\underset{under}{\operatorname{argmin}}\, objective``, with a mean written
    :math:`\frac{1}{m}\sum_i`.
    """

    nargs = 2

    def _sympystr(self, printer: Any) -> str:
        return f"argmin({printer._print(self.args[0])})"

    def _pretty(self, printer: Any) -> Any:
        return printer._print(sp.Function("argmin")(self.args[0]))

    def _latex(self, printer: Any) -> str:
        obj, under = self.args
        items = under.args if isinstance(under, sp.Tuple) else (under,)
        below = ", ".join(printer._print(v) for v in items)
        num, den = sp.fraction(obj)
        if isinstance(den, sp.Symbol) and isinstance(num, sp.Sum):
            body = rf"\frac{{1}}{{{printer._print(den)}}} {printer._print(num)}"
        elif isinstance(obj, sp.Add):
            body = rf"\left({printer._print(obj)}\right)"
        else:
            body = printer._print(obj)
        return rf"\underset{{{below}}}{{\operatorname{{argmin}}}}\, {body}"


class Factors(sp.Function):
    r"""A product written factor by factor, in the given order, as a textbook writes it.

    ``Factors(a, b).doit()`` is ``a*b``; text and pretty output print that product (SymPy's
    own form). LaTeX sets the factors side by side, each parenthesised when it is a sum.
    """

    def doit(self, **hints: Any) -> Any:
        return sp.Mul(*[a.doit(**hints) if hints.get("deep", True) else a for a in self.args])

    def _sympystr(self, printer: Any) -> str:
        return printer._print(sp.Mul(*self.args))

    def _pretty(self, printer: Any) -> Any:
        return printer._print(sp.Mul(*self.args))

    def _latex(self, printer: Any) -> str:
        out = []
        for a in self.args:
            tex = printer._print(a)
            out.append(rf"\left({tex}\right)" if isinstance(a, sp.Add) else tex)
        return r" \, ".join(out)

    def could_extract_minus_sign(self) -> bool:
        return False
