r"""Rayleigh family with scale ``sigma``.

.. math::

    p(x;\,\sigma) = \frac{x}{\sigma^{2}}\exp\!\left(-\frac{x^{2}}{2\sigma^{2}}\right),
    \qquad x>0,\ \sigma>0 .

The length of a 2-D vector with independent N(0, σ²) components; scipy's
``rayleigh(scale=sigma)``. The support is taken as x > 0 (the density is 0 at x = 0,
so a zero observation has log-likelihood −inf and is rejected by ``check_data``).
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from ..domains import Positive
from ._mle_tools import (
    check_fixed,
    prepare,
    scale_only_information,
    scaled_mean_square,
)
from ._registry import register_kl
from .base import Family, Parameter, SymbolicDensity

_EULER = 0.5772156649015329


class RayleighFamily(Family):
    r"""Rayleigh(sigma): scale σ > 0 on x > 0.

    .. math:: p(x) = \frac{x}{\sigma^{2}} e^{-x^{2}/(2\sigma^{2})}

    Examples
    --------
    >>> import numpy as np, mlekit as mk
    >>> round(float(mk.Rayleigh(sigma=1.0).logpdf(1.0)), 4)   # -1/2
    -0.5
    >>> x = mk.Rayleigh(sigma=1.7).sample(1000, rng=0)
    >>> res = mk.Rayleigh.fit(x)            # sigma**2 = mean(x**2) / 2
    >>> round(res.params["sigma"], 4), round(float(np.sqrt(np.mean(x**2) / 2)), 4)
    (1.7186, 1.7186)
    """

    name = "rayleigh"
    title = "Rayleigh"
    censored_mass_escapes = True
    parameters = (Parameter("sigma", Positive, r"\sigma"),)
    support = Positive
    example_params: ClassVar[dict[str, Any]] = {"sigma": 1.7}

    def logpdf(self, x, sigma):
        x = np.asarray(x, float)
        ok = x > 0
        xs = np.where(ok, x, 1.0)
        out = np.log(xs) - 2.0 * np.log(sigma) - np.square(xs / sigma) / 2.0
        return np.where(ok, out, -np.inf)

    def cdf(self, x, sigma):
        x = np.asarray(x, float)
        return np.where(x > 0, -np.expm1(-np.square(x / sigma) / 2.0), 0.0)

    def logsf(self, x, sigma):
        x = np.asarray(x, float)
        return np.where(x > 0, -np.square(x / sigma) / 2.0, 0.0)

    def ppf(self, q, sigma):
        with np.errstate(divide="ignore"):
            return sigma * np.sqrt(-2.0 * np.log1p(-np.asarray(q, float)))

    def sample(self, size, rng, sigma):
        return rng.rayleigh(sigma, size=tuple(size) + np.shape(sigma))

    def mean(self, sigma):
        return np.asarray(sigma, float) * np.sqrt(np.pi / 2.0)

    def var(self, sigma):
        return (2.0 - np.pi / 2.0) * np.square(sigma)

    def entropy(self, sigma):
        r"""H = 1 + log(σ/√2) + γ/2 (γ: Euler's constant)."""
        return 1.0 + np.log(np.asarray(sigma, float) / np.sqrt(2.0)) + 0.5 * _EULER

    def score(self, x, sigma):
        return {"sigma": np.square(x) / np.asarray(sigma, float) ** 3 - 2.0 / sigma}

    def hessian(self, x, sigma):
        sigma = np.asarray(sigma, float)
        return {("sigma", "sigma"): 2.0 / sigma**2 - 3.0 * np.square(x) / sigma**4}

    def fisher_information(self, sigma):
        return (4.0 / np.square(np.asarray(sigma, float)))[..., None, None]

    def mle(self, x, weights=None, fixed=None):
        r"""σ̂² = Σ w x² / (2W)."""
        fixed = check_fixed(self, fixed)
        if "sigma" in fixed:
            return {"sigma": fixed["sigma"]}
        x, w, total = prepare(x, weights)
        c, ms = scaled_mean_square(x, w, total)  # σ̂ = c·sqrt(Σ w (x/c)² / 2W), any magnitude
        return {"sigma": float(c * np.sqrt(ms / 2.0))}

    def scaled_information(self, x, weights, params):
        """Observed information on data x/c (c ~ max x): see ``_mle_tools.scaled_information``."""
        return scale_only_information(self, x, weights, params)

    def _symbolic(self):
        sp, x, s = self._make_symbols()
        sigma = s["sigma"]
        expr = x / sigma**2 * sp.exp(-(x**2) / (2 * sigma**2))
        log_expr = sp.log(x) - 2 * sp.log(sigma) - x**2 / (2 * sigma**2)
        display = (x / sigma**2, sp.exp(-(x**2) / (2 * sigma**2)))  # x/σ² e^{−x²/(2σ²)}
        return SymbolicDensity(expr, x, s, log_expr, display=display)


Rayleigh = RayleighFamily()


@register_kl(RayleighFamily, RayleighFamily)
def _kl_rayleigh_rayleigh(p, q):
    r"""KL(R(σ₁)‖R(σ₂)) = 2 log(σ₂/σ₁) + σ₁²/σ₂² − 1."""
    ratio = np.asarray(p["sigma"], float) / np.asarray(q["sigma"], float)
    return -2.0 * np.log(ratio) + ratio**2 - 1.0
