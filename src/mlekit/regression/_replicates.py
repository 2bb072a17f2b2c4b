r"""Many refits of a one-predictor regression at once: the bootstrap's replicates.

A bootstrap replicate of a regression whose model has one linear predictor
(:math:`\eta = D\beta + o`, one slot: Poisson, Bernoulli, Binomial … with any link)
is the same fit with other frequency weights or another response:

- **cases**: :math:`w^{(b)}_i = c^{(b)}_i\,w_i`, with :math:`c^{(b)}_i` the number of
  times row ``i`` is drawn in resample ``b`` (a resample of the rows *is* a fit with
  these counts as frequency weights, and ``D`` stays the one design);
- **parametric**: :math:`y^{(b)}` drawn from the fitted model, the weights unchanged.

All ``B`` fits share ``D``, so Newton's method runs on a block of ``m`` replicates at
once (:func:`refit_block`). With :math:`\ell'_{ib}, \ell''_{ib}` the first and second
derivatives of row ``i``'s NLL in :math:`\eta` (``RowModel.rows``: observed, or
expected under ``information="expected"``),

.. math::

    E = D\,\Theta^\top + o, \qquad
    g_b = D^\top (w^{(b)} \circ \ell'_{\cdot b}), \qquad
    H_b = D^\top \operatorname{diag}(w^{(b)} \circ \ell''_{\cdot b})\, D,

the linear predictors of the block in one matrix product, the gradients in one, and
the Hessians in one, :math:`[H_b]_{jk} = \sum_i D_{ij} D_{ik}\, w^{(b)}_i \ell''_{ib}`
as the product of the ``(n, P(P+1)/2)`` matrix of column products
:math:`D_j \circ D_k` (``j <= k``) with the ``(n, m)`` curvatures (when that matrix
fits in :data:`_PRODUCTS_BYTES`; else one Gram per replicate).

Start at :math:`\hat\theta`: a replicate lies :math:`O(n^{-1/2})` from it, a Newton
decrement :math:`\lambda_b^2 = g_b^\top H_b^{-1} g_b` of about :math:`\chi^2_P` (measured
11–27 nats at P = 11), where the log-likelihood is close to quadratic: full steps
:math:`\delta_b = H_b^{-1} g_b` converge in about four (27 → 0.6 → 1e-5 → 1e-14).
Converged once :math:`\lambda_b^2 \le 10^{-12}`, that step taken (the estimate is then
within :math:`10^{-6}` standard errors of the optimum before the step, far closer after
it). No line search: a replicate that does not converge in :data:`_MAX_ITER` steps is
not accepted (below), so a step that overshoots costs time, never a wrong estimate.

**Trust only what the pipeline would.** A replicate is accepted when it converged
within :data:`_MAX_ITER` steps, its Hessian proves the resample's design of full rank
(``hessian_proves_rank``, the pipeline's own test, on each) and, for a model whose mean can run
to an edge the data attain (classification, counts at 0), :math:`\max_i|\eta_{ib}|`
stays below the pipeline's signal for the exact existence check. Any other replicate
is returned as *not accepted*, and the caller refits it with the full pipeline
(``Regression.fit``: existence screens and LP, rank check), which either fits it or
raises the named error that the bootstrap counts as a failed refit.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..families._rowmodel import RowModel
from ._diagnostics import existence_boundary
from ._least_squares import ranks_proven
from ._sums import _single_threaded_blas

__all__ = ["batchable", "refit_block"]

#: Newton steps before a replicate is handed to the full pipeline
_MAX_ITER = 30
#: the Newton decrement (nats) at which a replicate has converged (its step is taken)
_DECREMENT_TOL = 1e-12
#: the largest matrix of column products D_j D_k (bytes); beyond it, one Gram per replicate
_PRODUCTS_BYTES = 64 * 2**20
#: the elements of an (n, m) block of replicates (sets m): ~16 MB per array
BLOCK_ELEMENTS = 2_000_000


def batchable(model: RowModel, aux: dict[str, Any]) -> bool:
    """Can :func:`refit_block` refit this model? One slot on the full design, no
    censored rows (their likelihood is not a row-wise ``rows`` call)."""
    slots = model.slots
    return (len(slots) == 1 and slots[0].design == "X" and slots[0].columns is None
            and not any(k.startswith("censor") for k in aux))


def block_size(n: int) -> int:
    """Replicates per block: about :data:`BLOCK_ELEMENTS` elements per (n, m) array."""
    return int(max(1, min(256, BLOCK_ELEMENTS // max(n, 1))))


def _products(D: np.ndarray) -> tuple[np.ndarray, tuple[np.ndarray, np.ndarray]] | None:
    """The (n, P(P+1)/2) matrix of column products ``D_j ∘ D_k`` (j <= k) and its index
    pairs, or None when it would exceed :data:`_PRODUCTS_BYTES`."""
    n, P = D.shape
    iu = np.triu_indices(P)
    if n * iu[0].size * 8 > _PRODUCTS_BYTES:
        return None
    return D[:, iu[0]] * D[:, iu[1]], iu


def refit_block(model: RowModel, D: np.ndarray, theta_hat: np.ndarray, Y: np.ndarray,
                W: np.ndarray | None, offset: np.ndarray | None, aux: dict[str, np.ndarray],
                products: Any = None) -> tuple[np.ndarray, np.ndarray]:
    """Fit ``m`` replicates at once; returns ``(thetas (m, P), accepted (m,) bool)``.

    ``D`` (n, P) is the design (intercept column included), ``Y`` (n, m) the responses
    as the model reads them (class codes for a classifier) or (n,) shared, ``W`` (n, m)
    the frequency weights or (n,) shared or None, ``offset`` (n,) or None, ``aux`` the
    per-row data, ``products`` :func:`_products` of ``D`` (computed if None). Rows of
    ``thetas`` that are not accepted are NaN (see the module docstring).
    """
    n, P = D.shape
    m = Y.shape[1] if Y.ndim == 2 else W.shape[1]
    Y2 = Y if Y.ndim == 2 else Y[:, None]
    W2 = None if W is None else (W if W.ndim == 2 else W[:, None])
    prods = _products(D) if products is None else products
    cum = model.cumulant() if not aux else None
    theta = np.tile(np.asarray(theta_hat, float), (m, 1))
    active = np.ones(m, bool)
    done = np.zeros(m, bool)
    hess = np.zeros((m, P, P))
    eta_max = np.zeros(m)
    # one BLAS thread: a multi-threaded BLAS synchronises its threads on every product,
    # up to 5-40x slower on a busy machine (see ``_sums._single_threaded_blas``)
    with np.errstate(all="ignore"), _single_threaded_blas():
        for _ in range(_MAX_ITER):
            idx = np.flatnonzero(active)
            if idx.size == 0:
                break
            eta = D @ theta[idx].T  # (n, k)
            if offset is not None:
                eta += offset[:, None]
            eta_max[idx] = np.max(np.abs(eta), axis=0)
            yk = Y2[:, idx] if Y2.shape[1] > 1 else Y2
            if cum is not None:  # canonical: ℓ' = a'(η) - y, ℓ'' = a''(η), elementwise
                mu = cum.mean(eta, out=np.empty_like(eta))
                d2 = cum.variance(eta, mu, out=np.empty_like(eta))
                d1 = np.subtract(mu, yk, out=mu)
            else:  # rows stacked replicate by replicate (replicate b's rows contiguous)
                yk = np.broadcast_to(yk, eta.shape)
                _, d1, d2 = model.rows(np.ascontiguousarray(yk.T).ravel(),
                                       np.ascontiguousarray(eta.T).reshape(-1, 1),
                                       {k: np.tile(v, idx.size) for k, v in aux.items()},
                                       order=2)
                d1 = d1[:, 0].reshape(idx.size, n).T
                d2 = d2[:, 0, 0].reshape(idx.size, n).T
            if W2 is not None:
                wk = W2[:, idx] if W2.shape[1] > 1 else W2
                d1 *= wk
                d2 *= wk
            g = D.T @ d1  # (P, k)
            if prods is not None:
                q, iu = prods
                upper = q.T @ d2  # (P(P+1)/2, k)
                h = np.zeros((idx.size, P, P))
                h[:, iu[0], iu[1]] = upper.T
                h[:, iu[1], iu[0]] = upper.T
            else:
                h = np.stack([D.T @ (D * d2[:, c:c + 1]) for c in range(idx.size)])
            hess[idx] = h
            try:
                step = np.linalg.solve(h, g.T[:, :, None])[:, :, 0]
            except np.linalg.LinAlgError:
                step = np.stack([_solve_one(h[c], g[:, c]) for c in range(idx.size)])
            dec = np.einsum("kp,pk->k", step, g)
            bad = ~np.isfinite(dec) | (dec < 0) | ~np.all(np.isfinite(step), axis=1)
            theta[idx] -= np.where(bad[:, None], 0.0, step)
            conv = ~bad & (dec <= _DECREMENT_TOL)
            active[idx[bad | conv]] = False
            done[idx[conv]] = True
    accepted = done & np.all(np.isfinite(theta), axis=1)
    bd = existence_boundary(model)
    if model.classification or bd is not None:
        signal = 25.0 if bd is None else bd.eta_signal
        accepted &= eta_max <= signal
    ok = np.flatnonzero(accepted)
    accepted[ok] = ranks_proven(hess[ok])
    theta[~accepted] = np.nan
    return theta, accepted


def _solve_one(h: np.ndarray, g: np.ndarray) -> np.ndarray:
    try:
        return np.linalg.solve(h, g)
    except np.linalg.LinAlgError:
        return np.full(g.shape, np.nan)
