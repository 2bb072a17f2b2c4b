"""Input checks and fit diagnostics: non-finite data, rank deficiency, separation.

Every error names where the problem is (column name, row index) and the rule
that was broken (DESIGN.md, Errors).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ..errors import DataError, SeparationError, SingularMatrixError

__all__ = ["check_finite_matrix", "check_rank", "check_separation", "separating_direction"]


def check_finite_matrix(X: np.ndarray, names: Sequence[str], what: str = "X") -> None:
    """Raise DataError naming the first column and row holding NaN or ±inf."""
    bad = ~np.isfinite(X)
    if bad.any():
        cols = np.flatnonzero(bad.any(axis=0))
        j = int(cols[0])
        i = int(np.flatnonzero(bad[:, j])[0])
        kind = "NaN" if np.isnan(X[i, j]) else "infinite"
        raise DataError(
            f"{what} column {names[j]!r} contains a {kind} value at row {i} "
            f"({int(bad.sum())} non-finite values in {len(cols)} column(s)); "
            "drop or impute these rows first"
        )


def check_rank(gram: np.ndarray, names: Sequence[str], rtol: float = 1e-12) -> None:
    """Raise SingularMatrixError naming the collinear columns of a Gram/Hessian block.

    The Gram matrix is Jacobi-scaled (a correlation-like matrix); an eigenvalue
    below ``rtol`` times the largest marks a (numerically) exact linear
    dependence, and the entries of its eigenvector name the columns involved.
    """
    p = gram.shape[0]
    if p == 0:
        return
    d = np.sqrt(np.diag(gram))
    zero = np.flatnonzero(d == 0)
    if zero.size:
        raise SingularMatrixError(
            f"column {names[int(zero[0])]!r} is all zeros (or has zero weight): its "
            "coefficient is not identified; drop it"
        )
    c = gram / d[:, None] / d[None, :]
    lam, V = np.linalg.eigh(c)
    if lam[0] > rtol * lam[-1]:
        return
    v = V[:, 0] / np.max(np.abs(V[:, 0]))
    involved = [names[j] for j in np.flatnonzero(np.abs(v) > 1e-3)]
    combo = " + ".join(f"{v[j]:.3g}*{names[j]}" for j in np.flatnonzero(np.abs(v) > 1e-3))
    raise SingularMatrixError(
        f"the columns {', '.join(map(repr, involved))} are collinear "
        f"({combo} ≈ 0): the design matrix is rank deficient, so their coefficients "
        "are not identified; drop one of them (or add an alpha_l2 prior)"
    )


def separating_direction(X: np.ndarray, y01: np.ndarray) -> np.ndarray | None:
    r"""A direction ``b`` with ``(2y-1) x_iᵀ b >= 0`` for all rows and not all zero, or None.

    Solved as a linear feasibility problem with HiGHS: such ``b`` exists iff the
    classes are (quasi-)completely separated, i.e. the logistic MLE does not exist.
    """
    from scipy.optimize import linprog

    s = 2.0 * y01 - 1.0
    A = s[:, None] * X
    res = linprog(np.zeros(X.shape[1]), A_ub=-A, b_ub=np.zeros(X.shape[0]),
                  A_eq=A.sum(axis=0)[None, :], b_eq=[1.0],
                  bounds=[(None, None)] * X.shape[1], method="highs")
    return res.x if res.status == 0 else None


def _class_ranges(X: np.ndarray, pos: np.ndarray, neg: np.ndarray,
                  chunk_rows: int = 32768) -> tuple[np.ndarray, ...]:
    """Column-wise (min, max) over the rows of each class, in row chunks (no copy of X)."""
    p = X.shape[1]
    lo1, hi1 = np.full(p, np.inf), np.full(p, -np.inf)
    lo0, hi0 = np.full(p, np.inf), np.full(p, -np.inf)
    for s in range(0, X.shape[0], chunk_rows):
        Xc, pc, nc = X[s:s + chunk_rows], pos[s:s + chunk_rows], neg[s:s + chunk_rows]
        if pc.any():
            A = Xc[pc]
            np.minimum(lo1, A.min(0), out=lo1)
            np.maximum(hi1, A.max(0), out=hi1)
        if nc.any():
            B = Xc[nc]
            np.minimum(lo0, B.min(0), out=lo0)
            np.maximum(hi0, B.max(0), out=hi0)
    return lo1, hi1, lo0, hi0


def check_separation(X: np.ndarray, y01: np.ndarray, names: Sequence[str],
                     has_intercept: bool, what: str = "y", lp: bool = False) -> None:
    """Raise SeparationError if a column (or, with ``lp=True``, a combination) separates y.

    The single-column test is exact and cheap (a min/max per class); the LP
    test (:func:`separating_direction`) finds separation by any combination.
    """
    pos, neg = y01 == 1, y01 == 0
    if not pos.any() or not neg.any():
        return
    if has_intercept:
        lo1s, hi1s, lo0s, hi0s = _class_ranges(X, pos, neg)
        const = np.minimum(lo1s, lo0s) == np.maximum(hi1s, hi0s)
        for j in range(X.shape[1]):
            if const[j]:
                continue
            lo1, hi1, lo0, hi0 = lo1s[j], hi1s[j], lo0s[j], hi0s[j]
            if hi0 <= lo1 or hi1 <= lo0:
                kind = "completely" if (hi0 < lo1 or hi1 < lo0) else "quasi-completely"
                cut = hi0 if hi0 <= lo1 else hi1
                side = ">" if hi0 <= lo1 else "<"
                raise SeparationError(
                    f"column {names[j]!r} {kind} separates {what}: every row with "
                    f"{names[j]} {side} {cut:g} has {what} = 1 and the others "
                    f"{'mostly ' if kind != 'completely' else ''}have {what} = 0, so the "
                    "maximum-likelihood estimate does not exist (its coefficient runs off "
                    "to infinity). Drop or merge that column, or fit the MAP with a prior "
                    "(alpha_l2 > 0)"
                )
    if lp:
        b = separating_direction(X, y01)
        if b is not None:
            sd = X.std(axis=0)
            score = np.abs(b) * np.where(sd > 0, sd, 0.0)
            j = int(np.argmax(score)) if np.any(score > 0) else int(np.argmax(np.abs(b)))
            cols = [names[k] for k in np.flatnonzero(score > 1e-6 * score.max())] \
                if np.any(score > 0) else [names[j]]
            raise SeparationError(
                f"{what} is perfectly separated by a combination of columns led by "
                f"{names[j]!r} (involving {', '.join(map(repr, cols))}): the "
                "maximum-likelihood estimate does not exist. Drop or merge the separating "
                "column(s), or fit the MAP with a prior (alpha_l2 > 0)"
            )
