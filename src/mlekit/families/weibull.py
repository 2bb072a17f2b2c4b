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
from ._mle_tools import (
    MLEstimate,
    all_equal,
    check_fixed,
    prepare,
    root_bracketed,
    solver_extras,
    subsample,
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


def _moments(ym, w, k, bufs=None):
    """Σ w e, and the mean, 2nd and 3rd raw moments of ym under weights w·e, e = exp(k ym).

    Written with in-place ufuncs into reusable buffers (no BLAS, no fresh 8 MB
    allocations per pass): this is the whole cost of a Weibull fit on large data.
    """
    b1, b2 = bufs if bufs is not None else (np.empty_like(ym), np.empty_like(ym))
    np.multiply(ym, k, out=b1)
    np.exp(b1, out=b1)
    if w is not None:
        b1 *= w
    a = float(b1.sum())
    np.multiply(b1, ym, out=b2)
    m1 = float(b2.sum()) / a
    b2 *= ym
    m2 = float(b2.sum()) / a
    b2 *= ym
    m3 = float(b2.sum()) / a
    return a, m1, m2, m3


def _solve_shape(ym, w, total, k0=None):
    """Root of g(k) = 1/k + mean(ym) − E_k[ym] with ym = log x − max log x (≤ 0)."""
    mbar = wsum(w, ym) / total
    if not (-mbar) > 1e-14 * max(1.0, float(np.max(np.abs(ym)))):
        raise DataError("Weibull: all observations are equal, so the MLE does not exist "
                        "(shape -> infinity)")
    if k0 is None:
        sd = np.sqrt(max(wsum(w, (ym - mbar) ** 2) / total, 1e-300))
        k0 = 1.2825 / sd  # Gumbel moment start: sd(log x) = π / (k √6)
    k = float(k0)
    bufs = (np.empty_like(ym), np.empty_like(ym))
    # Halley iterations (cubic convergence) from a good start; bracketed fallback below
    for _ in range(8):
        a, m1, m2, m3 = _moments(ym, w, k, bufs)
        v = m2 - m1 * m1
        c3 = m3 - 3.0 * m1 * m2 + 2.0 * m1**3
        g = 1.0 / k + mbar - m1
        g1 = -1.0 / k**2 - v
        g2 = 2.0 / k**3 - c3
        step = -g / g1
        denom = 1.0 + 0.5 * step * g2 / g1
        if 0.5 < denom < 2.0:
            step = step / denom
        if not np.isfinite(step) or k + step <= 0.2 * k or k + step >= 5.0 * k:
            break
        k += step
        if abs(step) <= 1e-6 * k:  # cubic convergence: the error left is ~ (step/k)^3
            # log Σ w x^k, the tilted mean and variance of ym at the final k from a
            # cumulant expansion around the last pass (errors ~ step², step³: negligible)
            loga = np.log(a) + step * m1 + 0.5 * step**2 * v + step**3 * c3 / 6.0
            return k, float(loga), m1 + step * v + 0.5 * step**2 * c3, v + step * c3
    # safeguarded path: bracket the root of the monotone g and use Newton/bisection

    def f(u):
        kk = np.exp(u)
        _, m1, m2, _ = _moments(ym, w, kk, bufs)
        return float(1.0 / kk + mbar - m1), float(kk * (-1.0 / kk**2 - (m2 - m1 * m1)))

    u0 = np.log(k0)
    lo, hi = u0 - 1.0, u0 + 1.0
    while f(lo)[0] < 0:
        lo -= 2.0
    while f(hi)[0] > 0:
        hi += 2.0
        if hi > 700:
            raise DataError("Weibull: the profile likelihood keeps increasing in shape; "
                            "the MLE does not exist")
    k = float(np.exp(root_bracketed(f, lo, hi, x0=u0, what="Weibull profile equation")))
    a, m1, m2, _ = _moments(ym, w, k, bufs)
    return k, float(np.log(a)), m1, m2 - m1 * m1


def _weibull_profile(y, w, total):
    top = float(np.max(y))
    ym = y - top
    k0 = None
    if ym.size > 100_000:  # cheap, accurate start from an evenly strided subsample
        ys, ws = subsample(ym, w)
        tot_s = float(ys.size) if ws is None else float(ws.sum())
        if tot_s > 0:
            try:
                k0 = _solve_shape(ys, ws, tot_s)[0]
            except DataError:
                k0 = None
    k, loga, m1, v = _solve_shape(ym, w, total, k0=k0)
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
