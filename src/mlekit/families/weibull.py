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
from ..errors import DataError, NoMaximumError
from ._extreme_value import profile_shape
from ._mle_tools import (
    MLEstimate,
    all_equal,
    check_fixed,
    log_ratio,
    prepare,
    root_bracketed,
    solver_extras,
    wsum,
)
from ._registry import register_kl
from .base import Family, Parameter, SymbolicDensity

_EULER = float(np.euler_gamma)
_LOG2 = float(np.log(2.0))


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
    censored_mass_escapes = True
    censored_mass_concentrates = True
    location_parameter = "scale"  # a plain regression link models the scale (AFT)
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

    def logcdf(self, x, shape, scale):
        r"""log F = log(1 − e^{−t}), t = (x/λ)^k: ``log(−expm1(−t))`` for t <= log 2, else
        ``log1p(−e^{−t})`` (exact in both tails); −inf for x <= 0."""
        t = (np.maximum(x, 0.0) / scale) ** shape
        with np.errstate(divide="ignore"):
            small = np.log(-np.expm1(-np.minimum(t, _LOG2)))
            return np.where(t <= _LOG2, small, np.log1p(-np.exp(-np.maximum(t, _LOG2))))

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
        lowest = float(x.min())
        if lowest == 0 and fixed.get("shape", 0.0) == 1:
            pass  # a fixed shape 1 (Exponential): p(0) = 1/λ, the scale MLE exists
        elif not lowest > 0:
            zero = x == 0 if w is None else (x == 0) & (w > 0)
            if np.any(zero):
                i = int(np.argmax(zero))
                raise NoMaximumError(
                    f"Weibull: x[{i}] = {x[i]:g} (index {i}): the density at 0 is infinite for "
                    "shape < 1 (and 0 for shape > 1), so the likelihood increases without "
                    "bound and the MLE does not exist; drop the zeros or model them apart "
                    "(e.g. a hurdle)")
            raise DataError("Weibull: observations must be > 0 for the MLE (log x enters the "
                            "likelihood)")
        if not fixed and all_equal(x, w):
            raise NoMaximumError("Weibull: all observations are equal, so "
                            "the MLE does not exist (shape -> infinity)")
        if "scale" in fixed:
            # L = log(x/λ), accurate where x sits near λ (log_ratio)
            return {"shape": _shape_given_scale(log_ratio(x, fixed["scale"]), w, total),
                    "scale": fixed["scale"]}
        xmax = float(np.max(x))
        top = float(np.log(xmax))
        ym = np.log(x)
        ym -= top
        # each log x carries an error of ~ε·|log x|; where that is not far below the spread
        # of ym (data far from 0: 1e9 + N(0, 1) has log x − max log x ~ 1e-9, of which
        # 7 digits survive) ym = log(x / max x) is retaken exactly (log_ratio)
        spread = -wsum(w, ym) / total
        if not spread > 8e12 * np.finfo(float).eps * (abs(top) + 1.0):
            ym = np.minimum(log_ratio(x, xmax), 0.0)
        if "shape" in fixed:
            k = fixed["shape"]
            a = wsum(w, np.exp(k * ym))
            return {"shape": k, "scale": xmax * float(np.exp(np.log(a / total) / k))}
        return _weibull_profile(ym, top, w, total, xmax)

    def _symbolic(self):
        sp, x, s = self._make_symbols()
        k, lam = s["shape"], s["scale"]
        expr = k / lam * (x / lam) ** (k - 1) * sp.exp(-((x / lam) ** k))
        log_expr = sp.log(k) - sp.log(lam) + (k - 1) * sp.log(x / lam) - (x / lam) ** k
        display = (k / lam, (x / lam) ** (k - 1), sp.exp(-((x / lam) ** k)))  # k/λ (x/λ)^{k−1} …
        return SymbolicDensity(expr, x, s, log_expr, display=display)


def _weibull_profile(ym, top, w, total, xmax):
    r"""The profile fit on ``ym = log(x / max x)`` (<= 0) and ``top = log max x``.

    With :math:`a = \sum w e^{k\,ym}`, :math:`\log\hat\lambda = top + (\log a − \log W)/k`
    and the log-likelihood is summed without its large cancelling parts:

    .. math:: \ell = W(\log k − 1) − W(\log a − \log W) + (k − 1)\sum w\,ym − W\,top

    (the direct :math:`W(\log k − k\log\lambda − 1) + (k−1)\sum w\log x` subtracts two
    numbers of size k·log x: 2.6e10 per observation for data 1e9 + N(0, 1), k ≈ 1.3e9).
    """
    k, loga, m1, v = profile_shape(ym, w, total, title="Weibull",
                                   equal="the MLE does not exist (shape -> infinity)")
    rel = (loga - np.log(total)) / k  # log λ − top
    # λ = max x · e^{rel}: a relative error of an ulp or two (exp(log λ) would carry the
    # rounding of log λ ≈ 20 for data near 1e9, which k ~ 1e9 magnifies in (x/λ)^k)
    scale = xmax * np.exp(rel)
    # with t = (x/λ)^k and L = log(x/λ): Σ w t = W at the MLE, and the tilted moments
    # give Σ w t L = W·E[L], Σ w t L² = W·(Var L + E[L]²), E[L] = m1 − (log λ − top)
    mean_l = m1 - rel
    with np.errstate(all="ignore"):  # extreme data: solver_extras drops what overflowed
        llf = (total * (np.log(k) - 1.0) - total * (loga - np.log(total))
               + (k - 1.0) * float(wsum(w, ym)) - total * top)
        info = {("shape", "shape"): total * (1.0 / k**2 + v + mean_l**2),
                ("shape", "scale"): -total * k * mean_l / np.float64(scale),
                ("scale", "scale"): total * (k / np.float64(scale)) ** 2}
    return MLEstimate({"shape": float(k), "scale": float(scale)}, **solver_extras(llf, info))



def _shape_given_scale(L, w, total):
    """Solve Σw[1/k + L − e^{kL} L] = 0, L = log(x/λ): decreasing in k."""
    mL = wsum(w, L) / total
    if np.all(L == 0):
        raise NoMaximumError("Weibull: every observation equals the fixed scale; the MLE of "
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
            raise NoMaximumError("Weibull: the likelihood keeps increasing in shape with this "
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
