r"""Multivariate normal family with mean vector ``mean`` and covariance matrix ``cov``.

.. math::

    p(\mathbf{x};\,\boldsymbol{\mu},\Sigma) = (2\pi)^{-d/2}\,|\Sigma|^{-1/2}
        \exp\!\left(-\tfrac12(\mathbf{x}-\boldsymbol{\mu})^{\top}\Sigma^{-1}
        (\mathbf{x}-\boldsymbol{\mu})\right),
    \qquad \mathbf{x}\in\mathbb{R}^{d},\ \Sigma\ \text{symmetric positive definite}.

Data have one event axis (the last, of length d); ``mean`` has shape (..., d) and
``cov`` (..., d, d), and leading axes are a batch that broadcasts like NumPy.
Every computation goes through the Cholesky factor Σ = LLᵀ and triangular solves:
the quadratic form is ‖L⁻¹(x − μ)‖², log|Σ| = 2 Σ log Lᵢᵢ; Σ⁻¹ is never formed
(except as the value of the score with respect to Σ, which *is* Σ⁻¹-valued).
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
from scipy.linalg import solve_triangular

from ..domains import PositiveDefinite, Real
from ..errors import NotImplementedForFamily, ParameterError, SingularMatrixError
from ._registry import register_kl
from .base import Family, Parameter, SymbolicDensity

_LOG_2PI = float(np.log(2.0 * np.pi))


def _chol(cov):
    return np.linalg.cholesky(np.asarray(cov, float))


def _half_logdet(L):
    return np.sum(np.log(np.diagonal(L, axis1=-2, axis2=-1)), axis=-1)


def _tri_solve(L, b, lower=True):
    """Solve L y = b for triangular L (..., d, d) and b (..., d, k), broadcasting."""
    if L.ndim == 2 and b.ndim == 2:
        return solve_triangular(L, b, lower=lower, check_finite=False)
    batch = np.broadcast_shapes(L.shape[:-2], b.shape[:-2])
    Lb = np.broadcast_to(L, batch + L.shape[-2:])
    bb = np.broadcast_to(b, batch + b.shape[-2:])
    if L.ndim == 2:  # one factor for many right-hand sides: stack them as columns
        d, k = b.shape[-2:]
        cols = np.moveaxis(bb, -2, 0).reshape(d, -1)
        y = solve_triangular(L, cols, lower=lower, check_finite=False)
        return np.moveaxis(y.reshape((d, *batch, k)), 0, -2)
    return solve_triangular(Lb, bb, lower=lower, check_finite=False)


def _whiten(x, mean, L):
    """z = L⁻¹(x − μ) along the last axis."""
    diff = np.asarray(x, float) - mean
    return _tri_solve(L, diff[..., None])[..., 0]


class MultivariateNormalFamily(Family):
    r"""MultivariateNormal(mean, cov): mean vector μ ∈ ℝᵈ, covariance Σ (d × d, SPD).

    .. math:: p(\mathbf{x}) = (2\pi)^{-d/2}|\Sigma|^{-1/2}
              e^{-\frac12(\mathbf{x}-\boldsymbol\mu)^\top\Sigma^{-1}(\mathbf{x}-\boldsymbol\mu)}

    Examples
    --------
    >>> import numpy as np, mlekit as mk
    >>> d = mk.MultivariateNormal(mean=[0.0, 0.0], cov=[[1.0, 0.0], [0.0, 1.0]])
    >>> round(float(d.logpdf([0.0, 0.0])), 4)   # -log(2 pi)
    -1.8379
    >>> iris = mk.datasets.load("iris")[["sepal_length", "petal_length"]].to_numpy()
    >>> res = mk.MultivariateNormal.fit(iris)   # sample mean, covariance with divisor n
    >>> np.round(res.params["mean"], 3)
    array([5.843, 3.758])
    >>> np.round(res.params["cov"], 3)
    array([[0.681, 1.266],
           [1.266, 3.096]])
    """

    name = "multivariatenormal"
    title = "MultivariateNormal"
    parameters = (
        Parameter("mean", Real, r"\boldsymbol{\mu}", event_ndim=1),
        Parameter("cov", PositiveDefinite, r"\Sigma", event_ndim=2),
    )
    support = Real
    event_ndim = 1
    example_params: ClassVar[dict[str, Any]] = {
        "mean": [0.5, -1.0], "cov": [[2.0, 0.6], [0.6, 1.0]]}

    def _check_joint(self, params):
        m, c = np.asarray(params["mean"]), np.asarray(params["cov"])
        if m.ndim < 1:
            raise ParameterError("MultivariateNormal: mean must be a vector (last axis = d)")
        if c.shape[-1] != m.shape[-1]:
            raise ParameterError(
                f"MultivariateNormal: mean has dimension {m.shape[-1]} but cov is "
                f"{c.shape[-2]} x {c.shape[-1]}")

    def check_data(self, x, what="x", **params):
        arr = super().check_data(x, what=what, **params)
        d = np.shape(params["mean"])[-1] if "mean" in params else None
        if arr.ndim < 1 or (d is not None and arr.shape[-1] != d):
            raise ParameterError(
                f"MultivariateNormal: {what} must have a last axis of length d = {d} "
                f"(one row per observation); got shape {arr.shape}")
        return arr

    def logpdf(self, x, mean, cov):
        L = _chol(cov)
        z = _whiten(x, mean, L)
        d = L.shape[-1]
        return -0.5 * np.sum(z * z, axis=-1) - _half_logdet(L) - 0.5 * d * _LOG_2PI

    def sample(self, size, rng, mean, cov):
        L = _chol(cov)
        mean = np.asarray(mean, float)
        batch = np.broadcast_shapes(mean.shape[:-1], L.shape[:-2])
        z = rng.standard_normal(tuple(size) + batch + (L.shape[-1],))
        return mean + np.einsum("...ij,...j->...i", L, z)

    def _batch(self, mean, cov):
        return np.broadcast_shapes(np.shape(mean)[:-1], np.shape(cov)[:-2])

    def mean(self, mean, cov):
        m = np.asarray(mean, float)
        return np.broadcast_to(m, self._batch(mean, cov) + m.shape[-1:]) * 1.0

    def var(self, mean, cov):
        """The marginal variances, diag(Σ)."""
        dg = np.diagonal(np.asarray(cov, float), axis1=-2, axis2=-1)
        return np.broadcast_to(dg, self._batch(mean, cov) + dg.shape[-1:]) * 1.0

    def entropy(self, mean, cov):
        r"""H = (d/2)(1 + log 2π) + ½ log|Σ|."""
        L = _chol(cov)
        d = L.shape[-1]
        h = 0.5 * d * (1.0 + _LOG_2PI) + _half_logdet(L)
        return np.broadcast_to(h, self._batch(mean, cov)) * 1.0

    def score(self, x, mean, cov):
        r"""∂/∂μ = Σ⁻¹(x − μ); ∂/∂Σ = ½(Σ⁻¹(x−μ)(x−μ)ᵀΣ⁻¹ − Σ⁻¹) (treating Σ's entries as free)."""
        L = _chol(cov)
        z = _whiten(x, mean, L)
        u = _tri_solve(np.swapaxes(L, -1, -2), z[..., None], lower=False)[..., 0]  # Σ⁻¹(x−μ)
        d = L.shape[-1]
        linv = _tri_solve(L, np.broadcast_to(np.eye(d), L.shape))
        prec = np.swapaxes(linv, -1, -2) @ linv
        return {"mean": u, "cov": 0.5 * (u[..., :, None] * u[..., None, :] - prec)}

    def hessian(self, x, mean, cov):
        raise NotImplementedForFamily(
            "MultivariateNormal: the Hessian with respect to (mean, cov) is a 4-index tensor; "
            "mlekit does not provide it (the MLE is in closed form)")

    def mle(self, x, weights=None, fixed=None):
        r"""μ̂ = weighted mean, Σ̂ = Σ w (x−μ̂)(x−μ̂)ᵀ / W (the 1/n, not 1/(n−1), scatter).
        A singular Σ̂ (n ≤ d, or collinear coordinates) has no MLE: SingularMatrixError."""
        fixed = dict(fixed or {})
        x = np.asarray(x, float)
        if x.ndim != 2:
            raise ParameterError(
                f"MultivariateNormal: data must be a 2-D array (n observations x d); "
                f"got shape {x.shape}")
        n, d = x.shape
        w = np.ones(n) if weights is None else np.asarray(weights, float).reshape(n)
        wsum = float(np.sum(w))
        mean = (np.asarray(fixed["mean"], float) if "mean" in fixed
                else np.sum(w[:, None] * x, axis=0) / wsum)
        if "cov" in fixed:
            return {"mean": mean, "cov": np.asarray(fixed["cov"], float)}
        c = x - mean
        cov = (c * w[:, None]).T @ c / wsum
        cov = 0.5 * (cov + cov.T)
        sd = np.sqrt(np.diagonal(cov))
        try:  # singular up to rounding, judged on the correlation scale (units do not matter)
            if np.any(sd == 0):
                raise np.linalg.LinAlgError
            lc = np.linalg.cholesky(cov / np.outer(sd, sd))
            if np.min(np.diagonal(lc)) ** 2 < 1e-12:
                raise np.linalg.LinAlgError
        except np.linalg.LinAlgError:
            raise SingularMatrixError(
                f"MultivariateNormal: the sample covariance of {n} observations in {d} "
                "dimensions is singular (n <= d, or some coordinates are linear combinations "
                "of others); the MLE does not exist") from None
        return {"mean": mean, "cov": cov}

    def mle_covariance(self, params, nobs):
        r"""Asymptotic covariance of (μ̂, vec Σ̂), flattened in that order (d + d² entries):
        Cov(μ̂) = Σ/n, Cov(Σ̂ᵢⱼ, Σ̂ₖₗ) = (ΣᵢₖΣⱼₗ + ΣᵢₗΣⱼₖ)/n, μ̂ and Σ̂ independent.
        (Σ̂ is symmetric, so the matrix repeats the (i, j) and (j, i) entries: it is singular.)"""
        sigma = np.asarray(params["cov"], float)
        d = sigma.shape[-1]
        n = float(nobs)
        out = np.zeros((d + d * d, d + d * d))
        out[:d, :d] = sigma / n
        c4 = (np.einsum("ik,jl->ijkl", sigma, sigma) + np.einsum("il,jk->ijkl", sigma, sigma))
        out[d:, d:] = c4.reshape(d * d, d * d) / n
        return out

    def _symbolic(self):
        """Matrix notation: x, μ are d × 1 MatrixSymbols and Σ a d × d MatrixSymbol."""
        import sympy as sp

        d = sp.Symbol("d", integer=True, positive=True)
        x = sp.MatrixSymbol("x", d, 1)
        mu = sp.MatrixSymbol("mu", d, 1)
        sigma = sp.MatrixSymbol("Sigma", d, d)
        quad = ((x - mu).T * sigma.I * (x - mu))[0, 0]
        log_expr = -quad / 2 - sp.log(sp.Determinant(sigma)) / 2 - d * sp.log(2 * sp.pi) / 2
        expr = sp.exp(-quad / 2) / sp.sqrt((2 * sp.pi) ** d * sp.Determinant(sigma))
        return SymbolicDensity(expr, x, {"mean": mu, "cov": sigma, "d": d}, log_expr)


MultivariateNormal = MultivariateNormalFamily()


@register_kl(MultivariateNormalFamily, MultivariateNormalFamily)
def _kl_mvn_mvn(p, q):
    r"""KL(N(μ₁,Σ₁)‖N(μ₂,Σ₂)) = ½[tr(Σ₂⁻¹Σ₁) + (μ₂−μ₁)ᵀΣ₂⁻¹(μ₂−μ₁) − d + log|Σ₂|/|Σ₁|],
    with tr(Σ₂⁻¹Σ₁) = ‖L₂⁻¹L₁‖²_F and the quadratic form ‖L₂⁻¹(μ₂−μ₁)‖² (batch-aware)."""
    L1, L2 = _chol(p["cov"]), _chol(q["cov"])
    if L1.shape[-1] != L2.shape[-1]:
        raise ParameterError(
            f"MultivariateNormal KL: p has dimension {L1.shape[-1]} but q has {L2.shape[-1]}")
    d = L1.shape[-1]
    m = _tri_solve(L2, L1)
    tr = np.sum(m * m, axis=(-2, -1))
    z = _whiten(q["mean"], np.asarray(p["mean"], float), L2)
    return 0.5 * (tr + np.sum(z * z, axis=-1) - d) + _half_logdet(L2) - _half_logdet(L1)
