r"""A safe parser for user-typed formulas (densities), built on a whitelist.

User text is a security boundary: SymPy's ``sympify``/``parse_expr`` call
``eval`` and must never see it. :func:`parse_formula` instead parses the text
with Python's :mod:`ast` (which only *parses*, it executes nothing), walks the
tree itself and builds the SymPy expression node by node. Allowed:

* numbers (int, float), the names declared by the caller (the variable ``x``
  and the parameters) and the constants ``pi`` and ``E``;
* ``+ - * / **`` and unary ``-``/``+``;
* calls of a fixed set of functions (:data:`FUNCTIONS`: ``exp``, ``log``,
  ``sqrt``, ``abs``, ``gamma``, ``lgamma``, ``erf`` …) with positional arguments.

Everything else — attribute access, subscripts, lambdas, comprehensions,
strings, comparisons, keyword arguments, unknown names — raises a
:class:`~mlekit.errors.FormulaError` naming the offending piece and its
column. Resource limits: at most 2000 characters, nesting depth 100, numeric
exponents up to 1000 in absolute value and literal powers up to 1000 digits;
``gamma``/``factorial``-type functions of a literal above 1000 are refused.
"""

from __future__ import annotations

import ast
import math
from collections.abc import Callable, Mapping
from typing import Any

from ..errors import FormulaError

__all__ = ["FUNCTIONS", "MAX_LENGTH", "parse_formula"]

MAX_LENGTH = 2000
MAX_DEPTH = 100
MAX_EXPONENT = 1000
MAX_DIGITS = 1000
_BIG_ARG = 1000  # literal arguments above this are refused for gamma, factorial, ...


def _f1(name: str) -> Callable[[Any], Callable]:
    def make(sp):
        return getattr(sp, name)

    return make


# name -> (builder(sympy) -> callable, allowed argument counts, grows factorially)
FUNCTIONS: dict[str, tuple[Callable[[Any], Callable], tuple[int, ...], bool]] = {
    "exp": (_f1("exp"), (1,), False),
    "log": (_f1("log"), (1,), False),
    "log1p": (lambda sp: (lambda a: sp.log(1 + a)), (1,), False),
    "expm1": (lambda sp: (lambda a: sp.exp(a) - 1), (1,), False),
    "sqrt": (_f1("sqrt"), (1,), False),
    "abs": (_f1("Abs"), (1,), False),
    "sign": (_f1("sign"), (1,), False),
    "gamma": (_f1("gamma"), (1,), True),
    "lgamma": (_f1("loggamma"), (1,), True),
    "loggamma": (_f1("loggamma"), (1,), True),
    "gammaln": (_f1("loggamma"), (1,), True),
    "digamma": (_f1("digamma"), (1,), False),
    "beta": (_f1("beta"), (2,), True),
    "factorial": (_f1("factorial"), (1,), True),
    "binomial": (_f1("binomial"), (2,), True),
    "erf": (_f1("erf"), (1,), False),
    "erfc": (_f1("erfc"), (1,), False),
    "sin": (_f1("sin"), (1,), False),
    "cos": (_f1("cos"), (1,), False),
    "tan": (_f1("tan"), (1,), False),
    "sinh": (_f1("sinh"), (1,), False),
    "cosh": (_f1("cosh"), (1,), False),
    "tanh": (_f1("tanh"), (1,), False),
    "atan": (_f1("atan"), (1,), False),
    "sigmoid": (lambda sp: (lambda a: 1 / (1 + sp.exp(-a))), (1,), False),
    "expit": (lambda sp: (lambda a: 1 / (1 + sp.exp(-a))), (1,), False),
    "heaviside": (lambda sp: (lambda a: sp.Heaviside(a, sp.Rational(1, 2))), (1,), False),
    "min": (_f1("Min"), (2, 3, 4), False),
    "max": (_f1("Max"), (2, 3, 4), False),
}
CONSTANTS = ("pi", "E")

_NODE_NAMES = {
    ast.Attribute: "attribute access is", ast.Subscript: "subscripts are",
    ast.Lambda: "lambdas are", ast.ListComp: "comprehensions are",
    ast.SetComp: "comprehensions are", ast.DictComp: "comprehensions are",
    ast.GeneratorExp: "generator expressions are", ast.List: "lists are",
    ast.Tuple: "tuples are", ast.Dict: "dicts are", ast.Set: "sets are",
    ast.Compare: "comparisons are", ast.BoolOp: "and/or are", ast.IfExp: "if-expressions are",
    ast.NamedExpr: "assignments (:=) are", ast.Starred: "star-arguments are",
    ast.JoinedStr: "strings are", ast.FormattedValue: "strings are", ast.Await: "await is",
    ast.Yield: "yield is", ast.YieldFrom: "yield is", ast.Slice: "slices are",
}


def _where(node: ast.AST, text: str) -> str:
    col = getattr(node, "col_offset", None)
    seg = ast.get_source_segment(text, node) or ""
    if len(seg) > 40:
        seg = seg[:37] + "..."
    loc = f" at column {col + 1}" if col is not None else ""
    return f"{seg!r}{loc}" if seg else loc.strip()


def _depth(tree: ast.AST) -> int:
    best, stack = 0, [(tree, 1)]
    while stack:
        node, d = stack.pop()
        best = max(best, d)
        if best > MAX_DEPTH:
            return best
        stack.extend((c, d + 1) for c in ast.iter_child_nodes(node))
    return best


def parse_formula(text: str, names: Mapping[str, Any], what: str = "formula") -> Any:
    """Parse ``text`` into a SymPy expression using only the whitelist above.

    Parameters
    ----------
    text : the formula, e.g. ``"exp(-abs(x - mu)/b) / (2*b)"``
    names : allowed names -> SymPy symbols (the variable and the parameters)
    what : what the formula is, for error messages

    Raises
    ------
    FormulaError
        naming the offending piece and its column, for anything not whitelisted.
    """
    if not isinstance(text, str):
        raise FormulaError(f"{what} must be a string; got {type(text).__name__}")
    if len(text) > MAX_LENGTH:
        raise FormulaError(f"{what} is too long ({len(text)} characters; at most {MAX_LENGTH})")
    src = text.strip()
    if not src:
        raise FormulaError(f"{what} is empty")
    try:
        tree = ast.parse(src, mode="eval")
    except SyntaxError as exc:
        col = f" at column {exc.offset}" if exc.offset else ""
        raise FormulaError(f"cannot parse {what} {src!r}: {exc.msg}{col}") from None
    except (RecursionError, MemoryError, ValueError):
        raise FormulaError(f"cannot parse {what}: it is nested too deeply") from None
    if _depth(tree) > MAX_DEPTH:
        raise FormulaError(f"{what} is nested too deeply (more than {MAX_DEPTH} levels)")
    for bad in names:
        if bad in FUNCTIONS or bad in CONSTANTS:
            raise FormulaError(f"the name {bad!r} is reserved (a function or constant)")
    import sympy as sp

    return _Builder(sp, dict(names), src, what).build(tree.body)


class _Builder:
    def __init__(self, sp: Any, names: dict[str, Any], text: str, what: str):
        self.sp, self.names, self.text, self.what = sp, names, text, what

    def fail(self, node: ast.AST, msg: str) -> FormulaError:
        return FormulaError(f"{self.what}: {msg}: {_where(node, self.text)}")

    def build(self, node: ast.AST) -> Any:
        sp = self.sp
        if isinstance(node, ast.Constant):
            v = node.value
            if isinstance(v, bool) or not isinstance(v, (int, float)):
                kind = "strings" if isinstance(v, (str, bytes)) else f"{type(v).__name__} values"
                raise self.fail(node, f"{kind} are not allowed")
            if isinstance(v, int):
                if v.bit_length() > MAX_DIGITS * 3.33:
                    raise self.fail(node, "number too large")
                return sp.Integer(v)
            if not math.isfinite(v):
                raise self.fail(node, "numbers must be finite")
            return sp.Float(v) if v != int(v) or abs(v) > 1e15 else sp.Integer(int(v))
        if isinstance(node, ast.Name):
            if node.id in self.names:
                return self.names[node.id]
            if node.id == "pi":
                return sp.pi
            if node.id == "E":
                return sp.E
            if node.id in FUNCTIONS:
                raise self.fail(node, f"function {node.id!r} must be called with arguments")
            allowed = ", ".join([*self.names, *CONSTANTS])
            raise self.fail(node, f"unknown name {node.id!r} (allowed names: {allowed})")
        if isinstance(node, ast.UnaryOp):
            if isinstance(node.op, ast.USub):
                return -self.build(node.operand)
            if isinstance(node.op, ast.UAdd):
                return self.build(node.operand)
            raise self.fail(node, f"operator {type(node.op).__name__} is not allowed")
        if isinstance(node, ast.BinOp):
            op = node.op
            if isinstance(op, ast.BitXor):
                raise self.fail(node, "'^' is not a power here; write x**2")
            if not isinstance(op, (ast.Add, ast.Sub, ast.Mult, ast.Div, ast.Pow)):
                raise self.fail(node, f"operator {type(op).__name__} is not allowed "
                                      "(only + - * / **)")
            left, right = self.build(node.left), self.build(node.right)
            if isinstance(op, ast.Add):
                return left + right
            if isinstance(op, ast.Sub):
                return left - right
            if isinstance(op, ast.Mult):
                return left * right
            if isinstance(op, ast.Div):
                if right == 0:
                    raise self.fail(node, "division by zero")
                return left / right
            return self.power(node, left, right)
        if isinstance(node, ast.Call):
            return self.call(node)
        kind = _NODE_NAMES.get(type(node), f"the construct {type(node).__name__} is")
        raise self.fail(node, f"{kind} not allowed")

    def power(self, node: ast.AST, base: Any, exp: Any) -> Any:
        sp = self.sp
        if exp.is_Number:
            if abs(float(exp)) > MAX_EXPONENT:
                raise self.fail(node, f"exponent {exp} is too large (|exponent| <= "
                                      f"{MAX_EXPONENT})")
            if base.is_Number and base != 0:
                digits = abs(float(exp)) * math.log10(max(abs(float(base)), 1e-300))
                if abs(digits) > MAX_DIGITS:
                    raise self.fail(node, "the power is too large a number")
        return sp.Pow(base, exp)

    def call(self, node: ast.Call) -> Any:
        f = node.func
        if not isinstance(f, ast.Name):
            what = "attribute access" if isinstance(f, ast.Attribute) else "this call"
            raise self.fail(node, f"{what} is not allowed (only calls of "
                                  f"{', '.join(sorted(FUNCTIONS))})")
        if f.id not in FUNCTIONS:
            raise self.fail(node, f"function {f.id!r} is not allowed (allowed: "
                                  f"{', '.join(sorted(FUNCTIONS))})")
        if node.keywords:
            raise self.fail(node, "keyword arguments are not allowed")
        builder, nargs, factorial_like = FUNCTIONS[f.id]
        if any(isinstance(a, ast.Starred) for a in node.args):
            raise self.fail(node, "star-arguments are not allowed")
        if len(node.args) not in nargs:
            want = " or ".join(map(str, nargs))
            raise self.fail(node, f"{f.id}() takes {want} argument(s), got {len(node.args)}")
        args = [self.build(a) for a in node.args]
        if factorial_like:
            for a in args:
                if a.is_Number and abs(float(a)) > _BIG_ARG:
                    raise self.fail(node, f"{f.id}() of a number above {_BIG_ARG} is refused")
        return builder(self.sp)(*args)
