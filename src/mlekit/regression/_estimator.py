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

from ..errors import DataError, SingularMatrixError, SupportError
from ..families import get_family
from ._diagnostics import check_finite_matrix, check_rank, check_separation
from ._models import RowModel, make_model
from ._results import RegressionResult
from ._sums import InMemorySums, _single_threaded_blas
from .solver import newton, prox_newton

__all__ = ["LinearRegression", "LogisticRegression", "Regression"]


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


def _qr_ls(D: np.ndarray, t: np.ndarray, w: np.ndarray | None) -> np.ndarray:
    """Weighted least squares by pivoted QR + refinement in extended precision."""
    sw = np.ones(D.shape[0]) if w is None else np.sqrt(w)
    A = D * sw[:, None]
    t = t * sw
    scale = np.linalg.norm(A, axis=0)
    scale[scale == 0] = 1.0
    As = A / scale
    Q, R, piv = linalg.qr(As, mode="economic", pivoting=True)

    def solve(rhs):
        z = linalg.solve_triangular(R, Q.T @ rhs)
        out = np.empty_like(z)
        out[piv] = z
        return out

    bs = solve(t)
    Al, tl = As.astype(np.longdouble), t.astype(np.longdouble)
    for _ in range(3):
        r = (tl - Al @ bs.astype(np.longdouble)).astype(float)
        delta = solve(r)
        bs = bs + delta
        if np.max(np.abs(delta)) <= 1e-17 * np.max(np.abs(bs)):
            break
    return bs / scale


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

    def __init__(self, family: Any = "normal", link: str | None = None,
                 fit_intercept: bool = True, alpha_l2: float = 0.0, alpha_l1: float = 0.0,
                 fixed: dict[str, float] | None = None, cov_type: str = "nonrobust",
                 information: str = "observed", heteroscedastic: bool = False,
                 max_iter: int = 100, tol: float = 1e-8):
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

    def _make_model(self, n_classes: int | None = None) -> RowModel:
        fam = self._family_obj()
        opts: dict[str, Any] = {}
        if fam.name == "categorical":
            opts["n_classes"] = n_classes
        if self.heteroscedastic:
            if fam.name != "normal":
                raise DataError("heteroscedastic=True is available for the Normal family only")
            opts["heteroscedastic"] = True
        return make_model(fam, self.link, self.fixed, **opts)

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
            raise
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
            exposure: Any = None, **aux: Any) -> Regression:
        """Fit by maximum likelihood (or MAP with ``alpha_l2``); returns ``self``.

        Parameters
        ----------
        X : (n, p) array or DataFrame (column names are carried to ``result_``)
        y : (n,) responses (class labels for Bernoulli / Categorical)
        sample_weight : (n,) non-negative weights (frequency-weight semantics)
        offset : (n,) added to the linear predictor of the mean
        exposure : (n,) positive; adds ``log(exposure)`` to the offset (log links)
        **aux : per-row data some families need (Binomial ``trials``)
        """
        from . import _DATA_BACKENDS

        for accepts, backend_fit in _DATA_BACKENDS:  # e.g. dask arrays / dataframes
            if accepts(X) or accepts(y):
                return backend_fit(self, X, y, sample_weight=sample_weight, offset=offset,
                                   exposure=exposure, **aux)
        if self.cov_type not in _COV_TYPES:
            raise DataError(f"cov_type must be one of {', '.join(_COV_TYPES)}; "
                            f"got {self.cov_type!r}")
        if y is None:
            raise DataError(f"{type(self).__name__} requires y to be passed, but the target y "
                            "is None")
        if self.information not in _INFORMATION:
            raise DataError(f"information must be 'observed' or 'expected'; "
                            f"got {self.information!r}")
        fam = self._family_obj()
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
            yv = np.asarray(y, dtype=float) if not hasattr(y, "to_numpy") else \
                y.to_numpy(dtype=float)
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
        model = self._make_model(len(self.classes_) if self._is_classifier() else None)
        yv = model.check_y(yv, aux_arrays)
        coef_names = (["Intercept"] if self.fit_intercept else []) + names
        # the intercept column is implicit: X is never copied (InMemorySums)
        sums = InMemorySums(Xa, yv, model, w, off, aux_arrays, intercept=self.fit_intercept)
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

        # rank check on the Gram of the design (p x p): on the subsample's Hessian when
        # the warm start ran (rows of a rank-deficient design are rank deficient: only
        # if the subsample looks deficient is the full design checked), else one pass
        first = None
        if exact:  # the least-squares path computes the weighted Gram itself
            gram, rhs = _gram_rhs(sums, yv - (0.0 if off is None else off))
            check_rank(gram, coef_names)
        else:
            if warm is not None and prior is None:
                try:
                    with _single_threaded_blas():
                        check_rank(warm[2][:sums.p, :sums.p], coef_names)  # float64
                except SingularMatrixError:
                    warm = None
            if warm is None:
                sums.check_finite()  # before the full-data separation check below
                first = sums.nll_grad_hess(theta0)
                if prior is None:
                    with _single_threaded_blas():
                        check_rank(first[2][:sums.p, :sums.p], coef_names)
                if n * sums.n_params**2 >= _GRAM32_MIN_WORK:  # wide data, no warm start:
                    # the Gram passes dominate; single precision where conditioning allows
                    sums.gram32 = _gram32_safe(first[2], sums.p, sums.sum_weights)
        if model.classification and prior is None and warm is None:
            self._precheck_separation(Xa, yv, names, model)

        if l1 is not None:
            res = prox_newton(sums, theta0, l1, prior=prior if np.any(prior) else None,
                              max_iter=self.max_iter, tol=1e-2 * self.tol)
        elif exact:
            if model.family.name == "laplace":
                res = self._lad(sums, model, sums.design_rows(), yv, w, off)
            else:
                res = self._exact(sums, model, yv, w, off, gram, rhs)
        else:
            res = newton(sums, theta0, prior=prior, max_iter=self.max_iter, tol=self.tol,
                         first_pass=first if warm is None else warm[3],
                         hess0=None if warm is None else warm[1])
        theta = res.theta
        if model.classification and prior is None:
            if not res.converged or sums.max_abs_eta(theta, len(model.mean_slots)) > 25:
                self._precheck_separation(sums.design_rows(), yv, coef_names, model, lp=True)

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
        llnull, null_dev = self._null(sums, model, yv, w, aux_arrays, sat_sum)

        self.n_features_in_ = Xa.shape[1]
        self.n_iter_ = res.n_iter
        self.result_ = RegressionResult(
            model=model, coef_names=coef_names, theta=theta, cov_theta=cov, llf=llf,
            nobs=nobs, n_rows=n, converged=res.converged, method=res.method,
            n_iter=res.n_iter, cov_type=self.cov_type, deviance=dev, null_deviance=null_dev,
            llnull=llnull, penalised=prior is not None, pandas_names=has_names,
            slot_starts=sums.starts,
        )
        if res.method.startswith("linear program"):
            self.result_.extra_info["Sum |residuals|"] = self._sum_abs_dev
        self._model = model
        self._theta = theta
        self._set_coef(theta, sums, model)
        return self

    # ------------------------------------------------------------------ fit pieces
    def _prior(self, sums: InMemorySums, model: RowModel) -> np.ndarray | None:
        if not self.alpha_l2:
            return None
        if self.alpha_l2 < 0:
            raise DataError(f"alpha_l2 must be >= 0; got {self.alpha_l2}")
        prior = np.zeros(sums.n_params)
        for j in range(len(model.mean_slots)):
            a, b = sums.starts[j], sums.starts[j + 1]
            prior[a + (1 if self.fit_intercept else 0): b] = float(self.alpha_l2)
        return prior

    def _l1(self, sums: InMemorySums, model: RowModel) -> np.ndarray | None:
        if not self.alpha_l1:
            return None
        if self.alpha_l1 < 0:
            raise DataError(f"alpha_l1 must be >= 0; got {self.alpha_l1}")
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

    def _precheck_separation(self, D, y, names, model, lp=False):
        if len(model.mean_slots) == 1:
            check_separation(D, y, names, self.fit_intercept, lp=lp)
            return
        for k in range(len(model.mean_slots) + 1):
            lab = self.classes_[k] if hasattr(self, "classes_") else k
            lab = lab.item() if hasattr(lab, "item") else lab
            check_separation(D, (y == k).astype(float), names, self.fit_intercept,
                             what=f"y == {lab!r}", lp=lp)

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
        Householder QR of the scaled design with iterative refinement in extended
        precision, which recovers ill-conditioned problems (Longley: NIST
        certified values to ~12 digits). σ̂ = sqrt(Σ w r² / Σ w) (the MLE).
        """
        from .solver import SolverResult

        t_all = y - (0.0 if off is None else off)
        beta, method = None, "least squares (Cholesky, refined)"
        if gram is not None and rhs is not None:
            beta = _cholesky_ls(sums, gram, rhs, t_all)
        if beta is None:
            beta, method = _qr_ls(sums.design_rows(), t_all, w), "least squares (QR)"
        rss = _weighted_rss(sums, beta, t_all)
        sigma = np.sqrt(rss / sums.nobs)
        theta = beta.copy()
        if "sigma" not in model.fixed:
            if sigma <= 0:
                sigma = np.finfo(float).tiny ** 0.25
            theta = np.append(theta, np.log(sigma))
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
        d = np.sqrt(np.abs(np.diag(h)))
        d[d == 0] = 1.0
        hs = h / d[:, None] / d[None, :]
        try:
            c = linalg.cho_factor(hs)
            inv = linalg.cho_solve(c, np.eye(len(d)))
        except linalg.LinAlgError:
            warnings.warn("the information matrix is not positive definite at the optimum; "
                          "standard errors use its pseudo-inverse", stacklevel=3)
            inv = np.linalg.pinv(hs)
        cov = inv / d[:, None] / d[None, :]
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
              w: np.ndarray | None, aux: dict, sat_sum: float | None = None
              ) -> tuple[float | None, float | None]:
        r"""Log-likelihood and deviance of the intercept-only model (nuisances re-estimated).

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
                and np.isfinite(eta0 := float(model.link.link(np.asarray(ybar))))):
            a0 = cum.value_sum(np.array([eta0]), None, None, np.empty(1))  # a(η̂)
            fun = wsum * (a0 - ybar * eta0) + sums._const_sum()
            if sat_sum is None:
                sat_sum = null.map_y(model.saturated_nll)
            return -fun, 2.0 * (fun - sat_sum)
        ww = np.broadcast_to(1.0, y.shape) if w is None else w
        if (in_memory and self.fit_intercept and sums.offset is None and len(model.slots) == 1
                and sat is not None and model.link.name == model.family.canonical_link
                and model.link.name != "softmax"  # (a vector link)
                and np.isfinite(mu_eta := float(model.link.link(np.asarray(ybar))))):
            theta = np.array([mu_eta])
            fun = null.nll(theta)
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
            theta, fun = res.theta, res.fun
        dev = None
        if sat is not None:
            dev = 2.0 * (fun - (null.map_y(model.saturated_nll) if sat_sum is None
                                else sat_sum))
        elif model.unit_deviance(y[:1], null.eta(theta, slice(0, 1)),
                                 {k: v[:1] for k, v in aux.items()}) is not None:
            dev = null.map_rows(model.unit_deviance, theta)
        return -fun, dev

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

    def _eta(self, X: Any, offset: Any = None, exposure: Any = None) -> np.ndarray:
        self._check_fitted()
        X = self._formula_rhs(X)
        Xa, _, _ = self._validate_X(X, reset=False)
        D = self._design(Xa)
        sizes = [D.shape[1] if s.design == "X" else 1 for s in self._model.slots]
        starts = np.concatenate([[0], np.cumsum(sizes)]).astype(int)
        eta = np.empty((D.shape[0], len(sizes)))
        for j, s in enumerate(self._model.slots):
            b = self._theta[starts[j]:starts[j + 1]]
            eta[:, j] = D @ b if s.design == "X" else b[0]
        off = self._offset(offset, exposure, D.shape[0])
        if off is not None:
            eta[:, 0] += off
        return eta

    def _formula_rhs(self, X: Any) -> Any:
        spec = getattr(self, "model_spec_", None)
        if spec is not None and hasattr(X, "columns") and \
                list(X.columns) != list(getattr(self, "feature_names_in_", [])):
            mm = spec.rhs.get_model_matrix(X)
            cols = [c for c in mm.columns if not (self._formula_intercept and c == "Intercept")]
            return mm[cols]
        return X

    def predict_mean(self, X: Any, offset: Any = None, exposure: Any = None) -> np.ndarray:
        """E[y | x]: (n,), or (n, k) class probabilities for Categorical."""
        return self._model.mean(self._eta(X, offset, exposure))

    def predict(self, X: Any, offset: Any = None, exposure: Any = None) -> np.ndarray:
        """The mean E[y | x] (regressors) or the most probable class label (classifiers)."""
        eta = self._eta(X, offset, exposure)
        if self._is_classifier():
            k = len(self._model.mean_slots)
            if self._family_obj().name == "categorical":
                full = np.column_stack([np.zeros(eta.shape[0]), eta[:, :k]])
                return self.classes_[np.argmax(full, axis=1)]
            p = self._model.mean(eta)
            return self.classes_[(eta[:, 0] > 0 if self._model.link.name == "logit"
                                  else p > 0.5).astype(int)]
        return self._model.mean(eta)

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

    def predict_distribution(self, X: Any, offset: Any = None, exposure: Any = None, **aux):
        """The predictive distributions p(y | x_i): a batch Distribution of the family."""
        eta = self._eta(X, offset, exposure)
        n = eta.shape[0]
        aux_arrays = {k: np.broadcast_to(np.asarray(v, float), (n,)).copy()
                      for k, v in aux.items() if v is not None}
        params = self._model.distribution_params(eta, aux_arrays)
        return self._model.family(**params)

    def score(self, X: Any, y: Any, sample_weight: Any = None, offset: Any = None,
              exposure: Any = None, **aux: Any) -> float:
        """Mean log-likelihood per row, Σ w_i log p(y_i | x_i) / Σ w_i (NOT R², not accuracy)."""
        eta = self._eta(X, offset, exposure)
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
    def from_formula(cls, formula: str, data: Any, family: Any = "normal",
                     sample_weight: Any = None, offset: Any = None, exposure: Any = None,
                     **kwargs: Any) -> Regression:
        """Fit ``y ~ x1 + C(g)`` on a DataFrame with formulaic; names reach ``summary()``.

        The formula's own intercept is used (``fit_intercept`` is taken from it);
        ``predict(df)`` applies the same right-hand side to new data.
        """
        from ..errors import FormulaError

        try:
            from formulaic import model_matrix
        except ImportError as exc:  # pragma: no cover
            raise FormulaError("formulas need the optional dependency formulaic: "
                               "pip install 'mlekit[formula]'") from exc
        try:
            mm = model_matrix(formula, data)
        except Exception as exc:
            raise FormulaError(f"cannot build the model matrix of {formula!r}: {exc}") from None
        if not hasattr(mm, "lhs"):
            raise FormulaError(f"formula {formula!r} has no left-hand side (write 'y ~ x')")
        lhs, rhs = mm.lhs, mm.rhs
        has_icpt = "Intercept" in rhs.columns
        X = rhs.drop(columns=["Intercept"]) if has_icpt else rhs
        y = lhs.iloc[:, 0]
        if get_family(family).name in ("bernoulli", "categorical"):
            y = data.loc[lhs.index, lhs.columns[0]] if lhs.columns[0] in data.columns else y
        est = cls(family=family, fit_intercept=has_icpt, **kwargs)
        est.model_spec_ = mm.model_spec
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

    def __init__(self, fit_intercept: bool = True, alpha_l2: float = 0.0, alpha_l1: float = 0.0,
                 cov_type: str = "nonrobust", max_iter: int = 100, tol: float = 1e-8):
        self.fit_intercept = fit_intercept
        self.alpha_l2 = alpha_l2
        self.alpha_l1 = alpha_l1
        self.cov_type = cov_type
        self.max_iter = max_iter
        self.tol = tol
