r"""Poisson family, parameterised by its rate (= mean) ``rate``.

.. math::

    P(x;\,\lambda) = \frac{\lambda^{x} e^{-\lambda}}{x!},
    \qquad x\in\{0,1,2,\dots\},\ \lambda>0 .

Its NLL is ``Σ [λ − x log λ + log x!]``; on the log link η = log λ it is
``Σ [e^η − x η] + const`` (the Poisson deviance up to a constant).

The log-pmf is evaluated in Loader's saddle-point form
(``−stirlerr(x) − bd0(x, λ) − ½ log 2πx``), which stays accurate to a few ulp
even for counts of 10¹² where ``x log λ − λ − log x!`` loses every digit to
cancellation. The private helpers of this module (``_stirlerr``, ``_bd0``,
``_log_binom_raw``, ``_entropy_by_sum``) are shared with the Binomial and
NegativeBinomial families.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
from scipy.special import gammaln, pdtr, pdtrc, xlogy

from ..domains import Counts, Positive
from ._registry import register_kl
from ._rowmodel import Cumulant, _MeanModel
from .base import Family, Parameter, SymbolicDensity

_LOG_2PI = float(np.log(2.0 * np.pi))
_EULER = 0.5772156649015329


# ---------------------------------------------------------------- shared numerics
def _stirlerr(n: np.ndarray) -> np.ndarray:
    r"""δ(n) = log Γ(n+1) − (n+½) log n + n − ½ log 2π (the Stirling error), for n > 0.

    A five-term series for n > 15 (error < 1e-17), the direct formula below.
    """
    n = np.asarray(n, float)
    out = np.empty(n.shape)
    big = n > 15.0
    nb = n[big]
    nn = nb * nb
    out[big] = (1 / 12 - (1 / 360 - (1 / 1260 - (1 / 1680 - 1 / (1188 * nn)) / nn) / nn)
                / nn) / nb
    small = ~big
    ns = np.where(n[small] > 0, n[small], 1.0)
    out[small] = gammaln(ns + 1.0) - (ns + 0.5) * np.log(ns) + ns - 0.5 * _LOG_2PI
    return out


def _bd0(x: np.ndarray, m: np.ndarray) -> np.ndarray:
    r"""x log(x/m) + m − x ≥ 0, without cancellation when x ≈ m (Loader 2000). x ≥ 0, m > 0."""
    x, m = np.broadcast_arrays(np.asarray(x, float), np.asarray(m, float))
    out = np.empty(x.shape)
    close = np.abs(x - m) < 0.1 * (x + m)
    far = ~close
    xf, mf = x[far], m[far]
    xs = np.where(xf > 0, xf, 1.0)
    with np.errstate(over="ignore", under="ignore"):
        ratio = xs / mf
    # log(x/m) is the accurate form; where x/m overflows or is subnormal (x = 1e9,
    # m = 1e-300) the difference of logs is exact enough (|log(x/m)| > 690 there).
    normal = np.isfinite(ratio) & (ratio > 1e-300)
    log_ratio = np.where(normal, np.log(np.where(normal, ratio, 1.0)), np.log(xs) - np.log(mf))
    out[far] = np.where(xf > 0, xf * log_ratio, 0.0) + mf - xf
    xc, mc = x[close], m[close]
    v = (xc - mc) / (xc + mc)
    sc = (xc - mc) * v
    ej = 2.0 * xc * v
    v2 = v * v
    for j in range(1, 40):  # |v| < 0.1: at most 40 terms reach well below 1e-40 relative
        ej = ej * v2
        term = ej / (2 * j + 1)
        sc = sc + term
        if not np.any(np.abs(term) > 1e-17 * np.abs(sc)):
            break
    out[close] = sc
    return out


def _log_binom_raw(k: np.ndarray, n: np.ndarray, p: np.ndarray, q: np.ndarray) -> np.ndarray:
    r"""log[ C(n, k) p^k q^(n−k) ] for real 0 ≤ k ≤ n (q = 1 − p given separately, exactly).

    Loader's form ``δ(n) − δ(k) − δ(n−k) − bd0(k, np) − bd0(n−k, nq) + ½ log(n / 2πk(n−k))``.
    """
    k, n, p, q = np.broadcast_arrays(*(np.asarray(a, float) for a in (k, n, p, q)))
    nk = n - k
    inner = (k > 0) & (nk > 0)
    ks = np.where(inner, k, 1.0)
    ns = np.where(inner, n, 2.0)
    nks = ns - ks
    ps = np.where(inner & (p > 0), p, 0.5)
    qs = np.where(inner & (q > 0), q, 0.5)
    core = (_stirlerr(ns) - _stirlerr(ks) - _stirlerr(nks)
            - _bd0(ks, ns * ps) - _bd0(nks, ns * qs)
            + 0.5 * (np.log(ns) - _LOG_2PI - np.log(ks) - np.log(nks)))
    with np.errstate(divide="ignore"):
        core = np.where(inner & ((p == 0) | (q == 0)), -np.inf, core)
        at0 = xlogy(n, q)  # k = 0: q^n
        atn = xlogy(n, p)  # k = n: p^n
    return np.where(inner, core, np.where(k == 0, at0, atn))


def _log_poisson_raw(k: np.ndarray, rate: np.ndarray) -> np.ndarray:
    """log P(k; λ) for real k ≥ 0 (the gamma-function continuation), λ ≥ 0."""
    k, rate = np.broadcast_arrays(np.asarray(k, float), np.asarray(rate, float))
    pos = (k > 0) & (rate > 0)
    ks = np.where(pos, k, 1.0)
    rs = np.where(pos, rate, 1.0)
    core = -_stirlerr(ks) - _bd0(ks, rs) - 0.5 * (_LOG_2PI + np.log(ks))
    with np.errstate(divide="ignore"):
        edge = np.where(k == 0, -rate, -np.inf)  # λ = 0 puts all mass on 0
    return np.where(pos, core, edge)


def _entropy_by_sum(logpmf, lo: np.ndarray, hi: np.ndarray, cap: int = 100_000,
                    chunk: int = 2_000_000) -> np.ndarray:
    r"""H = −Σ_{k=lo}^{hi} p_k log p_k, vectorised over a flat batch.

    ``logpmf(k, i)`` returns log p at integer (or, beyond ``cap`` terms, real) points
    ``k`` of shape (m, K) for the batch rows ``i`` (shape (m,)). The caller chooses
    ``[lo, hi]`` so that the mass outside is below 1e-20 (a tail bound), which bounds
    the neglected entropy by ~1e-18. Rows needing more than ``cap`` terms are summed
    exactly over the first ``cap`` terms; the smooth remainder is summed by the
    Euler–Maclaurin formula ``∫f + (f(a)+f(b))/2 + (f'(b)−f'(a))/12``, the integral by
    Gauss–Legendre on geometric panels.
    """
    lo = np.asarray(lo, float)
    hi = np.asarray(hi, float)
    out = np.zeros(lo.shape)
    nterms = np.minimum(hi - lo + 1.0, cap)
    order = np.argsort(nterms)  # group rows of similar length together
    widths = nterms[order]
    start = 0
    while start < lo.size:
        # the most rows whose padded block (rows x widest row) stays within `chunk` values
        block = np.arange(1, lo.size - start + 1) * widths[start:]
        rows = max(1, int(np.searchsorted(block, chunk, side="right")))
        idx = order[start:start + rows]
        width = int(nterms[idx].max())
        k = lo[idx, None] + np.arange(width)[None, :]
        keep = k <= (lo[idx] + nterms[idx] - 1.0)[:, None]
        lp = logpmf(np.where(keep, k, lo[idx, None]), idx)
        with np.errstate(invalid="ignore"):
            terms = np.where(keep & (lp > -np.inf), -np.exp(lp) * lp, 0.0)
        out[idx] = terms.sum(axis=1)
        start += rows
    rest = np.flatnonzero(hi - lo + 1.0 > cap)
    if rest.size:
        a = lo[rest] + cap
        b = hi[rest]

        def f(t):
            lp = logpmf(t, rest)
            return np.where(lp > -np.inf, -np.exp(lp) * lp, 0.0)

        nodes, wts = np.polynomial.legendre.leggauss(20)
        u = np.linspace(0.0, 1.0, 401)
        edges = a[:, None] * (b / a)[:, None] ** u[None, :]  # geometric panels, a > 0
        left, right = edges[:, :-1], edges[:, 1:]
        half = 0.5 * (right - left)
        mid = 0.5 * (right + left)
        t = (mid[:, :, None] + half[:, :, None] * nodes[None, None, :]).reshape(rest.size, -1)
        integral = np.sum(f(t).reshape(rest.size, 400, 20) * wts * half[:, :, None],
                          axis=(1, 2))
        ends = f(np.stack([a, b], axis=1))
        d_ends = 0.5 * (f(np.stack([a + 1, b + 1], axis=1)) - f(np.stack([a - 1, b - 1], axis=1)))
        out[rest] += (integral + 0.5 * (ends[:, 0] + ends[:, 1])
                      + (d_ends[:, 1] - d_ends[:, 0]) / 12.0)
    return out


def _flat(shape, *arrays):
    return [np.broadcast_to(np.asarray(a, float), shape).ravel() for a in arrays]


def _on_counts(x: np.ndarray) -> np.ndarray:
    """Mask of values in {0, 1, 2, ...}."""
    return (x == np.floor(x)) & (x >= 0)


# ---------------------------------------------------------------- fast path: link-space row model
class _LogCumulant(Cumulant):
    r"""Poisson-log: ``a(η) = a'(η) = a''(η) = e^η``, ``c(y) = log y!``."""

    value_is_free = True

    def mean(self, eta, out):
        with np.errstate(over="ignore"):  # e^η = inf: the NLL is +inf and the step backtracks
            return np.exp(eta, out=out)

    def value_sum(self, eta, mean, w, out):
        if mean is None:
            mean = self.mean(eta, out=out)
        return float(np.sum(mean)) if w is None else float(w @ mean)

    def variance(self, eta, mean, out):
        out[...] = mean
        return out

    def const(self, y):
        return gammaln(y + 1.0)


@dataclass
class PoissonModel(_MeanModel):
    r"""Poisson: ``ell = mu - y log mu + log y!``; log link: ``ell = e^eta - y eta + log y!``."""

    default_link: ClassVar[str | None] = "log"
    allowed_links: ClassVar[tuple[str, ...]] = ("log", "identity", "sqrt")
    mean_domain: ClassVar[str] = "positive"

    def cumulant(self):
        return _LogCumulant() if self.link.name == "log" else None

    def init_eta(self, y, w, aux):
        return np.array([float(self.link.link(np.asarray(max(np.sum(w * y) / np.sum(w),
                                                                 1e-3))))])

    def _canonical(self, y, e, nu, aux, order):
        if self.link.name != "log":
            return None
        with np.errstate(over="ignore"):
            mu = np.exp(e)
        ll = y * e - mu - gammaln(y + 1.0)
        return ll, [y - mu], {(0, 0): -mu}

    def _loglik(self, y, mu, nu, aux, order):
        ll = xlogy(y, mu) - mu - gammaln(y + 1.0)
        return ll, [y / mu - 1.0], {(0, 0): -y / mu**2}

    def distribution_params(self, eta, aux):
        return {"rate": self.mean(eta)}

    def unit_deviance(self, y, eta, aux):
        mu = self.mean(eta)
        return 2.0 * (xlogy(y, y) - xlogy(y, mu) - y + mu)

    def saturated_nll(self, y, aux):
        return y - xlogy(y, y) + gammaln(y + 1.0)  # ℓ at mu = y

    def expected_mu_information(self, mu, nu, aux):
        return 1.0 / mu


# ---------------------------------------------------------------- family
class PoissonFamily(Family):
    r"""Poisson(rate): counts with mean and variance ``rate`` = λ > 0.

    .. math:: P(x) = \frac{\lambda^{x} e^{-\lambda}}{x!}, \qquad x = 0, 1, 2, \dots

    Examples
    --------
    >>> import numpy as np, mlekit as mk
    >>> round(float(mk.Poisson(rate=2.0).logpmf(3)), 4)   # 3 log 2 - 2 - log 3!
    -1.7123
    >>> visits = mk.datasets.load("randhie")["mdvis"]
    >>> res = mk.Poisson.fit(visits)        # rate = sample mean
    >>> res.method, round(res.params["rate"], 4), round(float(visits.mean()), 4)
    ('closed form', 2.8472, 2.8472)
    """

    name = "poisson"
    title = "Poisson"
    #: the hand-written link-space row model (regression fast path)
    row_model = PoissonModel
    parameters = (Parameter("rate", Positive, r"\lambda"),)
    support = Counts
    discrete = True
    mean_parameter = "rate"
    canonical_link = "log"
    mean_edges_in_data = ("lower",)
    example_params: ClassVar[dict[str, Any]] = {"rate": 3.5}

    def logpdf(self, x, rate):
        x = np.asarray(x, float)
        ok = _on_counts(x)
        return np.where(ok, _log_poisson_raw(np.where(ok, x, 0.0), rate), -np.inf)

    def cdf(self, x, rate):
        x = np.asarray(x, float)
        k = np.floor(np.where(x >= 0, x, 0.0))
        return np.where(x >= 0, pdtr(k, rate), 0.0)

    def logsf(self, x, rate):
        x = np.asarray(x, float)
        k = np.floor(np.where(x >= 0, x, 0.0))
        with np.errstate(divide="ignore"):
            return np.where(x >= 0, np.log(pdtrc(k, rate)), 0.0)

    def ppf(self, q, rate):
        """Smallest integer k with P(X ≤ k) ≥ q."""
        from scipy.stats import poisson

        return poisson.ppf(q, rate)

    def sample(self, size, rng, rate):
        return rng.poisson(rate, size=tuple(size) + np.shape(rate)).astype(float)

    def mean(self, rate):
        return np.asarray(rate, float) * 1.0

    def var(self, rate):
        return np.asarray(rate, float) * 1.0

    def entropy(self, rate):
        r"""Shannon entropy −Σ p_k log p_k (nats); no closed form exists.

        Exact sum over ``[λ − 12√λ − 10, λ + 12√λ + 40]`` (outside, the mass is below
        1e-30 by the Chernoff bound) for λ ≤ 1e5; above, the asymptotic series
        ``½ log(2πeλ) − 1/(12λ) − 1/(24λ²) − 19/(360λ³)`` (error O(λ⁻⁴) < 1e-20).
        """
        lam = np.asarray(rate, float)
        shape = lam.shape
        (flat,) = _flat(shape, lam)
        out = np.empty(flat.shape)
        big = flat > 1e5
        if np.any(big):
            lb = flat[big]
            out[big] = (0.5 * np.log(2 * np.pi * np.e * lb) - 1 / (12 * lb)
                        - 1 / (24 * lb**2) - 19 / (360 * lb**3))
        small = np.flatnonzero(~big)
        if small.size:
            ls = flat[small]
            sd = np.sqrt(ls)
            lo = np.maximum(0.0, np.floor(ls - 12 * sd - 10))
            hi = np.ceil(ls + 12 * sd + 40)
            out[small] = _entropy_by_sum(lambda k, i: _log_poisson_raw(k, ls[i, None]), lo, hi)
        return out.reshape(shape)

    def score(self, x, rate):
        return {"rate": x / rate - 1.0}

    def hessian(self, x, rate):
        return {("rate", "rate"): -x / rate**2}

    def fisher_information(self, rate):
        return (1.0 / np.asarray(rate, float))[..., None, None]

    def mle(self, x, weights=None, fixed=None):
        """λ̂ = weighted mean of x. All-zero data give λ̂ = 0, on the boundary of λ > 0:
        it is returned as is (the estimate engine reports the boundary)."""
        if fixed and "rate" in fixed:
            return {"rate": float(fixed["rate"])}
        w = np.ones_like(x) if weights is None else weights
        return {"rate": float(np.sum(w * x) / np.sum(w))}

    def _symbolic(self):
        sp, x, s = self._make_symbols()
        lam = s["rate"]
        expr = lam**x * sp.exp(-lam) / sp.factorial(x)
        log_expr = x * sp.log(lam) - lam - sp.loggamma(x + 1)
        return SymbolicDensity(expr, x, s, log_expr)


Poisson = PoissonFamily()


@register_kl(PoissonFamily, PoissonFamily)
def _kl_poisson_poisson(p, q):
    r"""KL(Poi(λ₁)‖Poi(λ₂)) = λ₁ log(λ₁/λ₂) − λ₁ + λ₂."""
    a, b = np.asarray(p["rate"], float), np.asarray(q["rate"], float)
    return xlogy(a, a) - xlogy(a, b) - a + b
