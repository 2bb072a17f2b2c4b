r"""Ordinal (cumulative link) regression on Dask: class counts, the thresholds' intercept
check and the existence of the MLE, as reductions over every block.

The in-memory fit (``families.ordinal.OrdinalModel``) reads all its rows three times
besides the Newton passes; here each becomes a reduction, so no block decides alone:

1. **class counts** (:meth:`OrdinalChecks.before`): :math:`n_j = \sum_{i: y_i = j} w_i`
   over all blocks. The start (``init_eta``: the thresholds at :math:`F^{-1}` of the
   cumulative shares) and the null model read them as ``y = 0 … K-1`` with weights
   :math:`n_j`, which gives the in-memory start exactly; an empty class (or an unused
   level of an ordered Categorical) is named wherever its rows would have been.
2. **no constant combination** of the columns beside the thresholds (in memory:
   ``_check_no_intercept``, least squares of 1 on X): from the merged mean and centred
   scatter of the live rows (Chan et al.'s pairwise update), with :math:`\tilde X` the
   columns scaled by their largest :math:`|x|`, :math:`\Lambda, V` the eigenpairs of
   its covariance and :math:`\mu = V^\top \bar{\tilde x}`,

   .. math::

       \min_c \tfrac1n \lVert \tilde X c - 1\rVert^2
           = \min_a a^\top\Lambda a + (\mu^\top a - 1)^2
           = \frac{1}{1 + \sum_k \mu_k^2/\lambda_k},

   a sum of positive terms (no cancellation): a combination is constant when this is
   below :math:`10^{-16}` (the in-memory rule, :math:`\lVert Xc - 1\rVert \le 10^{-8}
   \sqrt n`), eigenvalues under :math:`10^{-14}` counting as zero (their rounding).
3. **existence of the MLE** (:meth:`OrdinalChecks.after_solve`). In memory an LP over
   every row looks for a direction :math:`z` with :math:`A z \le 0`, :math:`A z \ne 0`
   (``OrdinalModel.lp_rows``). By Stiemke's theorem exactly one of that and
   :math:`\exists \lambda > 0: A^\top\lambda = 0` holds, and the fit supplies
   :math:`\lambda`: the multipliers :math:`\lambda^0 = (w r_u, w r_l)`
   (``OrdinalModel.lp_multipliers``) make :math:`A^\top\lambda^0` the NLL's gradient,
   which is ~0 at convergence. One reduction gives :math:`M = A^\top \Lambda^0 A` and
   :math:`g = A^\top\lambda^0`; with :math:`v = M^{-1} g` the corrected
   :math:`\lambda = \lambda^0 \circ (1 - A v)` has :math:`A^\top\lambda = g - Mv = 0`
   exactly, and a second reduction checks :math:`\max_r a_r^\top v \le 1/2`, so
   :math:`\lambda > 0`: **a certificate that the MLE exists**. It is accepted only when
   :math:`M` (Jacobi-scaled) has condition number :math:`\le 10^{10}`, so that
   :math:`v` carries at least six digits. On separated data no certificate exists (the
   rows a separating direction moves strictly get :math:`1 - a_r^\top v \le 0`), and a
   fit whose separated rows' multipliers have vanished below that conditioning is
   inconclusive, never certified. Inconclusive (not converged, some multiplier 0, badly
   conditioned, or the margin fails): the live rows are gathered (up to
   ``max_rows``) and the in-memory LP decides, with the in-memory message; above that
   the fit is refused with a NoMaximumError that says the MLE appears not to exist.
   So the check is never skipped, and a certificate costs two passes. Before the fit, the
   first pass also screens each column: if the classes' ranges of one column are ordered
   (neighbours at most touching) that column separates them, and the LP (or, above
   ``max_rows``, an error naming the column) decides at once, with no Newton passes.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..errors import DataError, NoMaximumError

__all__ = ["OrdinalChecks", "ordered_codes"]

_SUB_ROWS = 32_768      # rows per piece of a block when forming the LP rows (memory)
_EIG_ZERO = 1e-14       # eigenvalues of the scaled covariance below this are rounding
_CONST_RESIDUAL = 1e-16  # mean squared residual of X c = 1 that makes a constant
_MAX_COND = 1e10        # the certificate's Jacobi-scaled M must be this well conditioned
_MARGIN = 0.5           # ... and every corrected multiplier at least this share of its own


def ordered_codes(y: Any, family_title: str) -> tuple[Any, np.ndarray] | None:
    """A dask series of an ordered Categorical → ``(codes as a dask array, categories)``;
    None for other ``y``. Unordered → DataError (as in memory); unknown categories are
    read (``cat.as_known()``, one pass)."""
    import pandas as pd

    dtype = getattr(y, "dtype", None)
    if not isinstance(dtype, pd.CategoricalDtype) or not hasattr(y, "cat"):
        return None
    if not y.cat.known:
        y = y.cat.as_known()
        dtype = y.dtype
    if not dtype.ordered:
        raise DataError(f"{family_title} regression: y is an unordered Categorical; make it "
                        "ordered (pd.Categorical(y, categories=[...], ordered=True)) so that "
                        "the classes have their order")
    codes = y.cat.codes.to_dask_array(lengths=True)
    return codes, np.asarray(dtype.categories)


# ---------------------------------------------------------------- per-block tasks
def _stats(sums: Any, k: int) -> tuple:
    """One block: ``(weighted class counts, row counts per class, live rows, mean and
    centred scatter of the live rows of X, max |x| per column, (K, p) per-class column
    minima and maxima of the live rows (±inf for a class without one))``."""
    X, y = sums.X, sums.y.astype(np.intp)
    live = np.ones(y.shape, bool) if sums.w is None else sums.w > 0
    w = np.ones(y.shape) if sums.w is None else sums.w
    counts = np.bincount(y, weights=w, minlength=k)
    present = np.bincount(y, minlength=k).astype(float)
    Xl, yl = X[live], y[live]
    n = Xl.shape[0]
    p = X.shape[1]
    lo, hi = np.full((k, p), np.inf), np.full((k, p), -np.inf)
    if n == 0:
        return counts, present, 0, np.zeros(p), np.zeros((p, p)), np.zeros(p), lo, hi
    order = np.argsort(yl, kind="stable")
    cls, first = np.unique(yl[order], return_index=True)
    if p:
        lo[cls] = np.minimum.reduceat(Xl[order], first, axis=0)
        hi[cls] = np.maximum.reduceat(Xl[order], first, axis=0)
    mean = Xl.mean(axis=0)
    C = Xl - mean
    return counts, present, n, mean, C.T @ C, np.max(np.abs(Xl), axis=0), lo, hi


def _rows_of(sums: Any, theta: np.ndarray, scale: np.ndarray, model: Any):
    """Yield ``(A, λ⁰)`` of the live rows of one block, in pieces of ``_SUB_ROWS``."""
    y = sums.y.astype(np.intp)
    w = np.ones(y.shape) if sums.w is None else sums.w
    for a in range(0, y.shape[0], _SUB_ROWS):
        sl = slice(a, min(a + _SUB_ROWS, y.shape[0]))
        live = w[sl] > 0
        if not live.any():
            continue
        c = y[sl][live]
        eta = sums.eta(theta, sl)[live]
        yield (model.lp_rows(sums.X[sl][live] / scale, c),
               model.lp_multipliers(c, w[sl][live], eta))


def _gram_part(sums: Any, theta: np.ndarray, scale: np.ndarray) -> tuple:
    """One block: ``(Aᵀ Λ⁰ A, Aᵀ λ⁰, min λ⁰ > 0?)``."""
    model = sums.model
    P = sums.X.shape[1] + model.n_classes - 1
    M, g, positive = np.zeros((P, P)), np.zeros(P), True
    for A, lam in _rows_of(sums, theta, scale, model):
        M += A.T @ (lam[:, None] * A)
        g += A.T @ lam
        positive = positive and bool(np.all(lam > 0))
    return M, g, positive


def _margin_part(sums: Any, theta: np.ndarray, scale: np.ndarray, v: np.ndarray) -> float:
    """One block: ``max_r a_rᵀ v`` (−inf without live rows)."""
    out = -np.inf
    for A, _ in _rows_of(sums, theta, scale, sums.model):
        if A.shape[0]:
            out = max(out, float(np.max(A @ v)))
    return out


def _gather_part(sums: Any) -> tuple:
    live = np.ones(sums.y.shape, bool) if sums.w is None else sums.w > 0
    return sums.X[live], sums.y[live], None if sums.w is None else sums.w[live]


# ---------------------------------------------------------------- the checks
class OrdinalChecks:
    """The ordinal model's whole-data checks on a ``_RobustSums`` backend (its blocks)."""

    def __init__(self, sums: Any, model: Any, names: list[str], classes: np.ndarray,
                 categorical: bool, max_rows: int):
        self.sums, self.model, self.names = sums, model, list(names)
        self.classes, self.categorical, self.max_rows = classes, categorical, max_rows
        self.k = int(model.n_classes)
        self.counts: np.ndarray | None = None
        self.scale: np.ndarray | None = None
        self.n_live = 0

    def before(self, title: str, penalised: bool = False
               ) -> tuple[np.ndarray, np.ndarray]:
        """One pass: the class counts (an unused level or empty class named) and the
        constant-combination check (not under a prior, as in memory); returns ``(y, w)``
        for the start and the null model: the classes ``0 … K-1`` weighted by their
        counts."""
        parts = self.sums._pieces(_stats, self.k)
        counts = np.sum([q[0] for q in parts], axis=0)
        present = np.sum([q[1] for q in parts], axis=0)
        if self.categorical and np.any(present == 0):
            j = int(np.flatnonzero(present == 0)[0])
            raise DataError(f"{title} regression: the level {self.classes[j]!r} of y has no "
                            "observation (its thresholds would run together); drop it with "
                            "y.cat.remove_unused_categories()")
        n, mean, M2, amax = 0, np.zeros(len(self.names)), None, np.zeros(len(self.names))
        for _, _, nb, mb, Mb, ab, _, _ in parts:  # Chan et al.: merge (n, mean, scatter)
            if nb == 0:
                continue
            if M2 is None:
                n, mean, M2 = nb, mb, Mb.copy()
            else:
                d = mb - mean
                tot = n + nb
                M2 += Mb + np.outer(d, d) * (n * nb / tot)
                mean = mean + d * (nb / tot)
                n = tot
            amax = np.maximum(amax, ab)
        self.n_live, self.counts = int(n), counts
        self.scale = np.maximum(amax, 1e-300)
        # (an empty class is the start's error, as in memory: these checks come after it)
        if M2 is not None and len(self.names) and not penalised and np.all(counts > 0):
            self._check_constant(n, mean, M2)
            lo = np.min([q[6] for q in parts], axis=0)
            hi = np.max([q[7] for q in parts], axis=0)
            self._screen_columns(lo, hi)
        return np.arange(self.k, dtype=float), counts

    def _screen_columns(self, lo: np.ndarray, hi: np.ndarray) -> None:
        r"""A column whose classes' ranges are ordered (``max`` of class c at most ``min``
        of class c+1, or the reverse) separates them: :math:`d_\beta = \pm e_j` with
        thresholds in the gaps is a direction of the LP (strict on some row, the column
        not being constant). Decided at once, before any Newton pass: the in-memory LP on
        the gathered rows (its message), or above ``max_rows`` an error naming it."""
        up = np.all(hi[:-1] <= lo[1:], axis=0) & (hi.max(0) > lo.min(0))
        down = np.all(lo[:-1] >= hi[1:], axis=0) & (hi.max(0) > lo.min(0))
        hit = np.flatnonzero(up | down)
        if hit.size == 0:
            return
        j = int(hit[0])
        if self.n_live <= self.max_rows:
            self._exact_lp()
            return  # (the LP found nothing within its tolerance: the fit decides)
        raise NoMaximumError(
            f"ordinal regression: the classes are separated by the column {self.names[j]!r} "
            "(its values rise with the class" + ("" if up[j] else ", in reverse") + ", the "
            "ranges of neighbouring classes at most touching): every row's probability of "
            "its own class rises towards 1 as its coefficient runs off to "
            f"{'+' if up[j] else '-'}infinity, so the likelihood has no maximum; merge "
            "classes, drop the column, or add a prior (alpha_l2 > 0)")

    def _exact_lp(self) -> None:
        """The in-memory linear program on the gathered live rows (its NoMaximumError)."""
        parts = self.sums._pieces(_gather_part)
        X = np.vstack([q[0] for q in parts])
        y = np.concatenate([q[1] for q in parts])
        w = None if parts[0][2] is None else np.concatenate([q[2] for q in parts])
        self.model.check_existence(X, y, w, self.names)

    def _check_constant(self, n: int, mean: np.ndarray, M2: np.ndarray) -> None:
        s = self.scale
        cov = M2 / n / np.outer(s, s)
        lam, V = np.linalg.eigh(cov)
        mu = V.T @ (mean / s)
        null = lam <= _EIG_ZERO * max(1.0, float(lam[-1]))
        ratio = float(np.sum(mu[~null] ** 2 / lam[~null]))
        hit = null & (np.abs(mu) > 1e-8)  # (|μ| ~ 1e-16 there: a combination that is 0)
        if not hit.any() and 1.0 / (1.0 + ratio) > _CONST_RESIDUAL:
            return
        # the combination: in the null space with mean 1 (the minimum-norm one), else
        # the least-squares one
        if hit.any():
            a = V[:, hit] @ (mu[hit] / float(mu[hit] @ mu[hit]))
        else:
            a = V[:, ~null] @ (mu[~null] / lam[~null]) / (1.0 + ratio)
        coef = a / s
        col_norms = np.sqrt(n * (np.diag(M2) / n + mean**2))
        raise self.model.constant_error(coef, col_norms, self.names)

    def after_solve(self, theta: np.ndarray, converged: bool) -> str:
        """Certify that the MLE exists (two passes), else decide by the in-memory LP on
        the gathered live rows; raise NoMaximumError as in memory. Returns how it was
        decided: ``"certificate"`` or ``"linear program"``."""
        if converged and self._certified(np.asarray(theta, float)):
            return "certificate"
        if self.n_live > self.max_rows:
            raise NoMaximumError(
                f"ordinal regression: the fit gives no certificate that the maximum-likelihood "
                f"estimate exists (it did not converge, or some rows' own-class "
                f"probabilities reached 1), and its {self.n_live} rows are too many for the "
                "exact check (a linear program) in memory: the MLE appears not to exist, the "
                "classes being separated by a combination of columns. Merge classes, drop "
                "the separating column(s), fit in memory, or add a prior (alpha_l2 > 0)")
        self._exact_lp()
        return "linear program"

    def _certified(self, theta: np.ndarray) -> bool:
        parts = self.sums._pieces(_gram_part, theta, self.scale)
        if not all(q[2] for q in parts):
            return False
        M = np.sum([q[0] for q in parts], axis=0)
        g = np.sum([q[1] for q in parts], axis=0)
        d = np.sqrt(np.diag(M))
        if not np.all(np.isfinite(M)) or not np.all(d > 0):
            return False
        Ms = M / np.outer(d, d)
        ev = np.linalg.eigvalsh(Ms)
        if ev[0] <= 0 or ev[-1] / ev[0] > _MAX_COND:
            return False
        v = np.linalg.solve(Ms, g / d) / d
        margins = self.sums._pieces(_margin_part, theta, self.scale, v)
        return max(margins) <= 1.0 - _MARGIN
