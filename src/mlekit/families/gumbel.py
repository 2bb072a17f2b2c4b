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
from ._extreme_value import profile_shape
from ._mle_tools import (
    all_equal,
    check_fixed,
    newton_fit,
    pow2_scale,
    prepare,
    scaled_information,
    scaled_moments,
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
    censored_mass_escapes = True
    censored_mass_concentrates = True
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
        # Σ w e^{−d/β} = Σ w e^{k y} with y = −d ≤ 0, k = 1/β: the Weibull profile equation
        k, log_a, _, _ = profile_shape(-d, w, total, np.pi / (sd * np.sqrt(6.0)),
                                       title="Gumbel", equal="the MLE of beta is 0 (it does "
                                       "not exist)")
        beta = 1.0 / k
        return {"mu": float(lo_x - beta * (log_a - np.log(total))), "beta": beta}

    def _symbolic(self):
        sp, x, s = self._make_symbols()
        mu, beta = s["mu"], s["beta"]
        z = (x - mu) / beta
        u = {"evaluate": False}  # 1/β e^{−(z + e^{−z})}
        display = (1 / beta, sp.exp(sp.Mul(-1, sp.Add(z, sp.exp(-z), **u), **u)))
        return SymbolicDensity(sp.exp(-z - sp.exp(-z)) / beta, x, s,
                               -sp.log(beta) - z - sp.exp(-z), display=display)


Gumbel = GumbelFamily()


@register_kl(GumbelFamily, GumbelFamily)
def _kl_gumbel_gumbel(p, q):
    r"""KL(G(μ₁,β₁)‖G(μ₂,β₂)) = log(β₂/β₁) + γ(β₁/β₂ − 1) + (μ₁−μ₂)/β₂
    + e^{(μ₂−μ₁)/β₂} Γ(1 + β₁/β₂) − 1."""
    m1, b1, m2, b2 = p["mu"], p["beta"], q["mu"], q["beta"]
    r = b1 / b2
    return (-np.log(r) + _EULER * (r - 1.0) + (m1 - m2) / b2
            + np.exp((m2 - m1) / b2 + gammaln(1.0 + r)) - 1.0)
