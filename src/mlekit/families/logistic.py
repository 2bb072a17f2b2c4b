r"""Logistic family with location ``mu`` and scale ``s``.

.. math::

    p(x;\,\mu,s) = \frac{e^{-(x-\mu)/s}}{s\left(1+e^{-(x-\mu)/s}\right)^{2}},
    \qquad x\in\mathbb{R},\ \mu\in\mathbb{R},\ s>0 .

scipy's ``logistic`` uses ``loc = mu`` and ``scale = s``. The log-density is
computed as ``log σ(z) + log σ(−z) − log s`` with ``z = (x − μ)/s`` (scipy's
``log_expit``), exact for any z. MLE: Newton's method on the score with a
line search (the log-likelihood is concave in (1/s, μ/s)), from the mean and
``s₀ = √3·sd/π``.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
from scipy.special import expit, log_expit, logit

from ..domains import Positive, Real
from ..errors import DataError
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
from .base import Family, Parameter, SymbolicDensity


def _bshape(*a):
    return np.broadcast_shapes(*(np.shape(v) for v in a))


class LogisticFamily(Family):
    r"""Logistic(mu, s): location ``mu`` (mean), scale ``s`` > 0; variance s²π²/3.

    .. math:: p(x) = \frac{e^{-(x-\mu)/s}}{s(1+e^{-(x-\mu)/s})^2}

    Examples
    --------
    >>> import numpy as np, mlekit as mk
    >>> round(float(mk.Logistic(mu=0, s=1).logpdf(0.0)), 4)   # log 1/4
    -1.3863
    >>> x = mk.Logistic(mu=0.7, s=0.8).sample(2000, rng=0)
    >>> res = mk.Logistic.fit(x)
    >>> round(res.params["mu"], 1), round(res.params["s"], 1)
    (0.7, 0.8)
    """

    name = "logistic"
    title = "Logistic"
    censored_mass_escapes = True
    censored_mass_concentrates = True
    parameters = (Parameter("mu", Real, r"\mu"), Parameter("s", Positive, "s"))
    support = Real
    mean_parameter = "mu"
    canonical_link = "identity"
    #: what ``mle`` runs (read by mlekit.estimate for ``FitResult.method``)
    mle_method: ClassVar[str] = "damped Newton (analytic Hessian, line search)"
    example_params: ClassVar[dict[str, Any]] = {"mu": 0.7, "s": 0.8}

    def logpdf(self, x, mu, s):
        z = (x - mu) / s
        return log_expit(z) + log_expit(-z) - np.log(s)

    def cdf(self, x, mu, s):
        return expit((x - mu) / s)

    def logsf(self, x, mu, s):
        return log_expit(-(x - mu) / s)

    def ppf(self, q, mu, s):
        with np.errstate(divide="ignore"):
            return mu + s * logit(q)

    def sample(self, size, rng, mu, s):
        out = tuple(size) + _bshape(mu, s)
        return rng.logistic(mu, s, size=out)

    def mean(self, mu, s):
        return np.broadcast_to(np.asarray(mu, float), _bshape(mu, s)) * 1.0

    def var(self, mu, s):
        return np.broadcast_to(np.asarray(s, float) ** 2 * np.pi**2 / 3.0, _bshape(mu, s)) * 1.0

    def entropy(self, mu, s):
        return np.broadcast_to(np.log(s) + 2.0, _bshape(mu, s)) * 1.0

    def score(self, x, mu, s):
        z = (x - mu) / s
        t = np.tanh(0.5 * z)
        return {"mu": t / s, "s": (z * t - 1.0) / s}

    def hessian(self, x, mu, s):
        z = (x - mu) / s
        t = np.tanh(0.5 * z)
        pq = expit(z) * expit(-z)  # d tanh(z/2)/dz = 2 σ(z) σ(−z)
        s2 = s * s
        return {
            ("mu", "mu"): -2.0 * pq / s2,
            ("mu", "s"): -(t + 2.0 * z * pq) / s2,
            ("s", "s"): (1.0 - 2.0 * z * t - 2.0 * z * z * pq) / s2,
        }

    def fisher_information(self, mu, s):
        s2 = np.broadcast_to(np.asarray(s, float) ** 2, _bshape(mu, s))
        info = np.zeros((*s2.shape, 2, 2))
        info[..., 0, 0] = 1.0 / (3.0 * s2)
        info[..., 1, 1] = (3.0 + np.pi**2) / (9.0 * s2)
        return info

    def mle(self, x, weights=None, fixed=None):
        fixed = check_fixed(self, fixed)
        if len(fixed) == 2:
            return dict(fixed)
        x, w, total = prepare(x, weights)
        if not fixed and all_equal(x, w):
            raise DataError("Logistic: all observations are equal, so "
                            "the MLE of s is 0 (it does not exist)")
        m, sd, _ = scaled_moments(x, w, total)
        if not sd > 0:
            raise DataError("Logistic: all observations are equal, so the MLE of s is 0 "
                            "(it does not exist)")
        # Solve on standardised data u = (x − m0)/c (c a power of two near the sd): the
        # family is location-scale equivariant, so (μ, s) = (m0 + c μ_u, c s_u), and data
        # of any magnitude (1e±300) neither overflow nor underflow on the way.
        m0, c = fixed.get("mu", m), pow2_scale(sd)
        fixed_u = {k: (0.0 if k == "mu" else v / c) for k, v in fixed.items()}
        start = {"mu": (m - m0) / c, "s": sd / c * np.sqrt(3.0) / np.pi}
        out = newton_fit(self, (x - m0) / c, w, total, start, fixed_u, log_names=("s",),
                         derivs=_logistic_derivs, nll=_logistic_nll)
        return {"mu": m0 + c * out["mu"], "s": c * out["s"], **fixed}

    def scaled_information(self, x, weights, params):
        """Observed information on (x − μ)/c (c ~ s): see ``_mle_tools.scaled_information``."""
        x, w, _ = prepare(x, weights)
        c = pow2_scale(params["s"])
        return scaled_information(self, (x - params["mu"]) / c, w,
                                  {"mu": 0.0, "s": params["s"] / c}, c)

    def _symbolic(self):
        sp, x, sy = self._make_symbols()
        mu, s = sy["mu"], sy["s"]
        z = (x - mu) / s
        expr = sp.exp(-z) / (s * (1 + sp.exp(-z)) ** 2)
        return SymbolicDensity(expr, x, sy, -z - 2 * sp.log(1 + sp.exp(-z)) - sp.log(s))


def _logistic_nll(x, w, total, mu, s):
    """Mean NLL: log σ(z) + log σ(−z) = −|z| − 2 log1p(e^{−|z|})."""
    a = np.abs((x - mu) * (1.0 / s))
    e = np.exp(-a)
    np.log1p(e, out=e)
    return float(np.log(s) + (wsum(w, a) + 2.0 * wsum(w, e)) / total)


def _logistic_derivs(x, w, total, mu, s):
    """Mean NLL, gradient and Hessian from six weighted sums (one pass over the data).

    With a = |z|, e = e^{−a}: tanh(z/2) = sign(z)(1 − e)/(1 + e) and
    σ(z)σ(−z) = e/(1 + e)².
    """
    z = (x - mu) * (1.0 / s)
    a = np.abs(z)
    e = np.exp(-a)
    one_e = 1.0 + e
    ll = -(wsum(w, a) + 2.0 * wsum(w, np.log1p(e))) / total - np.log(s)
    r = 1.0 / one_e
    t = np.copysign((1.0 - e) * r, z)
    pq = e * r * r
    s_t = wsum(w, t) / total
    s_zt = wsum(w, z * t) / total
    zpq = z * pq
    s_pq = wsum(w, pq) / total
    s_zpq = wsum(w, zpq) / total
    s_z2pq = wsum(w, z * zpq) / total
    s2 = s * s
    g = {"mu": s_t / s, "s": (s_zt - 1.0) / s}
    h = {("mu", "mu"): -2.0 * s_pq / s2, ("mu", "s"): -(s_t + 2.0 * s_zpq) / s2,
         ("s", "s"): (1.0 - 2.0 * s_zt - 2.0 * s_z2pq) / s2}
    return (-float(ll), {k: -float(v) for k, v in g.items()},
            {k: -float(v) for k, v in h.items()})


Logistic = LogisticFamily()
