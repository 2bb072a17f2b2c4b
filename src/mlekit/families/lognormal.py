r"""Log-normal family: ``log x`` is Normal(mu, sigma).

.. math::

    p(x;\,\mu,\sigma) = \frac{1}{x\,\sigma\sqrt{2\pi}}
        \exp\!\left(-\frac{(\log x-\mu)^2}{2\sigma^2}\right),
    \qquad x>0,\ \mu\in\mathbb{R},\ \sigma>0 .

``mu`` and ``sigma`` are the mean and standard deviation of ``log x``; scipy's
``lognorm`` uses ``s = sigma`` and ``scale = exp(mu)``. The MLE is the Normal
MLE of ``log x`` (closed form).
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
from scipy.special import log_ndtr, ndtr, ndtri

from ..domains import Positive, Real
from ..errors import DataError, NoMaximumError
from ._mle_tools import (
    MLEstimate,
    all_equal,
    check_fixed,
    log_ratio,
    prepare,
    safe_mean,
    solver_extras,
    sum_sq_dev,
    wsum,
)
from ._registry import register_kl
from .base import Family, Parameter, SymbolicDensity

_LOG_2PI = float(np.log(2.0 * np.pi))


def _log_pos(x):
    """log x for x > 0 (and a harmless 0 elsewhere, masked by the caller)."""
    return np.log(np.where(x > 0, x, 1.0))


class LogNormalFamily(Family):
    r"""LogNormal(mu, sigma): log x ~ Normal(mu, sigma); ``mu`` real, ``sigma`` > 0.

    .. math:: p(x) = \frac{1}{x\sigma\sqrt{2\pi}} e^{-(\log x-\mu)^2/(2\sigma^2)}, \quad x > 0

    Examples
    --------
    >>> import numpy as np, mlekit as mk
    >>> round(float(mk.LogNormal(mu=0, sigma=1).mean), 4)   # exp(sigma**2 / 2)
    1.6487
    >>> income = mk.datasets.load("engel")["income"]
    >>> res = mk.LogNormal.fit(income)      # the Normal MLE of log(income)
    >>> res.method, round(res.params["mu"], 4), round(float(np.log(income).mean()), 4)
    ('closed form', 6.7862, 6.7862)
    """

    name = "lognormal"
    title = "LogNormal"
    censored_mass_escapes = True
    censored_mass_concentrates = True
    parameters = (Parameter("mu", Real, r"\mu"), Parameter("sigma", Positive, r"\sigma"))
    support = Positive
    example_params: ClassVar[dict[str, Any]] = {"mu": 0.3, "sigma": 0.6}
    #: ``mle`` raises unless Σ log x is finite, i.e. every x is in (0, ∞): estimate.fit
    #: may leave the support check of large data to it
    mle_checks_support: ClassVar[bool] = True

    def logpdf(self, x, mu, sigma):
        y = _log_pos(x)
        z = (y - mu) / sigma
        return np.where(x > 0, -0.5 * z * z - np.log(sigma) - y - 0.5 * _LOG_2PI, -np.inf)

    def cdf(self, x, mu, sigma):
        return np.where(x > 0, ndtr((_log_pos(x) - mu) / sigma), 0.0)

    def logsf(self, x, mu, sigma):
        return np.where(x > 0, log_ndtr(-(_log_pos(x) - mu) / sigma), 0.0)

    def logcdf(self, x, mu, sigma):
        """log Φ((log x − μ)/σ), exact far in the lower tail; −inf for x <= 0."""
        return np.where(x > 0, log_ndtr((_log_pos(x) - mu) / sigma), -np.inf)

    def ppf(self, q, mu, sigma):
        return np.exp(mu + sigma * ndtri(q))

    def sample(self, size, rng, mu, sigma):
        shape = tuple(size) + np.broadcast_shapes(np.shape(mu), np.shape(sigma))
        return np.exp(rng.normal(mu, sigma, size=shape))

    def mean(self, mu, sigma):
        return np.exp(mu + 0.5 * np.asarray(sigma, float) ** 2)

    def var(self, mu, sigma):
        s2 = np.asarray(sigma, float) ** 2
        return np.expm1(s2) * np.exp(2.0 * mu + s2)

    def entropy(self, mu, sigma):
        return mu + 0.5 * (1.0 + _LOG_2PI) + np.log(sigma)

    def score(self, x, mu, sigma):
        z = (_log_pos(x) - mu) / sigma
        return {"mu": z / sigma, "sigma": (z * z - 1.0) / sigma}

    def hessian(self, x, mu, sigma):
        z = (_log_pos(x) - mu) / sigma
        s2 = sigma * sigma
        shape = np.broadcast(x, mu, sigma).shape
        return {
            ("mu", "mu"): np.broadcast_to(-1.0 / s2, shape),
            ("mu", "sigma"): -2.0 * z / s2,
            ("sigma", "sigma"): (1.0 - 3.0 * z * z) / s2,
        }

    def fisher_information(self, mu, sigma):
        s2 = np.broadcast_to(np.asarray(sigma, float) ** 2, np.broadcast_shapes(
            np.shape(mu), np.shape(sigma)))
        info = np.zeros((*s2.shape, 2, 2))
        info[..., 0, 0] = 1.0 / s2
        info[..., 1, 1] = 2.0 / s2
        return info

    def mle(self, x, weights=None, fixed=None):
        fixed = check_fixed(self, fixed)
        x, w, total = prepare(x, weights)
        with np.errstate(divide="ignore", invalid="ignore"):
            y = np.log(x)
            sy = wsum(w, y)  # -inf or NaN when some x <= 0
        if not np.isfinite(sy):
            raise DataError("LogNormal: observations must be > 0 to take logs")
        log_m = 0.0  # y = log(x / e^{log_m})
        mu = fixed.get("mu", sy / total)
        if "sigma" in fixed:
            return {"mu": float(mu), "sigma": fixed["sigma"]}
        s2 = sum_sq_dev(y, float(mu), w) / total
        # each log x carries an error of ~ε|log x|: the deviations keep their digits only
        # while that is far below σ. Else (data far from 0 relative to their spread:
        # 1e9 + N(0, 1) has log x ≈ 20.7 ± 1e-9, whose deviations keep 7 digits) the logs
        # are retaken about the mean m, y = log(x/m), exact to ulps of y (log_ratio)
        eps = np.finfo(float).eps
        if not 8e12 * eps * np.sqrt(float(mu) ** 2 + s2) < np.sqrt(s2):
            m = safe_mean(x, w, total)
            log_m = float(np.log(m))
            y = log_ratio(x, m)
            sy = wsum(w, y)
            mu = fixed.get("mu", log_m + sy / total)
            center = sy / total if "mu" not in fixed else float(mu) - log_m
            s2 = sum_sq_dev(y, center, w) / total
        if not s2 > 0 or all_equal(x, w):
            raise NoMaximumError("LogNormal: all observations are equal, so the MLE of sigma is 0 "
                            "(it does not exist)")
        sigma = float(np.sqrt(s2))
        # at σ̂: Σ w (log x − μ)² = W σ̂², and Σ w (log x − μ̂) = 0 when μ is estimated;
        # Σ w log x = W log m + Σ w y (log σ̂ + log m: no cancellation of the two sums)
        llf = -total * (np.log(sigma) + log_m + 0.5 * (_LOG_2PI + 1.0)) - sy
        info = {("mu", "mu"): total / s2, ("mu", "sigma"): 0.0, ("sigma", "sigma"): 2 * total / s2}
        return MLEstimate({"mu": float(mu), "sigma": sigma}, **solver_extras(llf, info))

    def _symbolic(self):
        sp, x, s = self._make_symbols()
        mu, sigma = s["mu"], s["sigma"]
        expr = sp.exp(-((sp.log(x) - mu) ** 2) / (2 * sigma**2)) / (
            x * sigma * sp.sqrt(2 * sp.pi))
        log_expr = (-((sp.log(x) - mu) ** 2) / (2 * sigma**2) - sp.log(sigma) - sp.log(x)
                    - sp.log(2 * sp.pi) / 2)
        u = {"evaluate": False}  # 1/(xσ√(2π)) · e^{−(log x − μ)²/(2σ²)}
        display = (sp.Pow(sp.Mul(x, sigma, sp.sqrt(2 * sp.pi, **u), **u), -1, **u),
                   sp.exp(-((sp.log(x) - mu) ** 2) / (2 * sigma**2)))
        return SymbolicDensity(expr, x, s, log_expr, display=display)


LogNormal = LogNormalFamily()


@register_kl(LogNormalFamily, LogNormalFamily)
def _kl_lognormal_lognormal(p, q):
    r"""KL(LN(μ₁,σ₁)‖LN(μ₂,σ₂)) = log(σ₂/σ₁) + (σ₁² + (μ₁−μ₂)²)/(2σ₂²) − 1/2 (as for log x)."""
    ratio = p["sigma"] / q["sigma"]
    return -np.log(ratio) + 0.5 * (ratio**2 + ((p["mu"] - q["mu"]) / q["sigma"]) ** 2) - 0.5
