r"""Normal (Gaussian) family.

.. math::

    p(x;\,\mu,\sigma) = \frac{1}{\sigma\sqrt{2\pi}}
        \exp\!\left(-\frac{(x-\mu)^2}{2\sigma^2}\right),
    \qquad x\in\mathbb{R},\ \mu\in\mathbb{R},\ \sigma>0 .

Its NLL with σ fixed is ``(1/2σ²)·Σ(x_i − μ)² + m log σ + (m/2) log 2π``:
squared error, scaled, plus a constant.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np
from scipy.special import ndtr, ndtri

from ..domains import Positive, Real
from ._mle_tools import (
    MLEstimate,
    pow2_scale,
    prepare,
    scaled_information,
    solver_extras,
    sum_sq_dev,
    wsum,
)
from ._registry import register_kl
from ._rowmodel import _LOG_SQRT_2PI, RowModel, Slot, _chain, _pack, _scaled_moments
from .base import Family, Parameter, SymbolicDensity

_LOG_2PI = float(np.log(2.0 * np.pi))


# ---------------------------------------------------------------- fast path: link-space row model
@dataclass
class NormalModel(RowModel):
    r"""Normal: ``y ~ N(mu, sigma^2)``, ``g(mu) = eta``, ``u = log sigma`` a nuisance slot.

    .. math:: \ell = \frac{(y-\mu)^2}{2\sigma^2} + \log\sigma + \tfrac12\log 2\pi

    With ``heteroscedastic=True`` the slot ``log sigma`` has the full design:
    ``log sigma_i = x_i^T gamma``.
    """

    heteroscedastic: bool = False
    nuisance_names: ClassVar[tuple[str, ...]] = ("sigma",)
    allowed_links: ClassVar[tuple[str, ...]] = ("identity", "log", "inverse")

    @property
    def slots(self) -> list[Slot]:
        if "sigma" in self.fixed:
            return [Slot("mu", "X")]
        return [Slot("mu", "X"), Slot("log(sigma)", "X" if self.heteroscedastic else "1",
                                      "sigma")]

    @property
    def exact(self) -> str | None:  # type: ignore[override]
        """Least squares for the identity link with a constant sigma; else Newton."""
        if self.link.name == "identity" and not self.heteroscedastic:
            return "least squares"
        return None

    def init_eta(self, y, w, aux):
        mz, vz, s = _scaled_moments(y, w)
        mu = s * mz
        log_sd = np.log(s) + 0.5 * np.log(vz) if vz > 0 else 0.0  # log sd, sd = s sqrt(v_z)
        if self.link.name == "log" and mu <= 0:
            mu = max(float(np.mean(np.abs(y))), 1e-3)
        eta0 = float(self.link.link(np.asarray(mu)))
        return np.array([eta0] + ([log_sd] if "sigma" not in self.fixed else []))

    def rows(self, y, eta, aux, order=2):
        mu = self.link.inverse(eta[:, 0])
        if "sigma" in self.fixed:
            u = np.full_like(mu, np.log(self.fixed["sigma"]))
        else:
            u = eta[:, 1]
        r = y - mu
        inv_s2 = np.exp(-2.0 * u)
        z2 = r * r * inv_s2
        ll = -0.5 * z2 - u - _LOG_SQRT_2PI
        if order == 0:
            return -ll, None, None
        d1, d2, m1 = _chain(r * inv_s2, -inv_s2, self.link, eta[:, 0])
        expected = self.information == "expected"
        if expected:
            d2 = -m1 * m1 * inv_s2
        grads, hess = [d1], {(0, 0): d2}
        if "sigma" not in self.fixed:
            grads.append(z2 - 1.0)
            hess[(0, 1)] = np.zeros_like(r) if expected else -2.0 * r * inv_s2 * m1
            hess[(1, 1)] = np.full_like(r, -2.0) if expected else -2.0 * z2
        return _pack(ll, grads, hess, order)

    def distribution_params(self, eta, aux):
        sig = self.fixed.get("sigma")
        sigma = np.exp(eta[:, 1]) if sig is None else np.full(eta.shape[0], sig)
        return {"mu": self.link.inverse(eta[:, 0]), "sigma": sigma}

    def unit_deviance(self, y, eta, aux):
        return (y - self.link.inverse(eta[:, 0])) ** 2


class NormalFamily(Family):
    r"""Normal(mu, sigma): mean ``mu`` (real), standard deviation ``sigma`` (> 0).

    .. math:: p(x) = \frac{1}{\sigma\sqrt{2\pi}} e^{-(x-\mu)^2/(2\sigma^2)}

    Examples
    --------
    >>> import numpy as np, mlekit as mk
    >>> d = mk.Normal(mu=0, sigma=2)
    >>> round(float(d.logpdf(1.0)), 4)      # -1/8 - log 2 - log(2 pi)/2
    -1.7371
    >>> nile = mk.datasets.load("nile")["volume"]
    >>> res = mk.Normal.fit(nile)           # sample mean and sqrt(mean squared deviation)
    >>> res.method, round(res.params["mu"], 2), round(res.params["sigma"], 2)
    ('closed form', 919.35, 168.38)
    >>> bool(np.isclose(res.params["sigma"], np.std(nile)))
    True
    """

    name = "normal"
    title = "Normal"
    censored_mass_escapes = True
    censored_mass_concentrates = True
    #: the hand-written link-space row model (regression fast path)
    row_model = NormalModel
    parameters = (Parameter("mu", Real, r"\mu"), Parameter("sigma", Positive, r"\sigma"))
    support = Real
    mean_parameter = "mu"
    canonical_link = "identity"
    dispersion_parameter = ("sigma", 2)  # φ = σ²
    example_params = {"mu": 0.5, "sigma": 2.0}
    #: ``mle``'s mu is Σ x / n (at any scale), finite only if every x is: estimate.fit may
    #: leave the support check of large data to it
    mle_checks_support = True

    def logpdf(self, x, mu, sigma):
        # |z| beyond ~1e154 makes z² overflow to inf, so the log-density is -inf: that is
        # the correctly rounded value (the true one is below -1.8e308), not an error
        with np.errstate(over="ignore"):
            z = (x - mu) / sigma
            return -0.5 * z * z - np.log(sigma) - 0.5 * _LOG_2PI

    def cdf(self, x, mu, sigma):
        return ndtr((x - mu) / sigma)

    def logsf(self, x, mu, sigma):
        from scipy.special import log_ndtr

        return log_ndtr(-(x - mu) / sigma)

    def logcdf(self, x, mu, sigma):
        """log Φ((x − μ)/σ), exact far in the lower tail (scipy's log_ndtr)."""
        from scipy.special import log_ndtr

        return log_ndtr((x - mu) / sigma)

    def ppf(self, q, mu, sigma):
        return mu + sigma * ndtri(q)

    def sample(self, size, rng, mu, sigma):
        shape = tuple(size) + np.broadcast_shapes(np.shape(mu), np.shape(sigma))
        return rng.normal(mu, sigma, size=shape)

    def mean(self, mu, sigma):
        return np.broadcast_to(mu, np.broadcast_shapes(np.shape(mu), np.shape(sigma))) * 1.0

    def var(self, mu, sigma):
        return np.broadcast_to(sigma, np.broadcast_shapes(np.shape(mu), np.shape(sigma))) ** 2

    def entropy(self, mu, sigma):
        return np.broadcast_to(0.5 * (1.0 + _LOG_2PI) + np.log(sigma),
                               np.broadcast_shapes(np.shape(mu), np.shape(sigma))) * 1.0

    def score(self, x, mu, sigma):
        z = (x - mu) / sigma
        return {"mu": z / sigma, "sigma": (z * z - 1.0) / sigma}

    def hessian(self, x, mu, sigma):
        z = (x - mu) / sigma
        s2 = sigma * sigma
        shape = np.broadcast(x, mu, sigma).shape
        return {
            ("mu", "mu"): np.broadcast_to(-1.0 / s2, shape),
            ("mu", "sigma"): -2.0 * z / s2,
            ("sigma", "sigma"): (1.0 - 3.0 * z * z) / s2,
        }

    def mle(self, x, weights=None, fixed=None):
        fixed = dict(fixed or {})
        x = np.asarray(x, float).ravel()
        w = None if weights is None else np.asarray(weights, float).ravel()
        sw = float(x.size) if w is None else float(w.sum())
        # Ordinary magnitudes: two passes (Σ x, then Σ (x − mu)² by sum_sq_dev, with
        # no array-sized temporary). Data near 1e±300 (the sums overflow, or the
        # squares leave the normal range) are worked in units of a power of two
        # c ~ max|x| (an exact scaling): mu = c·mean(x/c), etc.
        c, xs = 1.0, x
        with np.errstate(over="ignore", under="ignore", invalid="ignore"):
            mu = fixed.get("mu", wsum(w, x) / sw)
            s2 = sum_sq_dev(x, float(mu), w) / sw if "sigma" not in fixed else 1.0
        if not (np.isfinite(mu) and np.isfinite(s2) and s2 > 1e-250):
            big = max(abs(float(x.max())), abs(float(x.min())))
            c = float(np.ldexp(1.0, np.frexp(big)[1] - 1)) if big > 0 else 1.0
            xs = x * (1.0 / c)  # exact: c is a power of two
            mu = fixed.get("mu", c * (wsum(w, xs) / sw))
            if "sigma" not in fixed:
                s2 = sum_sq_dev(xs, float(mu) / c, w) / sw  # in units of c²
        if "sigma" in fixed:
            return {"mu": float(mu), "sigma": fixed["sigma"]}
        sigma = c * np.sqrt(s2)
        out = MLEstimate({"mu": float(mu), "sigma": float(sigma)})
        if sigma > 0:
            # at σ̂: Σ w z² = W, and Σ w z = 0 when μ is estimated too, so
            # ℓ = −W(log σ̂ + ½ log 2π + ½) and −∂²ℓ = diag(W/σ̂², 2W/σ̂²)
            llf = -sw * (np.log(sigma) + 0.5 * (_LOG_2PI + 1.0))
            with np.errstate(all="ignore"):
                inv = sw / (np.float64(c) * c * s2)
            info = {("mu", "mu"): inv, ("mu", "sigma"): 0.0, ("sigma", "sigma"): 2.0 * inv}
            out.details.update(solver_extras(llf, info))
        return out

    def scaled_information(self, x, weights, params):
        """Observed information on (x − μ)/c (c ~ σ, a power of two), and c.

        For data near 1e±300, where W/σ² itself under- or overflows: the standard
        errors are c times those of the standardised fit (σ/√W and σ/√(2W) at the MLE);
        see ``_mle_tools.scaled_information``.
        """
        x, w, _ = prepare(x, weights)
        c = pow2_scale(params["sigma"])
        return scaled_information(self, (x - params["mu"]) / c, w,
                                  {"mu": 0.0, "sigma": params["sigma"] / c}, c)

    def fisher_information(self, mu, sigma):
        inv_s2 = (1.0 / np.asarray(sigma, float)) ** 2  # underflows quietly for huge sigma
        info = np.zeros(np.shape(inv_s2) + (2, 2))
        info[..., 0, 0] = inv_s2
        info[..., 1, 1] = 2.0 * inv_s2
        return info

    def _symbolic(self):
        sp, x, s = self._make_symbols()
        mu, sigma = s["mu"], s["sigma"]
        expr = sp.exp(-((x - mu) ** 2) / (2 * sigma**2)) / (sigma * sp.sqrt(2 * sp.pi))
        log_expr = -((x - mu) ** 2) / (2 * sigma**2) - sp.log(sigma) - sp.log(2 * sp.pi) / 2
        u = {"evaluate": False}  # the textbook form: 1/(σ√(2π)) · e^{−(x−μ)²/(2σ²)}
        display = (sp.Pow(sp.Mul(sigma, sp.sqrt(2 * sp.pi, **u), **u), -1, **u),
                   sp.exp(-((x - mu) ** 2) / (2 * sigma**2)))
        return SymbolicDensity(expr, x, s, log_expr, display=display)


Normal = NormalFamily()


@register_kl(NormalFamily, NormalFamily)
def _kl_normal_normal(p, q):
    r"""KL(N(μ₁,σ₁²)‖N(μ₂,σ₂²)) = log(σ₂/σ₁) + (σ₁² + (μ₁−μ₂)²)/(2σ₂²) − 1/2."""
    ratio = p["sigma"] / q["sigma"]
    return -np.log(ratio) + 0.5 * (ratio**2 + ((p["mu"] - q["mu"]) / q["sigma"]) ** 2) - 0.5
