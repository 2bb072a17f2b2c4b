r"""Weibull family with ``shape`` k and ``scale`` λ.

.. math::

    p(x;\,k,\lambda) = \frac{k}{\lambda}\left(\frac{x}{\lambda}\right)^{k-1}
        e^{-(x/\lambda)^{k}},
    \qquad x \ge 0,\ k>0,\ \lambda>0 .

scipy's ``weibull_min`` uses ``c = shape`` and ``scale = scale`` (``loc = 0``).

MLE: for fixed ``k`` the scale is ``λ̂^k = Σ w x^k / Σ w``; substituting it
leaves the profile equation

.. math:: g(k) = \frac1k + \overline{\log x} - \frac{\sum w x^k \log x}{\sum w x^k} = 0,

whose left side is strictly decreasing (``g'(k) = −1/k² − Var_k(log x) < 0``),
so the root is unique. It is found by Halley/Newton steps with a bracket and
bisection as the safeguard; on large samples a root on an evenly strided
subsample provides the start, so only two or three passes over the full data
are needed. All-equal data make ``g > 0`` everywhere: the MLE does not exist
(k → ∞) and a :class:`~mlekit.errors.DataError` says so.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
from scipy.special import gammaln, xlogy

from ..domains import NonNegative, Positive
from ..errors import DataError
from ._extreme_value import profile_shape
from ._mle_tools import (
    MLEstimate,
    all_equal,
    check_fixed,
    prepare,
    root_bracketed,
    solver_extras,
    wsum,
)
from ._registry import register_kl
from .base import Family, Parameter, SymbolicDensity

_EULER = float(np.euler_gamma)


def _bshape(*a):
    return np.broadcast_shapes(*(np.shape(v) for v in a))


class WeibullFamily(Family):
    r"""Weibull(shape, scale): shape k > 0, scale λ > 0 (scipy ``weibull_min(c=k, scale=λ)``).

    .. math:: p(x) = \frac{k}{\lambda}\Big(\frac{x}{\lambda}\Big)^{k-1} e^{-(x/\lambda)^k},
        \quad x \ge 0

    Examples
    --------
    >>> import numpy as np, mlekit as mk
    >>> round(float(mk.Weibull(shape=1.0, scale=2.0).logpdf(2.0)), 4)   # Exponential: -log 2 - 1
    -1.6931
    >>> days = mk.datasets.load("strikes")["duration"]
    >>> res = mk.Weibull.fit(days)
    >>> round(res.params["shape"], 3), round(res.params["scale"], 2)
    (0.921, 41.01)
    """

    name = "weibull"
    title = "Weibull"
    parameters = (Parameter("shape", Positive, "k"), Parameter("scale", Positive, r"\lambda"))
    support = NonNegative
    #: what ``mle`` runs (read by mlekit.estimate for ``FitResult.method``)
    mle_method: ClassVar[str] = "Halley/Newton on the profile equation (bracketed)"
    example_params: ClassVar[dict[str, Any]] = {"shape": 1.7, "scale": 2.0}

    def logpdf(self, x, shape, scale):
        ok = x >= 0
        z = np.where(ok, x, 0.0) / scale
        with np.errstate(divide="ignore", over="ignore"):
            out = np.log(shape) - np.log(scale) + xlogy(shape - 1.0, z) - z**shape
        return np.where(ok, out, -np.inf)

    def cdf(self, x, shape, scale):
        return -np.expm1(-((np.maximum(x, 0.0) / scale) ** shape))

    def logsf(self, x, shape, scale):
        return -((np.maximum(x, 0.0) / scale) ** shape)

    def ppf(self, q, shape, scale):
        with np.errstate(divide="ignore"):
            return scale * (-np.log1p(-q)) ** (1.0 / shape)

    def sample(self, size, rng, shape, scale):
        out = tuple(size) + _bshape(shape, scale)
        e = rng.standard_exponential(out)
        return scale * e ** (1.0 / np.asarray(shape, float))

    def mean(self, shape, scale):
        return scale * np.exp(gammaln(1.0 + 1.0 / np.asarray(shape, float)))

    def var(self, shape, scale):
        k = np.asarray(shape, float)
        g1 = np.exp(gammaln(1.0 + 1.0 / k))
        g2 = np.exp(gammaln(1.0 + 2.0 / k))
        return np.asarray(scale, float) ** 2 * (g2 - g1 * g1)

    def entropy(self, shape, scale):
        k = np.asarray(shape, float)
        return _EULER * (1.0 - 1.0 / k) + np.log(scale / k) + 1.0

    def _parts(self, x, shape, scale):
        with np.errstate(divide="ignore"):
            L = np.log(x / scale)
        with np.errstate(over="ignore"):
            t = np.exp(shape * L)
        return L, t

    def score(self, x, shape, scale):
        L, t = self._parts(x, shape, scale)
        return {"shape": 1.0 / shape + L - t * L, "scale": shape / scale * (t - 1.0)}

    def hessian(self, x, shape, scale):
        L, t = self._parts(x, shape, scale)
        return {
            ("shape", "shape"): -1.0 / shape**2 - t * L * L,
            ("shape", "scale"): (t * (1.0 + shape * L) - 1.0) / scale,
            ("scale", "scale"): shape / scale**2 * (1.0 - (shape + 1.0) * t),
        }

    def fisher_information(self, shape, scale):
        k, lam = np.broadcast_arrays(np.asarray(shape, float), np.asarray(scale, float))
        info = np.empty((*k.shape, 2, 2))
        info[..., 0, 0] = (np.pi**2 / 6.0 + (1.0 - _EULER) ** 2) / k**2
        info[..., 0, 1] = info[..., 1, 0] = -(1.0 - _EULER) / lam
        info[..., 1, 1] = (k / lam) ** 2
        return info

    def mle(self, x, weights=None, fixed=None):
        fixed = check_fixed(self, fixed)
        if "shape" in fixed and "scale" in fixed:
            return dict(fixed)
        x, w, total = prepare(x, weights)
        if not float(x.min()) > 0:
            raise DataError("Weibull: observations must be > 0 for the MLE (log x enters the "
                            "likelihood; a 0 makes it unbounded or degenerate)")
        y = np.log(x)
        if not fixed and all_equal(x, w):
            raise DataError("Weibull: all observations are equal, so "
                            "the MLE does not exist (shape -> infinity)")
        if "shape" in fixed:
            k = fixed["shape"]
            top = float(np.max(y))
            a = wsum(w, np.exp(k * (y - top)))
            return {"shape": k, "scale": float(np.exp(top + np.log(a / total) / k))}
        if "scale" in fixed:
            return {"shape": _shape_given_scale(y, w, total, fixed["scale"]),
                    "scale": fixed["scale"]}
        return _weibull_profile(y, w, total)

    def _symbolic(self):
        sp, x, s = self._make_symbols()
        k, lam = s["shape"], s["scale"]
        expr = k / lam * (x / lam) ** (k - 1) * sp.exp(-((x / lam) ** k))
        log_expr = sp.log(k) - sp.log(lam) + (k - 1) * sp.log(x / lam) - (x / lam) ** k
        return SymbolicDensity(expr, x, s, log_expr)


def _weibull_profile(y, w, total):
    top = float(np.max(y))
    ym = y - top
    k, loga, m1, v = profile_shape(ym, w, total, title="Weibull",
                                   equal="the MLE does not exist (shape -> infinity)")
    log_scale = top + (loga - np.log(total)) / k
    scale = np.exp(log_scale)
    # with t = (x/λ)^k and L = log(x/λ): Σ w t = W at the MLE, and the tilted moments
    # give Σ w t L = W·E[L], Σ w t L² = W·(Var L + E[L]²), E[L] = m1 + top − log λ
    mean_l = m1 + top - log_scale
    sum_y = float(wsum(w, ym)) + total * top
    with np.errstate(all="ignore"):  # extreme data: solver_extras drops what overflowed
        llf = total * (np.log(k) - k * log_scale - 1.0) + (k - 1.0) * sum_y
        info = {("shape", "shape"): total * (1.0 / k**2 + v + mean_l**2),
                ("shape", "scale"): -total * k * mean_l / np.float64(scale),
                ("scale", "scale"): total * (k / np.float64(scale)) ** 2}
    return MLEstimate({"shape": float(k), "scale": float(scale)}, **solver_extras(llf, info))



def _shape_given_scale(y, w, total, scale):
    """Solve Σw[1/k + L − e^{kL} L] = 0, L = log(x/λ): decreasing in k."""
    L = y - np.log(scale)
    mL = wsum(w, L) / total
    if np.all(L == 0):
        raise DataError("Weibull: every observation equals the fixed scale; the MLE of "
                        "shape does not exist (shape -> infinity)")

    def f(u):
        k = np.exp(u)
        with np.errstate(over="ignore"):
            t = np.exp(k * L)
        tl = t * L
        g = 1.0 / k + mL - wsum(w, tl) / total
        dg = -1.0 / k**2 - wsum(w, tl * L) / total
        return float(g), float(k * dg)

    lo, hi = -1.0, 1.0
    while f(lo)[0] < 0:
        lo -= 2.0
    while f(hi)[0] > 0:
        hi += 2.0
        if hi > 700:
            raise DataError("Weibull: the likelihood keeps increasing in shape with this "
                            "fixed scale; the MLE does not exist")
    return float(np.exp(root_bracketed(f, lo, hi, what="Weibull shape equation")))


Weibull = WeibullFamily()


@register_kl(WeibullFamily, WeibullFamily)
def _kl_weibull_weibull(p, q):
    r"""KL(W(k₁,λ₁)‖W(k₂,λ₂)) = log(k₁/λ₁^{k₁}) − log(k₂/λ₂^{k₂})
    + (k₁ − k₂)(log λ₁ − γ/k₁) + (λ₁/λ₂)^{k₂} Γ(1 + k₂/k₁) − 1 (general closed form)."""
    k1, l1, k2, l2 = p["shape"], p["scale"], q["shape"], q["scale"]
    ll1, ll2 = np.log(l1), np.log(l2)
    return (np.log(k1) - k1 * ll1 - np.log(k2) + k2 * ll2 + (k1 - k2) * (ll1 - _EULER / k1)
            + np.exp(k2 * (ll1 - ll2) + gammaln(1.0 + k2 / k1)) - 1.0)
