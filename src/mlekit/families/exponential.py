r"""Exponential family, parameterised by its ``rate`` λ.

.. math::

    p(x;\,\lambda) = \lambda\, e^{-\lambda x},
    \qquad x \ge 0,\ \lambda > 0 .

The mean is ``1/λ`` (numpy's and scipy's ``scale``). The MLE is
``λ̂ = Σw / Σ w x`` (closed form). Its NLL is ``λ Σ x − m log λ``.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from ..domains import NonNegative, Positive
from ..errors import NoMaximumError
from ._mle_tools import check_fixed, prepare, wsum
from ._registry import register_kl
from .base import Family, Parameter, SymbolicDensity


def _bshape(*a):
    return np.broadcast_shapes(*(np.shape(v) for v in a))


class ExponentialFamily(Family):
    r"""Exponential(rate): rate λ > 0, mean 1/λ.

    .. math:: p(x) = \lambda e^{-\lambda x}, \quad x \ge 0

    Examples
    --------
    >>> import numpy as np, mlekit as mk
    >>> round(float(mk.Exponential(rate=0.5).logpdf(2.0)), 4)   # log 0.5 - 0.5 * 2
    -1.6931
    >>> days = mk.datasets.load("strikes")["duration"]
    >>> res = mk.Exponential.fit(days)      # rate = 1 / mean
    >>> res.method, round(res.params["rate"], 5), round(float(1 / days.mean()), 5)
    ('closed form', 0.02344, 0.02344)
    """

    name = "exponential"
    title = "Exponential"
    censored_mass_escapes = True
    parameters = (Parameter("rate", Positive, r"\lambda"),)
    support = NonNegative
    canonical_link = "inverse"  # GLM view: mean 1/λ; the mean is not a native parameter
    example_params: ClassVar[dict[str, Any]] = {"rate": 1.5}

    def logpdf(self, x, rate):
        ok = x >= 0
        return np.where(ok, np.log(rate) - rate * np.where(ok, x, 0.0), -np.inf)

    def cdf(self, x, rate):
        return np.where(x > 0, -np.expm1(-rate * np.maximum(x, 0.0)), 0.0)

    def logsf(self, x, rate):
        return np.where(x > 0, -rate * np.maximum(x, 0.0), 0.0)

    def logcdf(self, x, rate):
        r"""log F = log(1 − e^{−λx}), exact in both tails (see Weibull.logcdf); −inf for
        x <= 0."""
        t = rate * np.maximum(x, 0.0)
        log2 = float(np.log(2.0))
        with np.errstate(divide="ignore"):
            small = np.log(-np.expm1(-np.minimum(t, log2)))
            return np.where(t <= log2, small, np.log1p(-np.exp(-np.maximum(t, log2))))

    def ppf(self, q, rate):
        with np.errstate(divide="ignore"):
            return -np.log1p(-q) / rate

    def sample(self, size, rng, rate):
        shape = tuple(size) + np.shape(rate)
        return rng.standard_exponential(shape) / rate

    def mean(self, rate):
        return 1.0 / np.asarray(rate, float)

    def var(self, rate):
        return 1.0 / np.asarray(rate, float) ** 2

    def entropy(self, rate):
        return 1.0 - np.log(rate)

    def score(self, x, rate):
        return {"rate": 1.0 / rate - x}

    def hessian(self, x, rate):
        return {("rate", "rate"): np.broadcast_to(-1.0 / np.asarray(rate, float) ** 2,
                                                  _bshape(x, rate))}

    def fisher_information(self, rate):
        return (1.0 / np.asarray(rate, float) ** 2)[..., None, None]

    def mle(self, x, weights=None, fixed=None):
        fixed = check_fixed(self, fixed)
        if "rate" in fixed:
            return {"rate": fixed["rate"]}
        x, w, total = prepare(x, weights)
        s = wsum(w, x)
        if s <= 0:
            raise NoMaximumError("Exponential: all observations are 0, so the MLE of rate is "
                            "infinite (it does not exist)")
        return {"rate": total / s}

    def _symbolic(self):
        sp, x, s = self._make_symbols()
        lam = s["rate"]
        expr = lam * sp.exp(-lam * x)
        display = (lam, sp.exp(sp.Mul(-lam, x, evaluate=False)))  # λ e^{−λx}
        return SymbolicDensity(expr, x, s, sp.log(lam) - lam * x, display=display)


Exponential = ExponentialFamily()


@register_kl(ExponentialFamily, ExponentialFamily)
def _kl_exponential_exponential(p, q):
    r"""KL(Exp(λ₁)‖Exp(λ₂)) = log(λ₁/λ₂) + λ₂/λ₁ − 1."""
    r = q["rate"] / p["rate"]
    return r - np.log(r) - 1.0
