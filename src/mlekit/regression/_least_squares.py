r"""Least squares and the design's rank: the exact solves of Normal-identity regression.

* :func:`gram_rhs`, :func:`cholesky_ls` — the normal equations ``Dᵀ W D β = Dᵀ W t`` in one
  chunked pass, Cholesky of the Jacobi-scaled Gram and one refinement step, used when
  LAPACK's condition estimate says no digits are lost (``κ <= 1e6``);
* :func:`qr_ls` — pivoted Householder QR of the power-of-two scaled design with refinement
  of the augmented system in doubled precision (Dekker / Ogita–Rump–Oishi), for
  ill-conditioned designs (NIST StRD to >= 13 digits);
* :func:`hessian_proves_rank`, :func:`check_design_rank`, :func:`gram32_safe`,
  :func:`all_finite` — cheap screens of the design used by every fit.

Moved out of the scikit-learn estimator (issue #20, one pipeline); nothing here knows
about estimators or families.
"""

from __future__ import annotations

import numpy as np
from scipy import linalg

from ..errors import SingularMatrixError
from ._diagnostics import _RANK_SURE, check_rank
from ._sums import InMemorySums, _single_threaded_blas

__all__ = ["all_finite", "check_design_rank", "cholesky_ls", "gram32_safe", "gram_rhs",
           "hessian_proves_rank", "qr_ls", "weighted_design", "weighted_rss"]

_GRAM32_MAX_COND = 100.0    # single-precision Gram only for well-conditioned designs
_FINITE_CHUNK = 2**16     # rows per chunk of the finite-values check
_LS_MAX_COND = 1e6        # normal equations only when κ(scaled Gram) <= this
_COV_REFINE_MAX_WORK = 2e7  # refine (Dᵀ W D)⁻¹ too when n p² is at most this


def gram_rhs(sums: InMemorySums, t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(Dᵀ W D, Dᵀ W t)`` in one chunked pass (W = sample weights or 1; BLAS syrk)."""

    def part(sl: slice) -> tuple[np.ndarray, np.ndarray]:
        tc = t[sl]
        wc = np.ones(tc.shape[0]) if sums.w is None else sums.w[sl]
        return sums.design_gram(sl, wc), sums.design_rmatvec(sl, wc * tc)

    parts = sums._map_chunks(part)
    gram = sum(g for g, _ in parts)
    iu = np.triu_indices(gram.shape[0], 1)
    gram[(iu[1], iu[0])] = gram[iu]  # the chunks give the upper triangle
    return gram, sum(r for _, r in parts)


def weighted_design(sums: InMemorySums) -> np.ndarray:
    """``W^{1/2} D`` as an array (a copy; only for designs that look rank deficient)."""
    D = sums.design_rows()
    return D if sums.w is None else D * np.sqrt(sums.w)[:, None]


def hessian_proves_rank(h: np.ndarray) -> bool:
    """Does the mean block ``h = Dᵀ H D`` of a Hessian prove ``D`` of full column rank?

    Yes if it is positive definite and its Jacobi scaling is well-conditioned
    (``λ_min > 1e-11 λ_max``): ``Dᵀ H D v = 0`` for every ``D v = 0``. No proves
    nothing (the curvature ``H`` may be indefinite or tiny away from the optimum)."""
    return bool(ranks_proven(np.asarray(h, float)[None])[0])


def ranks_proven(h: np.ndarray) -> np.ndarray:
    """:func:`hessian_proves_rank` of each matrix of a stack ``h`` (k, P, P): (k,) bool."""
    d2 = np.diagonal(h, axis1=-2, axis2=-1)
    ok = np.all(np.isfinite(h), axis=(-2, -1)) & np.all(d2 > 0, axis=-1)
    out = np.zeros(h.shape[0], bool)
    if not ok.any():
        return out
    d = np.sqrt(d2[ok])
    with _single_threaded_blas():
        lam = np.linalg.eigvalsh(h[ok] / d[:, :, None] / d[:, None, :])
    out[ok] = lam[:, 0] > _RANK_SURE * lam[:, -1]
    return out


def check_design_rank(sums: InMemorySums, names: list[str]) -> None:
    """:func:`check_rank` on ``Dᵀ W D`` (one chunked pass), confirmed on the pivoted QR
    of the scaled design if it looks deficient."""

    def part(sl: slice) -> np.ndarray:
        return sums.design_gram(sl, np.ones(sums.X[sl].shape[0]) if sums.w is None
                                else sums.w[sl])

    gram = sum(sums._map_chunks(part))
    iu = np.triu_indices(gram.shape[0], 1)
    gram[(iu[1], iu[0])] = gram[iu]
    with _single_threaded_blas():
        check_rank(gram, names, design=lambda: weighted_design(sums))


def all_finite(X: np.ndarray) -> bool:
    """Are all entries finite? In row chunks, without an (n, p) boolean temporary: a
    finite chunk sum proves the chunk finite (NaN and ±inf propagate); only when the
    sum is not finite (a bad value, or an overflow of huge values) is it checked entrywise."""
    for s in range(0, X.shape[0], _FINITE_CHUNK):
        Xc = X[s:s + _FINITE_CHUNK]
        with np.errstate(over="ignore", invalid="ignore"):
            total = np.sum(Xc)
        if not np.isfinite(total) and not np.all(np.isfinite(Xc)):
            return False
    return True


def gram32_safe(h: np.ndarray, p: int, weight: float) -> bool:
    """May the Hessian passes form ``XᵀVX`` in single precision (``InMemorySums.gram32``)?

    ``h`` approximates the Hessian (the warm start's). Its rounding error, ~1e-8 of the
    largest entry (measured), reaches the standard errors multiplied by the condition
    number of the Jacobi-scaled Hessian: allowed when that is at most
    ``_GRAM32_MAX_COND`` (standard errors then good to ~1e-6 or better; measured 1e-8 on
    well-conditioned designs) and every column's mean ``w a'' x²`` lies well inside
    float32's range.
    """
    d2 = np.diag(h)[:p]
    if not (np.all(np.isfinite(h)) and np.all(d2 > 0)):
        return False
    per_row = d2 / weight
    if np.any(per_row < 1e-25) or np.any(per_row > 1e25):
        return False
    d = np.sqrt(d2)
    hs = h[:p, :p] / d[:, None] / d[None, :]
    with _single_threaded_blas():
        return bool(np.linalg.cond(hs) <= _GRAM32_MAX_COND)


def _residual_grad(sums: InMemorySums, beta: np.ndarray, t: np.ndarray) -> np.ndarray:
    """``Dᵀ W (t - D β)`` in one chunked pass."""

    def part(sl: slice) -> np.ndarray:
        r = t[sl] - sums.design_matvec(sl, beta)
        return sums.design_rmatvec(sl, r if sums.w is None else sums.w[sl] * r)

    return sum(sums._map_chunks(part))


def weighted_rss(sums: InMemorySums, beta: np.ndarray, t: np.ndarray) -> float:
    """``Σ w r²`` with ``r = t - D β``."""

    def part(sl: slice) -> float:
        r = t[sl] - sums.design_matvec(sl, beta)
        return float(r @ r) if sums.w is None else float(sums.w[sl] @ (r * r))

    return float(sum(sums._map_chunks(part)))


def cholesky_ls(sums: InMemorySums, gram: np.ndarray, rhs: np.ndarray,
                 t: np.ndarray) -> np.ndarray | None:
    """Normal equations by Cholesky + one refinement step; None if ill-conditioned."""
    d = np.sqrt(np.diag(gram))
    if np.any(d == 0):
        return None
    gs = gram / d[:, None] / d[None, :]
    try:
        c, low = linalg.cho_factor(gs, lower=False, check_finite=False)
    except linalg.LinAlgError:
        return None
    norm1 = float(np.max(np.sum(np.abs(gs), axis=0)))
    rcond, info = linalg.lapack.dpocon(c, norm1, uplo="U")  # LAPACK's 1-norm estimate
    if info != 0 or not rcond > 1.0 / _LS_MAX_COND:
        return None
    beta = linalg.cho_solve((c, low), rhs / d, check_finite=False) / d
    # one step of iterative refinement on the exact residual (a second pass)
    g = _residual_grad(sums, beta, t)
    beta = beta + linalg.cho_solve((c, low), g / d, check_finite=False) / d
    return beta if np.all(np.isfinite(beta)) else None


def _split(a: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Veltkamp's split ``a = hi + lo`` with 26-bit halves (exact products of halves)."""
    c = 134217729.0 * a
    hi = c - (c - a)
    return hi, a - hi


def _two_prod(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``a b = p + e`` exactly (Dekker): ``p = fl(a b)``."""
    p = a * b
    ah, al = _split(a)
    bh, bl = _split(b)
    return p, ((ah * bh - p) + ah * bl + al * bh) + al * bl


def _two_sum(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``a + b = s + e`` exactly (Knuth): ``s = fl(a + b)``."""
    s = a + b
    bb = s - a
    return s, (a - (s - bb)) + (b - bb)


def _dd_residual(b: np.ndarray, r: np.ndarray, A: np.ndarray, x: np.ndarray) -> np.ndarray:
    """``b - r - A x`` (vectors, or matrices of right-hand sides) as if in twice the
    working precision (Ogita, Rump & Oishi's Dot2: error ``ε |result| + O(p² ε²) Σ|terms|``),
    rounded once."""
    s, e = _two_sum(b, -r)
    for k in range(A.shape[1]):
        p, pe = _two_prod(A[:, k] if x.ndim == 1 else A[:, k:k + 1], -x[k])
        s, t = _two_sum(s, p)
        e = e + (t + pe)
    return s + e


def _dd_colsum(v: np.ndarray, ve: np.ndarray) -> np.ndarray:
    """Column sums of ``v + ve`` (2-d) by a pairwise cascade of exact two-sums."""
    err = ve.sum(axis=0)
    while v.shape[0] > 1:
        if v.shape[0] % 2:
            v = np.concatenate([v, np.zeros((1,) + v.shape[1:])])
        v, e = _two_sum(v[0::2], v[1::2])
        err = err + e.sum(axis=0)
    return v[0] + err


def _dd_rmatvec(A: np.ndarray, r: np.ndarray) -> np.ndarray:
    """``Aᵀ r`` (r a vector or an (n, m) matrix) in doubled precision; temporaries of
    at most ~2²⁰ entries each (column blocks)."""
    if r.ndim == 1:
        kb = max(1, 2**20 // max(A.shape[0], 1))
        return np.concatenate([_dd_colsum(*_two_prod(A[:, k:k + kb], r[:, None]))
                               for k in range(0, A.shape[1], kb)])
    return np.stack([_dd_colsum(*_two_prod(A[:, k:k + 1], r)) for k in range(A.shape[1])])


def qr_ls(D: np.ndarray, t: np.ndarray, w: np.ndarray | None
           ) -> tuple[tuple[np.ndarray, np.ndarray], float]:
    r"""Weighted least squares by pivoted QR with refinement of the augmented system.

    Returns ``((β, (Dᵀ W D)⁻¹), Σ w r²)``. With ``A = W^{1/2} D`` and ``b = W^{1/2} t``,
    the columns are scaled by powers of two (``A_s = A S⁻¹`` is then exact: the problem
    solved is the data's own) and factored, ``A_s P = Q R``. The first solution is
    refined on the augmented system (Björck 1967)

    .. math::

        r + A_s x = b, \qquad A_s^\top r = 0,

    whose residuals ``f = b - r - A_s x`` and ``g = -A_s^\top r`` are formed in doubled
    precision (Dekker's exact products and sums: extended precision where ``long double``
    is only a double, too); each correction solves ``Rᵀ h = Pᵀ g``,
    ``R Pᵀ δx = Qᵀ f - h``, ``δr = f - A_s δx``. Refining ``x`` alone (the usual step)
    leaves an error ``~ κ² ε ‖r‖ / ‖A x‖``, which dominates for large residuals (NIST
    Wampler4-5); the augmented refinement converges to ``~ ε`` while ``κ(A_s) ε < 1``
    (NIST Filip, ``κ(A_s) = 5e9``: 11 digits where plain QR gives 7).

    The unscaled covariance is ``(Aᵀ A)⁻¹ = S⁻¹ C S⁻¹``, ``C = P R⁻¹ R⁻ᵀ Pᵀ`` from the
    triangular factor (relative error ``~ κ(A_s) ε``, where inverting ``Aᵀ A`` costs
    ``κ² ε``); when ``n p²`` is small (``_COV_REFINE_MAX_WORK``) its columns are refined
    as the solutions of the augmented systems ``ρ + A_s c = 0``, ``A_sᵀ ρ = -e_j``.
    """
    sw = None if w is None else np.sqrt(w)
    A = D if sw is None else D * sw[:, None]
    b = t if sw is None else t * sw
    norms = np.linalg.norm(A, axis=0)
    norms[~(norms > 0)] = 1.0
    scale = np.exp2(np.round(np.log2(norms)))
    As = A / scale
    Q, R, piv = linalg.qr(As, mode="economic", pivoting=True)

    def solve(f: np.ndarray, g: np.ndarray | None) -> np.ndarray:
        rhs = Q.T @ f
        if g is not None:
            rhs = rhs - linalg.solve_triangular(R, g[piv], trans="T", check_finite=False)
        z = linalg.solve_triangular(R, rhs, check_finite=False)
        out = np.empty_like(z)
        out[piv] = z
        return out

    def refine(x: np.ndarray, r: np.ndarray, b: np.ndarray, g0: np.ndarray | float
               ) -> tuple[np.ndarray, np.ndarray]:
        for _ in range(8):
            f = _dd_residual(b, r, As, x)
            dx = solve(f, g0 - _dd_rmatvec(As, r))
            if not np.all(np.isfinite(dx)):  # (an overflow in the splitting)
                break
            x = x + dx
            r = r + (f - As @ dx)
            if not np.max(np.abs(dx)) > 2.0**-60 * np.max(np.abs(x)):
                break
        return x, r

    with np.errstate(over="ignore", invalid="ignore"):
        x = solve(b, None)
        x, r = refine(x, b - As @ x, b, 0.0)
    rinv = linalg.solve_triangular(R, np.eye(R.shape[0]), check_finite=False)
    c = np.empty((len(piv), len(piv)))
    c[np.ix_(piv, piv)] = rinv @ rinv.T
    if As.shape[0] * As.shape[1] ** 2 <= _COV_REFINE_MAX_WORK:
        with np.errstate(over="ignore", invalid="ignore"):
            c2, _ = refine(c, -(As @ c), np.zeros((As.shape[0], len(piv))),
                           -np.eye(len(piv)))
        if np.all(np.isfinite(c2)):
            c = 0.5 * (c2 + c2.T)
    if not np.all(np.isfinite(x)):
        raise SingularMatrixError("the least-squares solution is not finite: the design "
                                  "is numerically rank deficient; drop a column")
    return (x / scale, c / scale[:, None] / scale[None, :]), float(r @ r)
