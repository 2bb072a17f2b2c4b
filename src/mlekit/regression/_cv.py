r"""A warm-started regularisation path with K-fold cross-validation (glmnet / glum style).

:class:`RegressionCV` fits :class:`~mlekit.regression.Regression` along a decreasing grid
of penalties on each training fold, scores each fit by its held-out mean negative
log-likelihood, and refits at the best penalty on all the data.

The penalty is stated per row (glmnet's and scikit-learn's ``ElasticNet`` convention).
For a training set of :math:`n` rows with per-row NLL :math:`\ell_i(\beta)`, the
objective at ``alpha`` :math:`=\alpha` and ``l1_ratio`` :math:`=r` is

.. math::

    \frac1n\sum_{i=1}^n \ell_i(\beta)
      + \alpha\Bigl(r\,\lVert\beta_{\text{slopes}}\rVert_1
      + \tfrac{1-r}{2}\lVert\beta_{\text{slopes}}\rVert_2^2\Bigr),

i.e. ``Regression(alpha_l1 = n·α·r, alpha_l2 = n·α·(1−r))``, whose objective is the
summed NLL :math:`\sum_i \ell_i + \tfrac{\alpha_2}{2}\lVert\beta\rVert^2 +
\alpha_1\lVert\beta\rVert_1` (multiply the display by :math:`n`). ``n`` is the number
of rows of the fit in question: the training rows of a fold, all rows for the refit.

Correspondence with scikit-learn (same grid, same folds):

* ``ElasticNetCV`` minimises :math:`\frac1{2n}\lVert y-X\beta\rVert^2 + \alpha r
  \lVert\beta\rVert_1 + \frac{\alpha(1-r)}2\lVert\beta\rVert^2`; this is the display
  above for the Normal family with σ held at 1 (``fixed={"sigma": 1.0}``: then
  :math:`\ell_i = \tfrac12 (y_i-x_i^\top\beta)^2 + \tfrac12\log 2\pi`), so its alphas are
  ours and its held-out MSE is ``2·NLL − log 2π``: the same choice.
* ``LogisticRegression`` minimises :math:`C\sum_i \ell_i + r\lVert\beta\rVert_1 +
  \frac{1-r}2\lVert\beta\rVert^2`, the display above with :math:`\alpha = 1/(nC)`.
  ``LogisticRegressionCV`` keeps ``C`` fixed across folds, so its per-row α differs
  between folds of different sizes; with folds of equal size ``n_train`` the grid
  ``Cs = 1/(n_train·alphas)`` gives the same path and the same choice (its refit on all
  ``n`` rows uses the same ``C``, i.e. α·n_train/n; ours refits at α).

The grid (``alphas=None``): ``n_alphas`` values from :math:`\alpha_{\max}` down to
:math:`10^{-3}\alpha_{\max}`, even on the log scale, where
:math:`\alpha_{\max} = \max_j |\partial_{\beta_j} \frac1n\sum_i\ell_i|/\max(r, 10^{-3})`
at the intercept-only fit (every other parameter at its MLE): for :math:`r>0` the
smallest α whose lasso solution has every slope zero (scikit-learn's ``_alpha_grid``,
glmnet's ``lambda.max``); for pure ridge (:math:`r=0`) glmnet's convention of taking
:math:`r=10^{-3}` for the top of the grid.

The path is warm-started (``warm_start=True``): each fit of a fold starts at the
previous α's estimate and, without an L1 part, with the previous fit's NLL Hessian, so
its first passes over the rows are gradient-only (the solver's approximate-Hessian mode)
and only the last computes the Hessian. Measured (``benchmarks/bench_inference.py``,
1e5 × 50, 5 folds × 10 alphas): 3.0 s against 3.6 s for ``LogisticRegressionCV`` at its
default ``tol=1e-4`` and 7.8 s at ``tol=1e-8`` (mlekit's optimum is the tighter one).
"""

from __future__ import annotations

import numbers
import warnings
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.utils.metaestimators import available_if

from ..errors import ConvergenceWarning, DataError, NumericalWarning, ParameterError
from ._estimator import Regression, adopt_fit
from ._inputs import (
    Settings,
    aux_rows,
    check_weights,
    combine_designs,
    offset_of,
    response,
)
from ._pipeline import fit_in_memory

__all__ = ["RegressionCV"]

_EPS = 1e-3          # the grid runs from alpha_max down to alpha_max * _EPS
_RIDGE_RATIO = 1e-3  # l1_ratio used for alpha_max under pure ridge (glmnet)


def _fit_from(est: Regression, X: np.ndarray, y: np.ndarray, start_at: np.ndarray | None,
              start_hess: np.ndarray | None = None) -> tuple[Regression, np.ndarray | None]:
    """``est.fit(X, y)`` started from ``start_at`` (a warm start) and, with ``start_hess``
    (the previous fit's NLL Hessian), gradient-only passes first: the same pipeline.
    Returns the estimator and its solver's last NLL Hessian (for the next fit)."""
    settings = Settings.of(est)
    Xa, names, has_names = est._validate_X(X, reset=True, finite=False)
    n = Xa.shape[0]
    yv, classes, aux = response(settings, y, n, {})
    w = check_weights(None, n)
    off = offset_of(None, None, n)
    Xc, spec, terms, est._design_layout = combine_designs(None, X, Xa, names)
    fitted = fit_in_memory(settings, Xc, Xa, names, yv, classes, w, off, aux_rows(aux, n),
                           spec, terms, has_names, start_at=start_at, start_hess=start_hess)
    adopt_fit(est, fitted, n_features=Xa.shape[1])
    return est, fitted.hess


def _best_is_classifier(est: RegressionCV) -> bool:
    return est._base(0.0, 0.0)._is_classifier()


class RegressionCV(BaseEstimator):
    r"""Penalised regression for any family along a warm-started path, α chosen by K-fold CV.

    See :mod:`mlekit.regression._cv` for the objective and the exact correspondence with
    scikit-learn's ``ElasticNetCV`` and ``LogisticRegressionCV``.

    Parameters
    ----------
    family, link, fit_intercept, fixed, max_iter, tol : as :class:`Regression`. For the
        Normal family pass ``fixed={"sigma": 1.0}`` for penalised least squares (glmnet's
        and ``ElasticNet``'s objective); otherwise σ is estimated jointly with β.
    l1_ratio : r in [0, 1]: 0 is ridge, 1 the lasso, between the elastic net
    alphas : a grid of positive per-row penalties (sorted decreasing), or None for
        ``n_alphas`` values from α_max down to 1e-3·α_max
    n_alphas : the grid's length when ``alphas`` is None (≥ 1)
    cv : K ≥ 2 shuffled folds (rows permuted by ``rng``), a scikit-learn splitter
        (``KFold(5)``), or an iterable of ``(train, test)`` index arrays
    scoring : None (held-out mean NLL, lower is better), or a scikit-learn scorer name or
        callable ``scorer(estimator, X, y)`` (higher is better; ``cv_scores_`` holds minus it)
    rng : seed or ``numpy.random.Generator`` for the folds
    warm_start : start each fit of a fold's path at the previous α's solution (default);
        False starts every fit from the intercept-only fit

    Attributes
    ----------
    alphas_ : (n_alphas,) the grid, decreasing
    cv_scores_ : (n_alphas, n_folds) held-out mean NLL (or minus ``scoring``)
    alpha_ : the α with the lowest mean of ``cv_scores_`` over folds (the largest on ties)
    best_estimator_ : the :class:`Regression` refit at ``alpha_`` on all rows
    coef_, intercept_, classes_, n_features_in_ : those of ``best_estimator_``
    n_iter_ : solver iterations, summed over every fit of every fold's path

    Examples
    --------
    >>> import numpy as np, mlekit as mk
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(100, 4)); y = X @ [1.0, 0.5, 0.0, 0.0] + rng.normal(size=100)
    >>> m = mk.RegressionCV("normal", l1_ratio=1.0, fixed={"sigma": 1.0}, n_alphas=10).fit(X, y)
    >>> m.cv_scores_.shape
    (10, 5)
    """

    def __init__(self, family: Any = "normal", l1_ratio: float = 0.0, alphas: Any = None,
                 n_alphas: int = 20, cv: Any = 5, scoring: Any = None, rng: Any = 0,
                 fit_intercept: bool = True, link: Any = None,
                 fixed: dict[str, float] | None = None, max_iter: int = 100,
                 tol: float = 1e-8, warm_start: bool = True):
        self.family = family
        self.l1_ratio = l1_ratio
        self.alphas = alphas
        self.n_alphas = n_alphas
        self.cv = cv
        self.scoring = scoring
        self.rng = rng
        self.fit_intercept = fit_intercept
        self.link = link
        self.fixed = fixed
        self.max_iter = max_iter
        self.tol = tol
        self.warm_start = warm_start

    # ------------------------------------------------------------------ plumbing
    def __sklearn_tags__(self):
        return self._base(0.0, 0.0).__sklearn_tags__()

    def _base(self, alpha_l1: float, alpha_l2: float) -> Regression:
        return Regression(family=self.family, link=self.link, fit_intercept=self.fit_intercept,
                          alpha_l1=alpha_l1, alpha_l2=alpha_l2, fixed=self.fixed,
                          max_iter=self.max_iter, tol=self.tol)

    def _penalised(self, alpha: float, n: int) -> Regression:
        """The Regression at per-row ``alpha`` for ``n`` rows (module docstring)."""
        r = float(self.l1_ratio)
        return self._base(alpha_l1=n * alpha * r, alpha_l2=n * alpha * (1.0 - r))

    def _check_params(self) -> tuple[float, np.ndarray | None]:
        r = self.l1_ratio
        if isinstance(r, bool) or not isinstance(r, numbers.Real) or not 0.0 <= r <= 1.0:
            raise ParameterError(f"RegressionCV: l1_ratio = {r!r} must be a number in [0, 1] "
                                 "(0 ridge, 1 lasso, between: the elastic net)")
        if self.alphas is None:
            k = self.n_alphas
            if isinstance(k, bool) or not isinstance(k, numbers.Integral) or k < 1:
                raise ParameterError(f"RegressionCV: n_alphas = {k!r} must be an integer >= 1 "
                                     "(or pass alphas=[...])")
            return float(r), None
        try:
            a = np.asarray(self.alphas, dtype=float).reshape(-1)
        except (TypeError, ValueError):
            raise ParameterError(f"RegressionCV: alphas = {self.alphas!r} must be a sequence "
                                 "of positive numbers (or None for an automatic grid)") from None
        bad = np.flatnonzero(~(np.isfinite(a) & (a > 0)))
        if a.size == 0 or bad.size:
            where = "is empty" if a.size == 0 else (
                f"has alphas[{int(bad[0])}] = {float(a[bad[0]])!r}")
            raise ParameterError(f"RegressionCV: alphas {where}; every penalty must be a "
                                 "finite number > 0 (or pass alphas=None for an automatic grid)")
        return float(r), np.sort(a)[::-1].copy()

    def _folds(self, X: Any, y: Any, n: int) -> list[tuple[np.ndarray, np.ndarray]]:
        cv = self.cv
        if isinstance(cv, numbers.Integral) and not isinstance(cv, bool):
            if not 2 <= cv <= n:
                raise ParameterError(f"RegressionCV: cv = {cv} folds must be between 2 and "
                                     f"n_samples = {n}")
            perm = np.random.default_rng(self.rng).permutation(n)
            parts = np.array_split(perm, int(cv))
            return [(np.sort(np.concatenate(parts[:k] + parts[k + 1:])), np.sort(parts[k]))
                    for k in range(int(cv))]
        if hasattr(cv, "split") and not isinstance(cv, (str, bytes)):
            splits = cv.split(X, y)
        elif hasattr(cv, "__iter__") and not isinstance(cv, (str, bytes)):
            splits = cv
        else:
            raise ParameterError(f"RegressionCV: cv = {cv!r} must be a number of folds >= 2, a "
                                 "scikit-learn splitter (KFold(5)) or (train, test) index pairs")
        folds = [(np.asarray(tr, dtype=int), np.asarray(te, dtype=int)) for tr, te in splits]
        if len(folds) < 1 or any(tr.size == 0 or te.size == 0 for tr, te in folds):
            raise ParameterError("RegressionCV: cv gave no folds, or a fold with an empty "
                                 "training or test part; pass cv=5 or a KFold")
        return folds

    def _alpha_max(self, X: Any, y: Any, r: float) -> float:
        """max_j |∂/∂β_j of the mean NLL| at the intercept-only fit / max(r, 1e-3)."""
        n = np.shape(X)[0]
        with warnings.catch_warnings():  # (its inference is not used)
            warnings.simplefilter("ignore", NumericalWarning)
            null, _ = _fit_from(self._base(alpha_l1=1e12 * n, alpha_l2=0.0), X, y, None)
        Xa = null._validate_X(X, reset=False)[0]
        eta = null._eta(X)
        if null._is_classifier():
            yv = np.searchsorted(null.classes_, np.asarray(y).reshape(-1)).astype(float)
        else:
            yv = null._model.check_y(np.asarray(y, dtype=float).reshape(-1), {})
        _, grad, _ = null._model.rows(yv, eta, {}, order=1)
        g = np.abs(np.asarray(Xa, float).T @ grad[:, 0]) / n
        return float(np.max(g)) / max(r, _RIDGE_RATIO)

    def _score(self, est: Regression, X: Any, y: Any) -> float:
        if self.scoring is None:
            return -est.score(X, y)
        from sklearn.metrics import check_scoring

        return -float(check_scoring(est, scoring=self.scoring)(est, X, y))

    def _path_fit(self, alpha: float, fold: int, X: Any, y: Any, theta: np.ndarray | None,
                  hess: np.ndarray | None = None
                  ) -> tuple[Regression, int, np.ndarray | None]:
        """One fit of a fold's path, from ``theta`` (warm; with ``hess``, the previous fit's
        NLL Hessian, its first passes are gradient-only) or the intercept-only start.

        Only ``θ̂`` is used, so the fit's inference notes (``NumericalWarning``) are
        dropped. A warm fit that did not converge or whose solver met overflow (a long
        jump down a coarse grid) is redone from the intercept-only start; its iterations
        count too. A ``ConvergenceWarning`` is shown, and a raw NumPy warning of the cold
        fit is shown as a ``NumericalWarning`` naming the fold and alpha."""
        def run(start_at: np.ndarray | None, start_hess: np.ndarray | None
                ) -> tuple[Regression, np.ndarray | None, list]:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                est, h = _fit_from(self._penalised(alpha, len(y)), X, y, start_at,
                                   start_hess)
            return est, h, list(caught)

        est, h, caught = run(theta, hess if theta is not None else None)
        used = est.n_iter_
        raw = [w for w in caught if issubclass(w.category, RuntimeWarning)]
        if theta is not None and (raw or not est.result_.converged):
            est, h, caught = run(None, None)
            used += est.n_iter_
            raw = [w for w in caught if issubclass(w.category, RuntimeWarning)]
        for w in caught:
            if issubclass(w.category, ConvergenceWarning):
                warnings.warn(f"RegressionCV (fold {fold}, alpha = {alpha:.4g}): {w.message}",
                              ConvergenceWarning, stacklevel=3)
        if raw:
            warnings.warn(f"RegressionCV (fold {fold}, alpha = {alpha:.4g}): the solver met "
                          f"{raw[0].message}; check the fit at this alpha or use a larger "
                          "alpha", NumericalWarning, stacklevel=3)
        return est, used, h

    # ------------------------------------------------------------------ fit
    def fit(self, X: Any, y: Any) -> RegressionCV:
        """Run the path on every fold, choose ``alpha_``, refit on all rows; returns self."""
        r, alphas = self._check_params()
        if y is None:
            raise DataError("RegressionCV requires y to be passed, but the target y is None")
        if not hasattr(X, "iloc"):  # lists, array-likes (sparse refused): rows taken by index
            X = self._base(0.0, 0.0)._validate_X(X, reset=True, finite=False)[0]
        if not hasattr(y, "iloc"):
            y = np.asarray(y)
        n = X.shape[0]
        folds = self._folds(X, y, n)
        if alphas is None:
            a_max = self._alpha_max(X, y, r)
            alphas = np.geomspace(a_max, a_max * _EPS, int(self.n_alphas))
        take = (lambda A, idx: A.iloc[idx]) if hasattr(X, "iloc") else (lambda A, idx: A[idx])
        scores = np.empty((alphas.size, len(folds)))
        n_iter = 0
        for k, (tr, te) in enumerate(folds):
            Xtr, ytr, Xte, yte = take(X, tr), take(y, tr), take(X, te), take(y, te)
            theta = hess = None
            for i, a in enumerate(alphas):
                est, used, hess = self._path_fit(a, k, Xtr, ytr,
                                                 theta if self.warm_start else None, hess)
                theta = est._theta
                n_iter += used
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", UserWarning)  # feature-name notes
                    scores[i, k] = self._score(est, Xte, yte)
        self.alphas_ = alphas
        self.cv_scores_ = scores
        best = int(np.argmin(scores.mean(axis=1)))
        self.alpha_ = float(alphas[best])
        self.best_estimator_ = self._penalised(self.alpha_, n).fit(X, y)
        self.n_iter_ = n_iter
        b = self.best_estimator_
        self.coef_, self.intercept_ = b.coef_, b.intercept_
        self.n_features_in_ = b.n_features_in_
        if hasattr(b, "feature_names_in_"):
            self.feature_names_in_ = b.feature_names_in_
        if hasattr(b, "classes_"):
            self.classes_ = b.classes_
        return self

    # ------------------------------------------------------------------ predictions
    def _fitted(self) -> Regression:
        from sklearn.utils.validation import check_is_fitted

        check_is_fitted(self, "best_estimator_")
        return self.best_estimator_

    def predict(self, X: Any) -> np.ndarray:
        """``best_estimator_.predict(X)``: class labels or the mean."""
        return self._fitted().predict(X)

    @available_if(_best_is_classifier)
    def predict_proba(self, X: Any) -> np.ndarray:
        """Class probabilities (classifier families)."""
        return self._fitted().predict_proba(X)

    def score(self, X: Any, y: Any) -> float:
        """Mean log-likelihood per row at ``alpha_`` (``Regression.score``)."""
        return self._fitted().score(X, y)
