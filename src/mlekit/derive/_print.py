r"""Printers for the rendered steps: SymPy's own, with sums written as a reader would.

SymPy keeps the terms of a sum in a canonical order, so ``x_i - mu`` is stored (and,
with ``order="none"``, printed) as :math:`-\mu + x_i`. These printers keep SymPy's order
but move the terms that print with a leading minus after the others (a stable sort), so
the output reads :math:`x_i - \mu`, :math:`y - e^{\eta}` … The expressions themselves are
unchanged: only the text, LaTeX, pretty (Unicode) and presentation MathML output differ.

Imported only from inside the rendering methods (it imports SymPy).
"""

from __future__ import annotations

import re
from typing import Any

from sympy import Add
from sympy.printing.latex import LatexPrinter
from sympy.printing.mathml import MathMLPresentationPrinter
from sympy.printing.pretty.pretty import PrettyPrinter
from sympy.printing.str import StrPrinter

from ..errors import DerivationError

__all__ = ["latex", "latex_to_mathml", "mathml", "pretty", "sstr"]


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
    """SymPy's LaTeX with a textbook's names: :math:`\\log\\Gamma(k)` for ``loggamma`` and
    :math:`\\mathrm{B}(\\alpha, \\beta)` for the beta function (SymPy 1.x prints the latter's
    arguments without converting them: ``\\operatorname{B}\\left(alpha, beta\\right)``)."""

    def _print_beta(self, expr, exp=None):
        args = ", ".join(self._print(a) for a in expr.args)
        head = r"\mathrm{B}" if exp is None else rf"\mathrm{{B}}^{{{exp}}}"
        return rf"{head}\left({args}\right)"

    def _nested(self, expr, op: str, fallback):
        """∏_{i=1}^{m} ∏_{c=1}^{k} f — one operator per index, the outer one first — where
        SymPy writes one operator over a ``\\substack`` of inequalities."""
        if len(expr.limits) == 1 or any(len(lim) != 3 for lim in expr.limits):
            return fallback(expr)
        tex = "".join(rf"\{op}_{{{self._print(v)}={self._print(a)}}}^{{{self._print(b)}}} "
                      for v, a, b in reversed(expr.limits))
        f = expr.function
        return tex + (rf"\left({self._print(f)}\right)" if isinstance(f, Add) else self._print(f))

    def _print_Product(self, expr):
        return self._nested(expr, "prod", super()._print_Product)

    def _print_Sum(self, expr):
        return self._nested(expr, "sum", super()._print_Sum)

    def _print_loggamma(self, expr, exp=None):
        tex = rf"\log \Gamma\left({self._print(expr.args[0])}\right)"
        return tex if exp is None else rf"\left({tex}\right)^{{{exp}}}"


class _Pretty(_PositiveFirst, PrettyPrinter):
    pass


class _MathML(_PositiveFirst, MathMLPresentationPrinter):
    pass


def sstr(expr: Any) -> str:
    """One-line text, ``x - mu`` rather than ``-mu + x``."""
    return _Str({"order": "none"}).doprint(expr)


def latex(expr: Any, symbol_names: dict | None = None) -> str:
    """LaTeX, ``x - \\mu`` rather than ``- \\mu + x``; ``symbol_names`` maps a symbol to the
    LaTeX it prints as (a family's declared symbol: ``rate`` -> ``\\lambda``)."""
    settings: dict[str, Any] = {"order": "none"}
    if symbol_names:
        settings["symbol_names"] = dict(symbol_names)
    return _Latex(settings).doprint(expr)


def pretty(expr: Any) -> str:
    """Unicode 2-D text, as ``sympy.pretty(expr, use_unicode=True)``.

    SymPy's symbol tables follow a global switch that it sets from ``sys.stdout``'s
    encoding at import (ASCII under ``LANG=C`` or a redirected stream): set it for the
    call, as ``sympy.pretty`` does, or the Unicode printer asks the ASCII tables for ⊥.
    """
    from sympy.printing.pretty.pretty_symbology import pretty_use_unicode

    before = pretty_use_unicode(True)
    try:
        return _Pretty({"order": "none", "use_unicode": True}).doprint(expr)
    finally:
        pretty_use_unicode(before)


def mathml(expr: Any) -> str:
    """SymPy's presentation MathML (the inner markup, without the ``<math>`` element).

    Not used for derivations any more: SymPy's MathML printer writes ``product(...)``,
    ``ell``, ``muhat`` and drops the minus of ``exp(-u)``; :func:`latex_to_mathml` converts
    the derivation's own LaTeX instead (one source for both).
    """
    return _MathML({"order": "none"}).doprint(expr)


# a command latex2mathml does not know comes out as text: <mi>\foo</mi>
_LEFTOVER = re.compile(r">\s*(\\[A-Za-z]+)\s*<")


def latex_to_mathml(tex: str, display: str = "block") -> str:
    r"""A ``<math>`` element for the LaTeX ``tex``, converted by latex2mathml.

    One source: the MathML of a derivation is its LaTeX (:meth:`Derivation.to_latex`), so
    ∏, ℓ, hats and the textbook density forms read the same in both. Raises
    :class:`~mlekit.errors.DerivationError` when the LaTeX cannot be converted or a
    command would be left as raw text (``<mi>\foo</mi>``).
    """
    try:
        from latex2mathml.converter import convert
    except ImportError as exc:  # pragma: no cover - a core dependency
        raise DerivationError("MathML output needs the latex2mathml package "
                              "(pip install 'latex2mathml>=3.81')") from exc
    try:
        out = convert(tex, display=display)
    except Exception as exc:  # latex2mathml raises its own exception classes
        raise DerivationError(f"cannot convert this LaTeX to MathML ({type(exc).__name__}: "
                              f"{exc}): {tex}") from exc
    left = _LEFTOVER.search(out)
    if left:
        raise DerivationError(f"LaTeX command {left.group(1)} has no MathML form: {tex}")
    return _spacing(out)


# a function name: \log comes out as <mi>log</mi>, \operatorname{NLL} as <mo>NLL</mo>
_FUNCTION_NAME = re.compile(r"<(mi|mo)>(?!argm)([A-Za-z]{2,})</\1>")
# \left( and \right) come out as stretchy fences; Chromium sets a stretchy parenthesis
# around a short argument with a gap on both sides ("p ( x )"), a non-stretchy one tightly
_FENCE = re.compile(r'<mo stretchy="true" fence="true" form="(prefix|postfix)">')
# a minus right after "(", "=" or "," is a sign, not a subtraction (Chromium would infer an
# infix operator from its position and set a gap on both sides: "( − log σ")
_UNARY_MINUS = re.compile(r"(<mo[^>]*>(?:&#x00028;|&#x0003D;|&#x0002C;)</mo>)<mo>&#x02212;</mo>")
# capital Greek letters are upright in TeX (Γ(k), Σ); a one-letter <mi> would be italic
_CAPITAL_GREEK = re.compile(r"<mi>(&#x00(?:39[1-9A-F]|3A[0-9]);)</mi>")
_TALL = re.compile(r"<(mfrac|munderover|munder|msqrt|mroot|mtable)\b|<mover>")


def _spacing(mml: str) -> str:
    """Spacing as TeX sets it: "m log(σ)", "NLL(μ)", "p(x)" — not "mlog ( σ )".

    A function name is an operator with a thin space before it and none after; a pair of
    ``\\left( … \\right)`` around nothing taller than a line (no fraction, sum, root,
    limits) is a pair of plain parentheses.
    """
    mml = _FUNCTION_NAME.sub(r'<mo lspace="0.1667em" rspace="0">\2</mo>', mml)
    mml = _CAPITAL_GREEK.sub(r'<mi mathvariant="normal">\1</mi>', mml)
    mml = _UNARY_MINUS.sub(r'\1<mo form="prefix">&#x02212;</mo>', mml)
    stack: list[int] = []
    short: set[int] = set()
    for m in _FENCE.finditer(mml):
        if m.group(1) == "prefix":
            stack.append(m.start())
        elif stack:
            start = stack.pop()
            if not _TALL.search(mml, start, m.start()):
                short.update((start, m.start()))
    if not short:
        return mml
    out, last = [], 0
    for m in _FENCE.finditer(mml):
        if m.start() in short:
            out += [mml[last:m.start()], f'<mo stretchy="false" fence="true" form="{m.group(1)}">']
            last = m.end()
    out.append(mml[last:])
    return "".join(out)
