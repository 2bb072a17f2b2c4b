r"""Linear hypotheses typed as text (``"x1 = x2, C(g)[T.b] = 0"``) into :math:`(R, q)`.

A restriction list is read by a whitelist tokenizer and a precedence-climbing
parser; nothing is evaluated as Python. Allowed: coefficient names (matched
literally against the model's names, longest first, so ``C(g)[T.b]``,
``x1:x2`` and ``I(x ** 2)`` work as written; any name may also be quoted with
backticks), numbers, ``+ - * /``, parentheses, one ``=`` per restriction
(a restriction without ``=`` means ``… = 0``, as in statsmodels), and ``,`` or
``;`` or a new line between restrictions. Every side must be linear in the
coefficients: a product of two coefficients, or a division by one, is refused.

Each restriction :math:`\sum_j r_{ij}\theta_j = q_i` gives one row of ``R`` and one
entry of ``q``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from ..errors import FormulaError, did_you_mean
from ._model import number_end

__all__ = ["parse_restriction"]

MAX_LENGTH = 2000
MAX_DEPTH = 100

_Lin = tuple[dict[int, float], float]   # (coefficients by name index, constant)


class _P:
    def __init__(self, text: str, names: list[str]):
        self.text, self.names = text, names
        self.toks = self._tokens()
        self.i, self.depth = 0, 0

    def fail(self, msg: str, col: int, token: str) -> FormulaError:
        shown = "end of text" if token == "" else repr(token)
        return FormulaError(f"restriction {self._short()}: {msg}: {shown} at column {col}")

    def _short(self) -> str:
        t = self.text
        return repr(t if len(t) <= 60 else t[:57] + "...")

    def _tokens(self) -> list[tuple[str, str, int, object]]:
        text, names = self.text, sorted(self.names, key=len, reverse=True)
        out: list[tuple[str, str, int, object]] = []
        i, n = 0, len(text)
        while i < n:
            ch, col = text[i], i + 1
            if ch in " \t\r":
                i += 1
                continue
            if ch in ",;\n":
                out.append(("SEP", ch, col, None))
                i += 1
                continue
            if ch == "`":
                j = text.find("`", i + 1)
                if j < 0:
                    raise self.fail("unterminated backtick-quoted name", col, text[i:i + 20])
                out.append(("NAME", text[i + 1:j], col, self._index(text[i + 1:j], col)))
                i = j + 1
                continue
            hit = None
            for nm in names:   # the longest coefficient name written here, literally
                if nm and text.startswith(nm, i):
                    end = i + len(nm)
                    word = nm[-1].isalnum() or nm[-1] == "_"
                    if word and end < n and (text[end].isalnum() or text[end] == "_"):
                        continue
                    hit = nm
                    break
            if hit is not None and not (ch.isdigit() and number_end(text, i)):
                out.append(("NAME", hit, col, self.names.index(hit)))
                i += len(hit)
                continue
            if ch.isdigit() or (ch == "." and i + 1 < n and text[i + 1].isdigit()):
                j = number_end(text, i)
                lit = text[i:j]
                val = float(lit)
                if not math.isfinite(val) or len(lit) > 40:
                    raise self.fail("number not allowed", col, lit)
                out.append(("NUM", lit, col, val))
                i = j
                continue
            if ch in "+-*/()=":
                out.append(("OP", ch, col, None))
                i += 1
                continue
            if ch.isalpha() or ch == "_":
                j = i
                while j < n and (text[j].isalnum() or text[j] == "_"):
                    j += 1
                word = text[i:j]
                raise self.fail(f"unknown coefficient name{_hint(word, self.names)}", col, word)
            raise self.fail("character not allowed (only coefficient names, numbers, "
                            "+ - * / ( ) and =)", col, ch)
        out.append(("END", "", n + 1, None))
        return out

    def _index(self, name: str, col: int) -> int:
        if name not in self.names:
            raise self.fail(f"unknown coefficient name{_hint(name, self.names)}", col, name)
        return self.names.index(name)

    @property
    def tok(self):
        return self.toks[self.i]

    def next(self):
        t = self.toks[self.i]
        self.i += 1
        return t

    def err(self, msg: str, tok=None) -> FormulaError:
        t = tok or self.tok
        return self.fail(msg, t[2], t[1])

    def is_op(self, op: str) -> bool:
        return self.tok[0] == "OP" and self.tok[1] == op

    # -- grammar: restrictions := eq (SEP eq)* ; eq := lin ['=' lin]
    def parse(self) -> tuple[np.ndarray, np.ndarray]:
        rows: list[np.ndarray] = []
        qs: list[float] = []
        while True:
            while self.tok[0] == "SEP":
                self.next()
            if self.tok[0] == "END":
                break
            start = self.tok
            left = self.lin(0)
            right: _Lin = ({}, 0.0)
            if self.is_op("="):
                self.next()
                right = self.lin(0)
                if self.is_op("="):
                    raise self.err("a restriction has at most one '='")
            if self.tok[0] not in ("SEP", "END"):
                raise self.err("unexpected token")
            row = np.zeros(len(self.names))
            for k, v in left[0].items():
                row[k] += v
            for k, v in right[0].items():
                row[k] -= v
            if not np.any(row != 0):
                raise self.err("this restriction involves no coefficient", start)
            rows.append(row)
            qs.append(right[1] - left[1])
        if not rows:
            raise FormulaError("no restriction given; write e.g. 'x1 = 0' or 'x1 = x2'")
        return np.vstack(rows), np.asarray(qs)

    _PREC = {"+": 1, "-": 1, "*": 2, "/": 2}

    def lin(self, min_prec: int) -> _Lin:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise self.err(f"nested too deeply (more than {MAX_DEPTH} levels)")
        left = self.unary()
        while self.tok[0] == "OP" and self.tok[1] in self._PREC \
                and self._PREC[self.tok[1]] >= min_prec:
            op = self.next()
            right = self.lin(self._PREC[op[1]] + 1)
            left = self.combine(op, left, right)
        self.depth -= 1
        return left

    def unary(self) -> _Lin:
        if self.is_op("-"):
            self.next()
            c, k = self.unary()
            return {j: -v for j, v in c.items()}, -k
        if self.is_op("+"):
            self.next()
            return self.unary()
        t = self.tok
        if t[0] == "NUM":
            self.next()
            return {}, float(t[3])  # type: ignore[arg-type]
        if t[0] == "NAME":
            self.next()
            return {int(t[3]): 1.0}, 0.0  # type: ignore[call-overload]
        if self.is_op("("):
            self.next()
            inner = self.lin(0)
            if not self.is_op(")"):
                raise self.err("expected ')'")
            self.next()
            return inner
        raise self.err("expected a coefficient name or a number")

    def combine(self, op, a: _Lin, b: _Lin) -> _Lin:
        (ca, ka), (cb, kb) = a, b
        if op[1] in "+-":
            s = 1.0 if op[1] == "+" else -1.0
            c = dict(ca)
            for j, v in cb.items():
                c[j] = c.get(j, 0.0) + s * v
            return c, ka + s * kb
        if op[1] == "*":
            if ca and cb:
                raise self.err("a product of two coefficients is not linear", op)
            if ca:
                return {j: v * kb for j, v in ca.items()}, ka * kb
            return {j: v * ka for j, v in cb.items()}, ka * kb
        if cb:
            raise self.err("dividing by a coefficient is not linear", op)
        if kb == 0:
            raise self.err("division by zero", op)
        return {j: v / kb for j, v in ca.items()}, ka / kb




def _hint(word: str, names: list[str]) -> str:
    """'; did you mean 'x1'? (coefficients: ...)' from the choices (errors.did_you_mean's rule)."""
    msg = str(did_you_mean(word, names, "coefficient"))
    return msg[msg.index(repr(word)) + len(repr(word)):]


def parse_restriction(text: str, names: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """Parse linear restrictions on named coefficients into ``(R, q)`` with ``R θ = q``.

    Parameters
    ----------
    text : e.g. ``"x1 = x2"``, ``"x1 + 2*x2 = 3, x3 = 0"``, ``"C(g)[T.b] = 0"``
    names : the coefficient names, in the order of θ

    Returns
    -------
    R : (r, len(names)) array; q : (r,) array

    Raises
    ------
    FormulaError
        naming the offending token and its column: unknown names (with a hint),
        non-linear terms, any character outside the whitelist.

    Examples
    --------
    >>> from mlekit.grammar import parse_restriction
    >>> R, q = parse_restriction("x1 = x2, 2*x3 + 1 = 0", ["Intercept", "x1", "x2", "x3"])
    >>> R.tolist(), q.tolist()
    ([[0.0, 1.0, -1.0, 0.0], [0.0, 0.0, 0.0, 2.0]], [0.0, -1.0])
    """
    if not isinstance(text, str):
        raise FormulaError(f"a restriction must be a string; got {type(text).__name__}")
    if len(text) > MAX_LENGTH:
        raise FormulaError(f"the restriction is too long ({len(text)} characters; at most "
                           f"{MAX_LENGTH})")
    names = [str(n) for n in names]
    if len(set(names)) != len(names):
        raise FormulaError("the coefficient names are not unique")
    return _P(text, names).parse()
