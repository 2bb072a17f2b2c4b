r"""Cauchy family with location ``mu`` (the median) and scale ``sigma`` (half the IQR).

.. math::

    p(x;\,\mu,\sigma) = \frac{1}{\pi\sigma\left(1+\left(\frac{x-\mu}{\sigma}\right)^{2}\right)},
    \qquad x\in\mathbb{R},\ \mu\in\mathbb{R},\ \sigma>0 .

Textbooks also write ``x₀`` and ``γ``; mlekit uses ``mu`` and ``sigma`` like the
other location-scale families (scipy's ``cauchy``: ``loc = mu``,
``scale = sigma``). It is Student's t with ν = 1. The mean and variance do not
exist: :meth:`CauchyFamily.mean` and ``var`` raise
:class:`~mlekit.errors.NotImplementedForFamily`.

MLE: damped Newton's method on (μ, log σ) from the median and half the IQR
(the joint likelihood has a single stationary point for n ≥ 3, Copas 1975);
when at least half of the observations coincide the MLE does not exist
(σ → 0) and a :class:`~mlekit.errors.DataError` says so.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from ..domains import Positive, Real
from ..errors import NotImplementedForFamily
from ._mle_tools import check_fixed, prepare
from ._registry import register_kl
from .base import Family, Parameter, SymbolicDensity
from .studentt import _fit_t

_LOG_PI = float(np.log(np.pi))


def _bshape(*a):
    return np.broadcast_shapes(*(np.shape(v) for v in a))


class CauchyFamily(Family):
    r"""Cauchy(mu, sigma): location ``mu`` (median), scale ``sigma`` > 0; no mean, no variance.

    .. math:: p(x) = \frac{1}{\pi\sigma(1+((x-\mu)/\sigma)^2)}

    Examples
    --------
    >>> import numpy as np, mlekit as mk
    >>> round(float(mk.Cauchy(mu=0, sigma=1).logpdf(1.0)), 4)   # -log(2 pi)
    -1.8379
    >>> x = mk.Cauchy(mu=3.0, sigma=2.0).sample(2000, rng=0)
    >>> res = mk.Cauchy.fit(x)              # robust to the heavy tails
    >>> round(res.params["mu"], 1), round(res.params["sigma"], 1)
    (2.9, 2.1)
    """

    name = "cauchy"
    title = "Cauchy"
    censored_mass_escapes = True
    censored_mass_concentrates = True
    parameters = (Parameter("mu", Real, r"\mu"), Parameter("sigma", Positive, r"\sigma"))
    support = Real
    #: what ``mle`` runs (read by mlekit.estimate for ``FitResult.method``)
    mle_method: ClassVar[str] = "damped Newton (analytic Hessian, line search)"
    example_params: ClassVar[dict[str, Any]] = {"mu": -1.0, "sigma": 0.7}

    def logpdf(self, x, mu, sigma):
        # log(1 + z²) = 2 log|z| + log1p(1/z²) for |z| > 1: z² overflows once |z| > 1e154
        # (x = 1e300 gave -inf instead of -1383); log|z| = log|x - mu| - log sigma.
        x, mu, sigma = np.broadcast_arrays(*(np.asarray(a, float) for a in (x, mu, sigma)))
        with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
            d = np.abs(x - mu)
            z = d / sigma
            big = z > 1.0
            zb = np.where(big, z, 2.0)
            log_z = np.where(np.isfinite(zb), np.log(zb), np.log(np.where(big, d, 2.0))
                             - np.log(sigma))
            tail = 2.0 * log_z + np.log1p(1.0 / (zb * zb))
            zs = np.where(big, 0.0, z)
            core = np.log1p(zs * zs)
        return -_LOG_PI - np.log(sigma) - np.where(big, tail, core)

    def cdf(self, x, mu, sigma):
        return 0.5 + np.arctan((x - mu) / sigma) / np.pi

    def logsf(self, x, mu, sigma):
        z = (x - mu) / sigma
        # sf = arctan(1/z)/π for z > 0 keeps precision far in the right tail
        with np.errstate(divide="ignore"):
            right = np.log(np.arctan(1.0 / np.where(z > 0, z, 1.0)) / np.pi)
        return np.where(z > 0, right, np.log(0.5 - np.arctan(np.minimum(z, 0.0)) / np.pi))

    def ppf(self, q, mu, sigma):
        # x = mu - sigma / tan(pi q) below the median and mu + sigma / tan(pi (1 - q)) above:
        # exact at the ends (q = 0 -> -inf, q = 1 -> +inf; tan(pi (q - 1/2)) gave ∓1.1e16)
        # and accurate in both tails.
        q = np.asarray(q, float)
        low = q < 0.5
        t = np.tan(np.pi * np.where(low, q, 1.0 - q))
        with np.errstate(divide="ignore"):
            r = np.where(t > 0, 1.0 / np.where(t > 0, t, 1.0), np.inf)
        r = np.where(np.isnan(q), np.nan, r)
        return mu + sigma * np.where(low, -r, r)

    def sample(self, size, rng, mu, sigma):
        out = tuple(size) + _bshape(mu, sigma)
        return mu + sigma * rng.standard_cauchy(out)

    def mean(self, mu, sigma):
        raise NotImplementedForFamily("Cauchy has no mean (the integral diverges); its "
                                      "location mu is the median")

    def var(self, mu, sigma):
        raise NotImplementedForFamily("Cauchy has no variance (the integral diverges); its "
                                      "scale sigma is half the interquartile range")

    def entropy(self, mu, sigma):
        return np.broadcast_to(np.log(4.0 * np.pi * np.asarray(sigma, float)),
                               _bshape(mu, sigma)) * 1.0

    def score(self, x, mu, sigma):
        z = (x - mu) / sigma
        d = 1.0 + z * z
        return {"mu": 2.0 * z / (sigma * d), "sigma": (z * z - 1.0) / (sigma * d)}

    def hessian(self, x, mu, sigma):
        z = (x - mu) / sigma
        z2 = z * z
        den = sigma * sigma * (1.0 + z2) ** 2
        return {
            ("mu", "mu"): 2.0 * (z2 - 1.0) / den,
            ("mu", "sigma"): -4.0 * z / den,
            ("sigma", "sigma"): (1.0 - 4.0 * z2 - z2 * z2) / den,
        }

    def fisher_information(self, mu, sigma):
        s2 = np.broadcast_to(np.asarray(sigma, float) ** 2, _bshape(mu, sigma))
        info = np.zeros((*s2.shape, 2, 2))
        info[..., 0, 0] = info[..., 1, 1] = 0.5 / s2
        return info

    def mle(self, x, weights=None, fixed=None):
        fixed = check_fixed(self, fixed)
        if len(fixed) == 2:
            return dict(fixed)
        x, w, total = prepare(x, weights)
        from .studentt import StudentT

        out = _fit_t(StudentT, x, w, total, {**fixed, "nu": 1.0}, title="Cauchy")
        return {"mu": out["mu"], "sigma": out["sigma"]}

    def _symbolic(self):
        sp, x, s = self._make_symbols()
        mu, sigma = s["mu"], s["sigma"]
        z = (x - mu) / sigma
        return SymbolicDensity(1 / (sp.pi * sigma * (1 + z**2)), x, s,
                               -sp.log(sp.pi) - sp.log(sigma) - sp.log(1 + z**2))


Cauchy = CauchyFamily()


@register_kl(CauchyFamily, CauchyFamily)
def _kl_cauchy_cauchy(p, q):
    r"""KL(C(μ₁,σ₁)‖C(μ₂,σ₂)) = log((σ₁+σ₂)² + (μ₁−μ₂)²) − log(4σ₁σ₂) (symmetric)."""
    s1, s2 = p["sigma"], q["sigma"]
    return np.log((s1 + s2) ** 2 + (p["mu"] - q["mu"]) ** 2) - np.log(4.0 * s1 * s2)
