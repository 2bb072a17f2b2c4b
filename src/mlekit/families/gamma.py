r"""Gamma family in the **rate** parameterisation: ``shape`` k and ``rate`` r.

.. math::

    p(x;\,k,r) = \frac{r^{k}}{\Gamma(k)}\,x^{k-1} e^{-r x},
    \qquad x>0,\ k>0,\ r>0 .

The mean is ``k/r`` and the variance ``k/r²``. scipy's ``gamma`` uses
``a = shape`` and ``scale = 1/rate``; numpy's ``rng.gamma(shape, scale)`` too.

MLE: for fixed ``shape`` the rate is ``r̂ = k Σw / Σwx``. Substituting it
leaves the profile equation in ``k`` alone,

.. math:: \log k - \psi(k) = s, \qquad s = \log \bar{x} - \overline{\log x} \ \ (\ge 0),

whose left side falls from +∞ to 0; it is solved by Newton's method inside a
shrinking bracket (bisection as the safeguard) from Minka's start
``k₀ = (3 − s + sqrt((s − 3)² + 24 s)) / (12 s)``. All-equal data give s = 0:
the MLE does not exist (k → ∞) and a :class:`~mlekit.errors.DataError` says so.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
from scipy.special import (
    digamma,
    gammainc,
    gammaincc,
    gammaincinv,
    gammaln,
    polygamma,
    xlogy,
)

from ..domains import Positive
from ..errors import DataError, NoMaximumError, SupportError
from ._mle_tools import (
    MLEstimate,
    check_fixed,
    log_mean_gap,
    prepare,
    root_bracketed,
    solver_extras,
    trigamma,
    wsum,
)
from ._parametrisation import Parametrisation
from ._registry import register_kl
from ._rowmodel import _MeanModel, _scaled_moments
from .base import Family, Parameter, SymbolicDensity
from .exponential import ExponentialFamily


def _bshape(*a):
    return np.broadcast_shapes(*(np.shape(v) for v in a))


# ---------------------------------------------------------------- fast path: link-space row model
@dataclass
class GammaModel(_MeanModel):
    r"""Gamma with mean ``mu`` and shape ``k`` (dispersion ``1/k``; nuisance ``u = log k``).

    .. math:: \ell = -k\log k + k\log\mu - (k-1)\log y + k y/\mu + \log\Gamma(k)
    """

    nuisance_names: ClassVar[tuple[str, ...]] = ("shape",)
    default_link: ClassVar[str | None] = "inverse"
    allowed_links: ClassVar[tuple[str, ...]] = ("inverse", "log", "identity")
    mean_domain: ClassVar[str] = "positive"

    def init_eta(self, y, w, aux):
        mz, vz, s = _scaled_moments(y, w)
        start = [float(self.link.link(np.asarray(s * mz)))]
        if "shape" not in self.fixed:  # moment shape m²/v = m_z²/v_z (scale-free)
            start.append(np.log(max(mz * mz / vz, 1e-3)) if vz > 0 else 0.0)
        return np.array(start)

    def _loglik(self, y, mu, nu, aux, order):
        k = nu["shape"]
        ll = k * np.log(k) - k * np.log(mu) + (k - 1.0) * np.log(y) - k * y / mu - gammaln(k)
        dmu = k * (y - mu) / mu**2
        grads = [dmu]
        hess = {(0, 0): k / mu**2 - 2.0 * k * y / mu**3}
        if "shape" not in self.fixed:
            dk = np.log(k) + 1.0 - np.log(mu) + np.log(y) - y / mu - digamma(k)
            grads.append(k * dk)
            hess[(1, 1)] = k * dk + k * k * (1.0 / k - polygamma(1, k))
            hess[(0, 1)] = dmu
        return ll, grads, hess

    def check_y(self, y, aux):
        return Positive.check(y, what="y", owner="Gamma regression", error=SupportError)

    def distribution_params(self, eta, aux):
        mu = self.mean(eta)
        k = self.nuisance_values(eta)["shape"] * np.ones_like(mu)
        return {"shape": k, "rate": k / mu}

    def unit_deviance(self, y, eta, aux):
        mu = self.mean(eta)
        return 2.0 * (-np.log(y / mu) + (y - mu) / mu)

    def expected_mu_information(self, mu, nu, aux):
        return nu["shape"] / mu**2


class GammaFamily(Family):
    r"""Gamma(shape, rate) — the **rate** parameterisation (scipy's ``scale = 1/rate``).

    .. math:: p(x) = \frac{r^{k}}{\Gamma(k)} x^{k-1} e^{-r x}, \quad x > 0

    In a GLM the mean ``k/r`` is modelled (log link usual, canonical link
    ``inverse``); the mean is not one of the native parameters, so
    ``mean_parameter`` is None.

    Examples
    --------
    >>> import numpy as np, mlekit as mk
    >>> d = mk.Gamma(shape=2.0, rate=0.5)
    >>> float(d.mean), float(d.var)         # shape/rate, shape/rate**2
    (4.0, 8.0)
    >>> days = mk.datasets.load("strikes")["duration"]
    >>> res = mk.Gamma.fit(days)
    >>> round(res.params["shape"], 3), round(res.params["rate"], 4)
    (0.893, 0.0209)
    """

    name = "gamma"
    title = "Gamma"
    censored_mass_escapes = True
    censored_mass_concentrates = True
    #: the hand-written link-space row model (regression fast path)
    row_model = GammaModel
    parameters = (Parameter("shape", Positive, "k"), Parameter("rate", Positive, "r"))
    #: regression on the mean m = k / r (a GLM) with the shape k: rate r = k / m
    parametrisations = {"mean": Parametrisation(
        "mean", (Parameter("mean", Positive, r"\mu"), Parameter("shape", Positive, "k")),
        to_base=lambda mean, shape: {"shape": shape, "rate": shape / mean},
        jacobian=lambda mean, shape: {("shape", "shape"): np.ones_like(shape / mean),
                                      ("rate", "mean"): -shape / mean**2,
                                      ("rate", "shape"): 1.0 / mean + 0.0 * shape},
        second=lambda mean, shape: {("rate", "mean", "mean"): 2.0 * shape / mean**3,
                                    ("rate", "mean", "shape"): -1.0 / mean**2 + 0.0 * shape},
        from_base=lambda shape, rate: {"mean": shape / rate, "shape": shape},
        mean_parameter="mean")}
    support = Positive
    canonical_link = "inverse"
    dispersion_parameter = ("shape", -1)  # φ = 1/k
    #: what ``mle`` runs (read by mlekit.estimate for ``FitResult.method``)
    mle_method: ClassVar[str] = "Newton on the profile equation (bracketed)"
    example_params: ClassVar[dict[str, Any]] = {"shape": 2.5, "rate": 1.5}
    #: ``mle`` raises unless Σ log x is finite, i.e. every x is in (0, ∞): estimate.fit
    #: may leave the support check of large data to it
    mle_checks_support: ClassVar[bool] = True

    def logpdf(self, x, shape, rate):
        ok = x >= 0
        xs = np.where(ok, x, 1.0)
        with np.errstate(divide="ignore"):
            out = xlogy(shape, rate) - gammaln(shape) + xlogy(shape - 1.0, xs) - rate * xs
        return np.where(ok, out, -np.inf)

    def cdf(self, x, shape, rate):
        return gammainc(shape, rate * np.maximum(x, 0.0))

    def logsf(self, x, shape, rate):
        with np.errstate(divide="ignore"):
            return np.log(gammaincc(shape, rate * np.maximum(x, 0.0)))

    def ppf(self, q, shape, rate):
        return gammaincinv(shape, q) / rate

    def sample(self, size, rng, shape, rate):
        out = tuple(size) + _bshape(shape, rate)
        return rng.standard_gamma(np.broadcast_to(shape, out)) / rate

    def mean(self, shape, rate):
        return np.asarray(shape, float) / rate

    def var(self, shape, rate):
        return np.asarray(shape, float) / np.asarray(rate, float) ** 2

    def entropy(self, shape, rate):
        k = np.asarray(shape, float)
        return k - np.log(rate) + gammaln(k) + (1.0 - k) * digamma(k)

    def score(self, x, shape, rate):
        with np.errstate(divide="ignore", invalid="ignore"):
            logx = np.log(x)
        return {"shape": np.log(rate) - digamma(shape) + logx, "rate": shape / rate - x}

    def hessian(self, x, shape, rate):
        shp = _bshape(x, shape, rate)
        return {
            ("shape", "shape"): np.broadcast_to(-trigamma(shape), shp),
            ("shape", "rate"): np.broadcast_to(1.0 / np.asarray(rate, float), shp),
            ("rate", "rate"): np.broadcast_to(-np.asarray(shape, float) / rate**2, shp),
        }

    def fisher_information(self, shape, rate):
        k, r = np.broadcast_arrays(np.asarray(shape, float), np.asarray(rate, float))
        info = np.empty((*k.shape, 2, 2))
        info[..., 0, 0] = trigamma(k)
        info[..., 0, 1] = info[..., 1, 0] = -1.0 / r
        info[..., 1, 1] = k / r**2
        return info

    def mle(self, x, weights=None, fixed=None):
        fixed = check_fixed(self, fixed)
        if "shape" in fixed and "rate" in fixed:
            return dict(fixed)
        x, w, total = prepare(x, weights)
        mean = wsum(w, x) / total
        if "shape" in fixed and 0 < mean < np.inf and float(x.min()) >= 0:
            return {"shape": fixed["shape"], "rate": fixed["shape"] / mean}
        log_mean, s = _log_mean_and_gap(x, w, total, mean)
        mean = float(np.exp(log_mean)) if not 0 < mean < np.inf else mean
        meanlog = log_mean - s
        if "shape" in fixed:
            return {"shape": fixed["shape"], "rate": fixed["shape"] / mean}
        if "rate" in fixed:
            # score in k: ψ(k) = log r + mean log x, ψ increasing from -inf to inf
            target = np.log(fixed["rate"]) + meanlog
            k = _inverse_digamma(target)
            return MLEstimate({"shape": k, "rate": fixed["rate"]},
                              **_gamma_extras(k, fixed["rate"], mean, meanlog, total))
        if not s > 0:
            raise NoMaximumError(
                "Gamma: all observations are equal (log of the mean = mean of the logs), so "
                "the MLE does not exist (shape -> infinity)"
            )
        k = _solve_profile_shape(s)
        log_rate = float(np.log(k) - log_mean)
        if log_rate > _LOG_MAX:
            raise DataError(
                f"Gamma: the MLE exists, but its rate = shape/mean = 10^{log_rate / _LN10:.1f} "
                f"is beyond the largest double (1.8e308): the data are subnormal (mean "
                f"{np.exp(log_mean):.3g}). Rescale them: x·c has the same shape MLE and "
                "rate/c")
        rate = float(np.exp(log_rate))
        # ℓ/W at the profile maximum, with no cancellation at any shape (see _profile_llf)
        llf = total * _profile_llf(k, s, log_mean)
        extras = _gamma_extras(k, rate, mean, meanlog, total)
        extras["llf"] = float(llf)
        if k > _BIG_SHAPE:
            # −∂²ℓ is singular to rounding there (det ∝ kψ'(k) − 1 ≈ 1/(2k)): the
            # covariance comes from mle_covariance's closed form instead
            extras.pop("information", None)
        return MLEstimate({"shape": k, "rate": rate}, **extras)

    def mle_covariance(self, params, nobs):
        r"""Inverse information of the (shape, rate) MLE, where inverting it numerically
        fails (shape > 1e6; None below, where the observed information is accurate):

        .. math:: \Sigma = \frac{1}{W D}\begin{pmatrix} k & r \\ r & r^2\psi'(k)
                  \end{pmatrix}, \qquad D = k\psi'(k) − 1 = −k\,g'(k),

        with g(k) = log k − ψ(k) and D from its asymptotic series (D ≈ 1/(2k)).
        Gamma's observed information does not depend on the data, so this is both the
        observed and the expected covariance.
        """
        k, r = float(params["shape"]), float(params["rate"])
        if not k > _BIG_SHAPE:
            return None
        dd = -k * _d_log_minus_digamma(k)
        scale = 1.0 / (float(nobs) * dd)
        return scale * np.array([[k, r], [r, r * r * float(trigamma(k))]])

    def _symbolic(self):
        sp, x, s = self._make_symbols()
        k, r = s["shape"], s["rate"]
        expr = r**k / sp.gamma(k) * x ** (k - 1) * sp.exp(-r * x)
        log_expr = k * sp.log(r) - sp.loggamma(k) + (k - 1) * sp.log(x) - r * x
        # r^k/Γ(k) · x^{k−1} · e^{−r x}
        display = (r**k / sp.gamma(k), x ** (k - 1), sp.exp(sp.Mul(-r, x, evaluate=False)))
        return SymbolicDensity(expr, x, s, log_expr, display=display)


def _log_mean_and_gap(x, w, total, mean) -> tuple[float, float]:
    """``(log x̄, s)`` with s = log x̄ − mean log x >= 0, to ~1e-12 relative or better.

    The direct difference is accurate to about 8ε(|log x̄| + rms log x) absolute; where
    that is below 1e-12·s (most data) it is used (two passes). Otherwise (data far from 0
    relative to their spread: 1e9 + N(0, 1) has s ~ 5e-19) s is recomputed from relative
    deviations (:func:`~mlekit.families._mle_tools.log_mean_gap`), exact to a few ulps.
    Raises DataError unless every x is in (0, ∞).
    """
    bad = DataError("Gamma: observations must be > 0 (log x enters the likelihood)")
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        y = np.log(x)
        meanlog = wsum(w, y) / total  # -inf or NaN when some x <= 0
        y *= y
        rms = np.sqrt(wsum(w, y) / total)
        log_mean = np.log(mean) if 0 < mean < np.inf else np.nan
        s = log_mean - meanlog
    if not np.isfinite(meanlog):
        raise bad
    eps = np.finfo(float).eps
    if np.isfinite(s) and np.isfinite(rms) and s > 8e12 * eps * (abs(log_mean) + rms):
        return float(log_mean), float(s)
    log_mean, s, _ = log_mean_gap(x, w, total)
    if not (np.isfinite(log_mean) and np.isfinite(s)):
        raise bad
    return float(log_mean), float(s)


def _gamma_extras(k: float, r: float, mean: float, meanlog: float, total: float) -> dict:
    r"""ℓ = W[k log r − lnΓ(k) + (k−1)·mean log x − r·mean x]; the information
    −∂²ℓ = W[[ψ'(k), −1/r], [−1/r, k/r²]] does not depend on the data."""
    k, r = np.float64(k), np.float64(r)
    with np.errstate(all="ignore"):  # extreme data: solver_extras drops what overflowed
        llf = total * (k * np.log(r) - gammaln(k) + (k - 1.0) * meanlog - r * mean)
        info = {("shape", "shape"): total * trigamma(k), ("shape", "rate"): -total / r,
                ("rate", "rate"): total * k / r / r}
    return solver_extras(llf, info)


#: above this shape the 2×2 information is inverted in closed form (mle_covariance)
#: log of the largest double, and log 10
_LOG_MAX, _LN10 = float(np.log(np.finfo(float).max)), float(np.log(10.0))
_BIG_SHAPE = 1e6
_HALF_LOG_2PI = 0.5 * float(np.log(2.0 * np.pi))


def _log_minus_digamma(k: float) -> float:
    r"""g(k) = log k − ψ(k) > 0, accurate for any k: directly below k = 20, else by the
    asymptotic series :math:`\frac1{2k} + \frac1{12k^2} − \frac1{120k^4} + \frac1{252k^6}
    − \frac1{240k^8} + \frac1{132k^{10}} − \frac{691}{32760k^{12}}` (the direct
    difference of two numbers ≈ log k keeps only ~1e-16·log k absolute)."""
    if k < 20.0:
        return float(np.log(k) - digamma(k))
    v = 1.0 / (k * k)
    return float(0.5 / k + v * (1 / 12 + v * (-1 / 120 + v * (1 / 252 + v * (
        -1 / 240 + v * (1 / 132 - v * 691 / 32760))))))


def _d_log_minus_digamma(k: float) -> float:
    """g'(k) = 1/k − ψ'(k) < 0, by the differentiated series for k >= 20."""
    if k < 20.0:
        return float(1.0 / k - trigamma(k))
    v = 1.0 / (k * k)
    return float(-v * (0.5 + (1.0 / k) * (1 / 6 + v * (-1 / 30 + v * (1 / 42 + v * (
        -1 / 30 + v * (5 / 66 - v * 691 / 2730)))))))


def _stirling_rest(k: float) -> float:
    """c(k) = lnΓ(k) − [(k − ½) log k − k + ½ log 2π] (≈ 1/(12k)); series for k >= 100."""
    if k < 100.0:
        return float(gammaln(k) - ((k - 0.5) * np.log(k) - k + _HALF_LOG_2PI))
    v = 1.0 / (k * k)
    return float((1.0 / k) * (1 / 12 + v * (-1 / 360 + v * (1 / 1260 - v / 1680))))


def _profile_llf(k: float, s: float, log_mean: float) -> float:
    r"""ℓ/W at (k, r = k/x̄): with s = log x̄ − mean log x,

    .. math:: k\log r − \ln\Gamma(k) + (k−1)\overline{\log x} − r\bar x
              = \tfrac12\log k − \tfrac12\log 2\pi − c(k) − \log\bar x − (k−1)s,

    c the Stirling remainder. Each term is small or exact: no cancellation of the
    k·log k-sized terms of the direct formula (k ~ 1e18 for data 1e9 + N(0, 1))."""
    return float(0.5 * np.log(k) - _HALF_LOG_2PI - _stirling_rest(k) - log_mean - (k - 1.0) * s)


def _solve_profile_shape(s: float) -> float:
    """Solve log k − ψ(k) = s (s > 0) for k > 0, working in u = log k."""
    k0 = (3.0 - s + np.sqrt((s - 3.0) ** 2 + 24.0 * s)) / (12.0 * s)

    def f(u):
        k = float(np.exp(u))
        return _log_minus_digamma(k) - s, k * _d_log_minus_digamma(k)

    # log k − ψ(k) lies between 1/(2k) and 1/k: the root is in [1/(2s), 1/s]
    lo, hi = np.log(0.5 / s) - 1e-9, np.log(1.0 / s) + 1e-9
    u = root_bracketed(f, lo, hi, x0=float(np.log(k0)), what="Gamma profile equation")
    # the bracket stops at a tolerance relative to u (~40 for k ~ 1e18): one more Newton
    # step (quadratic) leaves k exact to rounding
    fu, du = f(u)
    if np.isfinite(fu) and du < 0 and abs(fu / du) < 1e-6:
        u -= fu / du
    return float(np.exp(u))


def _inverse_digamma(y: float) -> float:
    """k with ψ(k) = y (ψ is increasing on (0, ∞)), by bracketed Newton in log k."""
    k0 = np.exp(y) + 0.5 if y >= -2.22 else -1.0 / (y - digamma(1.0))

    def f(u):
        k = np.exp(u)
        return float(digamma(k) - y), float(k * trigamma(k))

    lo, hi = np.log(k0) - 2.0, np.log(k0) + 2.0
    while f(lo)[0] > 0:
        lo -= 2.0
    while f(hi)[0] < 0:
        hi += 2.0
    return float(np.exp(root_bracketed(f, lo, hi, x0=float(np.log(k0)), what="digamma equation")))


Gamma = GammaFamily()


def _kl_gamma(k1, r1, k2, r2):
    return ((k1 - k2) * digamma(k1) - gammaln(k1) + gammaln(k2)
            + k2 * (np.log(r1) - np.log(r2)) + k1 * (r2 - r1) / r1)


@register_kl(GammaFamily, GammaFamily)
def _kl_gamma_gamma(p, q):
    r"""KL(Γ(k₁,r₁)‖Γ(k₂,r₂)) = (k₁−k₂)ψ(k₁) − lnΓ(k₁) + lnΓ(k₂) + k₂ log(r₁/r₂) + k₁(r₂−r₁)/r₁."""
    return _kl_gamma(p["shape"], p["rate"], q["shape"], q["rate"])


@register_kl(ExponentialFamily, GammaFamily)
def _kl_exponential_gamma(p, q):
    r"""KL(Exp(λ)‖Γ(k, r)): the Gamma formula with k₁ = 1, r₁ = λ."""
    return _kl_gamma(1.0, p["rate"], q["shape"], q["rate"])


@register_kl(GammaFamily, ExponentialFamily)
def _kl_gamma_exponential(p, q):
    r"""KL(Γ(k, r)‖Exp(λ)): the Gamma formula with k₂ = 1, r₂ = λ."""
    return _kl_gamma(p["shape"], p["rate"], 1.0, q["rate"])
