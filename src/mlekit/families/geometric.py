r"""Geometric family: the number of **failures before the first success**.

.. math::

    P(x;\,p) = p\,(1-p)^{x}, \qquad x\in\{0,1,2,\dots\},\ 0<p\le 1 .

Convention: the support starts at 0 (failures, as in ``scipy.stats.geom(p, loc=-1)``
and R's ``dgeom``), not at 1 (trials, as in ``scipy.stats.geom`` and NumPy's
``Generator.geometric``). The mean is (1−p)/p. Its NLL is
``−Σ [log p + x log(1−p)]``.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
from scipy.special import xlog1py, xlogy

from ..domains import Counts, Interval
from ._registry import register_kl
from .base import Family, Parameter, SymbolicDensity

#: 0 < p <= 1 (p = 1 is the point mass at 0)
HalfOpenUnitInterval = Interval(
    name="Interval(0, 1]", rule="0 < value <= 1", sympy_assumptions={"positive": True},
    low=0.0, high=1.0, closed=(False, True),
)


class GeometricFamily(Family):
    r"""Geometric(p): failures before the first success, success probability ``p`` in (0, 1].

    .. math:: P(x) = p\,(1-p)^{x}, \qquad x = 0, 1, 2, \dots

    Examples
    --------
    >>> import numpy as np, mlekit as mk
    >>> np.round(mk.Geometric(p=0.5).pmf([0, 1, 2]), 4)   # p (1 - p)**k
    array([0.5  , 0.25 , 0.125])
    >>> x = mk.Geometric(p=0.3).sample(1000, rng=0)
    >>> res = mk.Geometric.fit(x)           # p = 1 / (1 + mean)
    >>> round(res.params["p"], 4), round(1 / (1 + float(x.mean())), 4)
    (0.2953, 0.2953)
    """

    name = "geometric"
    title = "Geometric"
    parameters = (Parameter("p", HalfOpenUnitInterval, "p"),)
    support = Counts
    discrete = True
    example_params: ClassVar[dict[str, Any]] = {"p": 0.3}

    def logpdf(self, x, p):
        x = np.asarray(x, float)
        ok = (x == np.floor(x)) & (x >= 0)
        xs = np.where(ok, x, 0.0)
        with np.errstate(divide="ignore"):
            out = np.log(p) + xlog1py(xs, -np.asarray(p, float))
        return np.where(ok, out, -np.inf)

    def cdf(self, x, p):
        x = np.asarray(x, float)
        k = np.floor(np.where(x >= 0, x, 0.0))
        with np.errstate(divide="ignore"):
            return np.where(x >= 0, -np.expm1(xlog1py(k + 1.0, -np.asarray(p, float))), 0.0)

    def logsf(self, x, p):
        x = np.asarray(x, float)
        k = np.floor(np.where(x >= 0, x, 0.0))
        with np.errstate(divide="ignore"):
            return np.where(x >= 0, xlog1py(k + 1.0, -np.asarray(p, float)), 0.0)

    def ppf(self, q, p):
        """Smallest integer k with P(X ≤ k) ≥ q: ⌈log(1−q)/log(1−p)⌉ − 1."""
        q, p = np.broadcast_arrays(np.asarray(q, float), np.asarray(p, float))
        with np.errstate(divide="ignore", invalid="ignore"):
            k = np.ceil(np.log1p(-q) / np.log1p(-p) - 1.0 - 1e-12)
            k = np.where(p == 1.0, 0.0, np.maximum(k, 0.0))
            k = np.where(q == 1.0, np.where(p == 1.0, 0.0, np.inf), k)
        return np.where((q < 0) | (q > 1), np.nan, k)

    def sample(self, size, rng, p):
        # NumPy counts trials (support 1, 2, ...); subtract 1 for failures
        return rng.geometric(p, size=tuple(size) + np.shape(p)).astype(float) - 1.0

    def mean(self, p):
        p = np.asarray(p, float)
        return (1.0 - p) / p

    def var(self, p):
        p = np.asarray(p, float)
        return (1.0 - p) / p**2

    def entropy(self, p):
        r"""H = [−(1−p) log(1−p) − p log p] / p (nats)."""
        p = np.asarray(p, float)
        return -(xlog1py(1.0 - p, -p) + xlogy(p, p)) / p

    def score(self, x, p):
        with np.errstate(divide="ignore", invalid="ignore"):
            return {"p": 1.0 / p - x / (1.0 - p)}

    def hessian(self, x, p):
        with np.errstate(divide="ignore", invalid="ignore"):
            return {("p", "p"): -1.0 / p**2 - x / (1.0 - p) ** 2}

    def fisher_information(self, p):
        p = np.asarray(p, float)
        with np.errstate(divide="ignore"):
            return (1.0 / (p**2 * (1.0 - p)))[..., None, None]

    def mle(self, x, weights=None, fixed=None):
        """p̂ = 1 / (1 + x̄). All-zero data give p̂ = 1, on the boundary of (0, 1]: it is
        returned as is (the estimate engine reports the boundary)."""
        if fixed and "p" in fixed:
            return {"p": float(fixed["p"])}
        w = np.ones_like(x) if weights is None else weights
        return {"p": float(1.0 / (1.0 + np.sum(w * x) / np.sum(w)))}

    def _symbolic(self):
        sp, x, s = self._make_symbols()
        p = s["p"]
        expr = p * (1 - p) ** x
        log_expr = sp.log(p) + x * sp.log(1 - p)
        return SymbolicDensity(expr, x, s, log_expr)


Geometric = GeometricFamily()


@register_kl(GeometricFamily, GeometricFamily)
def _kl_geometric_geometric(p, q):
    r"""KL(Geo(p₁)‖Geo(p₂)) = log(p₁/p₂) + ((1−p₁)/p₁) log((1−p₁)/(1−p₂));
    +inf when p₂ = 1 > p₁ (Q is a point mass at 0)."""
    a, b = np.asarray(p["p"], float), np.asarray(q["p"], float)
    with np.errstate(divide="ignore", invalid="ignore"):
        tail = np.where(a < 1, (xlog1py(1 - a, -a) - xlog1py(1 - a, -b)) / a, 0.0)
    return np.log(a) - np.log(b) + tail
