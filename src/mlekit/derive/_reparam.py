r"""Mean parameterisation of a family, for GLM-style links on the mean.

A Gamma(shape k, rate r) has mean :math:`\mu = k/r`; a log link on the *mean*
(``derive(Gamma, link={"mean": "log"})``) needs the density in (k, μ). The
mean is computed symbolically (:math:`E[X]` over the support), solved for one
parameter (the last estimable one it depends on: the rate), and substituted.
"""

from __future__ import annotations

import functools

import numpy as np
import sympy as sp

from ..domains import Positive, Real
from ..errors import DerivationError
from ..families.base import Family, Parameter, SymbolicDensity
from ._calculus import expectation, support_range


class MeanParametrised(Family):
    """``family`` with one parameter replaced by the mean ``mu``."""

    def __init__(self, family: Family, solved: str, mean_expr, inverse_expr, mu):
        self.base = family
        self.solved = solved
        self.name = f"{family.name}_mean"
        self.title = f"{family.title} (mean mu)"
        self.support = family.support
        self.discrete = family.discrete
        dom = Positive if mu.is_positive else Real
        self.parameters = tuple(
            Parameter("mu", dom, r"\mu") if p.name == solved else p for p in family.parameters
        )
        self.mean_parameter = "mu"
        self._mean_expr, self._inverse, self._mu = mean_expr, inverse_expr, mu
        sd = family.sympy_density()
        sub = {sd.params[solved]: inverse_expr}
        params = {p.name: (mu if p.name == "mu" else sd.params[p.name]) for p in self.parameters}
        self._sd = SymbolicDensity(sd.expr.subs(sub), sd.x, params,
                                   sp.expand_log(sd.logdensity.subs(sub), force=True))
        ex = dict(family.example_params)
        f = sp.lambdify([sd.params[n] for n in family.param_names], mean_expr)
        ex_mu = float(f(*[ex[n] for n in family.param_names]))
        self.example_params = {("mu" if n == solved else n): (ex_mu if n == solved else v)
                               for n, v in ex.items()}
        others = [sd.params[n] for n in family.param_names if n != solved]
        self._inv_fn = sp.lambdify([mu, *others], inverse_expr)

    def sympy_density(self):
        return self._sd

    def _base_params(self, params):
        out = dict(params)
        mu = out.pop("mu")
        others = [out[n] for n in self.base.param_names if n != self.solved]
        out[self.solved] = self._inv_fn(mu, *others)
        return out

    def logpdf(self, x, **params):
        return self.base.logpdf(x, **self._base_params(params))

    def sample(self, size, rng, **params):
        return self.base.sample(size, rng, **self._base_params(params))


def _clean(e):
    """exp(-loggamma(k)) gamma(k + 1) -> k: write loggamma as log(gamma) and simplify."""
    e = e.replace(lambda t: isinstance(t, sp.loggamma), lambda t: sp.log(sp.gamma(t.args[0])))
    return sp.gammasimp(sp.simplify(e))


@functools.lru_cache(maxsize=64)
def mean_parametrised(family: Family) -> MeanParametrised:
    """The family in its mean parameterisation (cached)."""
    if family.mean_parameter is not None:
        raise DerivationError(f"{family.title} already has a mean parameter "
                              f"{family.mean_parameter!r}: put the link on it")
    rng = support_range(family)
    if rng is None:
        raise DerivationError(f"{family.title}: no symbolic mean over its support")
    sd = family.sympy_density()
    x = sd.x
    from ._calculus import TIME_LIMIT, _TimeLimit

    try:
        with _TimeLimit(TIME_LIMIT, f"mean of {family.title}"):
            mean_expr = expectation(x, x, sp.simplify(sp.exp(sd.logdensity)), rng)
    except DerivationError:
        raise DerivationError(f"{family.title}: the mean has no closed form") from None
    mean_expr = _clean(mean_expr)
    mu = sp.Symbol("mu", positive=bool(x.is_nonnegative or x.is_positive), real=True)
    for name in reversed(family.estimable_names):
        s = sd.params[name]
        if not mean_expr.has(s):
            continue
        sols = [v for v in sp.solve(sp.Eq(mean_expr, mu), s)
                if not v.could_extract_minus_sign() or not s.is_positive]
        if len(sols) == 1:
            return MeanParametrised(family, name, mean_expr, sols[0], mu)
    raise DerivationError(f"{family.title}: cannot solve mean = mu for one parameter")


__all__ = ["MeanParametrised", "mean_parametrised", "np"]
