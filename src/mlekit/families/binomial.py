r"""Binomial family with a known number of trials ``n``, parameterised by ``p`` or ``logits``.

.. math::

    P(x;\,n,p) = \binom{n}{x} p^{x}(1-p)^{n-x},
    \qquad x\in\{0,\dots,n\},\ n\in\{1,2,\dots\}\ \text{known},\ p\in[0,1] .

``n`` is not estimated (``Parameter(estimable=False)``): give it when freezing
(``Binomial(n=10, p=0.3)``) and when fitting (``Binomial.fit(x, fixed={"n": 10})``);
it may be an array, one number of trials per row. Its NLL is the binomial
cross-entropy ``−Σ [x log p + (n−x) log(1−p)]`` plus ``−Σ log C(n, x)``, which does
not depend on p; on logits it is ``Σ [n log(1+e^η) − x η]``, evaluated with
``log_expit`` so that logits of ±1000 stay finite and exact.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
from scipy.special import betainc, expit, gammaln, log_expit, xlog1py, xlogy

from ..domains import BoundedCounts, ClosedUnitInterval, Counts, PositiveIntegers, Real
from ..errors import DataError, NotImplementedForFamily, ParameterError, SupportError
from ._registry import register_kl
from ._rowmodel import _pack, _xmul
from .base import Family, Parameter, SymbolicDensity
from .bernoulli import BernoulliModel
from .poisson import _entropy_by_sum, _flat, _log_binom_raw


# ---------------------------------------------------------------- fast path: link-space row model
@dataclass
class BinomialModel(BernoulliModel):
    r"""Binomial with ``trials`` n_i per row: ``y`` successes out of ``n_i``.

    .. math:: \ell = -\log\binom{n}{y} - y\log F(\eta) - (n-y)\log(1-F(\eta))

    Canonical logit: ``n logaddexp(0, eta) - y eta - log C(n, y)``.
    """

    classification: ClassVar[bool] = False
    saturated_zero: ClassVar[bool] = False

    def cumulant(self):
        return None  # a(η) = n log(1 + e^η) needs the trials: the general path

    def check_y(self, y, aux):
        owner = "Binomial regression"
        if "trials" not in aux:
            raise DataError("Binomial regression needs the number of trials per row: "
                            "fit(X, y, trials=n) or y as (successes, failures) columns")
        n = aux["trials"]
        bad = ~((n == np.floor(n)) & (n >= 1))
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise SupportError(f"{owner}: trials must be integers >= 1; found {n[i]:g} at row {i}")
        bad = ~((y == np.floor(y)) & (y >= 0) & (y <= n))
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise SupportError(f"{owner}: y must satisfy value in {{0, 1, ..., n}} "
                               f"(BoundedCounts); found {y[i]:g} at row {i} with n = {n[i]:g}")
        return y

    def init_eta(self, y, w, aux):
        n = aux["trials"]
        p = float(np.clip(np.sum(w * y) / np.sum(w * n), 0.01, 0.99))
        return np.array([float(self.link.link(np.asarray(p)))])

    def rows(self, y, eta, aux, order=2):
        n = aux["trials"]
        e = eta[:, 0]
        logc = gammaln(n + 1.0) - gammaln(y + 1.0) - gammaln(n - y + 1.0)
        if self.link.name == "logit":
            nll = n * np.logaddexp(0.0, e) - y * e - logc
            if order == 0:
                return nll, None, None
            p = expit(e)
            g = (n * p - y)[:, None]
            if order == 1:
                return nll, g, None
            return nll, g, (n * p * expit(-e))[:, None, None]
        lf, l1f, a, b, r = self._logs(e)
        ll = logc + _xmul(y, lf) + _xmul(n - y, l1f)
        if order == 0:
            return -ll, None, None
        with np.errstate(all="ignore"):
            d1 = _xmul(y, a, log=False) - _xmul((n - y), b, log=False)
            d2 = (_xmul(y, a * r - a * a, log=False)
                  - _xmul((n - y), b * r + b * b, log=False))
            if self.information == "expected":
                d2 = -n * a * b
        return _pack(ll, [d1], {(0, 0): d2}, order)

    def distribution_params(self, eta, aux):
        n = aux.get("trials")
        if n is None:
            raise NotImplementedForFamily("Binomial predict_distribution needs trials=")
        if self.link.name == "logit":
            return {"n": n, "logits": eta[:, 0]}
        return {"n": n, "p": self.mean(eta)}

    def unit_deviance(self, y, eta, aux):
        n = aux["trials"]
        mu = self.mean(eta)
        with np.errstate(divide="ignore", invalid="ignore"):
            return 2.0 * (xlogy(y, y / (n * mu)) + xlogy(n - y, (n - y) / (n - n * mu)))

    def saturated_nll(self, y, aux):
        return None  # the deviance is summed row by row (map_rows)


class BinomialFamily(Family):
    r"""Binomial(n, p): successes in ``n`` (known) trials of probability ``p`` (or ``logits=``).

    .. math:: P(x) = \binom{n}{x} p^{x}(1-p)^{n-x}, \qquad x = 0, 1, \dots, n

    Examples
    --------
    >>> import numpy as np, mlekit as mk
    >>> round(float(mk.Binomial(n=10, p=0.3).logpmf(3)), 4)
    -1.3212
    >>> x = mk.Binomial(n=10, p=0.3).sample(500, rng=0)
    >>> res = mk.Binomial.fit(x, fixed={"n": 10})   # n is known: p = mean / n
    >>> round(res.params["p"], 4), round(float(x.mean()) / 10, 4)
    (0.3154, 0.3154)
    """

    name = "binomial"
    title = "Binomial"
    #: the hand-written link-space row model (regression fast path)
    row_model = BinomialModel
    parameters = (
        Parameter("n", PositiveIntegers, "n", estimable=False),
        Parameter("p", ClosedUnitInterval, "p"),
    )
    support = Counts  # the data bound n depends on the member: see support_of
    discrete = True
    mean_parameter = "p"
    canonical_link = "logit"
    mean_edges_in_data = ("lower", "upper")
    aux_names = ("logits",)
    trials_parameter = "n"
    example_params: ClassVar[dict[str, Any]] = {"n": 10, "p": 0.3}

    def _convert_params(self, params):
        if "logits" in params:
            if "p" in params:
                raise ParameterError("Binomial: give either p or logits, not both")
            eta = Real.check(params.pop("logits"), what="logits", owner=self.title,
                             error=ParameterError)
            params["p"] = expit(eta)
            params["logits"] = eta
        return params

    def support_of(self, n=None, **_):
        return Counts if n is None else BoundedCounts(n)

    def logpdf(self, x, n, p, logits=None):
        x = np.asarray(x, float)
        ok = (x == np.floor(x)) & (x >= 0) & (x <= n)
        xs = np.where(ok, x, 0.0)
        if logits is not None:
            # log C(n,x) + x log σ(η) + (n−x) log σ(−η): exact for any finite logit
            logc = _log_binom_raw(xs, n, 0.5, 0.5) - xlogy(n, 0.5)
            out = logc + xs * log_expit(logits) + (n - xs) * log_expit(-logits)
        else:
            out = _log_binom_raw(xs, n, p, 1.0 - np.asarray(p, float))
        return np.where(ok, out, -np.inf)

    def cdf(self, x, n, p):
        x = np.asarray(x, float)
        k = np.floor(np.clip(x, 0.0, n))
        inner = betainc(np.maximum(n - k, 1.0), k + 1.0, 1.0 - np.asarray(p, float))
        return np.where(x < 0, 0.0, np.where(x >= n, 1.0, inner))

    def logsf(self, x, n, p):
        x = np.asarray(x, float)
        k = np.floor(np.clip(x, 0.0, n))
        with np.errstate(divide="ignore"):
            inner = np.log(betainc(k + 1.0, np.maximum(n - k, 1.0), p))
            return np.where(x < 0, 0.0, np.where(x >= n, -np.inf, inner))

    def ppf(self, q, n, p):
        """Smallest integer k with P(X ≤ k) ≥ q."""
        from scipy.stats import binom

        return binom.ppf(q, n, p)

    def sample(self, size, rng, n, p):
        shape = tuple(size) + np.broadcast_shapes(np.shape(n), np.shape(p))
        return rng.binomial(np.asarray(n).astype(np.int64), p, size=shape).astype(float)

    def mean(self, n, p):
        return np.asarray(n, float) * p

    def var(self, n, p):
        return np.asarray(n, float) * p * (1.0 - np.asarray(p, float))

    def entropy(self, n, p):
        r"""Shannon entropy −Σ p_k log p_k (nats); no closed form exists.

        Exact sum over ``[np − 12σ − 10, np + 12σ + 40] ∩ [0, n]`` (outside, the mass
        is below 1e-30 by Bernstein's inequality) when σ² = np(1−p) ≤ 1e7; above, the
        Edgeworth expansion ``½ log(2πeσ²) − (1−2p)²/(12σ²)`` (error O(σ⁻⁴) < 1e-14).
        """
        shape = np.broadcast_shapes(np.shape(n), np.shape(p))
        nf, pf = _flat(shape, n, p)
        v = nf * pf * (1.0 - pf)
        out = np.zeros(nf.shape)
        big = v > 1e7
        if np.any(big):
            vb, pb = v[big], pf[big]
            out[big] = 0.5 * np.log(2 * np.pi * np.e * vb) - (1 - 2 * pb) ** 2 / (12 * vb)
        small = np.flatnonzero(~big & (v > 0))  # v = 0: a point mass, entropy 0
        if small.size:
            ns, ps = nf[small], pf[small]
            m, sd = ns * ps, np.sqrt(v[small])
            lo = np.maximum(0.0, np.floor(m - 12 * sd - 10))
            hi = np.minimum(ns, np.ceil(m + 12 * sd + 40))
            out[small] = _entropy_by_sum(
                lambda k, i: _log_binom_raw(k, ns[i, None], ps[i, None], 1 - ps[i, None]),
                lo, hi)
        return out.reshape(shape)

    def score(self, x, n, p):
        with np.errstate(divide="ignore", invalid="ignore"):
            return {"p": x / p - (n - x) / (1.0 - p)}

    def hessian(self, x, n, p):
        with np.errstate(divide="ignore", invalid="ignore"):
            return {("p", "p"): -x / p**2 - (n - x) / (1.0 - p) ** 2}

    def fisher_information(self, n, p):
        p = np.asarray(p, float)
        with np.errstate(divide="ignore"):
            return (np.asarray(n, float) / (p * (1.0 - p)))[..., None, None]

    def mle(self, x, weights=None, fixed=None):
        r"""p̂ = Σ w x / Σ w n, with ``n`` taken from ``fixed`` (required: it is known).

        All failures (p̂ = 0) or all successes (p̂ = 1) put the MLE on the boundary of
        [0, 1]; it is returned as is and the estimate engine reports the boundary.
        """
        fixed = dict(fixed or {})
        if "n" not in fixed:
            raise ParameterError(
                "Binomial: the number of trials n is known, not estimated; pass it as "
                "fixed={'n': ...} (a number, or an array with one n per observation)")
        n = np.asarray(fixed["n"], float)
        PositiveIntegers.check(n, what="n", owner=self.title, error=ParameterError)
        BoundedCounts(n).check(x, what="x", owner=self.title)
        n_out = float(n) if n.ndim == 0 else n
        if "p" in fixed:
            return {"n": n_out, "p": float(fixed["p"])}
        w = np.ones_like(x) if weights is None else weights
        return {"n": n_out, "p": float(np.sum(w * x) / np.sum(w * np.broadcast_to(n, x.shape)))}

    def _symbolic(self):
        sp, x, s = self._make_symbols()
        n, p = s["n"], s["p"]
        expr = sp.binomial(n, x) * p**x * (1 - p) ** (n - x)
        log_expr = sp.log(sp.binomial(n, x)) + x * sp.log(p) + (n - x) * sp.log(1 - p)
        display = (sp.binomial(n, x), p**x, (1 - p) ** (n - x))  # C(n, x) p^x (1−p)^{n−x}
        return SymbolicDensity(expr, x, s, log_expr, display=display)


Binomial = BinomialFamily()


@register_kl(BinomialFamily, BinomialFamily)
def _kl_binomial_binomial(p, q):
    r"""KL(Bin(n,p₁)‖Bin(n,p₂)) = n [p₁ log(p₁/p₂) + (1−p₁) log((1−p₁)/(1−p₂))] for equal n;
    +inf where n₁ > n₂ (the support of P is not inside that of Q). For n₁ < n₂ there is
    no closed form: NotImplementedForFamily lets the divergence engine sum exactly."""
    n1, n2 = np.asarray(p["n"], float), np.asarray(q["n"], float)
    a, b = np.asarray(p["p"], float), np.asarray(q["p"], float)
    if np.any(n1 < n2):
        raise NotImplementedForFamily(
            "Binomial KL with fewer trials in p than in q has no closed form")
    with np.errstate(divide="ignore", invalid="ignore"):
        t1 = np.where(a > 0, xlogy(a, a) - xlogy(a, b), 0.0)
        t0 = np.where(a < 1, xlog1py(1 - a, -a) - xlog1py(1 - a, -b), 0.0)
    return np.where(n1 > n2, np.inf, n1 * (t1 + t0))
