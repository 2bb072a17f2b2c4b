r"""Continuous uniform family on ``[low, high]``.

.. math::

    p(x;\,a,b) = \frac{1}{b-a}, \qquad a\le x\le b,\ a<b .

Parameters ``low`` (a) and ``high`` (b). scipy's ``uniform(loc=low, scale=high-low)``.
The support depends on both parameters, so the family is not regular: the MLE is
(min x, max x), there is no Fisher information, and :meth:`UniformFamily.mle_covariance`
gives the exact covariance of the two order statistics.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
from scipy.special import betaln, xlogy

from ..domains import Interval, Real, first_bad_index
from ..errors import DataError, ParameterError, SupportError
from ._registry import register_kl
from .base import Family, Parameter, SymbolicDensity
from .beta import BetaFamily


def _bshape(*a):
    return np.broadcast_shapes(*(np.shape(v) for v in a))


class UniformFamily(Family):
    r"""Uniform(low, high): constant density 1/(b − a) on low = a ≤ x ≤ b = high.

    .. math:: p(x) = \frac{1}{b - a}, \qquad a \le x \le b

    Examples
    --------
    >>> import numpy as np, mlekit as mk
    >>> round(float(mk.Uniform(low=0, high=4).logpdf(1.0)), 4)   # -log 4
    -1.3863
    >>> res = mk.Uniform.fit([0.3, 1.2, 2.9, 2.2])   # the sample range
    >>> res.params
    {'low': 0.3, 'high': 2.9}
    """

    name = "uniform"
    title = "Uniform"
    parameters = (Parameter("low", Real, "a"), Parameter("high", Real, "b"))
    support = Real  # the member's support is [low, high]: see support_of
    #: parameters that bound the support (non-regular: no Fisher information, the MLE
    #: is an order statistic, the score does not vanish at the MLE)
    support_parameters: ClassVar[tuple[str, ...]] = ("low", "high")
    example_params: ClassVar[dict[str, Any]] = {"low": -1.0, "high": 2.5}

    def _check_joint(self, params):
        low, high = np.broadcast_arrays(params["low"], params["high"])
        bad = ~(low < high)
        if np.any(bad):
            loc = f" at index {first_bad_index(bad)}" if bad.ndim else ""
            raise ParameterError(
                f"Uniform: low must be < high{loc} "
                f"(found low = {float(low[bad].ravel()[0]) if bad.ndim else float(low):g}, "
                f"high = {float(high[bad].ravel()[0]) if bad.ndim else float(high):g})")

    def support_of(self, low=None, high=None, **_):
        if low is None or high is None:
            return Real
        return Interval(name="Interval[low, high]", rule="low <= value <= high",
                        sympy_assumptions={"real": True}, low=low, high=high,
                        closed=(True, True))

    def logpdf(self, x, low, high):
        x = np.asarray(x, float)
        ok = (x >= low) & (x <= high)
        return np.where(ok, -np.log(np.asarray(high, float) - low), -np.inf)

    def cdf(self, x, low, high):
        return np.clip((np.asarray(x, float) - low) / (np.asarray(high, float) - low), 0.0, 1.0)

    def logsf(self, x, low, high):
        x = np.asarray(x, float)
        with np.errstate(divide="ignore"):
            inner = np.log(np.clip(high - x, 0.0, None)) - np.log(np.asarray(high, float) - low)
        return np.where(x <= low, 0.0, np.where(x >= high, -np.inf, inner))

    def ppf(self, q, low, high):
        return low + np.asarray(q, float) * (np.asarray(high, float) - low)

    def sample(self, size, rng, low, high):
        return rng.uniform(low, high, size=tuple(size) + _bshape(low, high))

    def mean(self, low, high):
        return 0.5 * (np.asarray(low, float) + high)

    def var(self, low, high):
        return np.square(np.asarray(high, float) - low) / 12.0

    def entropy(self, low, high):
        r"""H = log(b − a)."""
        return np.log(np.asarray(high, float) - low)

    def score(self, x, low, high):
        """∂/∂a = 1/(b−a), ∂/∂b = −1/(b−a) on the support (neither is a regular parameter)."""
        shape = np.broadcast(x, low, high).shape
        inv = 1.0 / (np.asarray(high, float) - low)
        return {"low": np.broadcast_to(inv, shape), "high": np.broadcast_to(-inv, shape)}

    def hessian(self, x, low, high):
        shape = np.broadcast(x, low, high).shape
        inv2 = 1.0 / np.square(np.asarray(high, float) - low)
        return {("low", "low"): np.broadcast_to(inv2, shape),
                ("low", "high"): np.broadcast_to(-inv2, shape),
                ("high", "high"): np.broadcast_to(inv2, shape)}

    def mle(self, x, weights=None, fixed=None):
        r"""â = min x, b̂ = max x (over observations with positive weight). A fixed end
        must lie outside the data; all-equal data give a zero-width interval (DataError)."""
        fixed = dict(fixed or {})
        w = np.ones_like(x) if weights is None else np.asarray(weights, float)
        xs = x[w > 0]
        lo, hi = float(np.min(xs)), float(np.max(xs))
        low = float(fixed.get("low", lo))
        high = float(fixed.get("high", hi))
        if low > lo or high < hi:
            raise SupportError(
                f"Uniform: the data range [{lo:g}, {hi:g}] is not inside the fixed "
                f"[{low:g}, {high:g}]")
        if not low < high:
            raise DataError(
                f"Uniform: every observation equals {lo:g}, so the MLE would be the "
                "zero-width interval [x, x] (infinite likelihood); it does not exist")
        return {"low": low, "high": high}

    def mle_covariance(self, params, nobs):
        r"""Exact covariance of (min, max) of n uniform draws on [a, b]:
        Var = (b−a)² n/((n+1)²(n+2)), Cov = (b−a)²/((n+1)²(n+2))."""
        n = float(nobs)
        # (b − a)/(n + 1) first, squared in NumPy: where the variance is beyond the float
        # range (data near 1e300) it is +inf, never a raw OverflowError
        r = np.float64(float(params["high"]) - float(params["low"])) / (n + 1.0)
        with np.errstate(over="ignore"):
            c = r * r / (n + 2.0)
            return np.array([[n * c, c], [c, n * c]])

    def _symbolic(self):
        sp, x, s = self._make_symbols()
        a, b = s["low"], s["high"]
        expr = 1 / (b - a)  # on a <= x <= b (the indicator is the support, not the formula)
        return SymbolicDensity(expr, x, s, -sp.log(b - a))


Uniform = UniformFamily()


@register_kl(UniformFamily, UniformFamily)
def _kl_uniform_uniform(p, q):
    r"""KL(U(a₁,b₁)‖U(a₂,b₂)) = log((b₂−a₂)/(b₁−a₁)) if [a₁,b₁] ⊆ [a₂,b₂], else +inf."""
    a1, b1 = np.asarray(p["low"], float), np.asarray(p["high"], float)
    a2, b2 = np.asarray(q["low"], float), np.asarray(q["high"], float)
    val = np.log(b2 - a2) - np.log(b1 - a1)
    return np.where((a1 >= a2) & (b1 <= b2), val, np.inf)


@register_kl(UniformFamily, BetaFamily)
def _kl_uniform_beta(p, q):
    r"""KL(U(a,b)‖Beta(α,β)) = −log(b−a) − (α−1) E log x − (β−1) E log(1−x) + log B(α,β),
    with E log x = (b log b − a log a)/(b−a) − 1 under the uniform; +inf unless
    0 ≤ a < b ≤ 1."""
    a, b = np.asarray(p["low"], float), np.asarray(p["high"], float)
    al, be = np.asarray(q["alpha"], float), np.asarray(q["beta"], float)
    ok = (a >= 0) & (b <= 1)
    a_, b_ = np.where(ok, a, 0.0), np.where(ok, b, 1.0)
    d = b_ - a_
    e_logx = (xlogy(b_, b_) - xlogy(a_, a_)) / d - 1.0
    e_log1mx = (xlogy(1 - a_, 1 - a_) - xlogy(1 - b_, 1 - b_)) / d - 1.0
    val = -np.log(d) - (al - 1) * e_logx - (be - 1) * e_log1mx + betaln(al, be)
    return np.where(ok, val, np.inf)
