r"""Inverse Gaussian (Wald) family with mean ``mu`` and shape ``lam``.

.. math::

    p(x;\,\mu,\lambda) = \sqrt{\frac{\lambda}{2\pi x^{3}}}\,
        \exp\!\left(-\frac{\lambda (x-\mu)^{2}}{2\mu^{2}x}\right),
    \qquad x>0,\ \mu>0,\ \lambda>0 .

E[X] = μ and Var[X] = μ³/λ; the GLM family with variance function μ³ and canonical
link 1/μ². scipy's ``invgauss(mu/lam, scale=lam)``; NumPy's ``Generator.wald(mu, lam)``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
from scipy.special import exp1, log_ndtr, ndtr

from ..domains import Positive
from ..errors import DataError, SupportError
from ._mle_tools import check_fixed, pow2_scale, prepare, scaled_information, wsum
from ._registry import register_kl
from ._rowmodel import _MeanModel, _scaled_moments
from .base import Family, Parameter, SymbolicDensity

_LOG_2PI = float(np.log(2.0 * np.pi))


def _bshape(*a):
    return np.broadcast_shapes(*(np.shape(v) for v in a))


def _exp_e1(z):
    """e^z E₁(z) for z > 0, without overflow (asymptotic series for z > 600)."""
    z = np.asarray(z, float)
    big = z > 600.0
    zs = np.where(big, 1.0, z)
    direct = np.exp(zs) * exp1(zs)
    zb = np.where(big, z, 1000.0)
    term = np.ones_like(zb)
    series = np.ones_like(zb)
    for k in range(1, 12):
        term = -term * k / zb
        series = series + term
    return np.where(big, series / zb, direct)


# ---------------------------------------------------------------- fast path: link-space row model
@dataclass
class InverseGaussianModel(_MeanModel):
    r"""Inverse Gaussian with mean ``mu`` and shape ``lam`` (nuisance ``u = log lam``).

    .. math:: \ell = -\tfrac12\log\lambda + \tfrac12\log(2\pi y^3)
              + \frac{\lambda (y-\mu)^2}{2\mu^2 y}
    """

    nuisance_names: ClassVar[tuple[str, ...]] = ("lam",)
    default_link: ClassVar[str | None] = "inverse_squared"
    allowed_links: ClassVar[tuple[str, ...]] = ("inverse_squared", "log", "identity",
                                                "inverse")
    mean_domain: ClassVar[str] = "positive"

    def init_eta(self, y, w, aux):
        mz, _, s = _scaled_moments(y, w)
        start = [float(self.link.link(np.asarray(s * mz)))]
        if "lam" not in self.fixed:
            # 1/λ = mean (y - m)² / (m² y) = q_z / s with z = y / s (no y² or m² y formed)
            z = y / s
            qz = float(np.sum(w * ((z - mz) / mz) ** 2 / z) / np.sum(w))
            start.append(np.log(s) - np.log(qz) if qz > 0 else 0.0)
        return np.array(start)

    def check_y(self, y, aux):
        return Positive.check(y, what="y", owner="InverseGaussian regression",
                              error=SupportError)

    def _loglik(self, y, mu, nu, aux, order):
        lam = nu["lam"]
        q = (y - mu) ** 2 / (mu * mu * y)
        ll = 0.5 * np.log(lam) - 0.5 * np.log(2.0 * np.pi * y**3) - 0.5 * lam * q
        dmu = lam * (y - mu) / mu**3
        grads = [dmu]
        hess = {(0, 0): lam * (2.0 / mu**3 - 3.0 * y / mu**4)}
        if "lam" not in self.fixed:
            grads.append(0.5 - 0.5 * lam * q)
            hess[(1, 1)] = -0.5 * lam * q
            hess[(0, 1)] = dmu
        return ll, grads, hess

    def distribution_params(self, eta, aux):
        mu = self.mean(eta)
        return {"mu": mu, "lam": self.nuisance_values(eta)["lam"] * np.ones_like(mu)}

    def unit_deviance(self, y, eta, aux):
        mu = self.mean(eta)
        return (y - mu) ** 2 / (mu * mu * y)

    def expected_mu_information(self, mu, nu, aux):
        return nu["lam"] / mu**3


class InverseGaussianFamily(Family):
    r"""InverseGaussian(mu, lam): mean μ > 0, shape λ > 0, on x > 0.

    .. math:: p(x) = \sqrt{\frac{\lambda}{2\pi x^{3}}}
              \exp\!\left(-\frac{\lambda (x-\mu)^{2}}{2\mu^{2}x}\right)

    Examples
    --------
    >>> import numpy as np, mlekit as mk
    >>> d = mk.InverseGaussian(mu=1.5, lam=4.0)
    >>> float(d.mean), round(float(d.var), 4)   # mu, mu**3 / lam
    (1.5, 0.8438)
    >>> x = d.sample(2000, rng=0)
    >>> res = mk.InverseGaussian.fit(x)     # mu = mean, 1/lam = mean(1/x - 1/mean)
    >>> round(res.params["mu"], 1), round(res.params["lam"], 1)
    (1.5, 4.0)
    """

    name = "inversegaussian"
    title = "InverseGaussian"
    censored_mass_escapes = True
    censored_mass_concentrates = True
    #: the hand-written link-space row model (regression fast path)
    row_model = InverseGaussianModel
    parameters = (Parameter("mu", Positive, r"\mu"), Parameter("lam", Positive, r"\lambda"))
    support = Positive
    mean_parameter = "mu"
    canonical_link = "inverse_squared"
    dispersion_parameter = ("lam", -1)  # φ = 1/λ
    y_power = 3
    example_params: ClassVar[dict[str, Any]] = {"mu": 1.5, "lam": 4.0}

    def logpdf(self, x, mu, lam):
        x = np.asarray(x, float)
        ok = x > 0
        xs = np.where(ok, x, 1.0)
        # λ (x − μ)²/(2μ²x) as (λ/2x)·((x − μ)/μ)²: no overflow of the squares at 1e300
        out = (0.5 * (np.log(lam) - _LOG_2PI) - 1.5 * np.log(xs)
               - (lam / (2.0 * xs)) * np.square((xs - mu) / mu))
        return np.where(ok, out, -np.inf)

    def _ab(self, x, mu, lam):
        xs = np.where(x > 0, x, 1.0)
        r = np.sqrt(lam / xs)
        return r * (xs / mu - 1.0), r * (xs / mu + 1.0)

    def cdf(self, x, mu, lam):
        r"""F(x) = Φ(a) + e^{2λ/μ} Φ(−b), a = √(λ/x)(x/μ − 1), b = √(λ/x)(x/μ + 1)."""
        x = np.asarray(x, float)
        a, b = self._ab(x, mu, lam)
        out = ndtr(a) + np.exp(2.0 * lam / mu + log_ndtr(-b))
        return np.where(x > 0, np.minimum(out, 1.0), 0.0)

    def logsf(self, x, mu, lam):
        x = np.asarray(x, float)
        a, b = self._ab(x, mu, lam)
        la = log_ndtr(-a)
        with np.errstate(divide="ignore"):
            out = la + np.log1p(-np.minimum(np.exp(2.0 * lam / mu + log_ndtr(-b) - la), 1.0))
        return np.where(x > 0, out, 0.0)

    def ppf(self, q, mu, lam):
        from scipy.stats import invgauss

        lam = np.asarray(lam, float)
        return invgauss.ppf(q, np.asarray(mu, float) / lam, scale=lam)

    def sample(self, size, rng, mu, lam):
        return rng.wald(mu, lam, size=tuple(size) + _bshape(mu, lam))

    def mean(self, mu, lam):
        return np.broadcast_to(mu, _bshape(mu, lam)) * 1.0

    def var(self, mu, lam):
        return np.asarray(mu, float) ** 3 / lam

    def entropy(self, mu, lam):
        r"""H = ½ log(2πe μ³/λ) − (3/2) e^{2λ/μ} E₁(2λ/μ).

        From E log X = log μ − e^{2λ/μ} E₁(2λ/μ) and E[(X − μ)²/X] = μ²/λ.
        """
        mu = np.asarray(mu, float)
        return (0.5 * (_LOG_2PI + 1.0 + 3.0 * np.log(mu) - np.log(lam))
                - 1.5 * _exp_e1(2.0 * lam / mu))

    def score(self, x, mu, lam):
        x = np.asarray(x, float)
        mu = np.asarray(mu, float)
        return {"mu": lam * (x - mu) / mu**3,
                "lam": 0.5 / lam - np.square(x - mu) / (2.0 * mu * mu * x)}

    def hessian(self, x, mu, lam):
        x = np.asarray(x, float)
        mu = np.asarray(mu, float)
        shape = np.broadcast(x, mu, lam).shape
        return {("mu", "mu"): -lam * (3.0 * x - 2.0 * mu) / mu**4,
                ("mu", "lam"): np.broadcast_to((x - mu) / mu**3, shape),
                ("lam", "lam"): np.broadcast_to(-0.5 / np.square(lam), shape)}

    def fisher_information(self, mu, lam):
        mu, lam = np.broadcast_arrays(np.asarray(mu, float), np.asarray(lam, float))
        info = np.zeros((*mu.shape, 2, 2))
        info[..., 0, 0] = lam / mu**3
        info[..., 1, 1] = 0.5 / lam**2
        return info

    def mle(self, x, weights=None, fixed=None):
        r"""μ̂ = x̄ (for every λ); 1/λ̂ = mean((x − μ̂)²/(μ̂² x)) = mean(1/x − 1/μ̂) when μ̂ = x̄.
        All-equal data give 1/λ̂ = 0 (λ̂ infinite): DataError."""
        fixed = check_fixed(self, fixed)
        x, w, total = prepare(x, weights)
        # in units of c ~ max x (a power of two: exact), so that data near 1e±300 neither
        # overflow nor underflow: with u = x/c and m = μ/c, 1/λ = mean(((u − m)/m)²/u)/c
        c = pow2_scale(float(np.max(np.abs(x))))
        u = x / c
        mu = fixed["mu"] if "mu" in fixed else c * (wsum(w, u) / total)
        if "lam" in fixed:
            return {"mu": float(mu), "lam": fixed["lam"]}
        m = mu / c
        with np.errstate(over="ignore", divide="ignore"):
            inv_u = wsum(w, np.square((u - m) / m) / u) / total
        if not np.isfinite(inv_u):
            raise DataError("InverseGaussian: the data span too many orders of magnitude "
                            f"(from {np.min(x):g} to {np.max(x):g}): the MLE of lam is below "
                            "the float range")
        if not inv_u > 0:
            raise DataError(
                "InverseGaussian: all observations are equal, so the likelihood grows without "
                "bound as lam -> inf; the MLE does not exist for these data")
        return {"mu": float(mu), "lam": float(c / inv_u)}

    def scaled_information(self, x, weights, params):
        """Observed information on data x/c (c ~ max x): see ``_mle_tools.scaled_information``."""
        x, w, _ = prepare(x, weights)
        c = pow2_scale(float(np.max(np.abs(x))))
        p_u = {"mu": params["mu"] / c, "lam": params["lam"] / c}
        return scaled_information(self, x / c, w, p_u, c)

    def _symbolic(self):
        sp, x, s = self._make_symbols()
        mu, lam = s["mu"], s["lam"]
        expr = sp.sqrt(lam / (2 * sp.pi * x**3)) * sp.exp(-lam * (x - mu) ** 2 / (2 * mu**2 * x))
        log_expr = (sp.log(lam) / 2 - sp.log(2 * sp.pi) / 2 - sp.Rational(3, 2) * sp.log(x)
                    - lam * (x - mu) ** 2 / (2 * mu**2 * x))
        u = {"evaluate": False}  # √(λ/(2πx³)) e^{−λ(x−μ)²/(2μ²x)}
        display = (sp.sqrt(sp.Mul(lam, sp.Pow(sp.Mul(2, sp.pi, x**3, **u), -1, **u), **u), **u),
                   sp.exp(-lam * (x - mu) ** 2 / (2 * mu**2 * x)))
        return SymbolicDensity(expr, x, s, log_expr, display=display)


InverseGaussian = InverseGaussianFamily()


@register_kl(InverseGaussianFamily, InverseGaussianFamily)
def _kl_invgauss_invgauss(p, q):
    r"""KL(IG(μ₁,λ₁)‖IG(μ₂,λ₂)) = ½ log(λ₁/λ₂) + λ₂/(2λ₁) − ½ + λ₂(μ₁−μ₂)²/(2μ₁μ₂²)."""
    m1, l1 = np.asarray(p["mu"], float), np.asarray(p["lam"], float)
    m2, l2 = np.asarray(q["mu"], float), np.asarray(q["lam"], float)
    return (0.5 * np.log(l1 / l2) + l2 / (2.0 * l1) - 0.5
            + l2 * np.square(m1 - m2) / (2.0 * m1 * m2 * m2))
