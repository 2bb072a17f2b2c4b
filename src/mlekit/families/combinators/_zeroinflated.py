r"""``mk.ZeroInflated(F)``: a count family F with extra (structural) zeros.

.. math::

    P(0) = \pi + (1-\pi)\,f(0), \qquad P(y) = (1-\pi)\,f(y) \quad (y = 1, 2, \dots),

with ``pi`` the probability of a structural zero (Unit interval, logit link in a
regression) and f the pmf of F. Its NLL is

.. math::

    -\sum_{y_i = 0} \log\!\big(\pi + (1-\pi) f(0)\big)
    - \sum_{y_i > 0} \big[\log(1-\pi) + \log f(y_i)\big],

computed as ``logaddexp(log pi, log1p(-pi) + log f(0))`` (stable at pi → 0 or 1 and
where f(0) underflows). Moments from F's own: with m = E_F[Y], v = Var_F[Y],

.. math:: E[Y] = (1-\pi)\,m, \qquad \operatorname{Var}[Y] = (1-\pi)\,(v + \pi m^2).

The score and Hessian follow by the chain rule from F's (s, H at y and at 0): at
y > 0, ∂/∂π = −1/(1−π), ∂/∂θ = s(y); at y = 0, with P₀ = π + (1−π)f(0) and
r = (1−π)f(0)/P₀ (the chance that a zero is F's own),

.. math::

    \partial_\pi = \frac{1-f(0)}{P_0}, \quad \partial_\theta = r\,s(0), \quad
    \partial^2_{\pi\pi} = -\frac{(1-f(0))^2}{P_0^2}, \quad
    \partial^2_{\pi\theta} = -\frac{f(0)\,s(0)}{P_0^2}, \quad
    \partial^2_{\theta\theta'} = r(1-r)\,s_\theta s_{\theta'} + r\,H_{\theta\theta'} .
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ...domains import UnitInterval
from ...errors import NoMaximumError
from ..base import Family, Parameter
from ._common import Combinator, base_location, logit_start

__all__ = ["ZeroInflated", "ZeroInflatedFamily"]


class ZeroInflatedFamily(Combinator):
    r"""ZeroInflated(F): P(0) = π + (1 − π) f(0), P(y) = (1 − π) f(y) for y > 0.

    Examples
    --------
    >>> import numpy as np, mlekit as mk
    >>> zip_ = mk.ZeroInflated(mk.Poisson)
    >>> zip_, zip_.name
    (<family ZeroInflated(Poisson)(pi, rate)>, 'zeroinflated(poisson)')
    >>> d = zip_(pi=0.3, rate=2.0)
    >>> round(float(d.pmf(0)), 6), round(float(0.3 + 0.7 * np.exp(-2.0)), 6)
    (0.394735, 0.394735)
    >>> float(d.mean), round(float(d.var), 6)         # 0.7*2, 0.7*(2 + 0.3*4)
    (1.4, 2.24)
    """

    kind = "zeroinflated"

    @property
    def derivation_loss_name(self) -> str:  # type: ignore[override]
        """The name ``derive`` gives the derived NLL: "zero-inflated Poisson NLL"."""
        return f"zero-inflated {self.base.title} NLL"
    own = (Parameter("pi", UnitInterval, r"\pi"),)

    def __init__(self, base: Family) -> None:
        super().__init__(base)
        self.name = f"zeroinflated({base.name})"
        self.title = f"ZeroInflated({base.title})"
        self.parameters = self._param_list()
        self.support = base.support
        self.discrete = True
        self.mean_parameter = base.mean_parameter
        self.location_parameter = base_location(base)
        self.canonical_link = None
        self.mean_edges_in_data = base.mean_edges_in_data
        self.y_power = base.y_power
        self.example_params = {"pi": 0.3, **base.example_params}

    def support_of(self, **params: Any):
        return self.base.support_of(**self._known(params))

    def _known(self, params):
        return {p.name: params[p.name] for p in self.base.parameters
                if not p.estimable and p.name in params}

    # ------------------------------------------------------------------ numerics
    def _log_p0(self, pi, lf0):
        """log P(0) = log(π + (1 − π) f(0)), and log(1 − π)."""
        with np.errstate(divide="ignore"):
            log1m = np.log1p(-np.asarray(pi, float))
            return np.logaddexp(np.log(pi), log1m + lf0), log1m

    def logpdf(self, x, pi, **theta):
        x = np.asarray(x, float)
        lf = np.asarray(self.base.logpdf(x, **theta), float)
        lf0 = np.asarray(self.base.logpdf(np.zeros_like(x), **theta), float)
        lp0, log1m = self._log_p0(pi, lf0)
        return np.where(x == 0, lp0, log1m + lf)

    def cdf(self, x, pi, **theta):
        x = np.asarray(x, float)
        pi = np.asarray(pi, float)
        return np.where(x < 0, 0.0, pi + (1.0 - pi) * self.base.cdf(x, **theta))

    def logsf(self, x, pi, **theta):
        x = np.asarray(x, float)
        with np.errstate(divide="ignore"):
            return np.where(x < 0, 0.0, np.log1p(-np.asarray(pi, float))
                            + self.base.logsf(np.maximum(x, 0.0), **theta))

    def ppf(self, q, pi, **theta):
        """Smallest k with P(Y ≤ k) ≥ q: 0 for q ≤ π, else F⁻¹((q − π)/(1 − π))."""
        q, pi = np.broadcast_arrays(np.asarray(q, float), np.asarray(pi, float))
        inner = np.clip((q - pi) / (1.0 - pi), 0.0, 1.0)
        return np.where(q <= pi, 0.0, self.base.ppf(inner, **theta))

    def sample(self, size, rng, pi, **theta):
        draws = np.asarray(self.base.sample(size, rng, **theta), float)
        shape = np.broadcast_shapes(draws.shape, tuple(size) + np.shape(pi))
        structural = rng.random(shape) < np.asarray(pi, float)
        return np.where(structural, 0.0, np.broadcast_to(draws, shape))

    def mean(self, pi, **theta):
        return (1.0 - np.asarray(pi, float)) * self.base.mean(**theta)

    def var(self, pi, **theta):
        pi = np.asarray(pi, float)
        m = np.asarray(self.base.mean(**theta), float)
        return (1.0 - pi) * (np.asarray(self.base.var(**theta), float) + pi * m * m)

    # ------------------------------------------------------------------ symbolic
    def _symbolic(self):
        r"""F's own SymPy density with the structural zeros added:

        .. math:: p(x) = \begin{cases} \pi + (1-\pi) f(0) & x = 0 \\
                  (1-\pi) f(x) & x > 0 \end{cases}

        (``log_expr`` the same split of log p, F's log-density in the second branch)."""
        import sympy

        from ..base import SymbolicDensity

        sd = self._base_symbolic()
        x = sd.x
        pi = sympy.Symbol("pi", **UnitInterval.sympy_assumptions)
        f0 = self._pmf_at(sd, 0)
        at0 = sympy.Eq(x, 0)
        expr = sympy.Piecewise((pi + (1 - pi) * f0, at0), ((1 - pi) * sd.expr, True))
        log_expr = sympy.Piecewise((sympy.log(pi + (1 - pi) * f0), at0),
                                   (sympy.log(1 - pi) + sd.logdensity, True))
        return SymbolicDensity(expr=expr, x=x, params={"pi": pi, **sd.params},
                               log_expr=log_expr)

    # ------------------------------------------------------------------ derivatives
    def _pieces(self, x, pi, theta):
        x = np.asarray(x, float)
        zero = np.zeros_like(x)
        base = self.base
        lf0 = np.asarray(base.logpdf(zero, **theta), float)
        lp0, log1m = self._log_p0(pi, lf0)
        ls0 = np.asarray(base.logsf(zero, **theta), float)     # log(1 − f(0))
        return x, zero, lf0, lp0, log1m, ls0

    def score(self, x, pi, **theta):
        x, zero, lf0, lp0, log1m, ls0 = self._pieces(x, pi, theta)
        pi = np.asarray(pi, float)
        shape = np.broadcast(x, pi, *theta.values()).shape
        at0 = x == 0
        r = np.exp(log1m + lf0 - lp0)
        out = {"pi": np.where(at0, np.exp(ls0 - lp0), -1.0 / (1.0 - pi))}
        sy = self.base.score(x, **theta)
        s0 = self.base.score(zero, **theta)
        for n in self.base.estimable_names:
            out[n] = np.where(at0, r * s0[n], sy[n])
        return {k: np.broadcast_to(v, shape) for k, v in out.items()}

    @property
    def nuisance_edge(self) -> tuple[str, str] | None:  # type: ignore[override]
        """The base's edge, inflated: ZeroInflated(NegativeBinomial)'s alpha -> 0 is the
        ZeroInflated(Poisson)."""
        edge = self.base.nuisance_edge
        return None if edge is None else (edge[0], f"zeroinflated({edge[1]})")

    def edge_score(self, x, pi, **theta):
        """As :meth:`score` with the base's edge score in place of its score: the posterior
        share of the count component times it at 0, the base's own elsewhere."""
        x, zero, lf0, lp0, log1m, _ = self._pieces(x, pi, theta)
        r = np.exp(log1m + lf0 - lp0)
        return np.where(x == 0, r * self.base.edge_score(zero, **theta),
                        self.base.edge_score(x, **theta))

    def hessian(self, x, pi, **theta):
        x, zero, lf0, lp0, log1m, ls0 = self._pieces(x, pi, theta)
        pi = np.asarray(pi, float)
        shape = np.broadcast(x, pi, *theta.values()).shape
        at0 = x == 0
        r = np.exp(log1m + lf0 - lp0)
        f0_p0 = np.exp(lf0 - lp0)
        s0 = self.base.score(zero, **theta)
        h0 = self.base.hessian(zero, **theta)
        hy = self.base.hessian(x, **theta)
        names = self.base.estimable_names
        out = {("pi", "pi"): np.where(at0, -np.exp(2.0 * (ls0 - lp0)),
                                      -1.0 / (1.0 - pi) ** 2)}
        for n in names:
            out[("pi", n)] = np.where(at0, -f0_p0 * np.exp(-lp0) * s0[n], 0.0)
        for i, a in enumerate(names):
            for b in names[i:]:
                at_zero = r * (1.0 - r) * s0[a] * s0[b] + r * h0[(a, b)]
                out[(a, b)] = np.where(at0, at_zero, hy[(a, b)])
        return {k: np.broadcast_to(v, shape) for k, v in out.items()}

    # ------------------------------------------------------------------ fitting
    def _check_existence(self, x, w, fixed):
        live = w > 0
        zeros = float(np.sum(w[live & (x == 0)]))
        if "pi" not in fixed and zeros == 0:
            raise NoMaximumError(
                f"{self.title}: the data have no zeros, so the likelihood rises as pi -> 0 "
                "(no structural zeros) and the MLE of pi does not exist inside (0, 1); fit "
                f"{self.base.title} itself, or hold pi with fixed={{'pi': ...}}")
        if zeros == float(np.sum(w[live])):
            raise NoMaximumError(
                f"{self.title}: every observation is 0, so the likelihood rises towards "
                f"P(0) = 1 (pi -> 1 or the mean of {self.base.title} -> 0) and has no "
                "maximum; the MLE does not exist for all-zero data")
        if "pi" in fixed:
            return
        # fewer zeros than F fitted alone predicts: the score of pi at pi = 0 (F at its own
        # MLE) is n0 (1 - f0)/f0 - n+ <= 0, so the likelihood is largest on the edge pi = 0
        start = self._base_start(x, w, fixed)
        with np.errstate(all="ignore"):
            lf0 = float(np.asarray(self.base.logpdf(0.0, **{k: np.asarray(v) for k, v in
                                                              start.items()}), float))
            ls0 = float(np.asarray(self.base.logsf(0.0, **{k: np.asarray(v) for k, v in
                                                             start.items()}), float))
            u0 = zeros * np.exp(ls0 - lf0) - (float(np.sum(w[live])) - zeros)
        if np.isfinite(u0) and u0 <= 0:
            self._no_inflation(f"the score of pi at pi = 0 is {u0:.4g} <= 0")

    def _no_inflation(self, why: str) -> None:
        raise NoMaximumError(
            f"{self.title}: the likelihood is largest at pi = 0 ({why}): the data have no "
            f"more zeros than {self.base.title} fitted alone predicts, so there is no zero "
            "inflation and the MLE of pi lies on the edge of (0, 1); fit "
            f"{self.base.title} itself, or hold pi with fixed={{'pi': ...}}")

    def _start(self, x, w, fixed):
        pos = x > 0
        share = float(np.sum(w[~pos]) / np.sum(w))
        start = self._base_start(x[pos], w[pos], fixed)
        with np.errstate(all="ignore"):
            f0 = float(np.exp(self.base.logpdf(0.0, **{k: np.asarray(v) for k, v in
                                                       start.items()})))
        # the excess of zeros over what the base predicts, as a share of the rest
        pi = (share - f0 * (1 - share) / max(1 - f0, 1e-12)) if f0 < 1 else share
        return {"pi": float(fixed.get("pi", logit_start(max(pi, 0.05)))), **start}

    def _check_estimate(self, est, x, w, fixed):
        if "pi" not in fixed and est["pi"] <= 1e-7:
            self._no_inflation(f"pi -> {est['pi']:.3g} where the solver stopped")


def ZeroInflated(family: Any) -> ZeroInflatedFamily:
    """The zero-inflated version of the count family ``family`` (one instance per family).

    ``family`` is a count family (``mk.Poisson``, ``mk.NegativeBinomial``, its name);
    a continuous, multivariate or two-valued family is a ParameterError naming it.
    """
    from ._common import instance

    base = ZeroInflatedFamily._require_univariate(family, "ZeroInflated")
    ZeroInflatedFamily._require_counts(base, "ZeroInflated")
    key = ("zeroinflated", base)
    return instance(key, lambda: ZeroInflatedFamily(base))  # type: ignore[return-value]
