r"""Bernoulli family, parameterised by ``p`` or by ``logits``.

.. math::

    P(x;\,p) = p^{x}(1-p)^{1-x}, \qquad x\in\{0,1\},\ p\in[0,1] .

Its NLL is the binary cross-entropy ``−Σ [x log p + (1−x) log(1−p)]``. On logits
η = log(p/(1−p)) it is ``Σ [log(1+e^η) − x η]``, evaluated with
``log_expit`` so that logits of ±1000 give finite, exact values.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np
from scipy.special import expit, log_expit, log_ndtr, logit, xlog1py, xlogy

from ..domains import Binary, ClosedUnitInterval, Real
from ..errors import ParameterError
from ._registry import register_kl
from ._rowmodel import _LOG_SQRT_2PI, Cumulant, RowModel, _pack, _xmul
from .base import Family, Parameter, SymbolicDensity


def bernoulli_logpmf_logits(x, logits):
    """log P(x) from logits, exact for any finite logit: x·log σ(η) + (1−x)·log σ(−η)."""
    return x * log_expit(logits) + (1.0 - x) * log_expit(-logits)


# ---------------------------------------------------------------- fast path: link-space row model
class _LogitCumulant(Cumulant):
    r"""Bernoulli-logit: ``a(η) = log(1 + e^η)``, ``a' = expit(η)``, ``a'' = q (1 - q)``
    with ``q = expit(-|η|) <= 1/2`` (no cancellation at ``|η|`` large), ``c = 0``."""

    def mean(self, eta, out):
        return expit(eta, out=out)

    def value_sum(self, eta, mean, w, out):
        # log(1 + e^η) = max(η, 0) + log1p(e^{-|η|}), finite for every finite η, summed
        # without temporaries: Σ w max(η, 0) = (Σ w η + Σ w |η|) / 2
        def total(v):
            return float(np.sum(v)) if w is None else float(w @ v)

        np.abs(eta, out=out)
        positive = 0.5 * (total(eta) + total(out))
        np.negative(out, out=out)
        np.exp(out, out=out)
        np.log1p(out, out=out)
        return positive + total(out)

    def variance(self, eta, mean, out):
        np.abs(eta, out=out)
        np.negative(out, out=out)
        expit(out, out=out)  # q = expit(-|η|) in (0, 1/2]
        out *= 1.0 - out
        return out

    def const(self, y):
        return None


@dataclass
class BernoulliModel(RowModel):
    r"""Bernoulli: ``P(y=1) = F(eta)`` with ``F`` the inverse link (logit, probit, cloglog).

    .. math:: \ell = -y\log F(\eta) - (1-y)\log(1-F(\eta))

    ``log F`` and ``log(1-F)`` are computed exactly: ``log_expit`` (logit),
    ``log_ndtr`` (probit), ``log(-expm1(-e^eta))`` and ``-e^eta`` (cloglog).
    For the canonical logit this is ``logaddexp(0, eta) - y eta``.
    """

    classification: ClassVar[bool] = True
    allowed_links: ClassVar[tuple[str, ...]] = ("logit", "probit", "cloglog", "log")

    def check_y(self, y, aux):
        return y  # labels are encoded (and checked) by the estimator

    def cumulant(self):
        return _LogitCumulant() if self.link.name == "logit" else None

    def init_eta(self, y, w, aux):
        p = float(np.clip(np.sum(w * y) / np.sum(w), 0.01, 0.99))
        return np.array([float(self.link.link(np.asarray(p)))])

    def _logs(self, eta):
        """(log F, log(1-F), a = F'/F, b = F'/(1-F), r = F''/F')."""
        name = self.link.name
        with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
            if name == "logit":
                return (log_expit(eta), log_expit(-eta), expit(-eta), expit(eta),
                        1.0 - 2.0 * expit(eta))
            if name == "probit":
                lf, l1f = log_ndtr(eta), log_ndtr(-eta)
                lphi = -0.5 * eta * eta - _LOG_SQRT_2PI
                return lf, l1f, np.exp(lphi - lf), np.exp(lphi - l1f), -eta
            if name == "cloglog":
                e = np.exp(np.minimum(eta, 700.0))
                # log F = log(1 - exp(-e)) = eta + log1p(-e/2 + e^2/6 - ...): for eta < -30
                # (e < 1e-13) eta - e/2 is exact to double precision and stays finite where
                # e underflows to 0 (eta < -745); above, log(-expm1(-e)) is accurate.
                lf = np.where(eta < -30.0, eta - 0.5 * e, np.log(-np.expm1(-e)))
                return lf, -e, np.exp(eta - e - lf), e, 1.0 - e
            mu = self.link.inverse(eta)
            m1, m2 = self.link.inverse_deriv(eta), self.link.inverse_deriv2(eta)
            return np.log(mu), np.log1p(-mu), m1 / mu, m1 / (1.0 - mu), m2 / m1

    def rows(self, y, eta, aux, order=2):
        e = eta[:, 0]
        if self.link.name == "logit":  # canonical pair: exact and cheap
            # one exponential serves all: z = e^{-|η|} in (0, 1] never overflows,
            # log(1 + e^η) = max(η, 0) + log1p(z), expit(η) = 1/(1+z) or z/(1+z)
            z = np.exp(-np.abs(e))
            nll = np.maximum(e, 0.0) + np.log1p(z) - y * e
            if order == 0:
                return nll, None, None
            r = 1.0 / (1.0 + z)
            p = np.where(e >= 0, r, z * r)
            g = (p - y)[:, None]
            if order == 1:
                return nll, g, None
            return nll, g, (z * r * r)[:, None, None]  # p (1 - p) = z / (1 + z)²
        lf, l1f, a, b, r = self._logs(e)
        ll = _xmul(y, lf) + _xmul(1.0 - y, l1f)
        if order == 0:
            return -ll, None, None
        with np.errstate(all="ignore"):
            d1 = _xmul(y, a, log=False) - _xmul((1.0 - y), b, log=False)
            d2 = (_xmul(y, a * r - a * a, log=False)
                  - _xmul((1.0 - y), b * r + b * b, log=False))
            if self.information == "expected":
                d2 = -a * b  # E: -F'^2 / (F (1 - F))
        return _pack(ll, [d1], {(0, 0): d2}, order)

    def mean(self, eta):
        if self.link.name == "logit":
            return expit(eta[:, 0])
        return self.link.inverse(eta[:, 0])

    def distribution_params(self, eta, aux):
        if self.link.name == "logit":
            return {"logits": eta[:, 0]}
        return {"p": self.mean(eta)}

    def unit_deviance(self, y, eta, aux):
        return 2.0 * self.rows(y, eta, aux, order=0)[0]

    saturated_zero: ClassVar[bool] = True

    def saturated_nll(self, y, aux):
        return np.zeros_like(y)  # the observed class has probability 1: log-likelihood 0


class BernoulliFamily(Family):
    r"""Bernoulli(p): success probability ``p`` in [0, 1] (or ``logits=`` η ∈ ℝ).

    .. math:: P(x) = p^{x}(1-p)^{1-x}

    Examples
    --------
    >>> import numpy as np, mlekit as mk
    >>> round(float(mk.Bernoulli(p=0.25).logpmf(1)), 4)   # log 0.25
    -1.3863
    >>> vote = mk.datasets.load("anes96")["vote"]   # 1 = Dole
    >>> res = mk.Bernoulli.fit(vote)        # p = share of ones
    >>> res.method, round(res.params["p"], 4), round(float(vote.mean()), 4)
    ('closed form', 0.4163, 0.4163)
    """

    name = "bernoulli"
    title = "Bernoulli"
    #: the hand-written link-space row model (regression fast path)
    row_model = BernoulliModel
    parameters = (Parameter("p", ClosedUnitInterval, "p"),)
    support = Binary
    discrete = True
    mean_parameter = "p"
    canonical_link = "logit"
    mean_edges_in_data = ("lower", "upper")
    aux_names = ("logits",)
    classifier = "binary"
    example_params = {"p": 0.3}

    def _convert_params(self, params):
        if "logits" in params:
            if "p" in params:
                raise ParameterError("Bernoulli: give either p or logits, not both")
            eta = Real.check(params.pop("logits"), what="logits", owner=self.title,
                             error=ParameterError)
            params["p"] = expit(eta)
            params["logits"] = eta
        return params

    def logpdf(self, x, p, logits=None):
        if logits is not None:
            out = bernoulli_logpmf_logits(x, logits)
            return np.where((x == 0) | (x == 1), out, -np.inf)
        with np.errstate(divide="ignore"):
            out = xlogy(x, p) + xlog1py(1.0 - x, -p)
        return np.where((x == 0) | (x == 1), out, -np.inf)

    def cdf(self, x, p):
        return np.where(x < 0, 0.0, np.where(x < 1, 1.0 - p, 1.0))

    def ppf(self, q, p):
        """min{k in {0, 1}: F(k) ≥ q}: 0 for q ≤ 1 − p, else 1."""
        q = np.asarray(q, float)
        return np.where(q <= 1.0 - np.asarray(p, float), 0.0, 1.0)

    def sample(self, size, rng, p):
        shape = tuple(size) + np.shape(p)
        return (rng.random(shape) < p).astype(float)

    def mean(self, p):
        return np.asarray(p, float) * 1.0

    def var(self, p):
        return p * (1.0 - p)

    def entropy(self, p):
        return -(xlogy(p, p) + xlog1py(1.0 - p, -p))

    def score(self, x, p):
        with np.errstate(divide="ignore", invalid="ignore"):
            return {"p": x / p - (1.0 - x) / (1.0 - p)}

    def hessian(self, x, p):
        with np.errstate(divide="ignore", invalid="ignore"):
            return {("p", "p"): -x / p**2 - (1.0 - x) / (1.0 - p) ** 2}

    def mle(self, x, weights=None, fixed=None):
        if fixed and "p" in fixed:
            return {"p": float(fixed["p"])}
        w = np.ones_like(x) if weights is None else weights
        return {"p": float(np.sum(w * x) / np.sum(w))}

    def fisher_information(self, p):
        with np.errstate(divide="ignore"):
            return (1.0 / (np.asarray(p, float) * (1.0 - p)))[..., None, None]

    def _symbolic(self):
        sp, x, s = self._make_symbols()
        p = s["p"]
        expr = p**x * (1 - p) ** (1 - x)
        log_expr = x * sp.log(p) + (1 - x) * sp.log(1 - p)
        return SymbolicDensity(expr, x, s, log_expr)

    @staticmethod
    def logits_of(p):
        """Logits η = log(p / (1 − p))."""
        return logit(p)


Bernoulli = BernoulliFamily()


@register_kl(BernoulliFamily, BernoulliFamily)
def _kl_bernoulli_bernoulli(p, q):
    """KL = p₁ log(p₁/p₂) + (1−p₁) log((1−p₁)/(1−p₂)); +inf where q gives zero mass."""
    a, b = p["p"], q["p"]
    with np.errstate(divide="ignore", invalid="ignore"):
        t1 = np.where(a > 0, xlogy(a, a) - xlogy(a, b), 0.0)
        t0 = np.where(a < 1, xlog1py(1 - a, -a) - xlog1py(1 - a, -b), 0.0)
    return t1 + t0
