r"""Compile a SymPy log-density into a torch function (the generic fallback).

SymPy 1.14 ships a torch printer for :func:`sympy.lambdify`, but it prints
constants as Python floats fed to ``torch.log`` (a ``TypeError``), ``Min`` as
``torch.min(1, x)``, and has no ``gamma``, ``beta``, ``binomial``,
``factorial``, ``erfc`` or ``polygamma(n > 0)``. So mlekit walks the expression
tree once and builds a closure of torch operations instead:

* constant sub-expressions are folded to floats at compile time;
* logarithms are rewritten into sums of logs before evaluation
  (``log Γ(a) → lgamma(a)``, ``log B(a, b) → lgamma(a) + lgamma(b) − lgamma(a+b)``,
  ``log(1 + u) → log1p(u)``, ``log(1 + e^a) → softplus(a)``, ``log e^a → a``,
  quotients are put over a common denominator first), so a density stated as a
  product never under- or overflows and link-space substitutions such as
  ``p = 1/(1 + e^{−η})`` stay exact for ``η = ±1000``;
* the log of a sum of positive terms (a mixture's :math:`\sum_j w_j f_j`) is the
  ``logsumexp`` of the terms' own logs, so it stays finite where every term underflows;
* ``Piecewise`` becomes nested ``torch.where`` (a zero-inflated or hurdle density's
  cases).

Anything else raises :class:`~mlekit.errors.NotImplementedForFamily` naming the
unsupported SymPy function.
"""

from __future__ import annotations

import functools
import math
import operator
from collections.abc import Callable
from typing import Any

import torch
import torch.nn.functional as F

from ..errors import NotImplementedForFamily

__all__ = ["compile_sympy"]

_Env = dict[Any, torch.Tensor]
_Node = Callable[[_Env], Any]


def _sp():
    import sympy

    return sympy


def _log_terms(arg):
    """Rewrite log(arg) as a SymPy sum of numerically safe pieces (see module docstring)."""
    sp = _sp()
    from sympy.codegen.cfunctions import log1p

    if arg.is_number:
        return sp.log(arg)
    if isinstance(arg, sp.exp):
        return arg.args[0]
    if arg.is_Mul:
        return sp.Add(*[_log_terms(f) for f in arg.args])
    if arg.is_Pow:
        return arg.exp * _log_terms(arg.base)
    if isinstance(arg, sp.gamma):
        return sp.loggamma(arg.args[0])
    if isinstance(arg, sp.factorial):
        return sp.loggamma(arg.args[0] + 1)
    if isinstance(arg, sp.beta):
        a, b = arg.args[0], arg.args[-1] if len(arg.args) > 1 else arg.args[0]
        return sp.loggamma(a) + sp.loggamma(b) - sp.loggamma(a + b)
    if isinstance(arg, sp.binomial):
        n, k = arg.args
        return sp.loggamma(n + 1) - sp.loggamma(k + 1) - sp.loggamma(n - k + 1)
    if arg.is_Add:
        together = sp.together(arg)
        if together != arg and (together.is_Mul or together.is_Pow):
            return _log_terms(together)
        const, rest = arg.as_independent(*arg.free_symbols, as_Add=True)
        if const == 1:
            if isinstance(rest, sp.exp):
                return _Softplus(rest.args[0])
            return log1p(rest)
    return sp.log(arg)


def _softplus_class():
    sp = _sp()

    class Softplus(sp.Function):
        """log(1 + e^a), evaluated by ``torch.nn.functional.softplus``."""

        nargs = 1

    return Softplus


@functools.cache
def _softplus_cls():
    return _softplus_class()


def _Softplus(a):
    return _softplus_cls()(a)


def _unary_map() -> dict[type, Callable[[torch.Tensor], torch.Tensor]]:
    sp = _sp()
    from sympy.codegen.cfunctions import expm1, log1p

    def _gamma(x):
        return torch.exp(torch.lgamma(x))

    return {
        sp.exp: torch.exp, sp.Abs: torch.abs, sp.sign: torch.sign,
        sp.sin: torch.sin, sp.cos: torch.cos, sp.tan: torch.tan, sp.asin: torch.asin,
        sp.acos: torch.acos, sp.atan: torch.atan, sp.sinh: torch.sinh, sp.cosh: torch.cosh,
        sp.tanh: torch.tanh, sp.asinh: torch.asinh, sp.acosh: torch.acosh,
        sp.atanh: torch.atanh, sp.erf: torch.special.erf, sp.erfc: torch.special.erfc,
        sp.loggamma: torch.lgamma, sp.gamma: _gamma, sp.floor: torch.floor,
        sp.ceiling: torch.ceil, log1p: torch.log1p, expm1: torch.expm1,
        sp.factorial: lambda x: torch.exp(torch.lgamma(x + 1)),
        _softplus_cls(): F.softplus,
    }


def _tensor_like(v: Any, ref: Any) -> Any:
    if isinstance(v, torch.Tensor) or not isinstance(ref, torch.Tensor):
        return v
    return torch.full_like(ref, float(v))


def _compile(expr, unary: dict) -> _Node:
    sp = _sp()
    if not expr.free_symbols:
        try:
            value = float(expr.evalf())
        except TypeError:
            raise NotImplementedForFamily(
                f"cannot evaluate the constant {expr} of a log-density in torch"
            ) from None
        return lambda env: value
    if expr.is_Symbol:
        return lambda env: env[expr]
    if expr.is_Add:
        kids = [_compile(a, unary) for a in expr.args]
        return lambda env: functools.reduce(operator.add, (k(env) for k in kids))
    if expr.is_Mul:
        kids = [_compile(a, unary) for a in expr.args]
        return lambda env: functools.reduce(operator.mul, (k(env) for k in kids))
    if expr.is_Pow:
        base = _compile(expr.base, unary)
        if not expr.exp.free_symbols:
            e = float(expr.exp)
            if e == 0.5:
                return lambda env: torch.sqrt(base(env))
            if e == -1.0:
                return lambda env: 1.0 / base(env)
            if e == 2.0:
                return lambda env: torch.square(base(env))
            return lambda env: torch.pow(base(env), e)
        if expr.base == sp.E:
            ex = _compile(expr.exp, unary)
            return lambda env: torch.exp(ex(env))
        ex = _compile(expr.exp, unary)
        return lambda env: torch.pow(base(env), ex(env))
    if isinstance(expr, sp.log) and isinstance(expr.args[0], (sp.gamma, sp.factorial)):
        # log Γ(a) -> lgamma(a) directly: SymPy turns loggamma(x + 1) back into
        # log(gamma(x + 1)) when x is a non-negative integer (count data), which would
        # overflow Γ at x > 170
        shift = 1 if isinstance(expr.args[0], sp.factorial) else 0
        a = _compile(expr.args[0].args[0] + shift, unary)
        return lambda env: torch.lgamma(a(env))
    if isinstance(expr, sp.log):
        rewritten = _log_terms(expr.args[0])
        inner = rewritten.args[0] if isinstance(rewritten, sp.log) else None
        if inner is not None and inner.is_Add and all(t.is_positive for t in inner.args):
            # log Σ_j t_j of positive terms (a mixture's Σ w_j f_j): log-sum-exp of the
            # terms' own logs, so that the sum does not underflow where every t_j does
            kids = [_compile(_log_terms(t), unary) for t in inner.args]

            def logsumexp(env):
                vals = [k(env) for k in kids]
                ref = next((v for v in vals if isinstance(v, torch.Tensor)), None)
                if ref is None:
                    return math.log(sum(math.exp(v) for v in vals))
                vals = torch.broadcast_tensors(*[_tensor_like(v, ref) for v in vals])
                return torch.logsumexp(torch.stack(vals), dim=0)

            return logsumexp
        if rewritten.has(sp.log) and isinstance(rewritten, sp.log):
            arg = _compile(rewritten.args[0], unary)
            return lambda env: torch.log(arg(env))
        return _compile(rewritten, unary)
    if isinstance(expr, sp.polygamma):
        n = int(expr.args[0])
        x = _compile(expr.args[1], unary)
        return lambda env: torch.special.polygamma(n, x(env))
    if isinstance(expr, (sp.beta, sp.binomial)):
        return _compile(sp.exp(_log_terms(expr)), unary)
    if isinstance(expr, sp.besseli) and expr.args[0] in (0, 1):
        fn = torch.special.i0 if expr.args[0] == 0 else torch.special.i1
        x = _compile(expr.args[1], unary)
        return lambda env: fn(x(env))
    if isinstance(expr, (sp.Min, sp.Max)):
        kids = [_compile(a, unary) for a in expr.args]
        op = torch.minimum if isinstance(expr, sp.Min) else torch.maximum

        def minmax(env):
            vals = [k(env) for k in kids]
            ref = next(v for v in vals if isinstance(v, torch.Tensor))
            vals = [_tensor_like(v, ref) for v in vals]
            return functools.reduce(op, vals)

        return minmax
    if isinstance(expr, sp.Heaviside):
        x = _compile(expr.args[0], unary)
        return lambda env: torch.heaviside(x(env), torch.tensor(0.5, dtype=x(env).dtype))
    if isinstance(expr, sp.Piecewise):
        pieces = [(_compile(e, unary), _compile_cond(c, unary)) for e, c in expr.args]

        def piecewise(env):
            out = None
            for value, cond in reversed(pieces):
                v, c = value(env), cond(env)
                if out is None:
                    out = v
                    continue
                if isinstance(c, bool):
                    out = v if c else out
                    continue
                if not isinstance(v, torch.Tensor) and not isinstance(out, torch.Tensor):
                    v = torch.full(c.shape, float(v), dtype=torch.float64)
                out = torch.where(c, v, out)
            return out

        return piecewise
    fn = unary.get(type(expr))
    if fn is not None and len(expr.args) == 1:
        x = _compile(expr.args[0], unary)
        return lambda env: fn(x(env))
    raise NotImplementedForFamily(
        f"the torch compiler of mlekit has no rule for the SymPy function "
        f"{type(expr).__name__} (in {expr}); write a torch log-density for this family"
    )


def _compile_cond(cond, unary: dict) -> _Node:
    sp = _sp()
    if cond is sp.true or cond is True:
        return lambda env: True
    if cond is sp.false or cond is False:
        return lambda env: False
    ops = {sp.StrictGreaterThan: operator.gt, sp.StrictLessThan: operator.lt,
           sp.GreaterThan: operator.ge, sp.LessThan: operator.le,
           sp.Equality: operator.eq, sp.Unequality: operator.ne}
    for cls, op in ops.items():
        if isinstance(cond, cls):
            a, b = _compile(cond.lhs, unary), _compile(cond.rhs, unary)
            return lambda env, op=op: op(a(env), b(env))
    if isinstance(cond, (sp.And, sp.Or)):
        kids = [_compile_cond(c, unary) for c in cond.args]
        op = torch.logical_and if isinstance(cond, sp.And) else torch.logical_or

        def logic(env):
            vals = [k(env) for k in kids]
            ts = [v for v in vals if isinstance(v, torch.Tensor)]
            if not ts:
                return all(vals) if isinstance(cond, sp.And) else any(vals)
            vals = [v if isinstance(v, torch.Tensor) else torch.full_like(ts[0], bool(v))
                    for v in vals]
            return functools.reduce(op, vals)

        return logic
    if isinstance(cond, sp.Not):
        k = _compile_cond(cond.args[0], unary)
        return lambda env: torch.logical_not(k(env))
    raise NotImplementedForFamily(f"cannot compile the condition {cond} to torch")


def compile_sympy(expr, symbols: list) -> Callable[..., torch.Tensor]:
    """Compile the SymPy expression ``expr`` into ``f(*tensors)`` in the order of ``symbols``.

    Examples
    --------
    >>> import sympy as sp, torch
    >>> x = sp.Symbol("x")
    >>> f = compile_sympy(sp.log(sp.gamma(x)) + sp.pi, [x])
    >>> round(float(f(torch.tensor(3.0, dtype=torch.float64))), 6)  # log 2 + pi
    3.83474
    """
    missing = expr.free_symbols - set(symbols)
    if missing:
        names = ", ".join(sorted(str(s) for s in missing))
        raise NotImplementedForFamily(
            f"the log-density uses symbols {names} that are neither the data nor parameters"
        )
    node = _compile(expr, _unary_map())

    def fn(*args: torch.Tensor) -> torch.Tensor:
        env = dict(zip(symbols, args, strict=True))
        out = node(env)
        if not isinstance(out, torch.Tensor):  # a constant log-density
            ref = next(a for a in args if isinstance(a, torch.Tensor))
            out = torch.full_like(ref, out)
        return out

    return fn

