r"""Bernoulli family, parameterised by ``p`` or by ``logits``.

.. math::

    P(x;\,p) = p^{x}(1-p)^{1-x}, \qquad x\in\{0,1\},\ p\in[0,1] .

Its NLL is the binary cross-entropy ``−Σ [x log p + (1−x) log(1−p)]``. On logits
η = log(p/(1−p)) it is ``Σ [log(1+e^η) − x η]``, evaluated with
``log_expit`` so that logits of ±1000 give finite, exact values.
"""

from __future__ import annotations

import numpy as np
from scipy.special import expit, log_expit, logit, xlog1py, xlogy

from ..domains import Binary, ClosedUnitInterval, Real
from ..errors import ParameterError
from ._registry import register_kl
from .base import Family, Parameter, SymbolicDensity


def bernoulli_logpmf_logits(x, logits):
    """log P(x) from logits, exact for any finite logit: x·log σ(η) + (1−x)·log σ(−η)."""
    return x * log_expit(logits) + (1.0 - x) * log_expit(-logits)


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
    parameters = (Parameter("p", ClosedUnitInterval, "p"),)
    support = Binary
    discrete = True
    mean_parameter = "p"
    canonical_link = "logit"
    aux_names = ("logits",)
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
