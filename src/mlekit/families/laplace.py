r"""Laplace (double exponential) family with location ``mu`` and scale ``b``.

.. math::

    p(x;\,\mu,b) = \frac{1}{2b}\exp\!\left(-\frac{|x-\mu|}{b}\right),
    \qquad x\in\mathbb{R},\ \mu\in\mathbb{R},\ b>0 .

scipy's ``laplace`` uses ``loc = mu`` and ``scale = b``. Its NLL with ``b``
fixed is ``(1/b) Σ|x − μ|`` plus a constant: the absolute error (MAE / LAD
regression). MLE (closed form): ``μ̂`` = the weighted median,
``b̂ = Σ w|x − μ̂| / Σ w``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from ..domains import Positive, Real
from ..errors import DataError
from ._mle_tools import check_fixed, prepare, weighted_median, wsum
from ._registry import register_kl
from ._rowmodel import _MeanModel
from .base import Family, Parameter, SymbolicDensity


def _bshape(*a):
    return np.broadcast_shapes(*(np.shape(v) for v in a))


# ---------------------------------------------------------------- fast path: link-space row model
@dataclass
class LaplaceModel(_MeanModel):
    r"""Laplace errors: median (least absolute deviations) regression, scale ``b``.

    .. math:: \ell = |y - \mu|/b + \log(2b)

    Not smooth in ``mu``: the coefficients are found exactly by a linear program
    (``regression._pipeline.least_absolute``: HiGHS), then ``b = Σ w|r| / Σ w``. The
    "Hessian" here is the expected information (``1/b²`` per row for mu), which is what
    the asymptotic covariance of the LAD estimator uses under Laplace errors.
    """

    nuisance_names: ClassVar[tuple[str, ...]] = ("b",)
    default_link: ClassVar[str | None] = "identity"
    allowed_links: ClassVar[tuple[str, ...]] = ("identity",)
    exact: ClassVar[str | None] = "linear program"
    information_kind: ClassVar[str | None] = "expected"

    def init_eta(self, y, w, aux):
        med = float(np.median(y))
        start = [med]
        if "b" not in self.fixed:
            start.append(np.log(max(float(np.mean(np.abs(y - med))), 1e-12)))
        return np.array(start)

    def _loglik(self, y, mu, nu, aux, order):
        b = nu["b"]
        r = y - mu
        ll = -np.abs(r) / b - np.log(2.0 * b)
        grads = [np.sign(r) / b]
        hess = {(0, 0): -np.ones_like(r) / b**2}  # expected information
        if "b" not in self.fixed:
            grads.append(np.abs(r) / b - 1.0)
            hess[(1, 1)] = -np.ones_like(r)  # expected: E|r|/b = 1
            hess[(0, 1)] = np.zeros_like(r)
        return ll, grads, hess

    def distribution_params(self, eta, aux):
        mu = self.mean(eta)
        return {"mu": mu, "b": self.nuisance_values(eta)["b"] * np.ones_like(mu)}

    def unit_deviance(self, y, eta, aux):
        return np.abs(y - self.mean(eta))


class LaplaceFamily(Family):
    r"""Laplace(mu, b): location ``mu`` (mean and median), scale ``b`` > 0.

    .. math:: p(x) = \frac{1}{2b} e^{-|x-\mu|/b}

    Examples
    --------
    >>> import numpy as np, mlekit as mk
    >>> round(float(mk.Laplace(mu=0, b=1).logpdf(1.0)), 4)   # -1 - log 2
    -1.6931
    >>> nile = mk.datasets.load("nile")["volume"]
    >>> res = mk.Laplace.fit(nile)          # mu = median, b = mean |x - median|
    >>> res.method, res.params["mu"], float(np.median(nile))
    ('closed form', 893.5, 893.5)
    """

    name = "laplace"
    title = "Laplace"
    censored_mass_escapes = True
    censored_mass_concentrates = True
    #: the hand-written link-space row model (regression fast path)
    row_model = LaplaceModel
    parameters = (Parameter("mu", Real, r"\mu"), Parameter("b", Positive, "b"))
    support = Real
    mean_parameter = "mu"
    canonical_link = "identity"  # not an exponential family: the natural link for LAD regression
    example_params: ClassVar[dict[str, Any]] = {"mu": -0.4, "b": 1.3}

    def logpdf(self, x, mu, b):
        return -np.log(2.0 * b) - np.abs(x - mu) / b

    def cdf(self, x, mu, b):
        z = (x - mu) / b
        return np.where(z < 0, 0.5 * np.exp(np.minimum(z, 0.0)),
                        1.0 - 0.5 * np.exp(-np.maximum(z, 0.0)))

    def logsf(self, x, mu, b):
        z = (x - mu) / b
        return np.where(z >= 0, np.log(0.5) - np.maximum(z, 0.0),
                        np.log1p(-0.5 * np.exp(np.minimum(z, 0.0))))

    def ppf(self, q, mu, b):
        with np.errstate(divide="ignore"):
            return mu - b * np.sign(q - 0.5) * np.log1p(-2.0 * np.abs(q - 0.5))

    def sample(self, size, rng, mu, b):
        out = tuple(size) + _bshape(mu, b)
        return rng.laplace(mu, b, size=out)

    def mean(self, mu, b):
        return np.broadcast_to(np.asarray(mu, float), _bshape(mu, b)) * 1.0

    def var(self, mu, b):
        return np.broadcast_to(2.0 * np.asarray(b, float) ** 2, _bshape(mu, b)) * 1.0

    def entropy(self, mu, b):
        return np.broadcast_to(1.0 + np.log(2.0 * np.asarray(b, float)), _bshape(mu, b)) * 1.0

    def score(self, x, mu, b):
        d = x - mu
        return {"mu": np.sign(d) / b, "b": (np.abs(d) / b - 1.0) / b}

    def hessian(self, x, mu, b):
        """Second derivatives away from x = mu (where the density has a kink)."""
        d = x - mu
        shp = _bshape(x, mu, b)
        return {
            ("mu", "mu"): np.zeros(shp),
            ("mu", "b"): -np.sign(d) / b**2,
            ("b", "b"): (1.0 - 2.0 * np.abs(d) / b) / b**2,
        }

    def fisher_information(self, mu, b):
        bb = np.broadcast_to(np.asarray(b, float), _bshape(mu, b))
        info = np.zeros((*bb.shape, 2, 2))
        info[..., 0, 0] = info[..., 1, 1] = 1.0 / bb**2
        return info

    def mle(self, x, weights=None, fixed=None):
        fixed = check_fixed(self, fixed)
        x, w, total = prepare(x, weights)
        mu = fixed.get("mu", weighted_median(x, w))
        if "b" in fixed:
            return {"mu": float(mu), "b": fixed["b"]}
        b = wsum(w, np.abs(x - mu)) / total
        if not b > 0:
            raise DataError("Laplace: every observation equals mu, so the MLE of b is 0 "
                            "(it does not exist)")
        return {"mu": float(mu), "b": float(b)}

    def _symbolic(self):
        sp, x, s = self._make_symbols()
        mu, b = s["mu"], s["b"]
        expr = sp.exp(-sp.Abs(x - mu) / b) / (2 * b)
        u = {"evaluate": False}  # 1/(2b) e^{−|x−μ|/b}
        display = (sp.Pow(2 * b, -1, **u), sp.exp(-sp.Abs(sp.Add(x, -mu, **u), **u) / b))
        return SymbolicDensity(expr, x, s, -sp.log(2 * b) - sp.Abs(x - mu) / b, display=display)


Laplace = LaplaceFamily()


@register_kl(LaplaceFamily, LaplaceFamily)
def _kl_laplace_laplace(p, q):
    r"""KL(L(μ₁,b₁)‖L(μ₂,b₂)) = log(b₂/b₁) + |μ₁−μ₂|/b₂ + (b₁/b₂) e^{−|μ₁−μ₂|/b₁} − 1."""
    d = np.abs(p["mu"] - q["mu"])
    r = p["b"] / q["b"]
    return -np.log(r) + d / q["b"] + r * np.exp(-d / p["b"]) - 1.0
