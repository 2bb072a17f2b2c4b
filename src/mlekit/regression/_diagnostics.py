r"""Input checks and fit diagnostics: non-finite data, rank deficiency, separation and,
more generally, the existence of the maximum-likelihood estimate.

Every error names where the problem is (column name, row index) and the rule
that was broken (DESIGN.md, Errors).

Existence of the MLE (:func:`existence_boundary`, :func:`check_existence`). For a family
whose mean is bounded by a value the data can attain, reached only as the linear
predictor runs to infinity (counts: ``y = 0`` for Poisson and negative binomial with
the log link; proportions: ``y = 0`` or ``y = trials`` for Binomial and Bernoulli with
the logit, probit or cloglog link, ``y = 0`` only with the log link), the MLE does not
exist iff there is a direction ``d ≠ 0`` with

.. math::

    x_i^\top d \le 0 \text{ on rows at the lower bound}, \quad
    x_i^\top d \ge 0 \text{ on rows at the upper bound}, \quad
    x_i^\top d = 0 \text{ on the other rows},

not all zero (Albert & Anderson 1984 and Konis 2007 for binary data, the same
argument for binomial counts; Santos Silva & Tenreyro 2010 for Poisson): along
``d`` every row's likelihood is non-decreasing and at least one tends to its
supremum, so the log-likelihood increases without bound (or towards a supremum it
never attains) and the coefficients run off to ±∞. Rows with zero weight do not
count. The check is exact: cheap screens first (every y at a bound; a single
column that is non-zero, or differs from its value on the interior rows, only on
rows at one bound), then a linear program (HiGHS) over the rows at a bound,
restricted to the null space of the interior rows' design.

Families whose mean never reaches a value the data attain — Normal, Student t,
Laplace, Gamma, inverse Gaussian, Beta (y in the open interval) — need no such check
and no LP: :func:`existence_boundary` returns None for them. The identity and sqrt
links of the count families reach their bound μ = 0 at a finite η: the screens apply
(every y is 0; a level of zeros drives its mean to 0, outside μ > 0), the LP does not.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..errors import DataError, NoMaximumError, SeparationError, SingularMatrixError

__all__ = ["Boundary", "check_existence", "check_finite_matrix", "check_rank",
           "check_separation", "existence_boundary", "multinomial_direction",
           "recession_direction", "separating_direction"]


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


# Jacobi-scaled Gram eigenvalue ratios above this prove full rank (κ(D) < ~3e5: the
# Gram's eigenvalues are then accurate, as their error is ~p ε λ_max)
_RANK_SURE = 1e-11


def check_rank(gram: np.ndarray, names: Sequence[str], rtol: float | None = None, *,
               design: Any = None) -> None:
    r"""Raise SingularMatrixError naming the collinear columns of a design ``D``.

    ``gram`` is ``Dᵀ W D`` (W = the rows' weights) or any ``Dᵀ H D`` with ``H > 0``.
    Its Jacobi scaling ``C = S⁻¹ Dᵀ W D S⁻¹`` (``S = diag(sqrt(diag(gram)))``) has
    eigenvalues ``σ_j²`` of the column-scaled design ``W^{1/2} D S⁻¹``; a ratio
    ``λ_min / λ_max > 1e-11`` proves full column rank (the Gram's eigenvalues carry an
    absolute error ``~ p ε λ_max``, so smaller ratios cannot be told apart from 0).

    Otherwise the rank is decided on the design itself, as LAPACK's ``gelsy`` does:
    ``design`` (an array, or a callable returning one) is ``W^{1/2} D``; its columns are
    scaled to unit norm and factored by column-pivoted Householder QR, ``D S⁻¹ P = QR``,
    and the design is rank deficient iff ``|R_kk| <= tol |R_00|`` for some ``k`` with
    ``tol = max(n, p) ε`` (LAPACK's default ``rcond`` of ``gelss``/``lstsq``; R's
    ``lm`` uses the stricter ``1e-7``, which refuses NIST's Filip). A condition number
    of ``1e6`` or ``1e10`` is thus solved, not refused. The dependent column ``P_k`` is
    named with the combination ``R[:k,:k]⁻¹ R[:k,k]`` of the columns before it.

    Without ``design`` the Gram alone decides: deficient if
    ``λ_min <= rtol λ_max`` (default ``rtol = 100 p ε``, just above its rounding level).
    """
    p = gram.shape[0]
    if p == 0:
        return
    d = np.sqrt(np.abs(np.diag(gram)))
    huge = np.flatnonzero(~np.isfinite(d))
    if huge.size or not np.all(np.isfinite(gram)):
        # a sum of squares beyond double precision (|x| ~ 1e300): the scaled Gram would
        # be inf/inf = NaN and the rank unknowable
        j = int(huge[0]) if huge.size else int(np.argmax(np.any(~np.isfinite(gram), axis=0)))
        raise DataError(
            f"column {names[j]!r} spans magnitudes beyond double precision: its weighted "
            "sum of squares overflows, so the fit cannot be computed; rescale the column "
            "(e.g. divide it by its largest absolute value) and refit"
        )
    zero = np.flatnonzero(d == 0)
    if zero.size:
        j = int(zero[0])
        if design is not None:
            A = design() if callable(design) else design
            col = np.asarray(A)[:, j]
            if np.any(col != 0):  # not zeros: x² underflows (|x| ~ 1e-300)
                big = float(np.max(np.abs(col)))
                raise DataError(
                    f"column {names[j]!r} spans magnitudes beyond double precision: its "
                    f"largest weighted value {big:.3g} squares to 0; rescale the column "
                    f"(e.g. multiply it by {1.0 / big:.3g}) and refit"
                )
        raise SingularMatrixError(
            f"column {names[j]!r} is all zeros (or has zero weight): its "
            "coefficient is not identified; drop it"
        )
    c = gram / d[:, None] / d[None, :]
    lam, V = np.linalg.eigh(c)
    if lam[0] > _RANK_SURE * lam[-1]:
        return
    if design is not None:
        A = design() if callable(design) else design
        v = _qr_null_vector(np.asarray(A, dtype=float))
        if v is None:
            return
    else:
        if rtol is None:
            rtol = 100.0 * p * np.finfo(float).eps
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


def _qr_null_vector(A: np.ndarray) -> np.ndarray | None:
    """A null vector (unit-norm columns, max |entry| = 1) of ``A`` if it is numerically
    rank deficient by the pivoted-QR rule of :func:`check_rank`, else None."""
    from scipy import linalg

    n, p = A.shape
    norms = np.linalg.norm(A, axis=0)
    if not np.all(np.isfinite(norms)) or np.any(norms == 0):
        bad = np.flatnonzero(~(norms > 0))
        v = np.zeros(p)
        v[bad[0]] = 1.0
        return v
    R, piv = linalg.qr(A / norms, mode="r", pivoting=True)
    diag = np.abs(np.diag(R))
    tol = max(n, p) * np.finfo(float).eps * diag[0]
    small = np.flatnonzero(diag <= tol)
    if small.size == 0 and p <= n:
        return None
    k = int(small[0]) if small.size else n  # (p > n: the columns after the n-th depend)
    coef = linalg.solve_triangular(R[:k, :k], R[:k, k]) if k else np.zeros(0)
    v = np.zeros(p)
    v[piv[:k]] = -coef
    v[piv[k]] = 1.0
    return v / np.max(np.abs(v))


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


def _pruned_class_ranges(X: np.ndarray, pos: np.ndarray, neg: np.ndarray,
                         sample: int = 512) -> tuple[np.ndarray, ...]:
    """:func:`_class_ranges` as far as the single-column separation test reads them.

    A column separates only if one class's values all lie on one side of the other's.
    Spread samples of each class rule a column out exactly when they already overlap in
    both orders (the full ranges overlap at least as much); those columns keep the
    samples' ranges (which fail the test, as the full ones would), the others (constant
    or separating candidates, usually none) get the full pass over their columns only.
    """
    S1, S0 = X[_spread(pos, sample)], X[_spread(neg, sample)]
    lo1, hi1 = S1.min(0, initial=np.inf), S1.max(0, initial=-np.inf)
    lo0, hi0 = S0.min(0, initial=np.inf), S0.max(0, initial=-np.inf)
    cand = np.flatnonzero(~((hi0 > lo1) & (hi1 > lo0)))
    if cand.size:
        full = _class_ranges(X[:, cand] if cand.size < X.shape[1] else X, pos, neg)
        for arr, v in zip((lo1, hi1, lo0, hi0), full, strict=True):
            arr[cand] = v
    return lo1, hi1, lo0, hi0


def check_separation(X: np.ndarray, y01: np.ndarray, names: Sequence[str],
                     has_intercept: bool, what: str = "y", lp: bool = False,
                     w: np.ndarray | None = None) -> None:
    """Raise SeparationError if a column (or, with ``lp=True``, a combination) separates y.

    The single-column test is exact and cheap (a min/max per class); the LP
    test (:func:`separating_direction`) finds separation by any combination.
    Rows with zero weight ``w`` do not count (they can neither create nor hide
    separation); if the rows with non-zero weight hold one class only, the intercept
    (with one) runs off to infinity.
    """
    if w is not None and not np.all(w > 0):
        keep = w > 0
        X, y01 = X[keep], y01[keep]
    pos, neg = y01 == 1, y01 == 0
    if not pos.any() or not neg.any():
        if w is None or not (pos.any() or neg.any()):
            return
        only = 1 if pos.any() else 0
        if has_intercept:
            raise SeparationError(
                f"every row with non-zero weight has {what} = {only}: the "
                "maximum-likelihood estimate does not exist (the intercept runs off to "
                f"{'+' if only else '-'}infinity). Give weight to rows of both classes, or "
                "fit the MAP with a prior (alpha_l2 > 0) on a model without an intercept"
            )
        if not lp:
            return
    if has_intercept:
        lo1s, hi1s, lo0s, hi0s = _pruned_class_ranges(X, pos, neg)
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


# ---------------------------------------------------------------------- existence of the MLE
@dataclass(frozen=True)
class Boundary:
    """Where a family's mean meets a value the data attain, reached only at ``η = ±∞``.

    lower : rows with ``y = 0`` sit at the lower bound, approached as ``η → -∞``
    upper : rows with ``y = trials`` (Binomial) or ``y = 1`` (Bernoulli) sit at the upper
        bound, approached as ``η → +∞``
    upper_name : how the upper bound is written in messages (``"1"``, ``"trials"``)
    eta_signal : ``|η|`` beyond which the mean is within ~1e-10 of a bound: a fitted
        linear predictor this large is a warning sign that triggers the exact test
    error : the exception raised (SeparationError for binary and binomial data)
    family : family title for messages
    at_infinity : False for links whose bound lies at a finite η (Poisson / NB identity
        and sqrt): the screens still apply (every y is 0, or a column non-zero only on
        rows with y = 0: the likelihood increases until those rows' mean is 0, outside
        the open domain μ > 0), the LP over combinations does not (it decides the
        direction criterion, exact only for bounds at η = ±∞)
    """

    lower: bool
    upper: bool
    upper_name: str
    eta_signal: float
    error: type
    family: str
    at_infinity: bool = True


#: |η| at which the inverse link is within ~1e-10 of its bound (on the side that matters)
_ETA_SIGNAL = {"logit": 23.0, "log": 23.0, "probit": 6.4, "cloglog": 3.2}


def existence_boundary(model: Any) -> Boundary | None:
    """The :class:`Boundary` of a regression row model, or None if its MLE cannot run off.

    The family declares which edges of its mean's domain the data can sit on
    (``Family.mean_edges_in_data``): counts (Poisson, negative binomial) with the log
    link (``y = 0``); proportions (Binomial, Bernoulli) with logit, probit or cloglog
    (``y = 0`` and ``y = trials`` / ``1``) or log (``y = 0`` only: ``μ = 1`` lies at
    ``η = 0``). Categorical (softmax) is checked class by class
    (:func:`check_separation`). Everything else — Normal, Student t, Laplace, Gamma,
    inverse Gaussian, Beta, and the identity / sqrt links of the count families —
    has no bound the data attain at ``η = ±∞`` and returns None (no LP is needed).
    """
    fam = model.family
    edges = fam.mean_edges_in_data
    link = model.link.name
    if edges == ("lower",):
        return Boundary(True, False, "", _ETA_SIGNAL["log"], NoMaximumError, fam.title,
                        at_infinity=link == "log")
    if "upper" in edges and link in _ETA_SIGNAL:
        return Boundary(True, link != "log",
                        "trials" if fam.trials_parameter is not None else "1",
                        _ETA_SIGNAL[link], SeparationError, fam.title)
    return None


def _row_classes(y: np.ndarray, w: np.ndarray | None, upper_at: np.ndarray | float | None,
                 bd: Boundary) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Masks (lower, upper, interior) of the rows with non-zero weight."""
    live = np.ones(y.shape, bool) if w is None else w > 0
    lower = live & (y == 0) if bd.lower else np.zeros(y.shape, bool)
    if bd.upper and upper_at is not None:
        upper = live & (y == upper_at) & ~lower
    else:
        upper = np.zeros(y.shape, bool)
    return lower, upper, live & ~lower & ~upper


def boundary_stats(X: np.ndarray, y: np.ndarray, w: np.ndarray | None,
                   upper_at: np.ndarray | float | None, bd: Boundary) -> dict[str, Any]:
    """Per-column (min, max) of ``X`` over the lower / upper / interior rows, and their counts.

    A reduction: the stats of row blocks combine with :func:`merge_boundary_stats`
    (used per chunk in memory and per Dask block).
    """
    X = np.asarray(X, float)
    p = X.shape[1]
    out: dict[str, Any] = {}
    masks = _row_classes(np.asarray(y, float), w, upper_at, bd)
    for key, m in zip("LUI", masks, strict=True):
        cnt = int(np.count_nonzero(m))
        out["n" + key] = cnt
        if cnt:  # (compress: a block-sized copy, 3x faster than masked reductions)
            A = np.compress(m, X, axis=0)
            out["lo" + key], out["hi" + key] = np.min(A, axis=0), np.max(A, axis=0)
        else:
            A = np.zeros((0, p))
            out["lo" + key], out["hi" + key] = np.full(p, np.inf), np.full(p, -np.inf)
        if key == "L" and not bd.at_infinity:  # range of the non-zero values (levels)
            out["loLnz"] = np.min(np.where(A != 0, A, np.inf), axis=0, initial=np.inf)
            out["hiLnz"] = np.max(np.where(A != 0, A, -np.inf), axis=0, initial=-np.inf)
    return out


def merge_boundary_stats(parts: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Combine :func:`boundary_stats` of row blocks."""
    out = dict(parts[0])
    for q in parts[1:]:
        for key in "LUI":
            out["n" + key] += q["n" + key]
            out["lo" + key] = np.minimum(out["lo" + key], q["lo" + key])
            out["hi" + key] = np.maximum(out["hi" + key], q["hi" + key])
        if "loLnz" in out:
            out["loLnz"] = np.minimum(out["loLnz"], q["loLnz"])
            out["hiLnz"] = np.maximum(out["hiLnz"], q["hiLnz"])
    return out


def _advice(bd: Boundary, zero_level: bool) -> str:
    tail = "drop or merge that level/column, or fit the MAP with a prior (alpha_l2 > 0)"
    if zero_level and not bd.upper:
        tail += ", or use a zero-inflated or hurdle model if whole groups are all zero"
    return tail


def screen_existence(stats: dict[str, Any], names: Sequence[str], has_intercept: bool,
                     bd: Boundary, what: str = "y", weighted: bool = False) -> None:
    """The cheap, exact screens on :func:`boundary_stats`: raise ``bd.error`` or return.

    1. every y (with non-zero weight) at one bound, with an intercept: it runs off;
    2. a single column ``x_j`` whose direction ``d = s e_j (- s v e_0)`` satisfies the
       conditions of the module docstring: ``x_j = v`` on every interior row (``v`` is
       that common value with an intercept, 0 without), ``s (x_j - v) <= 0`` on lower
       and ``>= 0`` on upper rows, not all equal to ``v``. With an intercept and no
       interior row, ``v`` may be any cut between the two classes (separation).
    """
    nL, nU, nI = stats["nL"], stats["nU"], stats["nI"]
    wtxt = " with non-zero weight" if weighted else ""
    up = bd.upper_name
    if nI == 0 and (nL == 0 or nU == 0) and has_intercept:
        at = "0" if nU == 0 else up
        if not bd.at_infinity:
            raise bd.error(
                f"every {what}{wtxt} is 0: the maximum-likelihood estimate of the "
                f"{bd.family} mean is 0, outside its domain (mean > 0), so the MLE does not "
                "exist. There is nothing to fit a regression to; if such groups are real "
                "zeros, use a zero-inflated or hurdle model"
            )
        raise bd.error(
            f"every {what}{wtxt} is {at}: the {bd.family} likelihood increases without "
            "bound as the intercept runs off to "
            f"{'-' if nU == 0 else '+'}infinity, so the maximum-likelihood estimate does "
            "not exist. There is nothing to fit a regression to; if such groups are real "
            "zeros, use a zero-inflated or hurdle model"
        )
    loL, hiL, loU, hiU = stats["loL"], stats["hiL"], stats["loU"], stats["hiU"]
    loI, hiI = stats["loI"], stats["hiI"]
    for j in range(len(names)):
        if nI == 0 and has_intercept:
            lo, hi = min(loL[j], loU[j]), max(hiL[j], hiU[j])
            if lo == hi:
                continue
            for s in (1.0, -1.0):
                if (hiL[j] <= loU[j]) if s > 0 else (hiU[j] <= loL[j]):
                    cut = hiL[j] if s > 0 else hiU[j]
                    side = ">" if s > 0 else "<"
                    raise bd.error(
                        f"column {names[j]!r} separates {what}: every row with "
                        f"{names[j]} {side} {cut:g} has {what} = {up} and every row with "
                        f"{names[j]} {'<' if s > 0 else '>'} {cut:g} has {what} = 0, so the "
                        "maximum-likelihood estimate does not exist (its coefficient runs "
                        f"off to {'+' if s > 0 else '-'}infinity); {_advice(bd, False)}"
                    )
            continue
        if nI:
            if loI[j] != hiI[j] or (not has_intercept and loI[j] != 0):
                continue
            v = float(loI[j])
        else:
            v = 0.0
        if not bd.at_infinity and (v != 0 or stats["loLnz"][j] != stats["hiLnz"][j]):
            continue  # a finite bound (sqrt link: μ = η² is not monotone): levels only
        for s in (1.0, -1.0):
            # s = +1: x <= v on lower rows and >= v on upper rows, some row differs from v
            if s > 0:
                ok = hiL[j] <= v and loU[j] >= v and (loL[j] < v or hiU[j] > v)
            else:
                ok = loL[j] >= v and hiU[j] <= v and (hiL[j] > v or loU[j] < v)
            if not ok:
                continue
            low_rows = (loL[j] < v) if s > 0 else (hiL[j] > v)
            up_rows = (hiU[j] > v) if s > 0 else (loU[j] < v)
            base = "is non-zero" if v == 0 else f"differs from {v:g}"
            where = " and ".join(
                ([f"rows with {what} = 0"] if low_rows else [])
                + ([f"rows with {what} = {up}"] if up_rows else []))
            label = f"only on {where}{wtxt}"
            sign = "+" if s > 0 else "-"  # the direction d = s e_j: β_j -> s ∞
            raise bd.error(
                f"column {names[j]!r} {base} {label} (e.g. a level whose {what} are all "
                f"{'0' if low_rows else 'equal to ' + up}): the {bd.family} likelihood "
                + (f"keeps increasing as its coefficient runs off to {sign}infinity"
                   if bd.at_infinity else "keeps increasing until the fitted mean of those "
                   "rows reaches 0, outside the domain (mean > 0)")
                + ", so the maximum-likelihood estimate does not exist; "
                f"{_advice(bd, low_rows)}"
            )


def _null_space(G: np.ndarray, rtol: float = 1e-11) -> np.ndarray:
    """An orthonormal-ish basis (columns) of the null space of the PSD Gram ``G``.

    Jacobi-scaled; columns with zero diagonal are null directions on their own.
    """
    p = G.shape[0]
    d = np.sqrt(np.clip(np.diag(G), 0.0, None))
    zero = d == 0
    basis = [np.eye(p)[:, j] for j in np.flatnonzero(zero)]
    nz = np.flatnonzero(~zero)
    if nz.size:
        Gs = G[np.ix_(nz, nz)] / d[nz, None] / d[None, nz]
        lam, V = np.linalg.eigh(Gs)
        for k in np.flatnonzero(lam <= rtol * max(lam[-1], 0.0)):
            v = np.zeros(p)
            v[nz] = V[:, k] / d[nz]
            basis.append(v / np.max(np.abs(v)))
    return np.column_stack(basis) if basis else np.zeros((p, 0))


def recession_direction(DL: np.ndarray, DU: np.ndarray, N: np.ndarray) -> np.ndarray | None:
    r"""A direction ``d = N z`` with ``D_L d <= 0``, ``D_U d >= 0``, not all zero, or None.

    ``N`` spans the null space of the interior rows' design (so ``x_iᵀ d = 0`` there);
    ``D_L`` / ``D_U`` are the design rows at the lower / upper bound. Feasibility LP
    (HiGHS) with the normalisation ``Σ_U x_iᵀd - Σ_L x_iᵀd = 1``.
    """
    from scipy.optimize import linprog

    if N.shape[1] == 0:
        return None
    AL, AU = DL @ N, DU @ N
    scale = max(float(np.max(np.abs(AL), initial=0.0)), float(np.max(np.abs(AU), initial=0.0)))
    if scale == 0.0:
        return None
    keepL = np.max(np.abs(AL), axis=1, initial=0.0) > 1e-12 * scale
    keepU = np.max(np.abs(AU), axis=1, initial=0.0) > 1e-12 * scale
    AL, AU = AL[keepL] / scale, AU[keepU] / scale
    A_ub = np.vstack([AL, -AU])
    if A_ub.shape[0] == 0:
        return None
    norm = AU.sum(axis=0) - AL.sum(axis=0)
    res = linprog(np.zeros(N.shape[1]), A_ub=A_ub, b_ub=np.zeros(A_ub.shape[0]),
                  A_eq=norm[None, :], b_eq=[1.0], bounds=[(None, None)] * N.shape[1],
                  method="highs")
    if res.status != 0:
        return None
    z = res.x
    # a direction, not a rounding artefact: every constraint holds to 1e-7 of the total
    if np.sum(np.clip(A_ub @ z, 0.0, None)) > 1e-7:
        return None
    return N @ z


def _design(X: np.ndarray, has_intercept: bool) -> np.ndarray:
    return np.column_stack([np.ones(X.shape[0]), X]) if has_intercept else X


def raise_combination(d: np.ndarray, sd: np.ndarray, names: Sequence[str], bd: Boundary,
                      what: str = "y", has_zero_rows: bool = True) -> None:
    """Raise ``bd.error`` naming the columns of a recession direction ``d`` (over the design
    columns ``names``, intercept included); ``sd`` are the columns' standard deviations."""
    score = np.abs(d) * np.where(sd > 0, sd, 0.0)
    j = int(np.argmax(score)) if np.any(score > 0) else int(np.argmax(np.abs(d)))
    cols = [names[k] for k in np.flatnonzero(score > 1e-6 * score.max())] \
        if np.any(score > 0) else [names[j]]
    up = bd.upper_name
    raise bd.error(
        f"a combination of columns led by {names[j]!r} (involving "
        f"{', '.join(map(repr, cols))}) is <= 0 on every row with {what} = 0"
        + (f", >= 0 on every row with {what} = {up}" if bd.upper else "")
        + " and 0 on all other rows: the "
        f"{bd.family} likelihood keeps increasing along it, so the maximum-likelihood "
        f"estimate does not exist (the coefficients run off to infinity; {names[j]!r} to "
        f"{'-' if d[j] < 0 else '+'}infinity); {_advice(bd, has_zero_rows)}"
    )


def _spread(mask: np.ndarray, k: int) -> np.ndarray:
    """Indices of at most ``k`` rows of ``mask``, spread evenly over the data."""
    idx = np.flatnonzero(mask)
    return idx if idx.size <= k else idx[np.linspace(0, idx.size - 1, k).astype(np.intp)]


def _screen_stats(X: np.ndarray, y: np.ndarray, w: np.ndarray | None,
                  upper_at: np.ndarray | float | None, bd: Boundary, has_intercept: bool,
                  chunk_rows: int, sample: int = 512) -> dict[str, Any]:
    """:func:`boundary_stats` of all of ``X`` as far as :func:`screen_existence` reads them.

    A column can only trip a screen if it is constant on the interior rows (or, with no
    interior row, if the lower rows lie on one side of the upper rows). A sample of rows
    of each class rules most columns out exactly: a column that varies on sampled
    interior rows varies on all of them, and sampled lower and upper rows that overlap
    in both orders overlap in the full data. Those columns keep the sample's stats
    (which pass every screen, as the full stats would); the rest (the candidates, usually
    none) get the stats of every row. Same verdicts and messages as the full pass, at a
    fraction of its cost: one pass over the candidate columns, not three copies of X.
    """
    y = np.asarray(y, float)
    L, U, interior = _row_classes(y, w, upper_at, bd)
    n_by = {"nL": int(np.count_nonzero(L)), "nU": int(np.count_nonzero(U)),
            "nI": int(np.count_nonzero(interior))}
    if n_by["nI"] == 0 and not has_intercept:  # the v = 0 screens: no pruning rule here
        cand = np.arange(X.shape[1])
        rows = np.zeros(0, np.intp)
    else:
        rows = np.concatenate([_spread(m, sample) for m in (L, U, interior)])
        S = X[rows]
        if n_by["nI"]:
            SI = S[interior[rows]]
            cand = np.flatnonzero(SI.min(axis=0) == SI.max(axis=0))
        else:
            SL, SU = S[L[rows]], S[U[rows]]
            overlap = ((SL.max(axis=0, initial=-np.inf) > SU.min(axis=0, initial=np.inf))
                       & (SU.max(axis=0, initial=-np.inf) > SL.min(axis=0, initial=np.inf)))
            cand = np.flatnonzero(~overlap)
    ua_rows = upper_at[rows] if isinstance(upper_at, np.ndarray) else upper_at
    stats = boundary_stats(X[rows], y[rows], None if w is None else w[rows], ua_rows, bd)
    if cand.size:
        parts = []
        for s in range(0, X.shape[0], chunk_rows):
            sl = slice(s, s + chunk_rows)
            ua = upper_at[sl] if isinstance(upper_at, np.ndarray) else upper_at
            parts.append(boundary_stats(X[sl][:, cand], y[sl], None if w is None else w[sl],
                                        ua, bd))
        full = merge_boundary_stats(parts)
        for key, value in full.items():
            if not key.startswith("n"):
                stats[key] = np.array(stats[key], float)
                stats[key][cand] = value
    stats.update(n_by)
    return stats


def check_existence(X: np.ndarray, y: np.ndarray, names: Sequence[str], has_intercept: bool,
                    bd: Boundary, w: np.ndarray | None = None,
                    upper_at: np.ndarray | float | None = None, what: str = "y",
                    lp: bool = False, chunk_rows: int = 8192) -> None:
    """Raise ``bd.error`` (a NoMaximumError) if the MLE does not exist; exact with ``lp``.

    ``X`` excludes the intercept (``has_intercept`` adds it); ``names`` name X's
    columns; ``upper_at`` is the upper bound per row (Binomial trials, 1 for
    Bernoulli). Screens (:func:`screen_existence`) always; the LP
    (:func:`recession_direction`) only with ``lp=True`` (the caller's fit signalled
    trouble: not converged, or ``|η|`` beyond ``bd.eta_signal``).
    """
    weighted = w is not None and not np.all(w > 0)
    stats = _screen_stats(X, y, w, upper_at, bd, has_intercept, chunk_rows)
    screen_existence(stats, names, has_intercept, bd, what, weighted)
    if not lp or not bd.at_infinity:
        return
    L, U, interior = _row_classes(y, w, upper_at, bd)
    DI = _design(X[interior], has_intercept)
    N = _null_space(DI.T @ DI) if DI.shape[0] else np.eye(DI.shape[1])
    d = recession_direction(_design(X[L], has_intercept), _design(X[U], has_intercept), N)
    if d is None:
        return
    full = (["Intercept"] if has_intercept else []) + list(names)
    sd = np.concatenate([[0.0] if has_intercept else [], X.std(axis=0)])
    raise_combination(d, sd, full, bd, what, has_zero_rows=bool(L.any()))


def interior_gram(X: np.ndarray, y: np.ndarray, w: np.ndarray | None,
                  upper_at: np.ndarray | float | None, bd: Boundary,
                  has_intercept: bool) -> np.ndarray:
    """``D_Iᵀ D_I`` over the interior rows of a row block (a reduction, for Dask)."""
    _, _, interior = _row_classes(np.asarray(y, float), w, upper_at, bd)
    DI = _design(np.asarray(X, float)[interior], has_intercept)
    return DI.T @ DI


def boundary_projection(X: np.ndarray, y: np.ndarray, w: np.ndarray | None,
                        upper_at: np.ndarray | float | None, bd: Boundary,
                        has_intercept: bool, N: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The rows at the lower / upper bound of a row block projected on ``N``
    (``D_L N``, ``D_U N``), rows that vanish there dropped: the only rows the LP of
    :func:`recession_direction` needs (for Dask: few rows, ``N.shape[1]`` columns)."""
    L, U, _ = _row_classes(np.asarray(y, float), w, upper_at, bd)
    X = np.asarray(X, float)
    out = []
    for m in (L, U):
        A = _design(X[m], has_intercept) @ N
        out.append(A[np.max(np.abs(A), axis=1, initial=0.0) > 0] if A.size else A)
    return out[0], out[1]


def multinomial_direction(D: np.ndarray, codes: np.ndarray, k: int) -> np.ndarray | None:
    r"""A recession direction of the multinomial-logit likelihood, or None (exact LP).

    With class 0 as reference, a direction ``B = (B_1, …, B_{k-1})`` (``B_0 = 0``) along
    which no row's log-probability ``η_c - logsumexp(η)`` decreases has
    ``x_iᵀ(B_{c_i} - B_j) >= 0`` for every row ``i`` and class ``j`` (Albert & Anderson
    1984); with the sum of these normalised to 1 it is not zero, so the MLE does not
    exist iff this LP is feasible. Returns ``B`` as a ``(k, p)`` array (row 0 zero).
    Rows of ``D`` are the design rows (intercept included) with non-zero weight.
    """
    from scipy import sparse
    from scipy.optimize import linprog

    p = D.shape[1]
    codes = codes.astype(int)
    rows, cols, vals = [], [], []
    r = 0
    for j in range(k):
        other = np.flatnonzero(codes != j)  # constraints x_i (B_c - B_j) >= 0 for c_i != j
        if other.size == 0:
            continue
        idx = r + np.arange(other.size)
        for sign, blocks in ((1.0, codes[other]), (-1.0, np.full(other.size, j))):
            keep = blocks != 0  # B_0 = 0 is not a variable
            ii = np.repeat(idx[keep], p)
            jj = ((blocks[keep] - 1)[:, None] * p + np.arange(p)[None, :]).ravel()
            rows.append(ii)
            cols.append(jj)
            vals.append(sign * D[other[keep]].ravel())
        r += other.size
    A = sparse.csr_matrix((np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))),
                          shape=(r, (k - 1) * p))
    res = linprog(np.zeros((k - 1) * p), A_ub=-A, b_ub=np.zeros(r),
                  A_eq=np.asarray(A.sum(axis=0)), b_eq=[1.0],
                  bounds=[(None, None)] * ((k - 1) * p), method="highs")
    if res.status != 0:
        return None
    if np.sum(np.clip(-(A @ res.x), 0.0, None)) > 1e-7:
        return None
    return np.vstack([np.zeros(p), res.x.reshape(k - 1, p)])


#: how far (in link units) a parameter's predictor may move from its unconditional value
#: on some row before the fit is called divergent: e^23 ~ 1e10 (a sigma 1e-10 times the
#: unconditional one: the rows are fitted exactly and the likelihood has no maximum)
_DIVERGENCE_SPAN = 23.0
#: … and when the solver did not converge: e^10 ~ 2e4 (a fit still running off)
_DIVERGENCE_SPAN_UNCONVERGED = 10.0


#: a nuisance whose value times the mean's scale is below this has run to its edge
_EDGE_REACHED = 1e-8


def check_nuisance_edge(model: Any, sums: Any, theta: np.ndarray, scale: float) -> None:
    r"""Raise NoMaximumError when a scalar nuisance ran to the edge where the family becomes
    another (:attr:`RowModel.edge`: the NegativeBinomial's α → 0, the Poisson) and the
    likelihood still rises towards it there.

    At the edge the score in that nuisance is :math:`S = \sum_i w_i\,
    \partial\ell_i/\partial\alpha|_{\alpha=0}` (:meth:`RowModel.edge_score`; for the NB
    :math:`\sum w((y-\hat\mu)^2 - y)/2`, the overdispersion score of Cameron and Trivedi).
    With :math:`S \le 0` at the fitted means the likelihood has no maximum in
    :math:`\alpha > 0`: the fit is the other family's, and is said so by name instead of
    ending as a non-converged fit with digits lost near α = 0. ``scale`` sets what "ran to
    the edge" means: α · scale below 1e-8 (scale: the mean response)."""
    if model.edge is None:
        return
    name, other = model.edge
    j = next((j for j, sl in enumerate(model.slots)
              if sl.nuisance == name and sl.design == "1"), None)
    if j is None:  # (fixed, or with a design of its own)
        return
    from ..links import get_link

    value = float(get_link(model.slots[j].transform).inverse(
        np.array([theta[sums.starts[j]]]))[0])
    if not value * max(abs(scale), 1.0) < _EDGE_REACHED:
        return
    score = sums.map_rows(model.edge_score, theta)
    if score > 0:
        return
    from ..errors import NoMaximumError
    from ..families import get_family

    fam = model.family.title
    limit = get_family(other).title
    raise NoMaximumError(
        f"{fam} regression: the likelihood rises towards {name} = 0, where the {fam} "
        f"becomes the {limit} ({name} reached {value:.3g}; its score there, at the fitted "
        f"means, is {score:.6g} <= 0): the counts are not overdispersed given x, so the MLE "
        f"of {name} does not exist in (0, inf). Fit family='{other}' (that limit), or hold "
        f"{name} fixed (fixed={{'{name}': value}})")


def check_parameter_divergence(model: Any, sums: Any, theta: np.ndarray,
                               theta0: np.ndarray, converged: bool = True) -> None:
    r"""Raise NoMaximumError when a non-location parameter ran off to an edge of its domain.

    With a design of its own, a scale parameter can be driven to 0 on the rows its
    design singles out whenever the mean fits those rows exactly: the log-likelihood
    :math:`-\log\sigma_i - (y_i - \mu_i)^2 / 2\sigma_i^2` then rises without bound as
    :math:`\sigma_i \to 0`. The sign is a linear predictor ``η_ik`` of a log- or
    logit-linked parameter more than ``_DIVERGENCE_SPAN`` from the unconditional start
    ``θ0`` (a factor 1e10 on the parameter's scale, or a probability within 1e-10 of 0 or 1);
    when the solver stopped without converging, ``_DIVERGENCE_SPAN_UNCONVERGED`` (a
    factor 2e4: the fit was still running off when it stopped).
    """
    span = _DIVERGENCE_SPAN if converged else _DIVERGENCE_SPAN_UNCONVERGED
    from ..links import get_link

    slots = sums.slots
    lows, highs = sums.predictor_range(theta)  # (a reduction: no (n, m) array)
    for j, s in enumerate(slots):
        if s.nuisance is None or s.design != "X":
            continue
        link = getattr(s, "transform", "log")
        if link not in ("log", "logit", "probit", "cloglog"):
            continue
        e0 = float(theta0[sums.starts[j]])
        lo, hi = float(lows[j]), float(highs[j])
        edge = None
        if lo < e0 - span:
            edge = "0"
        elif hi > e0 + span:
            edge = "infinity" if link == "log" else "1"
        if edge is None:
            continue
        eta_j = sums.slot_predictor(theta, j)
        rows = np.flatnonzero((eta_j < e0 - span) if edge == "0"
                              else (eta_j > e0 + span))
        val = float(get_link(link).inverse(np.asarray(lo if edge == "0" else hi)))
        raise NoMaximumError(
            f"{model.family.title} regression: the likelihood has no maximum: "
            f"{s.nuisance} runs to {edge} on {rows.size} row(s) (first row {int(rows[0])}, "
            f"{s.nuisance} = {val:.3g}), where the other parameters fit the data exactly; "
            f"the design of {s.nuisance!r} singles those rows out. Drop the columns of "
            f"{s.nuisance!r}'s design that separate them, or hold {s.nuisance} constant")
