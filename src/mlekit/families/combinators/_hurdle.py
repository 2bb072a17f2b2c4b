r"""``mk.Hurdle(F)``: zeros from a binary hurdle, positives from F truncated at zero.

.. math::

    P(0) = \pi, \qquad P(y) = (1-\pi)\,\frac{f(y)}{1 - F(0)} \quad (y = 1, 2, \dots),

with ``pi`` = P(y = 0) (Unit interval, logit link in a regression). pscl's ``hurdle``
models P(y > 0) = 1 − π by a logit, so its zero-hurdle coefficients are ours with the
sign flipped. ``log(1 − F(0))`` is F's own ``logsf(0)`` (exact where F(0) → 1). The NLL
separates into a Bernoulli part in π and a zero-truncated part in θ:

.. math::

    -\sum_{y_i=0}\log\pi - \sum_{y_i>0}\big[\log(1-\pi) + \log f(y_i) - \log(1-F(0))\big].

With q = f(0)/(1 − F(0)), the derivatives at y > 0 are ∂/∂θ = s(y) + q s(0) and

.. math::

    \partial^2_{\theta\theta'} = H_{\theta\theta'}(y) + q\,H_{\theta\theta'}(0)
        + q(1+q)\,s_\theta(0)\,s_{\theta'}(0),

(the π-block is the Bernoulli one; π and θ do not interact). Moments, with
m = E_F[Y], v = Var_F[Y]: E[Y] = (1 − π) m/(1 − F(0)), E[Y²] = (1 − π)(v + m²)/(1 − F(0)).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ...domains import UnitInterval
from ...errors import NoMaximumError
from ..base import Family, Parameter
from ._common import Combinator, base_location, logit_start
from ._truncated import sample_truncated

__all__ = ["Hurdle", "HurdleFamily"]


class HurdleFamily(Combinator):
    r"""Hurdle(F): P(0) = π, P(y) = (1 − π) f(y)/(1 − F(0)) for y > 0.

    Examples
    --------
    >>> import numpy as np, mlekit as mk
    >>> d = mk.Hurdle(mk.Poisson)(pi=0.4, rate=2.0)
    >>> float(d.pmf(0)), round(float(d.pmf(1)), 6)
    (0.4, 0.187821)
    >>> round(float(0.6 * 2 * np.exp(-2) / (1 - np.exp(-2))), 6)   # (1 - pi) f(1)/(1 - f(0))
    0.187821
    """

    kind = "hurdle"

    @property
    def derivation_loss_name(self) -> str:  # type: ignore[override]
        """The name ``derive`` gives the derived NLL: "hurdle Poisson NLL"."""
        return f"hurdle {self.base.title} NLL"
    own = (Parameter("pi", UnitInterval, r"\pi"),)

    def __init__(self, base: Family) -> None:
        super().__init__(base)
        self.name = f"hurdle({base.name})"
        self.title = f"Hurdle({base.title})"
        self.parameters = self._param_list()
        self.support = base.support
        self.discrete = True
        self.mean_parameter = base.mean_parameter
        self.location_parameter = base_location(base)
        self.canonical_link = None
        self.mean_edges_in_data = ()  # zeros are pi's business: they bound no count slope
        self.y_power = base.y_power
        self.example_params = {"pi": 0.3, **base.example_params}

    def support_of(self, **params: Any):
        return self.base.support_of(**{p.name: params[p.name] for p in self.base.parameters
                                       if not p.estimable and p.name in params})

    # ------------------------------------------------------------------ symbolic
    def _symbolic(self):
        r"""F's own SymPy density behind a hurdle at zero:

        .. math:: p(x) = \begin{cases} \pi & x = 0 \\
                  (1-\pi)\,\dfrac{f(x)}{1 - f(0)} & x > 0 \end{cases}

        (F is a count family: 1 − F(0) = 1 − f(0))."""
        import sympy

        from ..base import SymbolicDensity

        sd = self._base_symbolic()
        x = sd.x
        pi = sympy.Symbol("pi", **UnitInterval.sympy_assumptions)
        f0 = self._pmf_at(sd, 0)
        at0 = sympy.Eq(x, 0)
        expr = sympy.Piecewise((pi, at0), ((1 - pi) * sd.expr / (1 - f0), True))
        log_expr = sympy.Piecewise(
            (sympy.log(pi), at0),
            (sympy.log(1 - pi) + sd.logdensity - sympy.log(1 - f0), True))
        return SymbolicDensity(expr=expr, x=x, params={"pi": pi, **sd.params},
                               log_expr=log_expr)

    # ------------------------------------------------------------------ numerics
    def logpdf(self, x, pi, **theta):
        x = np.asarray(x, float)
        pi = np.asarray(pi, float)
        lf = np.asarray(self.base.logpdf(x, **theta), float)
        ls0 = np.asarray(self.base.logsf(np.zeros_like(x), **theta), float)
        with np.errstate(divide="ignore"):
            return np.where(x == 0, np.log(pi), np.log1p(-pi) + lf - ls0)

    def cdf(self, x, pi, **theta):
        x = np.asarray(x, float)
        pi = np.asarray(pi, float)
        zero = np.zeros_like(x)
        s0 = np.exp(np.asarray(self.base.logsf(zero, **theta), float))
        sx = np.exp(np.asarray(self.base.logsf(np.maximum(x, 0.0), **theta), float))
        return np.where(x < 0, 0.0, 1.0 - (1.0 - pi) * sx / s0)

    def logsf(self, x, pi, **theta):
        x = np.asarray(x, float)
        ls0 = np.asarray(self.base.logsf(np.zeros_like(x), **theta), float)
        lsx = np.asarray(self.base.logsf(np.maximum(x, 0.0), **theta), float)
        with np.errstate(divide="ignore"):
            return np.where(x < 0, 0.0, np.log1p(-np.asarray(pi, float)) + lsx - ls0)

    def ppf(self, q, pi, **theta):
        """0 for q ≤ π, else the (q − π)/(1 − π) quantile of F truncated to y ≥ 1."""
        q, pi = np.broadcast_arrays(np.asarray(q, float), np.asarray(pi, float))
        base = self.base
        f0 = base.cdf(np.zeros_like(q), **theta)
        inner = f0 + np.clip((q - pi) / (1.0 - pi), 0.0, 1.0) * (1.0 - f0)
        return np.where(q <= pi, 0.0, np.maximum(base.ppf(inner, **theta), 1.0))

    def sample(self, size, rng, pi, **theta):
        pos = sample_truncated(self.base, size, rng, 0.5, np.inf, theta)
        shape = np.broadcast_shapes(pos.shape, tuple(size) + np.shape(pi))
        zero = rng.random(shape) < np.asarray(pi, float)
        return np.where(zero, 0.0, np.broadcast_to(pos, shape))

    def _moments(self, pi, theta):
        pi = np.asarray(pi, float)
        zero = np.zeros(np.shape(pi))
        s0 = np.exp(np.asarray(self.base.logsf(zero, **theta), float))
        m = np.asarray(self.base.mean(**theta), float)
        v = np.asarray(self.base.var(**theta), float)
        return (1.0 - pi) * m / s0, (1.0 - pi) * (v + m * m) / s0

    def mean(self, pi, **theta):
        return self._moments(pi, theta)[0]

    def var(self, pi, **theta):
        m1, m2 = self._moments(pi, theta)
        return m2 - m1 * m1

    # ------------------------------------------------------------------ derivatives
    def score(self, x, pi, **theta):
        x = np.asarray(x, float)
        pi = np.asarray(pi, float)
        shape = np.broadcast(x, pi, *theta.values()).shape
        zero = np.zeros_like(x)
        at0 = x == 0
        q = np.exp(np.asarray(self.base.logpdf(zero, **theta), float)
                   - np.asarray(self.base.logsf(zero, **theta), float))
        sy = self.base.score(x, **theta)
        s0 = self.base.score(zero, **theta)
        out = {"pi": np.where(at0, 1.0 / pi, -1.0 / (1.0 - pi))}
        for n in self.base.estimable_names:
            out[n] = np.where(at0, 0.0, sy[n] + q * s0[n])
        return {k: np.broadcast_to(v, shape) for k, v in out.items()}

    @property
    def nuisance_edge(self) -> tuple[str, str] | None:  # type: ignore[override]
        """The base's edge, for the positives: Hurdle(NegativeBinomial)'s alpha -> 0 is the
        Hurdle(Poisson)."""
        edge = self.base.nuisance_edge
        return None if edge is None else (edge[0], f"hurdle({edge[1]})")

    def edge_score(self, x, pi, **theta):
        """As :meth:`score` with the base's edge score in place of its score: 0 at 0 (π alone
        there), the zero-truncated base's elsewhere, e(y) + f(0) e(0)/(1 − f(0))."""
        x = np.asarray(x, float)
        zero = np.zeros_like(x)
        q = np.exp(np.asarray(self.base.logpdf(zero, **theta), float)
                   - np.asarray(self.base.logsf(zero, **theta), float))
        return np.where(x == 0, 0.0, self.base.edge_score(x, **theta)
                        + q * self.base.edge_score(zero, **theta))

    def hessian(self, x, pi, **theta):
        x = np.asarray(x, float)
        pi = np.asarray(pi, float)
        shape = np.broadcast(x, pi, *theta.values()).shape
        zero = np.zeros_like(x)
        at0 = x == 0
        q = np.exp(np.asarray(self.base.logpdf(zero, **theta), float)
                   - np.asarray(self.base.logsf(zero, **theta), float))
        s0 = self.base.score(zero, **theta)
        h0 = self.base.hessian(zero, **theta)
        hy = self.base.hessian(x, **theta)
        names = self.base.estimable_names
        out = {("pi", "pi"): np.where(at0, -1.0 / pi**2, -1.0 / (1.0 - pi) ** 2)}
        for n in names:
            out[("pi", n)] = np.zeros(shape)
        for i, a in enumerate(names):
            for b in names[i:]:
                v = hy[(a, b)] + q * h0[(a, b)] + q * (1.0 + q) * s0[a] * s0[b]
                out[(a, b)] = np.where(at0, 0.0, v)
        return {k: np.broadcast_to(v, shape) for k, v in out.items()}

    # ------------------------------------------------------------------ fitting
    def _check_existence(self, x, w, fixed):
        live = w > 0
        zeros = float(np.sum(w[live & (x == 0)]))
        total = float(np.sum(w[live]))
        if "pi" not in fixed and zeros == 0:
            raise NoMaximumError(
                f"{self.title}: the data have no zeros, so the likelihood rises as pi = P(y = 0) "
                "-> 0 and the MLE of pi does not exist inside (0, 1); fit the zero-truncated "
                f"model mk.Truncated({self.base.title}, low=1), or hold pi with "
                "fixed={'pi': ...}")
        if zeros == total:
            raise NoMaximumError(
                f"{self.title}: every observation is 0, so pi = P(y = 0) -> 1 and the count "
                f"part ({self.base.title} truncated at zero) has no data: the MLE does not exist")
        pos = x[live & (x > 0)]
        if pos.size and np.all(pos == 1) and len(fixed.keys() & set(self.base.param_names)) \
                < len(self.base.estimable_names):
            raise NoMaximumError(
                f"{self.title}: every positive count is 1, so the count part "
                f"({self.base.title} truncated at zero) is best fitted with all its mass at 1, "
                "a limit no parameter value reaches: the MLE does not exist")

    def _start(self, x, w, fixed):
        pos = x > 0
        share = float(np.sum(w[~pos]) / np.sum(w))
        return {"pi": float(fixed.get("pi", logit_start(share))),
                **self._base_start(x[pos], w[pos], fixed)}


def Hurdle(family: Any) -> HurdleFamily:
    """The hurdle version of the count family ``family`` (one instance per family).

    ``family`` is a count family (``mk.Poisson``, ``mk.NegativeBinomial``, its name);
    a continuous, multivariate or two-valued family is a ParameterError naming it.
    """
    from ._common import instance

    base = HurdleFamily._require_univariate(family, "Hurdle")
    HurdleFamily._require_counts(base, "Hurdle")
    key = ("hurdle", base)
    return instance(key, lambda: HurdleFamily(base))  # type: ignore[return-value]
