r"""The scikit-learn estimator: conditional maximum likelihood for any supported family x link.

.. math::

    \hat\beta = \arg\max_\beta \sum_i w_i \log p\bigl(y_i \mid g^{-1}(x_i^\top\beta + o_i),
    \text{nuisance}\bigr) \;-\; \tfrac{\alpha_2}{2}\lVert\beta\rVert^2

``alpha_l2 > 0`` is a Gaussian prior N(0, 1/alpha_l2) on the slopes (never the
intercept): the fit is then a MAP estimate (ridge for Normal).

Fit pipeline: validate (NaN/inf naming column and row, support of y) → row
model (family + link in link space, ``_models``) → row-sum backend
(``_sums.InMemorySums``; the intercept column is implicit, X is never copied) →
warm start on a random subsample (large n) → rank and separation checks → solve
(exact least squares for Normal-identity, Newton otherwise, ``solver.py``) →
inference (``_results.RegressionResult``).

Cost of a large logistic / Poisson fit (n rows, p columns): the subsample fit
(``n/32`` rows), then a few passes over X that compute only ``f`` and ``∇f``
(``O(n p)`` each, memory-bound) with the subsample's Hessian refined by BFGS,
and one pass with the exact Hessian (``O(n p²)``, BLAS ``syrk``) at the solution.
Extra memory: the subsample (``X.nbytes / 32``) and cache-sized chunk temporaries.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
from scipy import linalg
from sklearn.base import BaseEstimator
from sklearn.utils.metaestimators import available_if

from ..errors import DataError, NotImplementedForFamily, SingularMatrixError, SupportError
from ..families import get_family
from ._diagnostics import _RANK_SURE, check_finite_matrix, check_rank, check_separation
from ._engine import build_family_model, regressable
from ._models import RowModel, has_fast_path, make_model
from ._results import RegressionResult
from ._sums import InMemorySums, _single_threaded_blas
from .solver import newton, prox_newton

__all__ = ["LinearRegression", "LogisticRegression", "Regression"]


def check_settings(est: Any) -> None:
    """Check the estimator's settings before any data are read (ParameterError / UnknownNameError).

    ``cov_type`` and ``information`` must be known names; ``alpha_l2`` and ``alpha_l1``
    finite numbers >= 0; ``max_iter`` a positive integer and ``tol`` a finite number > 0.
    The Dask backend calls this too, so both paths refuse the same settings.
    """
    from ..errors import ParameterError, did_you_mean

    if est.cov_type not in _COV_TYPES:
        raise did_you_mean(est.cov_type, _COV_TYPES, what="cov_type")
    if getattr(est, "information", "observed") not in _INFORMATION:
        raise did_you_mean(est.information, _INFORMATION, what="information")
    for name in ("alpha_l2", "alpha_l1"):
        v = getattr(est, name, 0.0)
        try:
            ok = v is not None and not isinstance(v, bool) and np.isfinite(float(v)) \
                and float(v) >= 0
        except (TypeError, ValueError):
            ok = False
        if not ok:
            raise ParameterError(f"{name} must be a finite number >= 0 (0 = maximum "
                                 f"likelihood); got {v!r}")
    it = getattr(est, "max_iter", 100)
    if isinstance(it, bool) or not isinstance(it, (int, np.integer)) or it < 1:
        raise ParameterError(f"max_iter must be a positive integer; got {it!r}")
    tol = getattr(est, "tol", 1e-8)
    try:
        ok = not isinstance(tol, bool) and np.isfinite(float(tol)) and float(tol) > 0
    except (TypeError, ValueError):
        ok = False
    if not ok:
        raise ParameterError(f"tol must be a finite number > 0; got {tol!r}")


def _numeric_y(y: Any, family: str) -> np.ndarray:
    """y as floats, or a DataError naming the first entry that is not a number."""
    raw = y.to_numpy() if hasattr(y, "to_numpy") else np.asarray(y)
    if raw.dtype.kind == "c":
        raise DataError("y is complex: a response must be real numbers")
    try:
        return np.asarray(raw, dtype=float)
    except (TypeError, ValueError):
        flat = raw.reshape(-1)
        for i, v in enumerate(flat):
            try:
                float(v)
            except (TypeError, ValueError):
                raise DataError(
                    f"y must be numeric for the {family} family: y[{i}] = {v!r} is text or "
                    "another non-numeric value (class labels belong to family='bernoulli' or "
                    "'categorical')") from None
        raise DataError(f"y must be numeric for the {family} family") from None


#: the largest power of y (or of the mean) a family's link-space rows form: the inverse
#: Gaussian's canonical link and derivatives reach mu³, the others y² (variance, deviance)
_Y_POWER = {"inversegaussian": 3}


def _y_magnitude_bound(model: RowModel) -> float:
    r"""The largest ``|y|`` (and ``1 /`` the smallest non-zero ``|y|``) a fit may see.

    Its rows form powers ``y^k`` (``k = 2``: squared residuals, variances, the Gram of
    ``X'y``; ``k = 3``: the inverse Gaussian) summed over up to ``~1e8`` rows, so with
    ``B^k · 1e8 · margin <= 1.8e308`` the bound is ``B = 1e120`` (``k = 2``) and ``B = 1e80``
    (``k = 3``); the same bound below, ``|y| >= 1/B``, keeps ``y^k`` away from underflow.
    """
    return 1e80 if _Y_POWER.get(model.family.name, 2) == 3 else 1e120


def _check_y_magnitude(y: np.ndarray, w: np.ndarray | None, model: RowModel) -> None:
    """Refuse y whose magnitude the fit cannot represent (|y| ~ 1e±300), naming the factor.

    Data of any magnitude are not silently mis-fitted: y beyond :func:`_y_magnitude_bound`
    (or non-zero and all below its reciprocal) raise a :class:`DataError` that says by
    which power of ten to rescale y. Within the bound the fits are scale-equivariant
    (``y·c`` gives the transformed estimates; tested for ``c = 1e±100``).
    """
    if model.classification or y.size == 0:
        return
    yy = y if w is None else y[w > 0]
    a = np.abs(yy)
    top = float(np.max(a)) if a.size else 0.0
    if top == 0.0 or not np.isfinite(top):
        return  # all zero: the existence checks; non-finite: check_y's
    bound = _y_magnitude_bound(model)
    if top <= bound and top >= 1.0 / bound:
        return
    i = int(np.flatnonzero(np.abs(y) == top)[0])
    factor = 10.0 ** (-round(float(np.log10(top))))
    side = "above" if top > bound else "below"
    raise DataError(
        f"y spans magnitudes beyond double precision for {model.family.name} regression: "
        f"|y| reaches {top:.3g} (row {i}), {side} the {bound if top > bound else 1 / bound:.0e} "
        f"its squared terms can hold; rescale y by {factor:.0e} (fit y * {factor:.0e}; "
        "the coefficients and scale transform back) and refit")


def _check_constant_y(y: np.ndarray, w: np.ndarray | None, model: RowModel) -> None:
    r"""Refuse a fit whose dispersion MLE is at infinity because every y is the same.

    With all (positively weighted) y equal to one value c, the mean fits c exactly and
    the likelihood keeps rising as the spread parameter shrinks: a Gamma's or Beta's
    shape/precision and an inverse Gaussian's λ run to +∞, a Student-t's σ to 0, and a
    negative binomial's α to 0 (no overdispersion). The MLE does not exist, so this is a
    :class:`~mlekit.errors.NoMaximumError`, not an overflow. (Normal-identity fits are
    solved exactly by least squares and keep their coefficients; σ̂ = 0 is reported.)
    """
    from ..errors import NoMaximumError

    _check_y_magnitude(y, w, model)
    free = [nm for nm in model.nuisance_names if nm not in model.fixed]
    if not free or model.classification or model.family.name == "normal" or y.size == 0:
        return
    yy = y if w is None else y[w > 0]
    if yy.size == 0 or np.any(yy != yy[0]) or yy[0] == 0:
        return  # (every y = 0 is the existence check's: the mean itself has no MLE)
    raise NoMaximumError(
        f"every y equals {yy[0]:g}: the {model.family.name} fit is perfect, so its "
        f"{', '.join(free)} runs to the edge of its domain and the likelihood has no maximum "
        "(the MLE does not exist). Fix the nuisance with fixed={...}, or use a family "
        "without one")


def _quietly(fn: Any, *args: Any) -> Any:
    """``fn(*args)`` without NumPy's floating-point warnings (a probe whose value is unused)."""
    with np.errstate(all="ignore"):
        return fn(*args)


def _link_of(model: RowModel, value: float) -> float:
    """g(value) for the mean's link; ±inf or NaN (no NumPy warning) off the link's domain."""
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        return float(model.link.link(np.asarray(value)))


def _as_1d(y: Any) -> Any:
    """A column vector y becomes 1-d with scikit-learn's DataConversionWarning."""
    if hasattr(y, "shape") and len(y.shape) == 2 and y.shape[1] == 1:
        from sklearn.utils.validation import column_or_1d

        return column_or_1d(y, warn=True)
    return y


def _classifier(est: Regression) -> bool:
    """``predict_proba`` & co exist only for Bernoulli / Categorical (sklearn duck typing)."""
    return est._is_classifier()

_COV_TYPES = ("nonrobust", "HC0", "HC1", "HC2", "HC3")
_INFORMATION = ("observed", "expected")


_WARM_FRACTION = 32       # the subsample warm start uses m = max(n / 32, 10000, 40 P) rows
_WARM_MIN_ROWS = 10_000   # … and runs when n >= 8 m (so it costs at most 1/8 of a pass
_WARM_ROWS_PER_PARAM = 40  #   per subsample iteration)
_WARM_HESSIAN_FRACTION = 8  # the warm start's Hessian comes from every 8th chunk
_GRAM32_MAX_COND = 100.0    # single-precision Gram only for well-conditioned designs
_GRAM32_MIN_WORK = 1e9      # … and, without a warm start, only when n P² is this large
_FINITE_CHUNK = 2**16     # rows per chunk of the finite-values check
_LS_MAX_COND = 1e6        # normal equations only when κ(scaled Gram) <= this


def _gram_rhs(sums: InMemorySums, t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
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


def _weighted_design(sums: InMemorySums) -> np.ndarray:
    """``W^{1/2} D`` as an array (a copy; only for designs that look rank deficient)."""
    D = sums.design_rows()
    return D if sums.w is None else D * np.sqrt(sums.w)[:, None]


def _hessian_proves_rank(h: np.ndarray) -> bool:
    """Does the mean block ``h = Dᵀ H D`` of a Hessian prove ``D`` of full column rank?

    Yes if it is positive definite and its Jacobi scaling is well-conditioned
    (``λ_min > 1e-11 λ_max``): ``Dᵀ H D v = 0`` for every ``D v = 0``. No proves
    nothing (the curvature ``H`` may be indefinite or tiny away from the optimum)."""
    d2 = np.diag(h)
    if not (np.all(np.isfinite(h)) and np.all(d2 > 0)):
        return False
    d = np.sqrt(d2)
    with _single_threaded_blas():
        lam = np.linalg.eigvalsh(h / d[:, None] / d[None, :])
    return bool(lam[0] > _RANK_SURE * lam[-1])


def _check_design_rank(sums: InMemorySums, names: list[str]) -> None:
    """:func:`check_rank` on ``Dᵀ W D`` (one chunked pass), confirmed on the pivoted QR
    of the scaled design if it looks deficient."""

    def part(sl: slice) -> np.ndarray:
        return sums.design_gram(sl, np.ones(sums.X[sl].shape[0]) if sums.w is None
                                else sums.w[sl])

    gram = sum(sums._map_chunks(part))
    iu = np.triu_indices(gram.shape[0], 1)
    gram[(iu[1], iu[0])] = gram[iu]
    with _single_threaded_blas():
        check_rank(gram, names, design=lambda: _weighted_design(sums))


def _all_finite(X: np.ndarray) -> bool:
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


def _gram32_safe(h: np.ndarray, p: int, weight: float) -> bool:
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


def _weighted_rss(sums: InMemorySums, beta: np.ndarray, t: np.ndarray) -> float:
    """``Σ w r²`` with ``r = t - D β``."""

    def part(sl: slice) -> float:
        r = t[sl] - sums.design_matvec(sl, beta)
        return float(r @ r) if sums.w is None else float(sums.w[sl] @ (r * r))

    return float(sum(sums._map_chunks(part)))


def _cholesky_ls(sums: InMemorySums, gram: np.ndarray, rhs: np.ndarray,
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


_COV_REFINE_MAX_WORK = 2e7  # refine (Dᵀ W D)⁻¹ too when n p² is at most this


def _qr_ls(D: np.ndarray, t: np.ndarray, w: np.ndarray | None
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


class Regression(BaseEstimator):
    r"""Regression by conditional maximum likelihood: ``y | x ~ family(mean = g⁻¹(xᵀβ))``.

    Parameters
    ----------
    family : registered family name or Family ("normal", "bernoulli", "categorical", …)
    link : link name (None: the family's canonical link)
    fit_intercept : add an intercept column (first, named ``"Intercept"``)
    alpha_l2 : Gaussian-prior precision on the slopes (ridge); 0 = maximum likelihood
    alpha_l1 : Laplace-prior rate on the slopes (lasso: ``+ alpha_l1 Σ|β_j|``), fitted by
        proximal Newton; the fit is then a MAP estimate with exact zeros
    fixed : nuisance parameters held fixed, e.g. ``{"sigma": 1.0}``, ``{"alpha": 0.5}``
    cov_type : "nonrobust" (inverse information) or a sandwich "HC0" … "HC3"
    information : "observed" (Hessian of the NLL at the optimum) or "expected" (Fisher)
        information for the covariance; they agree for canonical links
    heteroscedastic : Normal only: ``log sigma_i = x_iᵀ gamma`` (a second linear predictor)
    max_iter, tol : Newton iterations, and the relative gradient norm
        ``||∇F(θ)|| / ||∇F(0)||`` at which the fit stops (see ``solver.newton``)

    Attributes
    ----------
    coef_ : slopes, (p,) — (k-1, p) for Categorical (reference class 0)
    intercept_ : intercept (float; (k-1,) for Categorical), 0.0 without one
    classes_ : class labels (Bernoulli / Categorical)
    n_iter_ : solver iterations (0 for an exact solve)
    result_ : :class:`RegressionResult` (params, bse, conf_int, llf, aic, …, summary())

    Notes
    -----
    ``score(X, y)`` is the **mean log-likelihood per row** (higher is better),
    not R² (linear) nor accuracy (classifiers): it is the quantity the fit maximises.
    For Bernoulli and Categorical ``predict`` returns the most probable class label
    (scikit-learn's contract for classifiers); ``predict_mean`` / ``predict_proba``
    give the probabilities.

    Examples
    --------
    >>> import mlekit as mk
    >>> rand = mk.datasets.load("randhie")
    >>> model = mk.Regression("poisson").fit(rand[["lncoins", "idp"]], rand["mdvis"])
    >>> model.result_.params.round(4)
    Intercept    1.2344
    lncoins     -0.0712
    idp         -0.2905
    dtype: float64
    >>> model.result_.bse.round(4).tolist()
    [0.0139, 0.005, 0.0232]
    """

    def __init__(self, family: Any = "normal", link: Any = None,
                 fit_intercept: bool = True, alpha_l2: float = 0.0, alpha_l1: float = 0.0,
                 fixed: dict[str, float] | None = None, cov_type: str = "nonrobust",
                 information: str = "observed", heteroscedastic: bool = False,
                 max_iter: int = 100, tol: float = 1e-8, engine: str = "auto"):
        self.family = family
        self.link = link
        self.fit_intercept = fit_intercept
        self.alpha_l2 = alpha_l2
        self.alpha_l1 = alpha_l1
        self.fixed = fixed
        self.cov_type = cov_type
        self.information = information
        self.heteroscedastic = heteroscedastic
        self.max_iter = max_iter
        self.tol = tol
        self.engine = engine

    # ------------------------------------------------------------------ sklearn plumbing
    def _family_obj(self):
        return get_family(self.family)

    def _is_classifier(self) -> bool:
        return self._family_obj().name in ("bernoulli", "categorical")

    def __sklearn_tags__(self):
        from sklearn.utils import ClassifierTags, RegressorTags

        tags = super().__sklearn_tags__()
        try:
            fam = self._family_obj()
        except Exception:  # an invalid family is reported by fit
            return tags
        if fam.name in ("bernoulli", "categorical"):
            tags.estimator_type = "classifier"
            tags.classifier_tags = ClassifierTags(multi_class=fam.name == "categorical")
        else:
            tags.estimator_type = "regressor"
            # score() is the mean log-likelihood, not R^2: sklearn's "score > 0.5" does not apply
            tags.regressor_tags = RegressorTags(poor_score=True)
            if fam.support.name in ("Positive", "Counts", "NonNegative"):
                tags.target_tags.positive_only = True
        tags.target_tags.required = True
        return tags

    def _make_model(self, n_classes: int | None = None,
                    designs: dict[str, Any] | None = None) -> RowModel:
        """The row model: a family's hand-written fast path where it covers the request
        (a link on the mean, intercept-only nuisances), else the generic engine
        (``_engine.FamilyModel``: any family, a link and a design per parameter)."""
        fam = self._family_obj()
        opts: dict[str, Any] = {}
        if fam.name == "categorical":
            opts["n_classes"] = n_classes
        if self.heteroscedastic:
            if fam.name != "normal":
                raise DataError("heteroscedastic=True is available for the Normal family only; "
                                "for any family, model a parameter with designs={name: Z} "
                                "(or a formula per parameter)")
            opts["heteroscedastic"] = True
        engine = self.engine
        if engine not in ("auto", "generic", "fast"):
            from ..errors import did_you_mean

            raise did_you_mean(engine, ("auto", "generic", "fast"), what="engine")
        simple = (self.link is None or isinstance(self.link, str)) and not designs
        if engine == "fast" or (engine == "auto" and simple and has_fast_path(fam)) \
                or fam.name == "categorical" or self.heteroscedastic:
            return make_model(fam, self.link, self.fixed, **opts)
        return build_family_model(fam, self.link, self.fixed, designs,
                                  information="observed")

    # ------------------------------------------------------------------ data
    def _validate_X(self, X: Any, reset: bool, finite: bool = True
                    ) -> tuple[np.ndarray, list[str], bool]:
        from sklearn.utils.validation import validate_data

        has_names = hasattr(X, "columns")
        try:
            Xa = validate_data(self, X, reset=reset, dtype=np.float64, ensure_all_finite=False,
                               ensure_2d=True, accept_sparse=False)
        except ValueError as exc:
            # scikit-learn's messages are kept (its estimator checks match on them) but the
            # error becomes a DataError that says what is wrong with X.
            if isinstance(exc, DataError):
                raise
            msg = str(exc)
            if "could not convert" in msg or ("convert" in msg and "float" in msg):
                raise DataError(f"X must be numeric: {msg}") from None
            if "0 sample(s)" in msg or "0 feature(s)" in msg:
                raise DataError(f"X is empty: {msg}") from None
            raise DataError(f"X: {msg}") from None
        names = [str(c) for c in X.columns] if has_names else \
            [f"x{j}" for j in range(Xa.shape[1])]
        if finite and not _all_finite(Xa):
            check_finite_matrix(Xa, names)  # names the column and row
        return Xa, names, has_names

    def _design(self, Xa: np.ndarray) -> np.ndarray:
        if self.fit_intercept:
            return np.column_stack([np.ones(Xa.shape[0]), Xa])
        return Xa

    def _encode_y(self, y: Any, fam_name: str) -> np.ndarray:
        """Classifiers: labels -> codes 0..k-1 (``classes_``); Bernoulli allows 2 labels."""
        from sklearn.utils.multiclass import check_classification_targets

        y = np.asarray(y)
        if y.ndim == 2 and y.shape[1] == 1:
            y = y[:, 0]
        if y.ndim != 1:
            raise DataError(f"y must be one-dimensional; got shape {y.shape}")
        if fam_name == "bernoulli" and y.dtype.kind in "fiub":
            # the common case, labels already 0/1: no sort, no (n,) temporaries beyond masks
            n0, n1 = int(np.count_nonzero(y == 0)), int(np.count_nonzero(y == 1))
            if n0 and n1 and n0 + n1 == y.size:
                self.classes_ = np.array([0, 1], dtype=y.dtype)
                return y if y.dtype == np.float64 else y.astype(float)
        if y.dtype.kind in "fc":
            bad = ~np.isfinite(y)
            if bad.any():
                i = int(np.flatnonzero(bad)[0])
                raise DataError(f"y contains a {'NaN' if np.isnan(y[i]) else 'infinite'} value "
                                f"at row {i}")
        try:
            with warnings.catch_warnings():  # sklearn casts huge floats to int to look at them
                warnings.simplefilter("ignore", RuntimeWarning)
                check_classification_targets(y)
        except ValueError as exc:
            if y.dtype.kind in "fiu":
                frac = np.flatnonzero(y != np.round(y))
                if frac.size:
                    i = int(frac[0])
                    raise SupportError(
                        f"Unknown label type: {fam_name} regression needs class labels; "
                        f"y = {y[i]:g} at row {i} is not an integer (see {exc})"
                    ) from None
                # whole numbers too large for sklearn's int cast (1e300): labels all the same
            else:
                raise SupportError(f"{fam_name} regression needs class labels: {exc}") from None
        classes, codes = np.unique(y, return_inverse=True)
        if fam_name == "bernoulli" and classes.size > 2:
            if y.dtype.kind in "fiub":
                out = np.flatnonzero((y != 0) & (y != 1))
                i = int(out[0])
                raise SupportError(
                    f"Bernoulli regression: y must satisfy value in {{0, 1}} (Binary); found "
                    f"{y[i]} at row {i} ({classes.size} distinct values). Only binary "
                    "classification is supported: use family='categorical' for more classes"
                )
            i = int(np.flatnonzero(codes >= 2)[0])
            raise SupportError(
                f"Bernoulli regression needs 2 classes; found {classes.size}, the third "
                f"({y[i]!r}) first at row {i}. Only binary classification is supported: "
                "use family='categorical'"
            )
        if classes.size < 2:
            raise DataError(
                f"y has only one class ({classes[0]!r}): a classifier needs at least 2 classes"
            )
        self.classes_ = classes
        return codes.astype(float)

    def _check_weights(self, sample_weight: Any, n: int) -> np.ndarray | None:
        if sample_weight is None:
            return None
        w = np.asarray(sample_weight, dtype=float)
        if w.ndim == 0:
            w = np.full(n, float(w))
        if w.shape != (n,):
            raise DataError(f"sample_weight must have shape ({n},); got {w.shape}")
        bad = ~np.isfinite(w) | (w < 0)
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise DataError(f"sample_weight must be finite and >= 0; found {w[i]:g} at row {i}")
        if w.sum() <= 0:
            raise DataError("sample_weight sums to zero: there is nothing to fit")
        return w

    def _offset(self, offset: Any, exposure: Any, n: int) -> np.ndarray | None:
        out = None
        if offset is not None:
            out = np.broadcast_to(np.asarray(offset, float), (n,)).copy()
            check_finite_matrix(out[:, None], ["offset"], what="offset")
        if exposure is not None:
            e = np.broadcast_to(np.asarray(exposure, float), (n,))
            bad = ~np.isfinite(e) | (e <= 0)
            if bad.any():
                i = int(np.flatnonzero(bad)[0])
                raise DataError(f"exposure must be finite and > 0; found {e[i]:g} at row {i}")
            out = np.log(e) + (0.0 if out is None else out)
        return out

    # ------------------------------------------------------------------ fit
    def fit(self, X: Any, y: Any, sample_weight: Any = None, offset: Any = None,
            exposure: Any = None, designs: dict[str, Any] | None = None,
            **aux: Any) -> Regression:
        """Fit by maximum likelihood (or MAP with ``alpha_l2``); returns ``self``.

        Parameters
        ----------
        X : (n, p) array or DataFrame (column names are carried to ``result_``): the
            design of the mean (location) parameter
        y : (n,) responses (class labels for Bernoulli / Categorical)
        sample_weight : (n,) non-negative weights (frequency-weight semantics)
        offset : (n,) added to the linear predictor of the mean
        exposure : (n,) positive; adds ``log(exposure)`` to the offset (log links)
        designs : ``{parameter: Z}``: the other parameters' designs (distributional
            regression), each an (n, q) array or DataFrame of its own, a list of ``X``'s
            column names or indices, ``"X"`` (all of ``X``) or ``"1"`` (a constant, the
            default); an intercept is added to each when ``fit_intercept``
        **aux : per-row data some families need (Binomial ``trials``)
        """
        from . import _DATA_BACKENDS

        for accepts, backend_fit in _DATA_BACKENDS:  # e.g. dask arrays / dataframes
            if designs:
                if accepts(X) or accepts(y):
                    from ..errors import NotImplementedForFamily

                    raise NotImplementedForFamily(
                        "designs per parameter (distributional regression) are not yet "
                        "available on the Dask path; fit in memory, or model the mean only")
                continue
            if accepts(X) or accepts(y):
                return backend_fit(self, X, y, sample_weight=sample_weight, offset=offset,
                                   exposure=exposure, **aux)
        check_settings(self)
        if y is None:
            raise DataError(f"{type(self).__name__} requires y to be passed, but the target y "
                            "is None")
        fam = self._family_obj()
        if not has_fast_path(fam):  # (a multivariate family: said before y is read)
            regressable(fam)
        # the check for NaN / inf in X may be left to the first pass over the rows
        # (below: a lean, warm-started fit); otherwise it runs here
        Xa, names, has_names = self._validate_X(X, reset=True, finite=False)
        if fam.name == "binomial" and np.ndim(y) == 2 and np.shape(y)[1] == 2:
            yy = np.asarray(y, dtype=float)  # (successes, failures), as statsmodels' GLM
            y, aux["trials"] = yy[:, 0], yy[:, 0] + yy[:, 1]
        y = _as_1d(y)
        n = Xa.shape[0]
        if self._is_classifier():
            yv = self._encode_y(y, fam.name)
        else:
            if hasattr(self, "classes_"):
                del self.classes_
            yv = _numeric_y(y, fam.name)
            if yv.ndim == 2 and yv.shape[1] == 1:
                yv = yv[:, 0]
            if yv.ndim != 1:
                raise DataError(f"y must be one-dimensional; got shape {yv.shape}")
        if yv.shape[0] != n:
            raise DataError(f"X has {n} rows but y has {yv.shape[0]}")
        w = self._check_weights(sample_weight, n)
        off = self._offset(offset, exposure, n)
        aux_arrays = {k: np.broadcast_to(np.asarray(v, float), (n,)).copy()
                      for k, v in aux.items() if v is not None}
        Xm = Xa  # the mean's design (the existence screens read it)
        Xa, spec, slot_terms = self._combine_designs(designs, X, Xa, names, fitting=True)
        model = self._make_model(len(self.classes_) if self._is_classifier() else None,
                                 designs=spec)
        yv = model.check_y(yv, aux_arrays)
        _check_constant_y(yv, w, model)
        coef_names = (["Intercept"] if self.fit_intercept else []) + names
        icpt_name = ["Intercept"] if self.fit_intercept else []
        slot_names = None
        if any(sl.columns is not None for sl in model.slots):
            slot_names = [icpt_name + ([slot_terms[c] for c in sl.columns]
                                       if sl.columns is not None else list(names))
                          if sl.design == "X" else ["Intercept"] for sl in model.slots]
            for sl, terms in zip(model.slots, slot_names, strict=True):
                if sl.design == "X" and not terms:
                    raise DataError(f"the design of {sl.name!r} is empty (no columns and no "
                                    "intercept): give it columns or fit_intercept=True")
        # the intercept column is implicit: X is never copied (InMemorySums)
        sums = InMemorySums(Xa, yv, model, w, off, aux_arrays, intercept=self.fit_intercept)
        if slot_names is not None:  # each parameter's design is checked on its own
            self._check_slot_ranks(sums, model, slot_names)
        if sums._cum is not None and self._warm_rows(n, sums.n_params) is not None:
            sums.finite_names = names  # checked in the first pass (InMemorySums)
        elif not _all_finite(Xa):
            check_finite_matrix(Xa, names)  # names the column and row
        nobs = sums.nobs
        n_mean = sum(sums.sizes[: len(model.mean_slots)])
        prior = self._prior(sums, model)
        l1 = self._l1(sums, model)
        if model.family.name == "laplace" and (prior is not None or l1 is not None):
            from ..errors import NotImplementedForFamily

            raise NotImplementedForFamily(
                "priors are not available for Laplace (median) regression, which is solved "
                "exactly as a linear program")
        if l1 is not None and prior is None:
            prior = np.zeros(sums.n_params)  # a MAP fit: no identifiability checks below
        n_eff = n if w is None else int(np.count_nonzero(w))
        if n_eff < sums.n_params and prior is None:
            raise DataError(
                f"too few rows: n_samples = {n_eff} (with non-zero weight) for {sums.n_params} "
                f"parameters ({n_mean} coefficients): a maximum-likelihood fit needs at "
                "least as many rows as parameters (or a prior: alpha_l2 > 0)"
            )
        theta0 = self._theta0(sums, model, yv, w, aux_arrays)
        exact = getattr(model, "exact", False) and prior is None and l1 is None
        warm = None
        if not exact and l1 is None and prior is None:
            warm = self._warm_start(sums, theta0, names, model)
        if warm is not None:
            theta0 = warm[0]
            sums.gram32 = _gram32_safe(warm[2], sums.p, sums.sum_weights)

        # rank check on the design D (weighted by the rows' weights only, never by the
        # likelihood's curvature, which may be indefinite away from the optimum: Normal
        # with a log link). A positive definite, well-conditioned Hessian block D'HD
        # (H > 0) proves D full rank for free: the subsample's when the warm start ran
        # (a full-rank subset of the rows proves the whole), else the first pass's.
        # Only if that screen fails is D'WD formed (one pass) and, if it too looks
        # deficient, the pivoted QR of the scaled design decides (check_rank)
        first = None
        if exact:  # the least-squares path computes the weighted Gram itself
            gram, rhs = _gram_rhs(sums, yv - (0.0 if off is None else off))
            with _single_threaded_blas():
                check_rank(gram, coef_names, design=lambda: _weighted_design(sums))
        else:
            b0 = int(sums.starts[1])  # the mean's block
            if warm is not None and prior is None:
                if not _hessian_proves_rank(warm[2][:b0, :b0]):
                    warm = None
            if warm is None:
                sums.check_finite()  # before the full-data separation check below
                first = sums.nll_grad_hess(theta0)
                if prior is None and slot_names is None and \
                        not _hessian_proves_rank(first[2][:b0, :b0]):
                    _check_design_rank(sums, coef_names)
                if n * sums.n_params**2 >= _GRAM32_MIN_WORK:  # wide data, no warm start:
                    # the Gram passes dominate; single precision where conditioning allows
                    sums.gram32 = _gram32_safe(first[2], sums.p, sums.sum_weights)
        # existence of the MLE: y at a bound of the family (every y, or the rows of a
        # column); with a prior or after a warm start only the y-only screen (O(n))
        self._precheck_separation(Xm, yv, names, model, w=w, aux=aux_arrays,
                                  penalised=prior is not None,
                                  columns=warm is None or not model.classification)

        if l1 is not None:
            res = prox_newton(sums, theta0, l1, prior=prior if np.any(prior) else None,
                              max_iter=self.max_iter, tol=1e-2 * self.tol)
        elif exact:
            if model.family.name == "laplace":
                res = self._lad(sums, model, sums.design_rows(), yv, w, off)
            else:
                res = self._exact(sums, model, yv, w, off, gram, rhs)
        else:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                res = newton(sums, theta0, prior=prior, max_iter=self.max_iter, tol=self.tol,
                             first_pass=first if warm is None else warm[3],
                             hess0=None if warm is None else warm[1])
            if prior is None and any(sl.nuisance is not None and sl.design == "X"
                                     for sl in model.slots):
                from ._diagnostics import check_parameter_divergence

                # a parameter run off to an edge of its domain on some rows (sigma -> 0 at
                # a perfect fit of those rows): named, before the solver's own warnings
                check_parameter_divergence(model, sums, res.theta, theta0)
            for wm in caught:
                warnings.warn_explicit(wm.message, wm.category, wm.filename, wm.lineno)
        theta = res.theta
        from ._diagnostics import existence_boundary

        bd = existence_boundary(model)
        if prior is None and (model.classification or bd is not None):
            # trouble signs (no convergence, a mean within ~1e-10 of a bound): the exact LP
            signal = 25.0 if bd is None else bd.eta_signal
            if not res.converged or sums.max_abs_eta(theta, len(model.mean_slots)) > signal:
                self._precheck_separation(Xm, yv, names, model, lp=True, w=w, aux=aux_arrays)

        information = self.information if model.family.name != "laplace" else "expected"
        if information == "observed" and res.hess is not None and res.method == "newton":
            hp = res.hess  # the solver's last pass is at theta (prior included)
        else:
            model.information = information
            try:
                _, _, h = sums.nll_grad_hess(theta)
            finally:
                model.information = "observed"
            hp = h if prior is None else h + np.diag(prior)
        llf = -res.fun if (prior is None and res.method == "newton") else -sums.nll(theta)
        self._model_for_cov = model
        with _single_threaded_blas():  # (P, P) algebra: see solver.inner_solve
            cov = self._covariance(sums, theta, hp, nobs)
        del self._model_for_cov

        dev = None
        sat_sum = None  # Σ w ℓ_saturated: a sum over y alone, shared with the null model
        if model.saturated_nll(yv[:1], {k: v[:1] for k, v in aux_arrays.items()}) is not None:
            sat_sum = 0.0 if model.saturated_zero else sums.map_y(model.saturated_nll)
        if model.unit_deviance(yv[:1], sums.eta(theta, slice(0, 1)),
                               {k: v[:1] for k, v in aux_arrays.items()}) is not None:
            if sat_sum is not None and prior is None and res.method == "newton":
                # one-parameter families: d = 2 (ℓ(θ̂) - ℓ_saturated), a sum over y only
                dev = 2.0 * (res.fun - sat_sum)
            else:
                dev = sums.map_rows(model.unit_deviance, theta)
        llnull, null_dev = self._null(sums, model, yv, w, aux_arrays, sat_sum, theta=theta)

        self.n_features_in_ = Xa.shape[1]
        self.n_iter_ = res.n_iter
        self.result_ = RegressionResult(
            model=model, coef_names=coef_names, theta=theta, cov_theta=cov, llf=llf,
            nobs=nobs, n_rows=n, converged=res.converged, method=res.method,
            n_iter=res.n_iter, cov_type=self.cov_type, deviance=dev, null_deviance=null_dev,
            llnull=llnull, penalised=prior is not None, pandas_names=has_names,
            slot_starts=sums.starts, slot_names=slot_names,
        )
        if res.method.startswith("linear program"):
            self.result_.extra_info["Sum |residuals|"] = self._sum_abs_dev
        self._model = model
        self._theta = theta
        self._set_coef(theta, sums, model)
        return self

    # ------------------------------------------------------------------ fit pieces
    def _combine_designs(self, designs: dict[str, Any] | None, X: Any, Xa: np.ndarray,
                         names: list[str], fitting: bool
                         ) -> tuple[np.ndarray, dict[str, Any], list[str]]:
        """One matrix ``[X, Z_1, Z_2 …]`` for the parameters' designs, each parameter's
        columns in it, and the column names.

        ``designs`` maps a parameter to an array/DataFrame ``Z`` (its columns are
        appended), a list of ``X``'s column names or indices, ``"X"`` or ``"1"``. At fit
        time the layout is remembered (``_design_layout``); at predict time the same
        parameters' ``Z`` must be given again, with the same number of columns.
        """
        from ..errors import ParameterError

        if not designs:
            if not fitting and getattr(self, "_design_layout", None):
                need = [k for k, v in self._design_layout if v is not None]
                if need:
                    raise DataError(f"this model was fitted with designs for {', '.join(need)}: "
                                    "pass them again, designs={...}, with new rows")
            if fitting:
                self._design_layout = []
            return Xa, {}, list(names)
        if not isinstance(designs, dict):
            raise ParameterError("designs must be a dict {parameter: design}; got "
                                 f"{type(designs).__name__}")
        blocks, spec, terms, layout = [Xa], {}, list(names), []
        p = Xa.shape[1]
        col = p
        for pname, Z in designs.items():
            if isinstance(Z, str):
                if Z not in ("X", "1"):
                    raise ParameterError(f"designs[{pname!r}] = {Z!r}: a string design is "
                                         "'X' (the columns of X) or '1' (a constant)")
                spec[pname] = Z
                layout.append((pname, None))
                continue
            if isinstance(Z, (list, tuple)) and all(isinstance(c, (str, int, np.integer))
                                                    and not isinstance(c, bool) for c in Z):
                idx = []
                for c in Z:
                    if isinstance(c, str):
                        if c not in names:
                            raise DataError(f"designs[{pname!r}]: no column {c!r} in X "
                                            f"(columns: {', '.join(names)})")
                        idx.append(names.index(c))
                    else:
                        if not 0 <= int(c) < p:
                            raise DataError(f"designs[{pname!r}]: column index {c} is outside "
                                            f"X's {p} columns")
                        idx.append(int(c))
                spec[pname] = tuple(idx)
                layout.append((pname, None))
                continue
            Zn = [str(c) for c in Z.columns] if hasattr(Z, "columns") else None
            try:
                Za = np.asarray(Z.to_numpy() if hasattr(Z, "to_numpy") else Z, dtype=float)
            except (TypeError, ValueError):
                raise DataError(f"designs[{pname!r}] must be numeric (an (n, q) array or "
                                "DataFrame)") from None
            if Za.ndim == 1:
                Za = Za[:, None]
            if Za.ndim != 2 or Za.shape[0] != Xa.shape[0]:
                raise DataError(f"designs[{pname!r}] has shape {Za.shape}; it needs one row per "
                                f"row of X ({Xa.shape[0]})")
            if Zn is None:
                Zn = [f"z{j}" for j in range(Za.shape[1])]
            if not fitting:
                fitted = dict(self._design_layout).get(pname)
                if fitted is None or fitted != Za.shape[1]:
                    raise DataError(f"designs[{pname!r}] has {Za.shape[1]} columns; the model "
                                    f"was fitted with {fitted if fitted is not None else 'none'}")
            if not _all_finite(Za):
                check_finite_matrix(Za, [f"{pname}:{c}" for c in Zn])
            blocks.append(Za)
            spec[pname] = tuple(range(col, col + Za.shape[1]))
            terms += Zn
            layout.append((pname, Za.shape[1]))
            col += Za.shape[1]
        if fitting:
            self._design_layout = layout
        if not fitting:
            fitted = [k for k, v in self._design_layout if v is not None]
            missing = [k for k in fitted if k not in designs]
            if missing:
                raise DataError(f"designs for {', '.join(missing)} are missing: the model was "
                                "fitted with them")
        Xc = np.column_stack(blocks) if len(blocks) > 1 else Xa
        if len(blocks) > 1:  # the mean keeps X's own columns
            spec = {"__location__": tuple(range(p)), **spec}
        return Xc, spec, terms

    def _check_slot_ranks(self, sums: InMemorySums, model: RowModel,
                          slot_names: list[list[str]]) -> None:
        """:func:`check_rank` on each parameter's own design (the names say which)."""
        for j, sl in enumerate(model.slots):
            if sl.design != "X":
                continue
            cols = list(range(sums.X.shape[1])) if sl.columns is None else list(sl.columns)
            sub = sums.restrict([0] * self.fit_intercept + [c + self.fit_intercept
                                                            for c in cols])
            _check_design_rank(sub, [f"{sl.name}: {t}" for t in slot_names[j]])

    def _prior(self, sums: InMemorySums, model: RowModel) -> np.ndarray | None:
        if not self.alpha_l2:
            return None
        prior = np.zeros(sums.n_params)
        for j in range(len(model.mean_slots)):
            a, b = sums.starts[j], sums.starts[j + 1]
            prior[a + (1 if self.fit_intercept else 0): b] = float(self.alpha_l2)
        return prior

    def _l1(self, sums: InMemorySums, model: RowModel) -> np.ndarray | None:
        if not self.alpha_l1:
            return None
        l1 = np.zeros(sums.n_params)
        for j in range(len(model.mean_slots)):
            a, b = sums.starts[j], sums.starts[j + 1]
            l1[a + (1 if self.fit_intercept else 0): b] = float(self.alpha_l1)
        return l1

    def _theta0(self, sums: InMemorySums, model: RowModel, y: np.ndarray,
                w: np.ndarray | None, aux: dict) -> np.ndarray:
        ww = np.broadcast_to(1.0, y.shape) if w is None else w  # no (n,) array of ones
        start = model.init_eta(y, ww, aux)
        theta0 = np.zeros(sums.n_params)
        for j, s in enumerate(model.slots):
            a = sums.starts[j]
            if s.design == "1" or self.fit_intercept:
                theta0[a] = start[j]
        if sums.offset is not None and self.fit_intercept:
            # the intercept-only start ignores the offset; remove its mean
            ow = np.sum(ww * sums.offset) / np.sum(ww)
            theta0[0] -= ow
        if not self.fit_intercept and sums.n:
            # no intercept: θ = 0 puts every η at 0, outside the domain of some links (the
            # inverse link's μ = ∞). Then start from the coefficients whose η is closest to
            # the intercept-only start, by least squares on the first rows
            k = min(sums.n, 4096)
            sl = slice(0, k)
            with np.errstate(all="ignore"):
                nll0, _, _ = model.rows(y[sl], sums.eta(theta0, sl), sums._aux(sl), order=0)
            if not np.all(np.isfinite(nll0)):
                for j, s in enumerate(sums.slots):
                    if s.design != "X":
                        continue
                    D = s.take(sums.X[sl])
                    if D.shape[1]:
                        b = np.linalg.lstsq(D, np.full(k, start[j]), rcond=None)[0]
                        theta0[sums.starts[j]:sums.starts[j + 1]] = b
        return theta0

    def _warm_start(self, sums: InMemorySums, theta0: np.ndarray, names: list[str],
                    model: RowModel) -> tuple[np.ndarray, np.ndarray, np.ndarray, tuple] | None:
        r"""The MLE on a subsample of the rows (large n only), a Hessian there for the
        solver, the subsample's own float64 Hessian (for the rank check) and the solver's
        first pass ``(f, ∇f, None)`` at that MLE; or None.

        With ``m`` of the ``n`` rows the subsample estimate lies ``O(sqrt(n/m))``
        standard errors from the full one, and its Hessian, scaled by ``Σw / Σw_sub``,
        is within a few per cent of the full Hessian there. The solver then needs no
        full ``Dᵀ W D`` pass until the solution: it takes approximate-Hessian steps
        with exact gradients (cheap passes) and computes the exact Hessian once, at the
        end (``solver.newton``, ``hess0``). With ``m = n / 32`` the subsample fit costs
        a fraction of one full pass; the Hessian handed to the solver is then re-estimated
        at the subsample MLE from every 8th chunk of all rows (a sampling error ~2x
        smaller: the solver's linear rate, measured 0.02 at 1e6 x 50).

        For classifiers the single-column separation check runs here on the subsample:
        a column that separates the classes in all rows separates them in every subset,
        so a clean subsample proves the full data clean (otherwise None is returned and
        the full check runs). Returns None when the subsample fit fails (separation in
        the subsample, a singular subsample design …): the fit then starts from ``theta0``.
        """
        m = self._warm_rows(sums.n, sums.n_params)
        if m is None:
            return None
        # every k-th row from a seeded random offset (the rows' order only matters if it
        # repeats with period k exactly, and then only for speed: the full passes
        # correct the start); copied (3% of X), as the small fit reads them several
        # times: Hessian passes over a strided view measured 2x slower per row
        rng = np.random.default_rng(0)
        step = sums.n // m
        warm = self._warm_fit(sums.subsample(np.arange(rng.integers(step), sums.n, step)),
                              theta0, names, model, sums.sum_weights)
        if warm is None:
            return None
        # the solver's linear rate is the relative error of its Hessian, ~ sqrt(P / rows):
        # the solver's first pass (the gradient at the subsample MLE) also forms the
        # Hessian of every 8th chunk (single precision; no extra read of X), which
        # halves it (measured 0.04 -> 0.02 at 1e6 x 50; every 4th chunk: 0.015, for twice
        # the flops and no pass fewer), saving a gradient pass or two
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            f, g, h = sums.nll_grad_hess(warm[0], hessian=False, value=False,
                                         sample_every=_WARM_HESSIAN_FRACTION)
        if h is None or not np.all(np.isfinite(h)):
            h = warm[1]
        return warm[0], h, warm[1], (f, g, None)

    @staticmethod
    def _warm_rows(n: int, n_params: int) -> int | None:
        """Rows of the warm-start subsample for ``n`` rows, or None (too few to gain)."""
        m = max(n // _WARM_FRACTION, _WARM_MIN_ROWS, _WARM_ROWS_PER_PARAM * n_params)
        return None if n < 8 * m else m

    def _warm_fit(self, sub: InMemorySums, theta0: np.ndarray, names: list[str],
                  model: RowModel, full_weight: float) -> tuple[np.ndarray, np.ndarray] | None:
        """Newton on the subsample ``sub``: its MLE and its Hessian scaled to the full
        weight, or None (see :meth:`_warm_start`); also used by the Dask fit."""
        from ..errors import SeparationError

        if model.classification:
            try:  # (on at most 32,768 of its rows: a clean part proves the whole clean)
                self._precheck_separation(sub.X[:32_768], sub.y[:32_768], names, model)
            except SeparationError:
                return None
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                # an approximate MLE suffices: it lies sqrt(n/m) standard errors from the
                # full one anyway; the stop at λ² <= 1 (within one standard error of the
                # subsample's MLE) and the polishing step save a pass or two
                res = newton(sub, theta0, max_iter=50, tol=1e-2, fallback=False,
                             decrement_tol=1.0)
            except (np.linalg.LinAlgError, ValueError, FloatingPointError):
                return None
        if not res.converged or not np.all(np.isfinite(res.theta)) or res.hess is None:
            return None
        return res.theta, res.hess * (full_weight / sub.sum_weights)

    def _precheck_separation(self, D, y, names, model, lp=False, w=None, aux=None,
                             penalised=False, columns=True):
        """Raise NoMaximumError (SeparationError for classes and binomial data) if the MLE
        does not exist (``_diagnostics``, module docstring).

        ``D`` is X without the intercept column (``self.fit_intercept`` adds it) and
        ``names`` name its columns; ``w`` are the sample weights (zero-weight rows do not
        count), ``aux`` the per-row data (Binomial ``trials``). Screens: every y at a
        bound; one column non-zero only on rows at a bound (``columns``); with ``lp``
        the exact linear program over combinations. ``penalised``: a prior covers the
        slopes, so only the intercept (every y at one bound) can run off.
        """
        from ._diagnostics import check_existence
        from ._diagnostics import existence_boundary as _existence_boundary

        if penalised or not columns:
            if not self.fit_intercept:
                return
            D, names, lp = D[:, :0], [], False  # the y-only screen
        bd = _existence_boundary(model)
        if bd is not None and not bd.upper:  # Bernoulli-log: y = 1 is not at infinity
            check_existence(D, y, names, self.fit_intercept, bd, w=w, lp=lp)
            return
        if bd is not None and not model.classification:  # Binomial, Poisson, NB
            upper = None if aux is None else aux.get("trials")
            check_existence(D, y, names, self.fit_intercept, bd, w=w, upper_at=upper, lp=lp)
            return
        if not model.classification:
            return
        if lp:  # the LP needs the design with its intercept column
            D = self._design(D)
            names = (["Intercept"] if self.fit_intercept else []) + list(names)
        if len(model.mean_slots) == 1:
            check_separation(D, y, names, self.fit_intercept, lp=lp, w=w)
            return
        labels = []
        for k in range(len(model.mean_slots) + 1):
            lab = self.classes_[k] if hasattr(self, "classes_") else k
            lab = lab.item() if hasattr(lab, "item") else lab
            labels.append(lab)
            check_separation(D, (y == k).astype(float), names, self.fit_intercept,
                             what=f"y == {lab!r}", lp=lp, w=w)
        if lp:  # no class apart from the rest: pairs of classes (the exact multinomial LP)
            from ..errors import SeparationError
            from ._diagnostics import multinomial_direction

            keep = slice(None) if w is None else w > 0
            B = multinomial_direction(D[keep], y[keep], len(labels))
            if B is not None:
                sd = D.std(axis=0)
                score = np.abs(B) * sd[None, :]
                k, j = np.unravel_index(int(np.argmax(score)), score.shape)
                cols = [names[c] for c in np.flatnonzero(score.max(0) > 1e-6 * score.max())]
                raise SeparationError(
                    f"the classes of y are separated by a combination of columns led by "
                    f"{names[j]!r} (involving {', '.join(map(repr, cols))}), which sets "
                    f"y == {labels[k]!r} apart from some other class: the maximum-likelihood "
                    "estimate does not exist (its coefficients run off to infinity). Drop "
                    "or merge the separating column(s) or classes, or fit the MAP with a "
                    "prior (alpha_l2 > 0)"
                )

    def _exact(self, sums: InMemorySums, model: RowModel, y: np.ndarray,
               w: np.ndarray | None, off: np.ndarray | None,
               gram: np.ndarray | None = None, rhs: np.ndarray | None = None):
        r"""Gaussian identity: exact weighted least squares.

        Well-conditioned designs (the usual case) are solved from the normal
        equations ``G β = Dᵀ W t`` with ``G = Dᵀ W D`` (one chunked pass, symmetric
        rank-k BLAS updates): Cholesky of the Jacobi-scaled ``G``, then one step of
        iterative refinement on the true residual (a second pass). The rounding
        error of this route grows like ``κ(D)² ε``; LAPACK's condition estimate of
        the scaled ``G`` (``dpocon``) decides whether it is safe: if
        ``κ(G) > 10⁶`` (digits would be lost) the fit switches to column-pivoted
        Householder QR of the scaled design with refinement of the augmented system
        in doubled precision (:func:`_qr_ls`), which recovers ill-conditioned problems:
        NIST StRD coefficients and standard errors to >= 13 digits (Longley 14.6,
        Wampler5 14.5); Filip (κ = 5e9) to 7.6, the limit set by the rounding of its
        powers ``x^k`` in the design, whose own exact solution is matched to >= 12
        (``tests/regression/test_nist.py``). σ̂ = sqrt(Σ w r² / Σ w) (the MLE); on the
        QR path ``Σ w r²`` comes from the refined residual.

        On the QR path the coefficients' covariance ``σ̂² (Dᵀ W D)⁻¹`` is taken from the
        triangular factor, not by inverting the Hessian (see :meth:`_covariance`); on
        the Cholesky path (``κ(G) <= 10⁶``) the Hessian's inverse is as accurate.
        """
        from .solver import SolverResult

        t_all = y - (0.0 if off is None else off)
        beta, unit_cov, method = None, None, "least squares (Cholesky, refined)"
        if gram is not None and rhs is not None:
            beta = _cholesky_ls(sums, gram, rhs, t_all)
        if beta is None:
            (beta, unit_cov), rss = _qr_ls(sums.design_rows(), t_all, w)
            method = "least squares (QR)"
        else:
            rss = _weighted_rss(sums, beta, t_all)
        sigma = np.sqrt(rss / sums.nobs)
        theta = beta.copy()
        if "sigma" not in model.fixed:
            if sigma <= 0:
                sigma = np.finfo(float).tiny ** 0.25
            theta = np.append(theta, np.log(sigma))
        else:
            sigma = float(model.fixed["sigma"])
        if unit_cov is not None:  # picked up by _covariance of this fit (keyed by sums)
            self._ls_cov = (sums, sigma**2 * unit_cov)
        f, g, h = sums.nll_grad_hess(theta)
        return SolverResult(theta, f, g, h, 1, True, method)

    def _lad(self, sums: InMemorySums, model: RowModel, D: np.ndarray, y: np.ndarray,
             w: np.ndarray | None, off: np.ndarray | None):
        r"""Laplace-identity (median regression): minimise Σ w_i |y_i - x_iᵀβ| exactly.

        Linear program (HiGHS): variables (β, u⁺, u⁻ ≥ 0) with
        ``Xβ + u⁺ - u⁻ = y - offset``, minimise ``Σ w (u⁺ + u⁻)``. Then the MLE of
        the scale is ``b = Σ w|r| / Σ w``.
        """
        from scipy import sparse
        from scipy.optimize import linprog

        from .solver import SolverResult

        n, p = D.shape
        ww = np.ones(n) if w is None else w
        t = y - (0.0 if off is None else off)
        eye = sparse.identity(n, format="csr")
        A = sparse.hstack([sparse.csr_matrix(D), eye, -eye], format="csr")
        c = np.concatenate([np.zeros(p), ww, ww])
        bounds = [(None, None)] * p + [(0, None)] * (2 * n)
        res = linprog(c, A_eq=A, b_eq=t, bounds=bounds, method="highs")
        if res.status != 0:
            raise DataError(f"the median-regression linear program failed: {res.message}")
        beta = res.x[:p]
        sad = float(np.sum(ww * np.abs(t - D @ beta)))
        theta = beta.copy()
        if "b" not in model.fixed:
            theta = np.append(theta, np.log(max(sad / float(np.sum(ww)), 1e-300)))
        f, g, h = sums.nll_grad_hess(theta)
        out = SolverResult(theta, f, g, h, int(getattr(res, "nit", 1) or 1), True,
                           "linear program (HiGHS)")
        self._sum_abs_dev = sad
        return out

    def _covariance(self, sums: InMemorySums, theta: np.ndarray, h: np.ndarray,
                    nobs: float) -> np.ndarray:
        r"""Inverse information ``h⁻¹`` (and the sandwich ``h⁻¹ M h⁻¹`` for HC0-HC3).

        After an exact least-squares fit by QR (:meth:`_exact`) the coefficients' block is
        ``σ̂² (Dᵀ W D)⁻¹`` from the solver's triangular factor (NIST StRD: ≥ 9 digits
        on every linear data set's standard errors, where inverting the Hessian
        ``Dᵀ W D / σ̂²`` loses ``κ² ε``); the coefficients are uncorrelated with
        ``log σ̂`` at the optimum (``Dᵀ W r = 0``), whose information there is
        ``2 Σ w`` exactly (observed = expected; also for a perfect fit, ``σ̂ = 0``).
        """
        ls = getattr(self, "_ls_cov", None)
        if ls is not None:
            del self._ls_cov
            k = ls[1].shape[0]
            if ls[0] is sums and h.shape[0] in (k, k + 1):
                cov = np.zeros_like(h)
                cov[:k, :k] = ls[1]
                if h.shape[0] == k + 1:  # log(sigma)
                    cov[k, k] = 1.0 / (2.0 * sums.sum_weights)
                return self._sandwich(sums, theta, cov, nobs)
        d = np.sqrt(np.abs(np.diag(h)))
        d[d == 0] = 1.0
        hs = h / d[:, None] / d[None, :]
        if not np.all(np.isfinite(hs)):
            from ..errors import NumericalWarning

            warnings.warn("the information matrix is not finite at the optimum: the standard "
                          "errors are NaN (a parameter may be running to a boundary of its "
                          "domain)", NumericalWarning, stacklevel=3)
            return np.full_like(h, np.nan)
        try:
            c = linalg.cho_factor(hs)
            inv = linalg.cho_solve(c, np.eye(len(d)))
        except linalg.LinAlgError:
            from ..errors import NumericalWarning

            warnings.warn("the information matrix is not positive definite at the optimum; "
                          "standard errors use its pseudo-inverse (a parameter may be "
                          "poorly identified or at a boundary)", NumericalWarning, stacklevel=3)
            inv = np.linalg.pinv(hs)
        cov = inv / d[:, None] / d[None, :]
        return self._sandwich(sums, theta, cov, nobs)

    def _sandwich(self, sums: InMemorySums, theta: np.ndarray, cov: np.ndarray,
                  nobs: float) -> np.ndarray:
        """``cov`` (nonrobust), or the HC sandwich ``cov M cov`` with the scores' meat."""
        if self.cov_type == "nonrobust":
            return cov
        scale = None
        n_mean = len(self._model_for_cov.mean_slots)
        k = int(sums.starts[n_mean])
        if self.cov_type == "HC1":
            scale = np.full(sums.n, nobs / (nobs - k))
        elif self.cov_type in ("HC2", "HC3"):
            lev = sums.leverage(theta, cov, n_mean)
            power = 1.0 if self.cov_type == "HC2" else 2.0
            scale = 1.0 / (1.0 - np.minimum(lev, 1.0 - 1e-12)) ** power
        meat = sums.score_outer(theta, scale)
        return cov @ meat @ cov

    def _null(self, sums: InMemorySums, model: RowModel, y: np.ndarray,
              w: np.ndarray | None, aux: dict, sat_sum: float | None = None,
              theta: np.ndarray | None = None) -> tuple[float | None, float | None]:
        r"""Log-likelihood ``llnull`` and deviance of the intercept-only (null) model.

        ``llnull`` is the maximum of the null model's likelihood over its intercept
        **and its nuisance parameters** (NB's ``alpha``, Gamma's shape, Normal's ``sigma``
        re-estimated): the null model nested in the fitted one, so that
        ``2 (llf - llnull)`` is the likelihood-ratio statistic of all slopes and
        McFadden's ``R² = 1 - llf / llnull`` compares two maximised likelihoods — as
        statsmodels' discrete ``NegativeBinomial`` does (its ``llnull`` re-fits alpha).

        The **null deviance** is a deviance, ``2 Σ w (ℓ_sat - ℓ)`` at a fixed dispersion,
        and is comparable with the model's only at the same nuisance: it is evaluated with
        the nuisance parameters held at the fitted model's MLE ``theta`` (the intercept
        re-fitted at that nuisance), as R's ``glm.nb`` and statsmodels' GLM at the same
        alpha do. Then ``null deviance >= deviance`` (the intercept-only mean is a special
        case of the full one at the common nuisance). For families whose unit deviance
        does not involve the nuisance (Normal, Gamma, inverse Gaussian: exponential
        dispersion models, whose mean MLE does not depend on it either) the re-fitted
        null model is used as it is; without ``theta`` too.

        For a one-parameter family with its canonical link (Bernoulli-logit,
        Poisson-log) and no offset, the intercept's score equation ``Σ w (y - μ) = 0``
        gives ``μ̂ = ȳ_w`` in closed form: one pass over ``y``, no Newton. With the
        cumulant form ``ℓ = a(η) - yη + c(y)`` the NLL there is closed too,
        ``W (a(η̂) - ȳ η̂) + Σ w c(y)`` with ``W = Σ w`` (``Σ w c`` is summed once per fit).
        ``sat_sum`` is ``Σ w ℓ_saturated`` if the caller has it.
        """
        null = sums.restrict([0] if self.fit_intercept else [])  # never touches X
        # (in memory only: a Dask backend passes the first chunk of y as ``y``)
        in_memory = isinstance(sums, InMemorySums)
        sat = model.saturated_nll(y[:1], {k: v[:1] for k, v in aux.items()}) \
            if in_memory else None
        wsum = float(y.shape[0] if w is None else np.sum(w))
        ybar = float((np.sum(y) if w is None else w @ y) / wsum)
        cum = getattr(sums, "_cum", None)
        if (in_memory and cum is not None and self.fit_intercept and sums.offset is None
                and sat is not None
                and np.isfinite(eta0 := _link_of(model, ybar))):
            a0 = cum.value_sum(np.array([eta0]), None, None, np.empty(1))  # a(η̂)
            fun = wsum * (a0 - ybar * eta0) + sums._const_sum()
            if sat_sum is None:
                sat_sum = null.map_y(model.saturated_nll)
            return -fun, 2.0 * (fun - sat_sum)
        ww = np.broadcast_to(1.0, y.shape) if w is None else w
        if (in_memory and self.fit_intercept and sums.offset is None and len(model.slots) == 1
                and sat is not None and model.link.name == model.family.canonical_link
                and model.link.name != "softmax"  # (a vector link)
                and np.isfinite(mu_eta := _link_of(model, ybar))):
            theta_null = np.array([mu_eta])
            fun = null.nll(theta_null)
        else:
            start = model.init_eta(y, ww, aux)
            theta0 = np.zeros(null.n_params)
            for j, s in enumerate(model.slots):
                if s.design == "1" or self.fit_intercept:
                    theta0[null.starts[j]] = start[j]
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                try:
                    res = newton(null, theta0, max_iter=200, tol=1e-10)
                except Exception:
                    return None, None
            theta_null, fun = res.theta, res.fun
        dev = None
        if sat is not None:
            dev = 2.0 * (fun - (null.map_y(model.saturated_nll) if sat_sum is None
                                else sat_sum))
        elif _quietly(model.unit_deviance, y[:1], null.eta(theta_null, slice(0, 1)),
                      {k: v[:1] for k, v in aux.items()}) is not None:
            held = self._held_nuisance(sums, model, theta)
            if held and self._deviance_uses(model, held, null, theta_null, y, aux):
                return -fun, self._null_deviance_held(null, model, held, theta_null)
            with np.errstate(all="ignore"):  # (no intercept: η = 0 may be μ = ∞)
                dev = null.map_rows(model.unit_deviance, theta_null)
            if not np.isfinite(dev):
                dev = None
        if not np.isfinite(fun):
            return None, dev
        return -fun, dev

    @staticmethod
    def _held_nuisance(sums: Any, model: RowModel, theta: np.ndarray | None
                       ) -> dict[str, float]:
        """The fitted model's free scalar nuisances (natural scale), or {} when there are
        none, ``theta`` is unknown, or a nuisance has a design of its own (heteroscedastic)."""
        extra = model.slots[len(model.mean_slots):]
        if theta is None or not extra or any(s.design != "1" or s.nuisance is None
                                             for s in extra):
            return {}
        eta = np.array([[theta[sums.starts[j]] for j in range(len(model.slots))]])
        return {k: float(np.ravel(v)[0]) for k, v in model.nuisance_values(eta).items()
                if k not in model.fixed}

    @staticmethod
    def _deviance_uses(model: RowModel, held: dict[str, float], null: Any,
                       theta_null: np.ndarray, y: np.ndarray, aux: dict) -> bool:
        """Does the unit deviance change when the nuisance moves from the null fit's
        value to ``held``? (on the first rows; False for Normal, Gamma, inverse Gaussian)"""
        k = min(int(y.shape[0]), 64)
        aux_k = {a: v[:k] for a, v in aux.items()}
        eta = null.eta(theta_null, slice(0, k))
        eta_held = eta.copy()
        n_mean = len(model.mean_slots)
        for j, s in enumerate(model.slots[n_mean:], start=n_mean):
            eta_held[:, j] = np.log(held[s.nuisance])  # (slot = log of the nuisance)
        with np.errstate(all="ignore"):
            return not np.array_equal(model.unit_deviance(y[:k], eta, aux_k),
                                      model.unit_deviance(y[:k], eta_held, aux_k))

    def _null_deviance_held(self, null: Any, model: RowModel, held: dict[str, float],
                            theta_null: np.ndarray) -> float | None:
        """Null deviance with the nuisances held at ``held``: the intercept re-fitted at
        that nuisance (Newton from the null fit's), then ``Σ w d(y, μ̂₀)``; None if that
        fit fails (no null deviance rather than one at another dispersion)."""
        import dataclasses

        fixed_model = dataclasses.replace(model, fixed={**model.fixed, **held})
        if hasattr(null, "with_model"):  # a Dask backend
            null_f = null.with_model(fixed_model)
        else:
            null_f = InMemorySums(null.X, null.y, fixed_model, null.w, null.offset, null.aux,
                                  null.chunk_rows, null.n_threads, intercept=null.intercept)
        theta0 = np.asarray(theta_null[: null.starts[len(model.mean_slots)]], float)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                res = newton(null_f, theta0, max_iter=200, tol=1e-10)
            except Exception:
                return None
        if not res.converged:
            return None
        return null_f.map_rows(fixed_model.unit_deviance, res.theta)

    def _set_coef(self, theta: np.ndarray, sums: InMemorySums, model: RowModel) -> None:
        k = len(model.mean_slots)
        p = sums.p
        blocks = np.stack([theta[sums.starts[j]:sums.starts[j + 1]] for j in range(k)])
        if self.fit_intercept:
            icpt, coef = blocks[:, 0], blocks[:, 1:]
        else:
            icpt, coef = np.zeros(k), blocks
        if k == 1:
            self.coef_ = coef[0].copy()
            self.intercept_ = float(icpt[0])
        else:
            self.coef_ = coef.copy()
            self.intercept_ = icpt.copy()
        _ = p

    # ------------------------------------------------------------------ prediction
    def _check_fitted(self) -> None:
        from sklearn.utils.validation import check_is_fitted

        check_is_fitted(self, "result_")

    def _eta(self, X: Any, offset: Any = None, exposure: Any = None,
             designs: dict[str, Any] | None = None) -> np.ndarray:
        self._check_fitted()
        X = self._formula_rhs(X)
        Xa, names, _ = self._validate_X(X, reset=False)
        Xa, _, _ = self._combine_designs(designs, X, Xa, names, fitting=False)
        slots = self._model.slots
        sizes = [s.size(Xa.shape[1], self.fit_intercept) for s in slots]
        starts = np.concatenate([[0], np.cumsum(sizes)]).astype(int)
        eta = np.empty((Xa.shape[0], len(sizes)))
        for j, s in enumerate(slots):
            b = self._theta[starts[j]:starts[j + 1]]
            eta[:, j] = self._design(s.take(Xa)) @ b if s.design == "X" else b[0]
        off = self._offset(offset, exposure, Xa.shape[0])
        if off is not None:
            eta[:, 0] += off
        return eta

    def _formula_rhs(self, X: Any) -> Any:
        """For a model fitted by :meth:`from_formula`: the design of new data ``X``.

        The fitted :class:`~mlekit.regression._formula.FormulaDesign` re-applies the
        learned levels and transforms; a missing column, an unseen level or a NaN
        raises a named DataError. A frame that already has the design's columns
        passes through.
        """
        spec = getattr(self, "model_spec_", None)
        if spec is not None and hasattr(X, "columns") and \
                list(X.columns) != list(getattr(self, "feature_names_in_", [])):
            return spec.matrix(X)
        return X

    def predict_mean(self, X: Any, offset: Any = None, exposure: Any = None,
                     designs: dict[str, Any] | None = None) -> np.ndarray:
        """E[y | x]: (n,), or (n, k) class probabilities for Categorical."""
        return self._mean_of(self._eta(X, offset, exposure, designs))

    def _mean_of(self, eta: np.ndarray) -> np.ndarray:
        try:
            return self._model.mean(eta)
        except NotImplementedForFamily as exc:
            raise NotImplementedForFamily(
                f"{exc}; predict returns the mean, which this family does not have: use "
                "predict_distribution(X) and its median or quantiles (ppf)") from None

    def predict(self, X: Any, offset: Any = None, exposure: Any = None,
                designs: dict[str, Any] | None = None) -> np.ndarray:
        """The mean E[y | x] (regressors) or the most probable class label (classifiers)."""
        eta = self._eta(X, offset, exposure, designs)
        if self._is_classifier():
            k = len(self._model.mean_slots)
            if self._family_obj().name == "categorical":
                full = np.column_stack([np.zeros(eta.shape[0]), eta[:, :k]])
                return self.classes_[np.argmax(full, axis=1)]
            p = self._model.mean(eta)
            return self.classes_[(eta[:, 0] > 0 if self._model.link.name == "logit"
                                  else p > 0.5).astype(int)]
        return self._mean_of(eta)

    @available_if(_classifier)
    def predict_proba(self, X: Any, offset: Any = None) -> np.ndarray:
        """Class probabilities, (n, k) in the order of ``classes_`` (classifiers only)."""
        eta = self._eta(X, offset)
        mean = self._model.mean(eta)
        if mean.ndim == 1:
            if self._model.link.name == "logit":
                from scipy.special import expit

                return np.column_stack([expit(-eta[:, 0]), mean])
            return np.column_stack([1.0 - mean, mean])
        return mean

    @available_if(_classifier)
    def predict_log_proba(self, X: Any, offset: Any = None) -> np.ndarray:
        """log predict_proba, exact where probabilities round to 0 (log_expit / log_softmax)."""
        from scipy.special import log_expit, log_softmax

        eta = self._eta(X, offset)
        if len(self._model.mean_slots) == 1:
            if self._model.link.name == "logit":
                return np.column_stack([log_expit(-eta[:, 0]), log_expit(eta[:, 0])])
            return np.log(self.predict_proba(X, offset))
        full = np.column_stack([np.zeros(eta.shape[0]), eta])
        return log_softmax(full, axis=1)

    @available_if(_classifier)
    def decision_function(self, X: Any) -> np.ndarray:
        """Linear predictors: (n,) logits (binary) or (n, k) with class 0's set to 0."""
        eta = self._eta(X)
        if len(self._model.mean_slots) == 1:
            return eta[:, 0]
        return np.column_stack([np.zeros(eta.shape[0]), eta])

    def predict_distribution(self, X: Any, offset: Any = None, exposure: Any = None,
                             designs: dict[str, Any] | None = None, **aux):
        """The predictive distributions p(y | x_i): a batch Distribution of the family, every
        parameter at its fitted value for the row (``.mean()``, ``.ppf(q)``, ``.logpdf(y)``)."""
        eta = self._eta(X, offset, exposure, designs)
        n = eta.shape[0]
        aux_arrays = {k: np.broadcast_to(np.asarray(v, float), (n,)).copy()
                      for k, v in aux.items() if v is not None}
        params = self._model.distribution_params(eta, aux_arrays)
        return self._model.family(**params)

    def score(self, X: Any, y: Any, sample_weight: Any = None, offset: Any = None,
              exposure: Any = None, designs: dict[str, Any] | None = None,
              **aux: Any) -> float:
        """Mean log-likelihood per row, Σ w_i log p(y_i | x_i) / Σ w_i (NOT R², not accuracy)."""
        eta = self._eta(X, offset, exposure, designs)
        n = eta.shape[0]
        if self._is_classifier():
            y = np.asarray(y)
            if y.ndim == 2 and y.shape[1] == 1:
                y = y[:, 0]
            codes = np.searchsorted(self.classes_, y)
            codes = np.clip(codes, 0, len(self.classes_) - 1)
            if np.any(self.classes_[codes] != y):
                i = int(np.flatnonzero(self.classes_[codes] != y)[0])
                raise SupportError(f"y[{i}] = {y[i]!r} is not one of the classes seen in fit "
                                   f"({list(self.classes_)})")
            yv = codes.astype(float)
        else:
            yv = self._model.check_y(np.asarray(y, dtype=float).reshape(-1), {})
        w = self._check_weights(sample_weight, n)
        aux_arrays = {k: np.broadcast_to(np.asarray(v, float), (n,)).copy()
                      for k, v in aux.items() if v is not None}
        nll, _, _ = self._model.rows(yv, eta, aux_arrays, order=0)
        if w is None:
            return float(-np.mean(nll))
        return float(-np.sum(w * nll) / np.sum(w))

    # ------------------------------------------------------------------ formulas
    @classmethod
    def from_formula(cls, formula: str, data: Any, family: Any = None,
                     sample_weight: Any = None, offset: Any = None, exposure: Any = None,
                     **kwargs: Any) -> Regression:
        """Fit ``y ~ x1 + C(g)`` on a DataFrame; names reach ``summary()``.

        The formula is read by the whitelist grammar of
        :func:`mlekit.grammar.parse_model_formula` (columns, numbers, ``~ + - : * / **``,
        ``C(g, ref=...)``, ``I(arithmetic)``, ``log``/``exp``/``sqrt``/``abs``…,
        ``center``/``scale``/``poly``) and evaluated with NumPy by
        :class:`~mlekit.regression._formula.FormulaDesign` with treatment coding;
        no part of it is ever evaluated as Python. The formula's own intercept is
        used (``fit_intercept`` is taken from it); ``predict(df)`` applies the same
        right-hand side (levels, centring, polynomial bases learned here) to new data.
        A NaN in a used column is an error naming the column and row (rows are not
        dropped silently).
        """
        import inspect

        from ._formula import design_from_formula

        if isinstance(formula, dict):
            raise NotImplementedForFamily(
                "a formula per parameter ({'mu': 'y ~ x1', 'sigma': '~ x1'}) is planned, not "
                "yet available: build each parameter's design yourself and pass it as "
                "fit(X, y, designs={'sigma': Z})")
        takes_family = "family" in inspect.signature(cls.__init__).parameters
        if family is None:  # the class's own family (LinearRegression, LogisticRegression)
            family = "normal" if takes_family else cls.family
        elif not takes_family and get_family(family).name != get_family(cls.family).name:
            from ..errors import ParameterError

            raise ParameterError(f"{cls.__name__} is the {cls.family} family; use "
                                 f"Regression.from_formula(..., family={family!r})")
        design, y, X = design_from_formula(formula, data)
        if X.shape[1] == 0:
            from ..errors import FormulaError

            raise FormulaError(f"the formula {formula!r} has no regressors besides "
                               "the intercept; fit the response's distribution with mk.fit(y, "
                               "family) instead")
        if get_family(family).name not in ("bernoulli", "categorical"):
            y = design.response(data)
        has_icpt = design.intercept
        est = cls(family=family, fit_intercept=has_icpt, **kwargs) if takes_family else \
            cls(fit_intercept=has_icpt, **kwargs)
        est.model_spec_ = design
        est._formula_intercept = has_icpt
        est.formula_ = formula
        est.fit(X, y, sample_weight=sample_weight, offset=offset, exposure=exposure)
        return est


class LinearRegression(Regression):
    """Normal-identity regression (ordinary least squares as maximum likelihood).

    ``sigma`` is estimated by ML (``result_.nuisance["sigma"] = sqrt(RSS/n)``);
    coefficients come from an exact pivoted-QR least-squares solve.

    Examples
    --------
    >>> import mlekit as mk
    >>> engel = mk.datasets.load("engel")
    >>> model = mk.LinearRegression().fit(engel[["income"]], engel["foodexp"])
    >>> round(model.intercept_, 4), [round(float(b), 6) for b in model.coef_]
    (147.4754, [0.485178])
    >>> round(model.result_.nuisance["sigma"], 4)    # sqrt(RSS / n)
    113.6213
    >>> model.result_.bse.round(4).tolist()
    [15.889, 0.0143]
    """

    family = "normal"
    link = None
    information = "observed"
    heteroscedastic = False
    engine = "auto"

    def __init__(self, fit_intercept: bool = True, alpha_l2: float = 0.0, alpha_l1: float = 0.0,
                 fixed: dict[str, float] | None = None, cov_type: str = "nonrobust",
                 max_iter: int = 100, tol: float = 1e-8):
        self.fit_intercept = fit_intercept
        self.alpha_l2 = alpha_l2
        self.alpha_l1 = alpha_l1
        self.fixed = fixed
        self.cov_type = cov_type
        self.max_iter = max_iter
        self.tol = tol


class LogisticRegression(Regression):
    """Bernoulli-logit regression (binary cross-entropy as the NLL); unpenalised by default.

    Examples
    --------
    >>> import mlekit as mk
    >>> anes = mk.datasets.load("anes96")
    >>> X, y = anes[["PID", "selfLR"]], anes["vote"]
    >>> model = mk.LogisticRegression().fit(X, y)
    >>> round(model.intercept_, 4), [round(float(b), 4) for b in model.coef_]
    (-6.4069, [1.0645, 0.5803])
    >>> round(model.result_.llf, 4)                  # minus the summed binary cross-entropy
    -251.4834
    >>> model.predict_proba(X.iloc[:2]).round(4)
    array([[0.0173, 0.9827],
           [0.9734, 0.0266]])
    """

    family = "bernoulli"
    link = None
    fixed = None
    information = "observed"
    heteroscedastic = False
    engine = "auto"

    def __init__(self, fit_intercept: bool = True, alpha_l2: float = 0.0, alpha_l1: float = 0.0,
                 cov_type: str = "nonrobust", max_iter: int = 100, tol: float = 1e-8):
        self.fit_intercept = fit_intercept
        self.alpha_l2 = alpha_l2
        self.alpha_l1 = alpha_l1
        self.cov_type = cov_type
        self.max_iter = max_iter
        self.tol = tol
