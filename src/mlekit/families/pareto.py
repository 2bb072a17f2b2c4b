r"""Pareto (type I) family with shape ``alpha`` and scale ``scale`` (the lower end of the support).

.. math::

    p(x;\,\alpha,s) = \frac{\alpha\,s^{\alpha}}{x^{\alpha+1}},
    \qquad x\ge s,\ \alpha>0,\ s>0 .

scipy's ``pareto(b=alpha, scale=s)``. The support depends on ``scale``, so the family
is not regular in ``scale``: its MLE is the sample minimum (an order statistic that
converges at rate 1/n), there is no Fisher information, and
:meth:`ParetoFamily.mle_covariance` gives the sampling covariance of the MLE instead.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from ..domains import Interval, Positive
from ..errors import DataError, SupportError
from ._registry import register_kl
from .base import Family, Parameter, SymbolicDensity


def _bshape(*a):
    return np.broadcast_shapes(*(np.shape(v) for v in a))


class ParetoFamily(Family):
    r"""Pareto(alpha, scale): shape α > 0, scale s > 0, support x ≥ s.

    .. math:: p(x) = \frac{\alpha\,s^{\alpha}}{x^{\alpha+1}}, \qquad x \ge s

    Examples
    --------
    >>> import numpy as np, mlekit as mk
    >>> round(float(mk.Pareto(alpha=3.0, scale=1.0).logpdf(2.0)), 4)   # log(3 / 2**4)
    -1.674
    >>> x = mk.Pareto(alpha=3.0, scale=1.5).sample(1000, rng=0)
    >>> res = mk.Pareto.fit(x)              # scale = min(x), alpha = n / sum log(x / min)
    >>> bool(res.params["scale"] == x.min()), round(res.params["alpha"], 3)
    (True, 2.937)
    """

    name = "pareto"
    title = "Pareto"
    parameters = (Parameter("alpha", Positive, r"\alpha"), Parameter("scale", Positive, "s"))
    support = Positive  # the member's support is x >= scale: see support_of
    #: parameters that bound the support (non-regular: no Fisher information, the MLE
    #: is an order statistic, the score does not vanish at the MLE)
    support_parameters: ClassVar[tuple[str, ...]] = ("scale",)
    example_params: ClassVar[dict[str, Any]] = {"alpha": 10.0, "scale": 1.5}

    def support_of(self, alpha=None, scale=None, **_):
        if scale is None:
            return Positive
        return Interval(name="Interval[scale, inf)", rule="value >= scale",
                        sympy_assumptions={"positive": True},
                        low=scale, high=np.inf, closed=(True, False))

    def logpdf(self, x, alpha, scale):
        x = np.asarray(x, float)
        ok = x >= scale
        xs = np.where(ok, x, scale)
        out = np.log(alpha) + alpha * np.log(scale) - (alpha + 1.0) * np.log(xs)
        return np.where(ok, out, -np.inf)

    def cdf(self, x, alpha, scale):
        x = np.asarray(x, float)
        ok = x >= scale
        return np.where(ok, -np.expm1(alpha * np.log(scale / np.where(ok, x, scale))), 0.0)

    def logsf(self, x, alpha, scale):
        x = np.asarray(x, float)
        ok = x >= scale
        return np.where(ok, alpha * np.log(scale / np.where(ok, x, scale)), 0.0)

    def ppf(self, q, alpha, scale):
        with np.errstate(divide="ignore"):
            return scale * np.exp(-np.log1p(-np.asarray(q, float)) / alpha)

    def sample(self, size, rng, alpha, scale):
        shape = tuple(size) + _bshape(alpha, scale)
        return scale * np.exp(rng.standard_exponential(shape) / alpha)

    def mean(self, alpha, scale):
        a = np.broadcast_to(np.asarray(alpha, float), _bshape(alpha, scale))
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(a > 1, a * scale / np.where(a > 1, a - 1.0, 1.0), np.inf)

    def var(self, alpha, scale):
        a = np.broadcast_to(np.asarray(alpha, float), _bshape(alpha, scale))
        ok = a > 2
        am = np.where(ok, a, 3.0)
        return np.where(ok, np.square(scale) * am / ((am - 1.0) ** 2 * (am - 2.0)), np.inf)

    def entropy(self, alpha, scale):
        r"""H = log(s/α) + 1/α + 1."""
        return np.log(scale / np.asarray(alpha, float)) + 1.0 / alpha + 1.0

    def score(self, x, alpha, scale):
        """∂/∂α = 1/α + log(s/x); ∂/∂s = α/s (on the support; s is not a regular parameter)."""
        x = np.asarray(x, float)
        shape = np.broadcast(x, alpha, scale).shape
        return {"alpha": 1.0 / alpha + np.log(scale) - np.log(x),
                "scale": np.broadcast_to(alpha / np.asarray(scale, float), shape)}

    def hessian(self, x, alpha, scale):
        shape = np.broadcast(x, alpha, scale).shape
        alpha = np.asarray(alpha, float)
        return {("alpha", "alpha"): np.broadcast_to(-1.0 / alpha**2, shape),
                ("alpha", "scale"): np.broadcast_to(1.0 / np.asarray(scale, float), shape),
                ("scale", "scale"): np.broadcast_to(-alpha / np.square(scale), shape)}

    def mle(self, x, weights=None, fixed=None):
        r"""ŝ = min x (the likelihood increases in s up to the smallest observation, for
        every α), α̂ = W / Σ w log(x/ŝ). All-equal data: α̂ would be infinite (DataError)."""
        fixed = dict(fixed or {})
        w = np.ones_like(x) if weights is None else np.asarray(weights, float)
        pos = w > 0
        if "scale" in fixed:
            s = float(fixed["scale"])
            if np.any(x[pos] < s):
                i = int(np.argmax(pos & (x < s)))
                raise SupportError(
                    f"Pareto: x must satisfy value >= scale = {s:g} for a fixed scale; "
                    f"found {x[i]:g} at index {i}")
        else:
            s = float(np.min(x[pos]))
        if "alpha" in fixed:
            return {"alpha": float(fixed["alpha"]), "scale": s}
        t = float(np.sum(w * (np.log(x) - np.log(s))))  # (x/s may overflow: 1e300/1e-300)
        if not t > 0:
            raise DataError(
                "Pareto: all observations equal the scale, so the likelihood grows without "
                "bound as alpha -> inf; the MLE does not exist for these data")
        return {"alpha": float(np.sum(w)) / t, "scale": s}

    def mle_covariance(self, params, nobs):
        r"""Sampling covariance of (α̂, ŝ): Var α̂ = n²α²/((n−2)²(n−3)) (1/α̂ is a scaled
        gamma), Var ŝ = s² nα/((nα−1)²(nα−2)) (ŝ is Pareto(nα, s)), covariance 0 to
        first order. Exact for the known other parameter; plug-in estimates otherwise."""
        a, s = float(params["alpha"]), float(params["scale"])
        n = float(nobs)
        va = n * n * a * a / ((n - 2) ** 2 * (n - 3)) if n > 3 else np.inf
        na = n * a
        vs = s * s * na / ((na - 1) ** 2 * (na - 2)) if na > 2 else np.inf
        return np.diag([va, vs])

    def _symbolic(self):
        sp, x, s = self._make_symbols()
        a, sc = s["alpha"], s["scale"]
        expr = a * sc**a / x ** (a + 1)
        log_expr = sp.log(a) + a * sp.log(sc) - (a + 1) * sp.log(x)
        u = {"evaluate": False}  # α s^α / x^{α+1}
        display = (sp.Mul(a, sc**a, sp.Pow(x ** sp.Add(a, 1, **u), -1, **u), **u),)
        return SymbolicDensity(expr, x, s, log_expr, display=display)


Pareto = ParetoFamily()


@register_kl(ParetoFamily, ParetoFamily)
def _kl_pareto_pareto(p, q):
    r"""KL(Par(α₁,s₁)‖Par(α₂,s₂)) = log(α₁/α₂) + α₂ log(s₁/s₂) + α₂/α₁ − 1 for s₁ ≥ s₂;
    +inf for s₁ < s₂ (P puts mass where Q has none)."""
    a1, s1 = np.asarray(p["alpha"], float), np.asarray(p["scale"], float)
    a2, s2 = np.asarray(q["alpha"], float), np.asarray(q["scale"], float)
    val = np.log(a1 / a2) + a2 * np.log(s1 / s2) + a2 / a1 - 1.0
    return np.where(s1 >= s2, val, np.inf)
