r"""The log-likelihood of a prepared data set, its gradient and Hessian.

.. math::

    \ell(\theta) = \sum_{i\,\text{exact}} w_i \log p(x_i;\theta)
      + \sum_{i\,\text{right}} w_i \log S(l_i;\theta)
      + \sum_{i\,\text{left}} w_i \log F(h_i;\theta)
      + \sum_{i\,\text{interval}} w_i \log\bigl(F(h_i;\theta) - F(l_i;\theta)\bigr)

Exact terms use the family's analytic ``score`` and ``hessian``. Censored
terms are differentiated by central differences of ``log S``/``log F`` in the
unconstrained coordinates (families declare no derivative of their CDF); the
fit's ``method`` says so.
"""

from __future__ import annotations

import numpy as np

from ._data import Prepared
from ._transform import Packer

__all__ = ["Objective", "log_cdf", "log_interval"]


def log_cdf(family, x, params) -> np.ndarray:
    """log F(x), stable in both tails: the family's ``logcdf``.

    :meth:`Family.logcdf <mlekit.families.base.Family.logcdf>` is log F where F < 1/2,
    else log1p(−S) with S = e^{log S}; a family overrides it where F underflows.
    """
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        return np.asarray(family.logcdf(x, **params), float)


def log_interval(family, lo, hi, params) -> np.ndarray:
    """log(F(h) − F(l)) = log P(l < X ≤ h), through the survival function in the upper tail."""
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        fl = np.asarray(family.cdf(lo, **params), float)
        fh = np.asarray(family.cdf(hi, **params), float)
        sl = np.asarray(family.logsf(lo, **params), float)
        sh = np.asarray(family.logsf(hi, **params), float)
        upper = sl + np.log1p(-np.exp(sh - sl))
        lower = np.log(np.where(fh > 0, fh, 1.0)) + np.log1p(-np.where(fh > 0, fl / fh, 1.0))
        lower = np.where(fh > 0, lower, -np.inf)
        return np.where(fl > 0.5, upper, lower)


def _wsum(w: np.ndarray | None, arr: np.ndarray, n: int) -> np.ndarray:
    arr = np.asarray(arr, float)
    if arr.ndim == 0 or arr.shape[0] != n:
        arr = np.broadcast_to(arr, (n, *arr.shape))
    if w is None:
        return arr.sum(axis=0)
    return np.tensordot(w, arr, axes=(0, 0))


class Objective:
    """ℓ(θ) of a :class:`Prepared` data set; θ is a dict of the FREE parameters."""

    def __init__(self, prep: Prepared, packer: Packer):
        self.prep = prep
        self.family = prep.family
        self.packer = packer
        self.n = prep.x.shape[0]
        cen = prep.censored
        self.has_censored = cen is not None
        if cen is not None:
            self.r_mask, self.l_mask, self.i_mask = cen.right, cen.left, cen.interval
            self.r_x, self.r_w = cen.low[self.r_mask], prep.cw[self.r_mask]
            self.l_x, self.l_w = cen.high[self.l_mask], prep.cw[self.l_mask]
            self.i_lo, self.i_hi = cen.low[self.i_mask], cen.high[self.i_mask]
            self.i_w = prep.cw[self.i_mask]

    def full(self, theta: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        return {**self.prep.fixed, **theta}

    # ------------------------------------------------------------------ value
    def loglik_exact(self, theta) -> float:
        if self.n == 0:
            return 0.0
        params = self.full(theta)
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            lp = np.asarray(self.family.logpdf(self.prep.x, **params), float)
        if self.prep.w is None:
            return float(np.sum(lp))
        terms = np.where(self.prep.w > 0, self.prep.w * np.where(np.isnan(lp), -np.inf, lp), 0.0)
        return float(np.sum(terms))

    def loglik_censored(self, theta) -> float:
        if not self.has_censored:
            return 0.0
        params = self.full(theta)
        total = 0.0
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            if self.r_x.size:
                total += float(np.sum(self.r_w * self.family.logsf(self.r_x, **params)))
            if self.l_x.size:
                total += float(np.sum(self.l_w * log_cdf(self.family, self.l_x, params)))
            if self.i_lo.size:
                total += float(np.sum(self.i_w * log_interval(self.family, self.i_lo,
                                                              self.i_hi, params)))
        return total

    def loglik(self, theta) -> float:
        val = self.loglik_exact(theta) + self.loglik_censored(theta)
        return val if not np.isnan(val) else -np.inf

    # ------------------------------------------------------------------ derivatives
    def score_theta(self, theta) -> np.ndarray:
        """Σ w ∂log p/∂θ over the exact observations, flattened like ``packer.labels``."""
        if self.n == 0:
            return np.zeros(self.packer.size)
        params = self.full(theta)
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            sc = self.family.score(self.prep.x, **params)
        return np.concatenate([np.ravel(_wsum(self.prep.w, sc[fp.name], self.n))
                               for fp in self.packer.free])

    def hessian_theta(self, theta) -> np.ndarray:
        """Σ w ∂²log p/∂θ∂θᵀ over the exact observations (size x size)."""
        size = self.packer.size
        if self.n == 0:
            return np.zeros((size, size))
        params = self.full(theta)
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            hs = self.family.hessian(self.prep.x, **params)
        offs, i = {}, 0
        for fp in self.packer.free:
            offs[fp.name] = (i, fp.size)
            i += fp.size
        out = np.zeros((size, size))
        for (a, b), arr in hs.items():
            if a not in offs or b not in offs:
                continue
            (ia, sa), (ib, sb) = offs[a], offs[b]
            block = np.reshape(_wsum(self.prep.w, arr, self.n), (sa, sb))
            out[ia:ia + sa, ib:ib + sb] = block
            out[ib:ib + sb, ia:ia + sa] = block.T
        return out

    def censored_grad_u(self, u: np.ndarray) -> np.ndarray:
        """Central-difference gradient of the censored terms in the unconstrained coordinates."""
        g = np.zeros_like(u)
        for j in range(u.size):
            h = 1e-6 * max(1.0, abs(u[j]))
            up, um = u.copy(), u.copy()
            up[j] += h
            um[j] -= h
            g[j] = (self.loglik_censored(self.packer.theta(up))
                    - self.loglik_censored(self.packer.theta(um))) / (2 * h)
        return g
