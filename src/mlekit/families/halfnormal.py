r"""Half-normal family: the absolute value of a centred Normal, scale ``sigma``.

.. math::

    p(x;\,\sigma) = \frac{\sqrt{2}}{\sigma\sqrt{\pi}}
        \exp\!\left(-\frac{x^2}{2\sigma^2}\right),
    \qquad x \ge 0,\ \sigma > 0 .

``sigma`` is scipy's ``halfnorm`` ``scale``. The MLE is
``σ̂ = sqrt(Σ w x² / Σ w)`` (closed form).
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
from scipy.special import erf, log_ndtr, ndtri

from ..domains import NonNegative, Positive
from ..errors import NoMaximumError
from ._mle_tools import (
    check_fixed,
    prepare,
    scale_only_information,
    scaled_mean_square,
)
from ._registry import register_kl
from .base import Family, Parameter, SymbolicDensity

_LOG_2_OVER_PI_HALF = 0.5 * float(np.log(2.0 / np.pi))


class HalfNormalFamily(Family):
    r"""HalfNormal(sigma): ``|Z|``·σ for a standard normal Z; ``sigma`` > 0.

    .. math:: p(x) = \frac{\sqrt{2}}{\sigma\sqrt{\pi}} e^{-x^2/(2\sigma^2)}, \quad x \ge 0

    Examples
    --------
    >>> import numpy as np, mlekit as mk
    >>> round(float(mk.HalfNormal(sigma=1.0).logpdf(0.0)), 4)   # log sqrt(2 / pi)
    -0.2258
    >>> x = mk.HalfNormal(sigma=1.7).sample(1000, rng=0)
    >>> res = mk.HalfNormal.fit(x)          # sigma = sqrt(mean of x**2)
    >>> round(res.params["sigma"], 4), round(float(np.sqrt(np.mean(x**2))), 4)
    (1.6625, 1.6625)
    """

    name = "halfnormal"
    title = "HalfNormal"
    censored_mass_escapes = True
    parameters = (Parameter("sigma", Positive, r"\sigma"),)
    support = NonNegative
    example_params: ClassVar[dict[str, Any]] = {"sigma": 1.7}

    def logpdf(self, x, sigma):
        z = x / sigma
        return np.where(x >= 0, _LOG_2_OVER_PI_HALF - np.log(sigma) - 0.5 * z * z, -np.inf)

    def cdf(self, x, sigma):
        return np.where(x > 0, erf(np.maximum(x, 0.0) / (sigma * np.sqrt(2.0))), 0.0)

    def logsf(self, x, sigma):
        return np.where(x > 0, np.log(2.0) + log_ndtr(-np.maximum(x, 0.0) / sigma), 0.0)

    def ppf(self, q, sigma):
        return sigma * ndtri(0.5 * (1.0 + q))

    def sample(self, size, rng, sigma):
        shape = tuple(size) + np.shape(sigma)
        return np.abs(rng.standard_normal(shape)) * sigma

    def mean(self, sigma):
        return np.asarray(sigma, float) * np.sqrt(2.0 / np.pi)

    def var(self, sigma):
        return np.asarray(sigma, float) ** 2 * (1.0 - 2.0 / np.pi)

    def entropy(self, sigma):
        # log σ + ½ log(π/2) + ½, without squaring σ (σ = 1e-300 gave −inf)
        return np.log(np.asarray(sigma, float)) + 0.5 * np.log(0.5 * np.pi) + 0.5

    def score(self, x, sigma):
        z = x / sigma
        return {"sigma": (z * z - 1.0) / sigma}

    def hessian(self, x, sigma):
        z = x / sigma
        return {("sigma", "sigma"): (1.0 - 3.0 * z * z) / sigma**2}

    def fisher_information(self, sigma):
        return (2.0 / np.asarray(sigma, float) ** 2)[..., None, None]

    def mle(self, x, weights=None, fixed=None):
        fixed = check_fixed(self, fixed)
        if "sigma" in fixed:
            return {"sigma": fixed["sigma"]}
        x, w, total = prepare(x, weights)
        c, s2 = scaled_mean_square(x, w, total)  # σ̂ = c·sqrt(Σ w (x/c)² / W), any magnitude
        if s2 <= 0:
            raise NoMaximumError("HalfNormal: all observations are 0, so the MLE of sigma is 0 "
                            "(on the boundary; it does not exist)")
        return {"sigma": float(c * np.sqrt(s2))}

    def scaled_information(self, x, weights, params):
        """Observed information on data x/c (c ~ max x): see ``_mle_tools.scaled_information``."""
        return scale_only_information(self, x, weights, params)

    def _symbolic(self):
        sp, x, s = self._make_symbols()
        sigma = s["sigma"]
        expr = sp.sqrt(2) / (sigma * sp.sqrt(sp.pi)) * sp.exp(-(x**2) / (2 * sigma**2))
        log_expr = sp.log(2) / 2 - sp.log(sp.pi) / 2 - sp.log(sigma) - x**2 / (2 * sigma**2)
        u = {"evaluate": False}  # √2/(σ√π) · e^{−x²/(2σ²)}
        display = (sp.Mul(sp.sqrt(2), sp.Pow(sp.Mul(sigma, sp.sqrt(sp.pi), **u), -1, **u), **u),
                   sp.exp(-(x**2) / (2 * sigma**2)))
        return SymbolicDensity(expr, x, s, log_expr, display=display)


HalfNormal = HalfNormalFamily()


@register_kl(HalfNormalFamily, HalfNormalFamily)
def _kl_halfnormal_halfnormal(p, q):
    r"""KL(HN(σ₁)‖HN(σ₂)) = log(σ₂/σ₁) + σ₁²/(2σ₂²) − 1/2."""
    r = p["sigma"] / q["sigma"]
    return -np.log(r) + 0.5 * r * r - 0.5
