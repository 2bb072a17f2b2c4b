r"""Gumbel (maximum, type I extreme value) family with location ``mu`` and scale ``beta``.

.. math::

    p(x;\,\mu,\beta) = \frac{1}{\beta}\exp\!\left(-z - e^{-z}\right),
    \quad z = \frac{x-\mu}{\beta},
    \qquad x\in\mathbb{R},\ \mu\in\mathbb{R},\ \beta>0 .

This is the distribution of maxima (scipy's ``gumbel_r``, ``loc = mu``,
``scale = beta``); the minimum version is its mirror image. MLE: for fixed β,
``μ̂ = −β log(Σ w e^{−x/β} / Σ w)``; the profile equation
``β = x̄ − Σ w x e^{−x/β} / Σ w e^{−x/β}`` has one root (its difference is
increasing in β), found by Newton's method with a bracket and bisection.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
from scipy.special import gammaln

from ..domains import Positive, Real
from ..errors import DataError
from ._mle_tools import (
    all_equal,
    check_fixed,
    newton_fit,
    pow2_scale,
    prepare,
    root_bracketed,
    scaled_information,
    scaled_moments,
    subsample,
    wsum,
)
from ._registry import register_kl
from .base import Family, Parameter, SymbolicDensity

_EULER = float(np.euler_gamma)


def _bshape(*a):
    return np.broadcast_shapes(*(np.shape(v) for v in a))


class GumbelFamily(Family):
    r"""Gumbel(mu, beta): maximum extreme-value law; mean μ + γβ, variance π²β²/6.

    .. math:: p(x) = \frac{1}{\beta} e^{-z-e^{-z}}, \quad z = (x-\mu)/\beta

    Examples
    --------
    >>> import numpy as np, mlekit as mk
    >>> d = mk.Gumbel(mu=1.0, beta=2.0)
    >>> round(float(d.mean), 4)             # mu + Euler's gamma * beta
    2.1544
    >>> res = mk.Gumbel.fit(d.sample(2000, rng=0))
    >>> round(res.params["mu"], 1), round(res.params["beta"], 1)
    (1.0, 2.0)
    """

    name = "gumbel"
    title = "Gumbel"
    parameters = (Parameter("mu", Real, r"\mu"), Parameter("beta", Positive, r"\beta"))
    support = Real
    #: what ``mle`` runs (read by mlekit.estimate for ``FitResult.method``)
    mle_method: ClassVar[str] = "Halley/Newton on the profile equation (bracketed)"
    example_params: ClassVar[dict[str, Any]] = {"mu": 1.0, "beta": 2.0}

    def logpdf(self, x, mu, beta):
        z = (x - mu) / beta
        with np.errstate(over="ignore"):
            return -np.log(beta) - z - np.exp(-z)

    def cdf(self, x, mu, beta):
        with np.errstate(over="ignore"):
            return np.exp(-np.exp(-(x - mu) / beta))

    def logsf(self, x, mu, beta):
        with np.errstate(over="ignore", divide="ignore"):
            return np.log(-np.expm1(-np.exp(-(x - mu) / beta)))

    def ppf(self, q, mu, beta):
        with np.errstate(divide="ignore"):
            return mu - beta * np.log(-np.log(q))

    def sample(self, size, rng, mu, beta):
        out = tuple(size) + _bshape(mu, beta)
        return rng.gumbel(mu, beta, size=out)

    def mean(self, mu, beta):
        return mu + _EULER * np.asarray(beta, float)

    def var(self, mu, beta):
        return np.broadcast_to((np.pi * np.asarray(beta, float)) ** 2 / 6.0,
                               _bshape(mu, beta)) * 1.0

    def entropy(self, mu, beta):
        return np.broadcast_to(np.log(beta) + _EULER + 1.0, _bshape(mu, beta)) * 1.0

    def score(self, x, mu, beta):
        z = (x - mu) / beta
        with np.errstate(over="ignore"):
            e = np.exp(-z)
        return {"mu": (1.0 - e) / beta, "beta": (z - 1.0 - z * e) / beta}

    def hessian(self, x, mu, beta):
        z = (x - mu) / beta
        with np.errstate(over="ignore"):
            e = np.exp(-z)
        b2 = beta * beta
        return {
            ("mu", "mu"): -e / b2,
            ("mu", "beta"): (e - 1.0 - z * e) / b2,
            ("beta", "beta"): (1.0 - 2.0 * z + 2.0 * z * e - z * z * e) / b2,
        }

    def fisher_information(self, mu, beta):
        b2 = np.broadcast_to(np.asarray(beta, float) ** 2, _bshape(mu, beta))
        info = np.empty((*b2.shape, 2, 2))
        info[..., 0, 0] = 1.0 / b2
        info[..., 0, 1] = info[..., 1, 0] = (_EULER - 1.0) / b2
        info[..., 1, 1] = (np.pi**2 / 6.0 + (1.0 - _EULER) ** 2) / b2
        return info

    def mle(self, x, weights=None, fixed=None):
        fixed = check_fixed(self, fixed)
        if len(fixed) == 2:
            return dict(fixed)
        x, w, total = prepare(x, weights)
        if not fixed and all_equal(x, w):
            raise DataError("Gumbel: all observations are equal, so "
                            "the MLE of beta is 0 (it does not exist)")
        m, sd, _ = scaled_moments(x, w, total)
        if not sd > 0:
            raise DataError("Gumbel: all observations are equal, so the MLE of beta is 0 "
                            "(it does not exist)")
        # Solve on standardised data u = (x − m0)/c (c a power of two near the sd): the
        # family is location-scale equivariant, so (μ, β) = (m0 + c μ_u, c β_u), and data
        # of any magnitude (1e±300) neither overflow nor underflow on the way.
        m0, c = fixed.get("mu", m), pow2_scale(sd)
        fixed_u = {k: (0.0 if k == "mu" else v / c) for k, v in fixed.items()}
        out = self._mle_standard((x - m0) / c, w, total, fixed_u, sd / c)
        return {"mu": float(m0 + c * out["mu"]), "beta": float(c * out["beta"]), **fixed}

    def scaled_information(self, x, weights, params):
        """Observed information on (x − μ)/c (c ~ β): see ``_mle_tools.scaled_information``."""
        x, w, _ = prepare(x, weights)
        c = pow2_scale(params["beta"])
        return scaled_information(self, (x - params["mu"]) / c, w,
                                  {"mu": 0.0, "beta": params["beta"] / c}, c)

    def _mle_standard(self, x, w, total, fixed, sd):
        """The MLE on standardised data (sd about 1)."""
        lo_x = float(np.min(x))
        d = x - lo_x  # >= 0: e^{-d/β} <= 1, no overflow

        def mu_given(beta):
            return lo_x - beta * np.log(wsum(w, np.exp(-d / beta)) / total)

        if "beta" in fixed:
            return {"mu": float(mu_given(fixed["beta"])), "beta": fixed["beta"]}
        if "mu" in fixed:
            start = {"mu": fixed["mu"], "beta": sd * np.sqrt(6.0) / np.pi}
            return newton_fit(self, x, w, total, start, fixed, log_names=("beta",))
        beta, log_a = _profile_beta(d, w, total, sd * np.sqrt(6.0) / np.pi)
        return {"mu": float(lo_x - beta * (log_a - np.log(total))), "beta": beta}

    def _symbolic(self):
        sp, x, s = self._make_symbols()
        mu, beta = s["mu"], s["beta"]
        z = (x - mu) / beta
        return SymbolicDensity(sp.exp(-z - sp.exp(-z)) / beta, x, s,
                               -sp.log(beta) - z - sp.exp(-z))


def _tilted(d, w, t, bufs):
    """Σ w e and the first three raw moments of d under the weights w·e, e = exp(−t d)."""
    b1, b2 = bufs
    np.multiply(d, -t, out=b1)
    np.exp(b1, out=b1)
    if w is not None:
        b1 *= w
    a = float(b1.sum())
    np.multiply(b1, d, out=b2)
    m1 = float(b2.sum()) / a
    b2 *= d
    m2 = float(b2.sum()) / a
    b2 *= d
    m3 = float(b2.sum()) / a
    return a, m1, m2, m3


def _solve_beta(d, w, total, beta0):
    """Root of h(β) = β − d̄ + E_β[d] (increasing): Halley steps, then a bracket.

    Returns ``(β, log Σ w e^{−d/β})``. Under the tilt t = 1/β the cumulants κⱼ
    of d satisfy dκⱼ/dt = −κⱼ₊₁, which gives h' = 1 + κ₂/β² and
    h'' = κ₃/β⁴ − 2κ₂/β³.
    """
    dbar = wsum(w, d) / total
    bufs = (np.empty_like(d), np.empty_like(d))
    beta = float(beta0)
    for _ in range(8):
        a, m1, m2, m3 = _tilted(d, w, 1.0 / beta, bufs)
        k2 = m2 - m1 * m1
        k3 = m3 - 3.0 * m1 * m2 + 2.0 * m1**3
        hv = beta - dbar + m1
        h1 = 1.0 + k2 / beta**2
        h2 = k3 / beta**4 - 2.0 * k2 / beta**3
        step = -hv / h1
        denom = 1.0 + 0.5 * step * h2 / h1
        if 0.5 < denom < 2.0:
            step /= denom
        if not np.isfinite(step) or beta + step <= 0.2 * beta or beta + step >= 5.0 * beta:
            break
        if abs(step) <= 1e-6 * beta:  # cubic convergence: the error left is ~ (step/β)^3
            dt = 1.0 / (beta + step) - 1.0 / beta
            log_a = np.log(a) - dt * m1 + 0.5 * dt**2 * k2 - dt**3 * k3 / 6.0
            return beta + step, float(log_a)
        beta += step

    def h(u):
        b = np.exp(u)
        _, m1, m2, _ = _tilted(d, w, 1.0 / b, bufs)
        return float(b - dbar + m1), float(b * (1.0 + (m2 - m1 * m1) / b**2))

    u0 = float(np.log(beta0))
    lo, hi = u0 - 1.0, u0 + 1.0
    while h(lo)[0] > 0:
        lo -= 2.0
        if lo < -700.0:
            raise DataError("Gumbel: the profile equation has no root (degenerate data)")
    while h(hi)[0] < 0:
        hi += 2.0
    beta = float(np.exp(root_bracketed(h, lo, hi, x0=u0, what="Gumbel profile equation")))
    return beta, float(np.log(_tilted(d, w, 1.0 / beta, bufs)[0]))


def _profile_beta(d, w, total, beta0):
    if d.size > 100_000:  # an accurate start from an evenly strided subsample
        ds, ws = subsample(d, w)
        tot = float(ds.size) if ws is None else float(ws.sum())
        if tot > 0 and np.ptp(ds) > 0:
            beta0 = _solve_beta(ds, ws, tot, beta0)[0]
    return _solve_beta(d, w, total, beta0)


Gumbel = GumbelFamily()


@register_kl(GumbelFamily, GumbelFamily)
def _kl_gumbel_gumbel(p, q):
    r"""KL(G(μ₁,β₁)‖G(μ₂,β₂)) = log(β₂/β₁) + γ(β₁/β₂ − 1) + (μ₁−μ₂)/β₂
    + e^{(μ₂−μ₁)/β₂} Γ(1 + β₁/β₂) − 1."""
    m1, b1, m2, b2 = p["mu"], p["beta"], q["mu"], q["beta"]
    r = b1 / b2
    return (-np.log(r) + _EULER * (r - 1.0) + (m1 - m2) / b2
            + np.exp((m2 - m1) / b2 + gammaln(1.0 + r)) - 1.0)
