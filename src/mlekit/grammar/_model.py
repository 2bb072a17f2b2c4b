r"""A whitelist parser for model formulas (``"y ~ x1 + C(g) + I(x1 ** 2)"``); never ``eval``.

formulaic and patsy evaluate Python inside formula terms, so a formula such as
``y ~ I(__import__('os').system('id'))`` runs a shell command there. This module
reads the text with its own tokenizer and two small precedence-climbing parsers
(the formula layer and the arithmetic inside terms), and builds an immutable
description of the model in which nothing is ever evaluated as Python.

Allowed, and nothing else:

* column names: identifiers (ASCII) or backtick-quoted names (```my col```);
* numbers; ``1`` / ``0`` / ``-1`` / ``+ 0`` for the intercept;
* the formula operators, from lowest to highest precedence (as patsy and formulaic):
  ``~``; ``+ -``; ``* /``; ``:``; ``**`` with an integer power; parentheses.
  ``a * b = a + b + a:b``; ``a / b = a + a:b``; ``(a + b) ** 2 = a + b + a:b``;
  ``|`` is recognised and refused (multi-part formulas are not supported);
* ``C(column)`` with an optional reference level: ``C(g, ref="a")``, ``C(g, ref=2)``,
  ``C(g, Treatment("a"))``, ``C(g, Treatment(reference="a"))``;
* ``I(expr)`` where ``expr`` is arithmetic (``+ - * / **``, unary ``-``) on columns,
  numbers and the functions below;
* the functions :data:`FUNCTIONS` (``log``, ``log1p``, ``exp``, ``sqrt``, ``abs``,
  ``log2``, ``log10``) of such arithmetic, and the stateful transforms
  :data:`TRANSFORMS` (``center(x)``, ``scale(x)``/``standardize(x)``,
  ``poly(x, degree)``) as whole factors, whose extra arguments are numeric literals.

Everything else (attribute access such as ``np.log``, calls outside the set,
subscripts, strings other than a reference level, keyword arguments other than
``ref=``/``reference=``/``degree=``, ``{...}`` blocks, lambdas, comparisons …)
raises :class:`~mlekit.errors.FormulaError` naming the token and its column.
Limits: at most 2000 characters, nesting depth 100, integer powers up to 10 in
the formula layer and exponents up to 1000 in arithmetic.

The result, :class:`ModelFormula`, holds the response factor, the terms (tuples
of :class:`Factor`), the intercept flag and a canonical display text for each
factor; :mod:`mlekit.regression._formula` evaluates it with NumPy.
"""

from __future__ import annotations

import keyword
import math
from dataclasses import dataclass

from ..errors import FormulaError

__all__ = ["FUNCTIONS", "MAX_LENGTH", "TRANSFORMS", "Expr", "Factor", "ModelFormula",
           "parse_model_formula"]

MAX_LENGTH = 2000
MAX_DEPTH = 100
MAX_TERM_POWER = 10
MAX_EXPONENT = 1000
MAX_DEGREE = 20

#: element-wise functions allowed inside a factor (name -> NumPy function name)
FUNCTIONS: dict[str, str] = {
    "log": "log", "log1p": "log1p", "log2": "log2", "log10": "log10", "exp": "exp",
    "sqrt": "sqrt", "abs": "abs",
}
#: stateful transforms, allowed as a whole factor (state learned when fitting)
TRANSFORMS = ("center", "scale", "standardize", "poly")


# ---------------------------------------------------------------------------- tokens
@dataclass(frozen=True)
class Token:
    kind: str   # NAME, QNAME (backticks), NUMBER, STRING, OP, END
    text: str   # the name / literal text / operator
    col: int    # 1-based column in the formula
    value: object = None


_BAD = {
    "{": "Python blocks '{...}' are not allowed",
    "}": "Python blocks '{...}' are not allowed",
    ".": "attribute access ('.') is not allowed; call log, exp, sqrt ... directly",
    "[": "subscripts ('[...]') are not allowed",
    "^": "'^' is not allowed; write (a + b) ** 2 or I(x ** 2)",
    "<": "comparisons are not allowed", ">": "comparisons are not allowed",
    "!": "comparisons are not allowed", "@": "'@' is not allowed",
    "%": "'%' is not allowed (only + - * / **)", "&": "'&' is not allowed",
    ";": "';' is not allowed", "\\": "'\\' is not allowed",
}
_OPS = ("**", "~", "+", "-", "*", "/", ":", "(", ")", ",", "=", "|")



def number_end(text: str, i: int) -> int:
    """The end of the decimal literal starting at ``text[i]`` (digits, an optional
    fraction, an optional exponent): the number grammar shared by the formula and
    restriction parsers."""
    j, n = i, len(text)
    while j < n and text[j].isdigit():
        j += 1
    if j < n and text[j] == ".":
        j += 1
        while j < n and text[j].isdigit():
            j += 1
    if j < n and text[j] in "eE":
        k = j + 1
        if k < n and text[k] in "+-":
            k += 1
        if k < n and text[k].isdigit():
            j = k
            while j < n and text[j].isdigit():
                j += 1
    return j

def _fail(msg: str, text: str, col: int, token: str | None = None) -> FormulaError:
    what = "" if token is None else f": {token!r}"
    return FormulaError(f"formula {_short(text)}: {msg}{what} at column {col}")


def _short(text: str) -> str:
    return repr(text if len(text) <= 60 else text[:57] + "...")


def _tokenize(text: str) -> list[Token]:
    """Split ``text`` into tokens; anything outside the alphabet is refused by name."""
    toks: list[Token] = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        col = i + 1
        if ch in " \t\r\n":
            i += 1
            continue
        if ch == "`":
            j = text.find("`", i + 1)
            if j < 0:
                raise _fail("unterminated backtick-quoted name", text, col, text[i:i + 20])
            name = text[i + 1:j]
            if not name.strip():
                raise _fail("empty backtick-quoted name", text, col, text[i:j + 1])
            toks.append(Token("QNAME", name, col))
            i = j + 1
            continue
        if ch.isascii() and (ch.isalpha() or ch == "_"):
            j = i + 1
            while j < n and text[j].isascii() and (text[j].isalnum() or text[j] == "_"):
                j += 1
            if j < n and not text[j].isascii() and text[j].isalnum():
                raise _fail(f"non-ASCII character {text[j]!r} in a name (quote such column "
                            "names with backticks, e.g. `größe`)", text, j + 1, text[j])
            toks.append(Token("NAME", text[i:j], col))
            i = j
            continue
        if ch.isdigit() or (ch == "." and i + 1 < n and text[i + 1].isdigit()):
            j = number_end(text, i)
            if j < n and (text[j].isalpha() or text[j] == "_" or text[j] == "."):
                raise _fail("malformed number", text, col, text[i:j + 1])
            lit = text[i:j]
            if len(lit) > 40:
                raise _fail("number with too many digits", text, col, lit[:20])
            val: float | int = int(lit) if lit.isdigit() else float(lit)
            if isinstance(val, float) and not math.isfinite(val):
                raise _fail("number is not finite", text, col, lit)
            toks.append(Token("NUMBER", lit, col, val))
            i = j
            continue
        if ch in "'\"":
            j = text.find(ch, i + 1)
            if j < 0:
                raise _fail("unterminated string", text, col, text[i:i + 20])
            body = text[i + 1:j]
            if "\\" in body:
                raise _fail("escape sequences are not allowed in strings", text, col,
                            text[i:j + 1])
            toks.append(Token("STRING", text[i:j + 1], col, body))
            i = j + 1
            continue
        for op in _OPS:
            if text.startswith(op, i):
                toks.append(Token("OP", op, col))
                i += len(op)
                break
        else:
            # not in the alphabet: a BAD token, refused by the parser where it is met (so
            # the first offending piece in reading order is the one named)
            why = _BAD.get(ch, f"character {ch!r} is not allowed")
            if not ch.isascii():
                why = (f"non-ASCII character {ch!r} (U+{ord(ch):04X}) is not allowed outside "
                       "backticks (quote such column names: `größe`)")
            toks.append(Token("BAD", ch, col, why))
            i += 1
    toks.append(Token("END", "", n + 1))
    return toks


# ---------------------------------------------------------------------------- trees
@dataclass(frozen=True)
class Expr:
    """A whitelisted arithmetic tree: ``op`` is 'col', 'num', 'neg', '+', '-', '*', '/',
    '**' or 'call'; ``args`` are sub-trees; ``name`` the column or function name."""

    op: str
    args: tuple[Expr, ...] = ()
    name: str = ""
    value: float = 0.0

    def columns(self) -> tuple[str, ...]:
        """The data columns this tree reads, in order of appearance."""
        if self.op == "col":
            return (self.name,)
        out: list[str] = []
        for a in self.args:
            out += [c for c in a.columns() if c not in out]
        return tuple(out)

    def text(self, prec: int = 0) -> str:
        """Canonical display (spaces around binary operators, backticks where needed)."""
        if self.op == "col":
            return _qname(self.name)
        if self.op == "num":
            v = self.value
            return str(int(v)) if float(v).is_integer() and abs(v) < 1e15 else repr(float(v))
        if self.op == "call":
            return f"{self.name}({', '.join(a.text() for a in self.args)})"
        if self.op == "neg":
            s = "-" + self.args[0].text(4)
            return f"({s})" if prec > 3 else s
        p = {"+": 1, "-": 1, "*": 2, "/": 2, "**": 5}[self.op]
        if self.op == "**":
            s = f"{self.args[0].text(6)} ** {self.args[1].text(4)}"
        else:
            s = f"{self.args[0].text(p)} {self.op} {self.args[1].text(p + 1)}"
        return f"({s})" if prec > p else s


def _qname(name: str) -> str:
    ok = name.isascii() and name.isidentifier()
    return name if ok else f"`{name}`"


@dataclass(frozen=True)
class Factor:
    """One factor of a term.

    kind: ``'column'`` (a bare column; categorical when it holds text, bool or
    category data), ``'value'`` (arithmetic or a function of columns),
    ``'categorical'`` (``C(...)``) or ``'transform'`` (``center``/``scale``/
    ``standardize``/``poly``, whose state is learned at fit).
    ``display`` is the canonical text used in coefficient names.
    """

    kind: str
    expr: Expr
    display: str
    ref: str | int | float | None = None
    transform: str = ""
    degree: int = 0

    def columns(self) -> tuple[str, ...]:
        return self.expr.columns()


Term = tuple[Factor, ...]


@dataclass(frozen=True)
class ModelFormula:
    """A parsed model formula: nothing in it is ever evaluated as Python."""

    text: str
    response: Factor | None
    terms: tuple[Term, ...]
    intercept: bool

    def columns(self) -> tuple[str, ...]:
        """Every data column the formula reads (response first)."""
        out: list[str] = []
        facs = ([self.response] if self.response else []) + [f for t in self.terms for f in t]
        for f in facs:
            out += [c for c in f.columns() if c not in out]
        return tuple(out)

    def rhs_columns(self) -> tuple[str, ...]:
        """The data columns the right-hand side reads (what prediction needs)."""
        out: list[str] = []
        for f in (f for t in self.terms for f in t):
            out += [c for c in f.columns() if c not in out]
        return tuple(out)

    def term_names(self) -> list[str]:
        return ["Intercept"] * self.intercept + [":".join(f.display for f in t)
                                                 for t in self.terms]


# ---------------------------------------------------------------------------- term algebra
@dataclass(frozen=True)
class _Terms:
    terms: tuple[Term, ...] = ()
    intercept: bool = False      # an explicit 1
    no_intercept: bool = False   # an explicit 0 / -1


def _key(term: Term) -> frozenset[str]:
    return frozenset(f.display for f in term)


def _union(a: tuple[Term, ...], b: tuple[Term, ...]) -> tuple[Term, ...]:
    out = list(a)
    keys = {_key(t) for t in a}
    for t in b:
        if _key(t) not in keys:
            out.append(t)
            keys.add(_key(t))
    return tuple(out)


def _merge(t1: Term, t2: Term) -> Term:
    seen = {f.display for f in t1}
    return t1 + tuple(f for f in t2 if f.display not in seen)


def _interact(a: tuple[Term, ...], b: tuple[Term, ...]) -> tuple[Term, ...]:
    return _union((), tuple(_merge(x, y) for x in a for y in b))


# ---------------------------------------------------------------------------- parser
class _Parser:
    def __init__(self, text: str, toks: list[Token]):
        self.text, self.toks, self.i, self.depth = text, toks, 0, 0

    # -- helpers
    @property
    def tok(self) -> Token:
        return self.toks[self.i]

    def next(self) -> Token:
        t = self.toks[self.i]
        self.i += 1
        return t

    def fail(self, msg: str, tok: Token | None = None) -> FormulaError:
        tok = tok or self.tok
        if tok.kind == "BAD":
            msg = str(tok.value)
        if tok.kind == "END":
            return _fail(f"{msg}: end of formula", self.text, tok.col)
        return _fail(msg, self.text, tok.col, tok.text)

    def expect(self, op: str) -> Token:
        if not (self.tok.kind == "OP" and self.tok.text == op):
            raise self.fail(f"expected {op!r}")
        return self.next()

    def is_op(self, *ops: str) -> bool:
        return self.tok.kind == "OP" and self.tok.text in ops

    def enter(self) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise _fail(f"nested too deeply (more than {MAX_DEPTH} levels)", self.text,
                        self.tok.col)

    # -- formula layer
    _BIN = {"+": 1, "-": 1, "*": 2, "/": 2, ":": 3, "**": 4}

    def formula(self) -> ModelFormula:
        if self.is_op("~"):
            raise self.fail("the formula has no response; write 'y ~ x'")
        lhs = self.fexpr(0)
        if not self.is_op("~"):
            if self.is_op("|"):
                raise self.fail("multi-part formulas are not supported")
            raise self.fail("a formula needs '~' (e.g. 'y ~ x1 + x2'); found instead")
        tilde = self.next()
        if self.is_op("~"):
            raise self.fail("a formula has exactly one '~'")
        rhs = self.fexpr(0)
        if self.tok.kind != "END":
            if self.is_op("|"):
                raise self.fail("multi-part formulas are not supported")
            if self.is_op("~"):
                raise self.fail("a formula has exactly one '~'")
            raise self.fail("unexpected token")
        if lhs.intercept or lhs.no_intercept or len(lhs.terms) != 1 or len(lhs.terms[0]) != 1:
            raise _fail("the left-hand side must be one response column or expression "
                        "(multi-column responses are not supported)", self.text, 1)
        response = lhs.terms[0][0]
        if response.kind not in ("value", "column"):
            raise _fail(f"the response {response.display!r} must be a column or arithmetic, "
                        "not C()/poly()/center()", self.text, 1)
        full = self.plus(_Terms((), intercept=True), rhs, tilde)
        terms = tuple(sorted(full.terms, key=len))
        if any(len(t) == 0 for t in terms):  # pragma: no cover - intercept never a term
            terms = tuple(t for t in terms if t)
        return ModelFormula(self.text, response, terms, full.intercept and not full.no_intercept)

    def plus(self, a: _Terms, b: _Terms, tok: Token) -> _Terms:
        if b.intercept:
            return _Terms(_union(a.terms, b.terms), True, False)
        if b.no_intercept:
            return _Terms(_union(a.terms, b.terms), False, True)
        return _Terms(_union(a.terms, b.terms), a.intercept, a.no_intercept)

    def minus(self, a: _Terms, b: _Terms, tok: Token) -> _Terms:
        drop = {_key(t) for t in b.terms}
        terms = tuple(t for t in a.terms if _key(t) not in drop)
        if b.intercept:
            return _Terms(terms, False, True)
        if b.no_intercept:
            return _Terms(terms, True, False)
        return _Terms(terms, a.intercept, a.no_intercept)

    def no_numbers(self, a: _Terms, tok: Token) -> None:
        if a.intercept or a.no_intercept:
            raise self.fail("0 or 1 cannot be combined with", tok)

    def fexpr(self, min_prec: int) -> _Terms:
        self.enter()
        left = self.fatom()
        while self.tok.kind == "OP" and self.tok.text in self._BIN \
                and self._BIN[self.tok.text] >= min_prec:
            op = self.next()
            prec = self._BIN[op.text]
            if op.text == "**":
                p = self.tok
                if p.kind != "NUMBER" or not isinstance(p.value, int):
                    raise self.fail("the power of a term list must be a positive integer")
                self.next()
                if not 1 <= p.value <= MAX_TERM_POWER:
                    raise self.fail(f"the power must be between 1 and {MAX_TERM_POWER}", p)
                self.no_numbers(left, op)
                acc = left.terms
                for _ in range(p.value - 1):
                    acc = _union(_union(acc, left.terms), _interact(acc, left.terms))
                left = _Terms(acc)
                continue
            right = self.fexpr(prec + 1)
            if op.text == "+":
                left = self.plus(left, right, op)
            elif op.text == "-":
                left = self.minus(left, right, op)
            else:
                self.no_numbers(left, op)
                self.no_numbers(right, op)
                if op.text == ":":
                    left = _Terms(_interact(left.terms, right.terms))
                elif op.text == "*":
                    left = _Terms(_union(_union(left.terms, right.terms),
                                         _interact(left.terms, right.terms)))
                else:  # a / b = a + (all factors of a):b
                    allf: Term = ()
                    for t in left.terms:
                        allf = _merge(allf, t)
                    left = _Terms(_union(left.terms, _interact((allf,), right.terms)))
        self.depth -= 1
        return left

    def fatom(self) -> _Terms:
        t = self.tok
        if t.kind == "OP" and t.text == "(":
            self.next()
            inner = self.fexpr(0)
            self.expect(")")
            return inner
        if t.kind == "OP" and t.text == "-":
            self.next()
            n = self.tok
            if n.kind == "NUMBER" and n.value in (0, 1):
                self.next()
                return _Terms((), intercept=n.value == 0, no_intercept=n.value == 1)
            raise self.fail("unary minus in a formula applies only to 0 or 1 (write "
                            "I(-x) for a negated column); found", n)
        if t.kind == "OP" and t.text == "+":
            self.next()
            return self.fatom()
        if t.kind == "NUMBER":
            self.next()
            if t.value in (0, 1):
                return _Terms((), intercept=t.value == 1, no_intercept=t.value == 0)
            raise self.fail("a number in a formula can only be 0 or 1 (the intercept); "
                            "put arithmetic inside I(...)", t)
        if t.kind == "QNAME":
            self.next()
            return _Terms(((self.value_factor(Expr("col", name=t.text)),),))
        if t.kind == "NAME":
            if self.toks[self.i + 1].kind == "OP" and self.toks[self.i + 1].text == "(":
                return _Terms(((self.call_factor(),),))
            self.next()
            self.check_name(t)
            return _Terms(((self.value_factor(Expr("col", name=t.text)),),))
        if t.kind == "STRING":
            raise self.fail("strings are only allowed as a C() reference level")
        if t.kind == "END":
            raise self.fail("the formula ends too early; expected a term")
        raise self.fail("expected a term, found")

    def check_name(self, t: Token) -> None:
        if keyword.iskeyword(t.text):
            raise self.fail("Python keywords are not allowed (quote a column of that name "
                            "with backticks)", t)
        if t.text.startswith("__"):
            raise self.fail("dunder names are not allowed", t)
        if t.text in FUNCTIONS or t.text in TRANSFORMS or t.text in ("C", "I"):
            raise self.fail(f"{t.text!r} is a function; call it with an argument, or quote a "
                            "column of that name with backticks", t)

    @staticmethod
    def value_factor(e: Expr) -> Factor:
        return Factor("column", e, e.text())

    # -- calls at the formula layer: C(), I(), functions, transforms
    def call_factor(self) -> Factor:
        name = self.next()
        fn = name.text
        if fn not in ("C", "I") and fn not in FUNCTIONS and fn not in TRANSFORMS:
            allowed = ", ".join(["C", "I", *FUNCTIONS, *TRANSFORMS])
            raise self.fail(f"function not allowed (allowed: {allowed})", name)
        self.expect("(")
        self.enter()
        if fn == "I":
            e = self.aexpr(0)
            self.close(name)
            self.depth -= 1
            return Factor("value", e, f"I({e.text()})")
        if fn == "C":
            return self.c_factor(name)
        if fn in FUNCTIONS:
            e = self.aexpr(0)
            self.close(name)
            self.depth -= 1
            call = Expr("call", (e,), name=fn)
            return Factor("value", call, call.text())
        # stateful transforms
        e = self.aexpr(0)
        degree = 0
        if fn == "poly":
            if not self.is_op(","):
                raise self.fail("poly() needs a degree, e.g. poly(x, 3)")
            self.next()
            if self.tok.kind == "NAME" and self.toks[self.i + 1].text == "=":
                kw = self.next()
                if kw.text != "degree":
                    raise self.fail("poly() accepts only the keyword 'degree'", kw)
                self.next()
            d = self.tok
            if d.kind != "NUMBER" or not isinstance(d.value, int):
                raise self.fail("the degree of poly() must be an integer literal")
            self.next()
            if not 1 <= d.value <= MAX_DEGREE:
                raise self.fail(f"the degree of poly() must be between 1 and {MAX_DEGREE}", d)
            degree = int(d.value)
        self.close(name)
        self.depth -= 1
        disp = f"{fn}({e.text()}, {degree})" if fn == "poly" else f"{fn}({e.text()})"
        return Factor("transform", e, disp, transform=fn, degree=degree)

    def close(self, name: Token) -> None:
        if self.is_op(","):
            raise self.fail(f"{name.text}() takes one argument; extra argument")
        if self.tok.kind == "END":
            raise self.fail(f"unclosed '(' of {name.text}() at column {name.col}")
        self.expect(")")

    def c_factor(self, name: Token) -> Factor:
        col = self.tok
        if col.kind == "QNAME":
            self.next()
        elif col.kind == "NAME" and not (self.toks[self.i + 1].kind == "OP"
                                         and self.toks[self.i + 1].text == "("):
            self.next()
            self.check_name(col)
        else:
            raise self.fail("C() takes a column name", col)
        ref = None
        if self.is_op(","):
            self.next()
            t = self.tok
            if t.kind == "NAME" and t.text in ("ref", "reference") and \
                    self.toks[self.i + 1].text == "=":
                self.next()
                self.next()
                ref = self.literal()
            elif t.kind == "NAME" and t.text == "Treatment" and \
                    self.toks[self.i + 1].text == "(":
                self.next()
                self.expect("(")
                if self.tok.kind == "NAME" and self.tok.text == "reference" and \
                        self.toks[self.i + 1].text == "=":
                    self.next()
                    self.next()
                ref = self.literal()
                self.expect(")")
            else:
                raise self.fail("C() accepts only a reference level: C(g, ref='a') or "
                                "C(g, Treatment('a')); found", t)
        self.close(name)
        self.depth -= 1
        disp = f"C({_qname(col.text)})" if ref is None else \
            f"C({_qname(col.text)}, ref={ref!r})"
        return Factor("categorical", Expr("col", name=col.text), disp, ref=ref)

    def literal(self) -> str | int | float:
        t = self.tok
        neg = False
        if t.kind == "OP" and t.text == "-":
            neg = True
            self.next()
            t = self.tok
        if t.kind == "STRING" and not neg:
            self.next()
            return str(t.value)
        if t.kind == "NUMBER":
            self.next()
            return -t.value if neg else t.value  # type: ignore[operator, return-value]
        raise self.fail("a reference level must be a quoted string or a number", t)

    # -- arithmetic inside I() and functions
    _ABIN = {"+": 1, "-": 1, "*": 2, "/": 2}

    def aexpr(self, min_prec: int) -> Expr:
        self.enter()
        left = self.aunary()
        while self.tok.kind == "OP" and self.tok.text in self._ABIN \
                and self._ABIN[self.tok.text] >= min_prec:
            op = self.next()
            right = self.aexpr(self._ABIN[op.text] + 1)
            left = Expr(op.text, (left, right))
        if min_prec == 0 and ((self.tok.kind == "OP" and self.tok.text not in (")", ","))
                              or self.tok.kind not in ("OP", "END")):
            raise self.fail("operator or token not allowed in arithmetic (only + - * / ** "
                            "and parentheses)")
        self.depth -= 1
        return left

    def aunary(self) -> Expr:
        if self.is_op("-"):
            self.next()
            self.enter()
            e = Expr("neg", (self.aunary(),))
            self.depth -= 1
            return e
        if self.is_op("+"):
            self.next()
            return self.aunary()
        return self.apower()

    def apower(self) -> Expr:
        base = self.aatom()
        if self.is_op("**"):
            op = self.next()
            self.enter()
            exp = self.aunary()  # right-associative, binds tighter than unary minus on left
            self.depth -= 1
            if exp.op == "num" and abs(exp.value) > MAX_EXPONENT:
                raise self.fail(f"the exponent is too large (|exponent| <= {MAX_EXPONENT})",
                                op)
            return Expr("**", (base, exp))
        return base

    def aatom(self) -> Expr:
        t = self.tok
        if t.kind == "NUMBER":
            self.next()
            return Expr("num", value=float(t.value))  # type: ignore[arg-type]
        if t.kind == "QNAME":
            self.next()
            return Expr("col", name=t.text)
        if t.kind == "OP" and t.text == "(":
            self.next()
            e = self.aexpr(0)
            self.expect(")")
            return e
        if t.kind == "NAME":
            nxt = self.toks[self.i + 1]
            if nxt.kind == "OP" and nxt.text == "(":
                if t.text not in FUNCTIONS:
                    where = "inside an expression" if t.text in TRANSFORMS + ("C", "I") \
                        else ""
                    allowed = ", ".join(FUNCTIONS)
                    raise self.fail(f"function not allowed {where}(allowed here: {allowed})"
                                    .replace("  ", " "), t)
                self.next()
                self.next()
                self.enter()
                arg = self.aexpr(0)
                self.close(t)
                self.depth -= 1
                return Expr("call", (arg,), name=t.text)
            self.next()
            self.check_name(t)
            return Expr("col", name=t.text)
        if t.kind == "STRING":
            raise self.fail("strings are not allowed in arithmetic")
        if t.kind == "END":
            raise self.fail("the expression ends too early")
        raise self.fail("token not allowed in arithmetic")


def parse_model_formula(text: str) -> ModelFormula:
    """Parse a model formula with the whitelist grammar of this module.

    Parameters
    ----------
    text : e.g. ``"y ~ x1 * C(g, ref='b') + I(x2 ** 2) + log(x3)"``

    Returns
    -------
    ModelFormula
        response factor, terms (tuples of factors, sorted by degree, duplicates
        removed), intercept flag; nothing in it is Python to evaluate.

    Raises
    ------
    FormulaError
        naming the offending token and its column for anything not whitelisted.

    Examples
    --------
    >>> from mlekit.grammar import parse_model_formula
    >>> f = parse_model_formula("y ~ (a + b) ** 2 - 1")
    >>> f.term_names(), f.intercept
    (['a', 'b', 'a:b'], False)
    >>> parse_model_formula("y ~ x + I(__import__('os'))")
    Traceback (most recent call last):
        ...
    mlekit.errors.FormulaError: formula "y ~ x + I(__import__('os'))": function not allowed ...
    """
    if not isinstance(text, str):
        raise FormulaError(f"a formula must be a string; got {type(text).__name__}")
    if len(text) > MAX_LENGTH:
        raise FormulaError(f"the formula is too long ({len(text)} characters; at most "
                           f"{MAX_LENGTH})")
    if not text.strip():
        raise FormulaError("the formula is empty; write e.g. 'y ~ x1 + x2'")
    toks = _tokenize(text)
    return _Parser(text, toks).formula()
