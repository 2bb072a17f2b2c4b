r"""Beta family on the open unit interval, parameters ``alpha`` and ``beta``.

.. math::

    p(x;\,\alpha,\beta) = \frac{x^{\alpha-1}(1-x)^{\beta-1}}{B(\alpha,\beta)},
    \qquad 0<x<1,\ \alpha>0,\ \beta>0 .

scipy's ``beta`` uses ``a = alpha``, ``b = beta`` (``loc = 0``, ``scale = 1``).

MLE: the log-likelihood ``(α−1)Σw log x + (β−1)Σw log(1−x) − Σw log B(α, β)``
is concave in (α, β) (an exponential family in its natural parameters), so
Newton's method on the two score equations

.. math:: \psi(\alpha) - \psi(\alpha+\beta) = \overline{\log x}, \qquad
          \psi(\beta) - \psi(\alpha+\beta) = \overline{\log (1-x)},

with the trigamma Hessian and a backtracking line search converges from the
start ``α₀ = ½ + G₁/(2(1 − G₁ − G₂))``, ``β₀ = ½ + G₂/(2(1 − G₁ − G₂))`` (G the
geometric means of x and 1 − x; from ψ(z) ≈ log(z − ½)), which needs no
further pass over the data. All-equal data: the MLE does not exist (NoMaximumError).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
from scipy.special import (
    betainc,
    betaincc,
    betaincinv,
    betaln,
    digamma,
    gammaln,
    polygamma,
    xlog1py,
    xlogy,
)

from ..domains import Positive, UnitInterval
from ..errors import DataError, NoMaximumError, SupportError
from ._mle_tools import (
    MLEstimate,
    check_fixed,
    damped_newton,
    prepare,
    solver_extras,
    trigamma,
    wsum,
)
from ._parametrisation import Parametrisation
from ._registry import register_kl
from ._rowmodel import _MeanModel
from .base import Family, Parameter, SymbolicDensity


def _bshape(*a):
    return np.broadcast_shapes(*(np.shape(v) for v in a))


# ---------------------------------------------------------------- fast path: link-space row model
@dataclass
class BetaModel(_MeanModel):
    r"""Beta regression (Ferrari & Cribari-Neto): mean ``mu`` in (0,1), precision φ.

    ``alpha = mu phi``, ``beta = (1 - mu) phi``; nuisance ``u = log phi``, named
    ``precision`` as in the family's "mean" parametrisation (the generic engine's name,
    and statsmodels' ``BetaModel``).

    .. math:: \ell = -\log\Gamma(\phi) + \log\Gamma(\mu\phi) + \log\Gamma((1-\mu)\phi)
              - (\mu\phi - 1)\log y - ((1-\mu)\phi - 1)\log(1-y)
    """

    nuisance_names: ClassVar[tuple[str, ...]] = ("precision",)
    default_link: ClassVar[str | None] = "logit"
    allowed_links: ClassVar[tuple[str, ...]] = ("logit", "probit", "cloglog")
    mean_domain: ClassVar[str] = "unit"

    def check_y(self, y, aux):
        return UnitInterval.check(y, what="y", owner="Beta regression", error=SupportError)

    def init_eta(self, y, w, aux):
        m = float(np.sum(w * y) / np.sum(w))
        v = float(np.sum(w * (y - m) ** 2) / np.sum(w))
        start = [float(self.link.link(np.asarray(m)))]
        if "precision" not in self.fixed:
            start.append(np.log(max(m * (1 - m) / v - 1.0, 0.5)) if v > 0 else 0.0)
        return np.array(start)

    def _loglik(self, y, mu, nu, aux, order):
        phi = nu["precision"]
        a, b = mu * phi, (1.0 - mu) * phi
        ly, l1y = np.log(y), np.log1p(-y)
        ll = (gammaln(phi) - gammaln(a) - gammaln(b) + (a - 1.0) * ly + (b - 1.0) * l1y)
        ystar = ly - l1y
        mustar = digamma(a) - digamma(b)
        dmu = phi * (ystar - mustar)
        grads = [dmu]
        t1a, t1b = polygamma(1, a), polygamma(1, b)
        hess = {(0, 0): -phi * phi * (t1a + t1b)}
        if "precision" not in self.fixed:
            dphi = digamma(phi) + mu * (ystar - mustar) + l1y - digamma(b)
            d2phi = polygamma(1, phi) - mu * mu * t1a - (1.0 - mu) ** 2 * t1b
            grads.append(phi * dphi)
            hess[(1, 1)] = phi * dphi + phi * phi * d2phi
            hess[(0, 1)] = phi * ((ystar - mustar) - phi * (mu * t1a - (1.0 - mu) * t1b))
        return ll, grads, hess

    def distribution_params(self, eta, aux):
        mu = self.mean(eta)
        phi = self.nuisance_values(eta)["precision"]
        return {"alpha": mu * phi, "beta": (1.0 - mu) * phi}


class BetaFamily(Family):
    r"""Beta(alpha, beta): shapes α > 0, β > 0 on 0 < x < 1.

    .. math:: p(x) = \frac{x^{\alpha-1}(1-x)^{\beta-1}}{B(\alpha,\beta)}

    Examples
    --------
    >>> import numpy as np, mlekit as mk
    >>> d = mk.Beta(alpha=2.0, beta=3.0)
    >>> float(d.mean), round(float(d.logpdf(0.5)), 4)   # 2/5, log(12 * 0.5 * 0.25)
    (0.4, 0.4055)
    >>> res = mk.Beta.fit(d.sample(2000, rng=0))
    >>> round(res.params["alpha"], 2), round(res.params["beta"], 2)
    (2.03, 2.92)
    """

    name = "beta"
    title = "Beta"
    censored_mass_escapes = True
    censored_mass_concentrates = True
    #: the hand-written link-space row model (regression fast path)
    row_model = BetaModel
    parameters = (Parameter("alpha", Positive, r"\alpha"), Parameter("beta", Positive, r"\beta"))
    #: mean-precision coordinates (Ferrari & Cribari-Neto): alpha = m phi, beta = (1 - m) phi
    parametrisations = {"mean": Parametrisation(
        "mean", (Parameter("mean", UnitInterval, r"\mu"),
                 Parameter("precision", Positive, r"\phi")),
        to_base=lambda mean, precision: {"alpha": mean * precision,
                                         "beta": (1.0 - mean) * precision},
        jacobian=lambda mean, precision: {("alpha", "mean"): precision + 0.0 * mean,
                                          ("alpha", "precision"): mean + 0.0 * precision,
                                          ("beta", "mean"): -precision + 0.0 * mean,
                                          ("beta", "precision"): 1.0 - mean + 0.0 * precision},
        second=lambda mean, precision: {("alpha", "mean", "precision"):
                                        np.ones_like(mean * precision),
                                        ("beta", "mean", "precision"):
                                        -np.ones_like(mean * precision)},
        from_base=lambda alpha, beta: {"mean": alpha / (alpha + beta),
                                       "precision": alpha + beta},
        mean_parameter="mean")}
    support = UnitInterval
    #: what ``mle`` runs (read by mlekit.estimate for ``FitResult.method``)
    mle_method: ClassVar[str] = "Newton on the score equations (trigamma Hessian, line search)"
    example_params: ClassVar[dict[str, Any]] = {"alpha": 2.0, "beta": 3.5}
    #: ``mle`` raises unless Σ log x and Σ log(1 − x) are finite, i.e. every x is in
    #: (0, 1): estimate.fit may leave the support check of large data to it
    mle_checks_support: ClassVar[bool] = True

    def logpdf(self, x, alpha, beta):
        ok = (x >= 0) & (x <= 1)
        xs = np.where(ok, x, 0.5)
        with np.errstate(divide="ignore"):
            out = xlogy(alpha - 1.0, xs) + xlog1py(beta - 1.0, -xs) - betaln(alpha, beta)
        return np.where(ok, out, -np.inf)

    def cdf(self, x, alpha, beta):
        return betainc(alpha, beta, np.clip(x, 0.0, 1.0))

    def logsf(self, x, alpha, beta):
        with np.errstate(divide="ignore"):
            return np.log(betaincc(alpha, beta, np.clip(x, 0.0, 1.0)))

    def ppf(self, q, alpha, beta):
        r"""``betaincinv``; where its root finder gives up (q of 1e-300), the tail asymptote
        :math:`F(x) \approx x^\alpha / (\alpha B(\alpha, \beta))` as x → 0 (and its mirror
        as x → 1), exact to first order in x there."""
        q, a, b = np.broadcast_arrays(np.asarray(q, float), np.asarray(alpha, float),
                                      np.asarray(beta, float))
        with np.errstate(all="ignore"):
            out = np.asarray(betaincinv(a, b, q), float)
            bad = np.isnan(out) & ~np.isnan(q) & ~np.isnan(a) & ~np.isnan(b)
            if bad.any():
                lb = betaln(a[bad], b[bad])
                lo = np.exp((np.log(q[bad]) + np.log(a[bad]) + lb) / a[bad])
                hi = -np.expm1((np.log1p(-q[bad]) + np.log(b[bad]) + lb) / b[bad])
                out = out.copy()
                out[bad] = np.where(q[bad] < 0.5, lo, hi)
        return out if out.ndim else out[()]

    def sample(self, size, rng, alpha, beta):
        out = tuple(size) + _bshape(alpha, beta)
        return rng.beta(np.broadcast_to(alpha, out), np.broadcast_to(beta, out))

    def mean(self, alpha, beta):
        return np.asarray(alpha, float) / (alpha + beta)

    def var(self, alpha, beta):
        s = np.asarray(alpha, float) + beta
        return alpha * beta / (s * s * (s + 1.0))

    def entropy(self, alpha, beta):
        a, b = np.asarray(alpha, float), np.asarray(beta, float)
        return (betaln(a, b) - (a - 1.0) * digamma(a) - (b - 1.0) * digamma(b)
                + (a + b - 2.0) * digamma(a + b))

    def score(self, x, alpha, beta):
        with np.errstate(divide="ignore", invalid="ignore"):
            lx, l1x = np.log(x), np.log1p(-x)
        ds = digamma(alpha + beta)
        return {"alpha": lx - digamma(alpha) + ds, "beta": l1x - digamma(beta) + ds}

    def hessian(self, x, alpha, beta):
        shp = _bshape(x, alpha, beta)
        t = trigamma(np.asarray(alpha, float) + beta)
        return {
            ("alpha", "alpha"): np.broadcast_to(t - trigamma(alpha), shp),
            ("alpha", "beta"): np.broadcast_to(t, shp),
            ("beta", "beta"): np.broadcast_to(t - trigamma(beta), shp),
        }

    def fisher_information(self, alpha, beta):
        a, b = np.broadcast_arrays(np.asarray(alpha, float), np.asarray(beta, float))
        t = trigamma(a + b)
        info = np.empty((*a.shape, 2, 2))
        info[..., 0, 0] = trigamma(a) - t
        info[..., 0, 1] = info[..., 1, 0] = -t
        info[..., 1, 1] = trigamma(b) - t
        return info

    def mle(self, x, weights=None, fixed=None):
        fixed = check_fixed(self, fixed)
        if len(fixed) == 2:
            return dict(fixed)
        x, w, total = prepare(x, weights)
        with np.errstate(divide="ignore", invalid="ignore"):
            s1 = wsum(w, np.log(x)) / total  # -inf or NaN when some x <= 0
            s2 = wsum(w, np.log1p(-x)) / total  # ... or some x >= 1
        if not (np.isfinite(s1) and np.isfinite(s2)):
            raise DataError("Beta: observations must lie strictly between 0 and 1 (a 0 or 1 "
                            "makes the log-likelihood unbounded)")
        # Jensen: G₁ + G₂ <= m + (1 − m) = 1 (geometric means), equality iff all x are equal
        g1, g2 = np.exp(s1), np.exp(s2)
        # 1 − G₂ = −expm1(s₂) keeps its digits when every x is tiny (x ≈ 1e-300 made
        # G₂ round to 1 and the gap to −G₁: distinct data reported as "all equal")
        one_minus_g2 = -np.expm1(s2)
        gap = one_minus_g2 - g1
        # relative to the arithmetic-mean side: data scaled by 1e-300 keep their spread
        if not gap > 1e-13 * max(g1, one_minus_g2):
            raise NoMaximumError("Beta: all observations are equal, so the MLE does not exist "
                            "(alpha, beta -> infinity)")
        # start from ψ(z) ≈ log(z − ½): α₀ = ½ + G₁/(2(1 − G₁ − G₂)), likewise β₀
        with np.errstate(over="ignore"):
            start = {"alpha": 0.5 + 0.5 * g1 / gap, "beta": 0.5 + 0.5 * g2 / gap}
        if not all(np.isfinite(v) for v in start.values()):  # gap subnormal: x ≈ 1e-311
            raise DataError(
                f"Beta: the observations crowd within {max(g1, one_minus_g2):.3g} of an end of "
                "(0, 1) (subnormal numbers), where the MLE's alpha or beta is beyond double "
                "precision; check the data (a Beta cannot be rescaled)")
        free = [n for n in ("alpha", "beta") if n not in fixed]
        vals = {**start, **fixed}

        def fun(theta):
            p = dict(vals)
            p.update(zip(free, theta, strict=True))
            a, b = p["alpha"], p["beta"]
            nll = -((a - 1.0) * s1 + (b - 1.0) * s2 - betaln(a, b))
            ds, ts = digamma(a + b), trigamma(a + b)
            g = {"alpha": -(s1 - digamma(a) + ds), "beta": -(s2 - digamma(b) + ds)}
            h = {("alpha", "alpha"): trigamma(a) - ts, ("beta", "beta"): trigamma(b) - ts,
                 ("alpha", "beta"): -ts, ("beta", "alpha"): -ts}
            grad = np.array([g[n] for n in free])
            hess = np.array([[h[(i, j)] for j in free] for i in free])
            return float(nll), grad, hess

        theta0 = np.array([vals[n] for n in free])
        lower = np.full(len(free), 1e-300)
        theta, _ = damped_newton(fun, theta0,
                                 bounds=(lower, np.full(len(free), np.inf)))
        vals.update(zip(free, map(float, theta), strict=True))
        a, b = float(vals["alpha"]), float(vals["beta"])
        if max(a, b) > _RATIO_LIMIT * min(a, b):
            import warnings

            from ..errors import NumericalWarning

            side = "0" if b > a else "1"
            warnings.warn(
                f"Beta: the data crowd against {side} (alpha = {a:.4g}, beta = {b:.4g}): at a "
                f"ratio above {_RATIO_LIMIT:.0e} the score ψ(α+β) − ψ(β) loses its digits in "
                "double precision, so this estimate may be inaccurate; rescale the data away "
                f"from {side} or fit a {'Gamma' if side == '0' else 'reflected Gamma'} to "
                f"{'x' if side == '0' else '1 - x'}", NumericalWarning, stacklevel=2)
        # ℓ = W[(α−1)·mean log x + (β−1)·mean log(1−x) − ln B(α, β)]; its Hessian is
        # free of the data: −∂²ℓ = W[[ψ'(α) − ψ'(α+β), −ψ'(α+β)], [·, ψ'(β) − ψ'(α+β)]]
        llf = total * ((a - 1.0) * s1 + (b - 1.0) * s2 - betaln(a, b))
        ts = float(trigamma(a + b))
        info = {("alpha", "alpha"): total * (float(trigamma(a)) - ts),
                ("alpha", "beta"): -total * ts,
                ("beta", "beta"): total * (float(trigamma(b)) - ts)}
        return MLEstimate({"alpha": a, "beta": b}, **solver_extras(llf, info))

    def _symbolic(self):
        sp, x, s = self._make_symbols()
        a, b = s["alpha"], s["beta"]
        expr = x ** (a - 1) * (1 - x) ** (b - 1) * sp.gamma(a + b) / (sp.gamma(a) * sp.gamma(b))
        log_expr = ((a - 1) * sp.log(x) + (b - 1) * sp.log(1 - x) + sp.loggamma(a + b)
                    - sp.loggamma(a) - sp.loggamma(b))
        # x^{α−1} (1−x)^{β−1} / B(α, β)
        display = (sp.Pow(sp.beta(a, b), -1, evaluate=False), x ** (a - 1), (1 - x) ** (b - 1))
        return SymbolicDensity(expr, x, s, log_expr, display=display)


#: beyond this α/β (or β/α) ratio, ψ(α+β) − ψ(β) in the score keeps few correct digits
_RATIO_LIMIT = 1e12

Beta = BetaFamily()


@register_kl(BetaFamily, BetaFamily)
def _kl_beta_beta(p, q):
    r"""KL(B(α₁,β₁)‖B(α₂,β₂)) = ln B(α₂,β₂) − ln B(α₁,β₁) + (α₁−α₂)ψ(α₁) + (β₁−β₂)ψ(β₁)
    + (α₂−α₁+β₂−β₁)ψ(α₁+β₁)."""
    a1, b1, a2, b2 = p["alpha"], p["beta"], q["alpha"], q["beta"]
    return (betaln(a2, b2) - betaln(a1, b1) + (a1 - a2) * digamma(a1) + (b1 - b2) * digamma(b1)
            + (a2 - a1 + b2 - b1) * digamma(a1 + b1))
