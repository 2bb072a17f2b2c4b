r"""Dirichlet family on the probability simplex, concentration vector ``alpha``.

.. math::

    p(\mathbf{x};\,\boldsymbol{\alpha}) = \frac{\Gamma(\alpha_0)}{\prod_{j=1}^{k}\Gamma(\alpha_j)}
        \prod_{j=1}^{k} x_j^{\alpha_j-1},
    \qquad \alpha_0=\sum_j\alpha_j,\ x_j>0,\ \sum_j x_j=1,\ \alpha_j>0 .

Data have one event axis (the last, of length k ≥ 2): each row is a probability
vector with strictly positive entries (the open simplex, as in ``scipy.stats.dirichlet``;
a zero entry has density 0 or ∞ and is rejected). ``alpha`` has shape (..., k);
leading axes are a batch.

MLE: the log-likelihood ``W[log Γ(α₀) − Σ log Γ(αⱼ) + Σ (αⱼ−1) s̄ⱼ]``, s̄ⱼ the weighted
mean of log xⱼ, is concave; Minka's (2000) Newton iteration (its Hessian is diagonal
plus rank one, inverted in O(k)) runs from a moment start, and any step that leaves
α > 0 or does not increase the likelihood is replaced by Minka's fixed-point step
ψ(αⱼ) ← ψ(α₀) + s̄ⱼ, which always increases it. All-identical rows: no MLE (DataError).
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
from scipy.special import digamma, gammaln, logsumexp, polygamma, xlogy

from ..domains import Positive, Simplex, first_bad_index
from ..errors import DataError, ParameterError, SupportError
from ._mle_tools import MLEstimate
from ._registry import register_kl
from .base import Family, Parameter, SymbolicDensity


def _inv_digamma(y, iters=6):
    """ψ⁻¹(y) by Newton from Minka's starting point (converges to machine precision)."""
    y = np.asarray(y, float)
    x = np.where(y >= -2.22, np.exp(y) + 0.5, -1.0 / (y - digamma(1.0)))
    for _ in range(iters):
        x = x - (digamma(x) - y) / polygamma(1, x)
    return x


class DirichletFamily(Family):
    r"""Dirichlet(alpha): concentration vector α (last axis, k ≥ 2 entries > 0).

    .. math:: p(\mathbf{x}) = \frac{\Gamma(\alpha_0)}{\prod_j \Gamma(\alpha_j)}
              \prod_j x_j^{\alpha_j - 1}

    Examples
    --------
    >>> import numpy as np, mlekit as mk
    >>> d = mk.Dirichlet(alpha=[2.0, 3.0, 5.0])
    >>> np.round(d.mean, 2)                 # alpha / sum(alpha)
    array([0.2, 0.3, 0.5])
    >>> res = mk.Dirichlet.fit(d.sample(2000, rng=0))
    >>> np.round(res.params["alpha"], 1)
    array([2., 3., 5.])
    """

    name = "dirichlet"
    title = "Dirichlet"
    parameters = (Parameter("alpha", Positive, r"\boldsymbol{\alpha}", event_ndim=1),)
    support = Simplex
    event_ndim = 1
    example_params: ClassVar[dict[str, Any]] = {"alpha": [2.0, 3.5, 1.5]}

    def _check_joint(self, params):
        a = np.asarray(params["alpha"])
        if a.ndim < 1 or a.shape[-1] < 2:
            raise ParameterError(
                "Dirichlet: alpha must be a vector with at least 2 entries (last axis = k)")

    def check_data(self, x, what="x", **params):
        arr = Simplex.check(x, what=what, owner=self.title, error=SupportError)
        if np.any(arr <= 0):
            raise SupportError(
                f"Dirichlet: {what} must lie in the open simplex (every entry > 0); found "
                f"a zero entry at index {first_bad_index(arr <= 0)}")
        if "alpha" in params and arr.shape[-1] != np.shape(params["alpha"])[-1]:
            raise SupportError(
                f"Dirichlet: {what} has {arr.shape[-1]} components but alpha has "
                f"{np.shape(params['alpha'])[-1]}")
        return arr

    def logpdf(self, x, alpha):
        x = np.asarray(x, float)
        alpha = np.asarray(alpha, float)
        k = alpha.shape[-1]
        if x.shape[-1:] != (k,):
            raise SupportError(f"Dirichlet: x must have a last axis of length {k}; "
                               f"got shape {x.shape}")
        ok = np.all(x > 0, axis=-1) & (np.abs(np.sum(x, axis=-1) - 1.0) <= 1e-8 * k)
        xs = np.where(ok[..., None], x, 1.0 / k)
        a0 = np.sum(alpha, axis=-1)
        out = (np.sum(xlogy(alpha - 1.0, xs), axis=-1) + gammaln(a0)
               - np.sum(gammaln(alpha), axis=-1))
        return np.where(ok, out, -np.inf)

    def sample(self, size, rng, alpha):
        """Normalised gammas, in logs: log G = log Gamma(α+1) + log(U)/α (exact for small α)."""
        alpha = np.asarray(alpha, float)
        shape = tuple(size) + alpha.shape
        logg = np.log(rng.gamma(alpha + 1.0, size=shape)) + np.log(rng.random(shape)) / alpha
        return np.exp(logg - logsumexp(logg, axis=-1, keepdims=True))

    def mean(self, alpha):
        alpha = np.asarray(alpha, float)
        return alpha / np.sum(alpha, axis=-1, keepdims=True)

    def var(self, alpha):
        """Marginal variances αⱼ(α₀ − αⱼ)/(α₀²(α₀ + 1))."""
        alpha = np.asarray(alpha, float)
        a0 = np.sum(alpha, axis=-1, keepdims=True)
        return alpha * (a0 - alpha) / (a0 * a0 * (a0 + 1.0))

    def entropy(self, alpha):
        r"""H = log B(α) + (α₀ − k) ψ(α₀) − Σ (αⱼ − 1) ψ(αⱼ)."""
        alpha = np.asarray(alpha, float)
        k = alpha.shape[-1]
        a0 = np.sum(alpha, axis=-1)
        logb = np.sum(gammaln(alpha), axis=-1) - gammaln(a0)
        return logb + (a0 - k) * digamma(a0) - np.sum((alpha - 1.0) * digamma(alpha), axis=-1)

    def score(self, x, alpha):
        r"""∂/∂αⱼ = ψ(α₀) − ψ(αⱼ) + log xⱼ (vector over the last axis)."""
        alpha = np.asarray(alpha, float)
        a0 = np.sum(alpha, axis=-1, keepdims=True)
        with np.errstate(divide="ignore"):
            return {"alpha": digamma(a0) - digamma(alpha) + np.log(x)}

    def hessian(self, x, alpha):
        r"""∂²/∂αᵢ∂αⱼ = ψ′(α₀) − δᵢⱼ ψ′(αⱼ) (no x dependence), shape (..., k, k)."""
        h = -self.fisher_information(alpha)
        batch = np.broadcast_shapes(np.shape(x)[:-1], h.shape[:-2])
        return {("alpha", "alpha"): np.broadcast_to(h, batch + h.shape[-2:])}

    def fisher_information(self, alpha):
        alpha = np.asarray(alpha, float)
        k = alpha.shape[-1]
        a0 = np.sum(alpha, axis=-1)
        info = -polygamma(1, a0)[..., None, None] * np.ones((k, k))
        return info + np.eye(k) * polygamma(1, alpha)[..., None, :]

    def mle(self, x, weights=None, fixed=None, tol=1e-12, max_iter=500):
        """Minka's safeguarded Newton / fixed-point iteration (see the module docstring)."""
        if fixed:
            if "alpha" in fixed:
                return {"alpha": np.asarray(fixed["alpha"], float)}
            return None
        x = np.asarray(x, float)
        if x.ndim != 2 or x.shape[1] < 2:
            raise ParameterError(
                f"Dirichlet: data must be a 2-D array (n rows x k >= 2 components); "
                f"got shape {x.shape}")
        n, k = x.shape
        w = np.ones(n) if weights is None else np.asarray(weights, float).reshape(n)
        if np.any(x[w > 0] <= 0):
            raise DataError(
                f"Dirichlet: every component must be > 0 (log x enters the likelihood); "
                f"found one at index {first_bad_index((x <= 0) & (w[:, None] > 0))}")
        xw = x[w > 0]
        if np.all(np.ptp(xw, axis=0) == 0):
            raise DataError(
                "Dirichlet: all rows are identical, so the likelihood grows without bound as "
                "alpha -> inf along their direction; the MLE does not exist")
        wsum = float(np.sum(w))
        s = np.sum(w[:, None] * np.log(x), axis=0) / wsum

        def ll(a):
            return gammaln(a.sum()) - np.sum(gammaln(a)) + np.sum((a - 1.0) * s)

        m1 = np.sum(w[:, None] * x, axis=0) / wsum
        m2 = np.sum(w[:, None] * x * x, axis=0) / wsum
        v = m2 - m1 * m1
        with np.errstate(divide="ignore", invalid="ignore"):
            a0s = m1 * (1 - m1) / v - 1.0
        a0s = a0s[np.isfinite(a0s) & (a0s > 0)]
        a0 = float(np.median(a0s)) if a0s.size else float(k)
        a = np.maximum(m1 * a0, 1e-3)
        cur = ll(a)
        done, nit = False, 0
        for nit in range(1, max_iter + 1):  # noqa: B007 - nit is reported
            g = digamma(a.sum()) - digamma(a) + s
            q = -polygamma(1, a)
            z = polygamma(1, a.sum())
            b = np.sum(g / q) / (1.0 / z + np.sum(1.0 / q))
            new = a - (g - b) / q
            new_ll = ll(new) if np.all(new > 0) else -np.inf
            if not new_ll >= cur:
                new = _inv_digamma(digamma(a.sum()) + s)  # Minka's fixed point: ll increases
                new_ll = ll(new)
            done = np.max(np.abs(new - a) / a) < tol
            a, cur = new, new_ll
            if done:
                break
        return MLEstimate({"alpha": a}, method="Minka Newton with fixed-point safeguard",
                          converged=bool(done), nit=nit)

    def _symbolic(self):
        """Indexed notation over k components:
        log p = log Γ(Σα_c) − Σ log Γ(α_c) + Σ (α_c − 1) log x_c."""
        import sympy as sp

        k = sp.Symbol("k", integer=True, positive=True)
        c = sp.Symbol("c", integer=True, positive=True)
        x = sp.IndexedBase("x", positive=True)
        a = sp.IndexedBase("alpha", positive=True)
        a0 = sp.Sum(a[c], (c, 1, k))
        expr = sp.gamma(a0) / sp.Product(sp.gamma(a[c]), (c, 1, k)) * sp.Product(
            x[c] ** (a[c] - 1), (c, 1, k))
        log_expr = (sp.loggamma(a0) - sp.Sum(sp.loggamma(a[c]), (c, 1, k))
                    + sp.Sum((a[c] - 1) * sp.log(x[c]), (c, 1, k)))
        return SymbolicDensity(expr, x, {"alpha": a, "k": k, "c": c}, log_expr)


Dirichlet = DirichletFamily()


@register_kl(DirichletFamily, DirichletFamily)
def _kl_dirichlet_dirichlet(p, q):
    r"""KL(Dir(a)‖Dir(b)) = log Γ(a₀) − Σ log Γ(aⱼ) − log Γ(b₀) + Σ log Γ(bⱼ)
    + Σ (aⱼ − bⱼ)(ψ(aⱼ) − ψ(a₀))."""
    a, b = np.asarray(p["alpha"], float), np.asarray(q["alpha"], float)
    if a.shape[-1] != b.shape[-1]:
        raise ParameterError(
            f"Dirichlet KL: p has {a.shape[-1]} components but q has {b.shape[-1]}")
    a0, b0 = a.sum(axis=-1), b.sum(axis=-1)
    return (gammaln(a0) - np.sum(gammaln(a), axis=-1) - gammaln(b0)
            + np.sum(gammaln(b), axis=-1)
            + np.sum((a - b) * (digamma(a) - digamma(a0)[..., None]), axis=-1))
