r"""The scikit-learn estimator: conditional maximum likelihood for any supported family x link.

.. math::

    \hat\beta = \arg\max_\beta \sum_i w_i \log p\bigl(y_i \mid g^{-1}(x_i^\top\beta + o_i),
    \text{nuisance}\bigr) \;-\; \tfrac{\alpha_2}{2}\lVert\beta\rVert^2

``alpha_l2 > 0`` is a Gaussian prior N(0, 1/alpha_l2) on the slopes (never the
intercept): the fit is then a MAP estimate (ridge for Normal).

The estimator is a thin scikit-learn wrapper: it validates ``X`` (scikit-learn's
``validate_data``: feature names and counts), hands everything else to the pipeline
(:mod:`mlekit.regression._pipeline`: inputs → row model → row sums → start → checks →
solve → inference) and keeps what it returns as fitted attributes (:func:`adopt_fit`).
The Dask backend runs the same pipeline with its own row sums.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.utils.metaestimators import available_if

from ..errors import DataError, NotImplementedForFamily, SupportError
from ..families import get_family
from ._diagnostics import check_finite_matrix
from ._engine import regressable
from ._inputs import (
    Settings,
    aux_rows,
    check_weights,
    combine_designs,
    offset_of,
    response,
    with_groups,
)
from ._least_squares import all_finite
from ._models import has_fast_path
from ._pipeline import Fitted, coefficients, fit_in_memory

__all__ = ["LinearRegression", "LogisticRegression", "Regression", "adopt_fit"]


def adopt_fit(est: Any, fitted: Fitted, n_features: int,
              feature_names: list[str] | bool | None = False,
              design_layout: list | None = None) -> None:
    """Keep a pipeline's fit on the estimator: ``result_``, ``coef_``, ``intercept_``,
    ``classes_``, ``n_iter_``, ``n_features_in_`` (and ``feature_names_in_`` when
    ``feature_names`` is given: a list, or None to remove it; False leaves it as
    scikit-learn's ``validate_data`` set it) and the parameters' design layout for
    prediction (:func:`._inputs.combine_designs`). The Dask backend calls this too."""
    if design_layout is not None:
        est._design_layout = design_layout
    if fitted.classes is not None:
        est.classes_ = fitted.classes
    elif hasattr(est, "classes_"):
        del est.classes_
    if feature_names is None:
        if hasattr(est, "feature_names_in_"):
            del est.feature_names_in_
    elif feature_names is not False:
        est.feature_names_in_ = np.asarray(feature_names, dtype=object)
    res = fitted.result
    est.n_features_in_ = n_features
    est.n_iter_ = fitted.n_iter
    est.result_ = res
    est._model = fitted.model
    est._theta = fitted.theta
    est.coef_, est.intercept_ = coefficients(fitted.theta, res.slot_starts,
                                             len(fitted.model.mean_slots),
                                             est._has_intercept())


def _classifier(est: Regression) -> bool:
    """``predict_proba`` & co exist only for Bernoulli / Categorical (sklearn duck typing)."""
    return est._is_classifier()


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
    cov_type : "nonrobust" (inverse information), a sandwich "HC0" … "HC3",
        "cluster" (cluster-robust, CR1: give the clusters to ``fit(X, y, groups=g)``; as
        statsmodels' ``cov_type="cluster"`` and R's ``sandwich::vcovCL(type="HC1")``) or
        "HAC" (Newey–West with a Bartlett kernel over the rows in their given order,
        ``maxlags`` lags; as statsmodels' ``cov_type="HAC"`` and R's
        ``sandwich::NeweyWest(lag=L, prewhite=FALSE)``). Every sandwich covers every
        parameter's scores (distributional regression too) and does not depend on the
        dispersion convention (the scale cancels); the tests' distribution follows it
    maxlags : the lags ``L`` of ``cov_type="HAC"`` (statsmodels'
        ``cov_kwds={"maxlags": L}``); None otherwise
    information : "observed" (Hessian of the NLL at the optimum) or "expected" (Fisher)
        information for the covariance; they agree for canonical links (R's
        ``summary.glm`` and statsmodels' GLM use the expected one)
    dispersion : "pearson", "ml" or None (the family's default). For a family with a
        dispersion φ (Normal σ², Gamma 1/shape, inverse Gaussian 1/λ: declared by
        ``Family.dispersion_parameter``), estimated as a constant, the default is
        "pearson": the mean coefficients' covariance uses ``φ̂ = X²/(n − p)`` (the
        Pearson statistic over the residual degrees of freedom) and the tests and
        intervals Student's ``t(n − p)``, as R's ``summary.glm`` and statsmodels' GLM
        (Normal-identity: exactly OLS, R's ``lm``). "ml" keeps the inverse information
        at the ML estimates and z tests. Elsewhere (other families, a fixed or modelled
        dispersion, a prior) the default is "ml" and "pearson" a ParameterError.
        ``llf``, AIC and BIC always use the ML estimates
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
                 max_iter: int = 100, tol: float = 1e-8, engine: str = "auto",
                 dispersion: str | None = None, maxlags: int | None = None):
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
        self.dispersion = dispersion
        self.maxlags = maxlags

    # ------------------------------------------------------------------ sklearn plumbing
    def _family_obj(self):
        return get_family(self.family)

    def _is_classifier(self) -> bool:
        return self._family_obj().classifier is not None

    def __sklearn_tags__(self):
        from sklearn.utils import ClassifierTags, RegressorTags

        tags = super().__sklearn_tags__()
        try:
            fam = self._family_obj()
        except Exception:  # an invalid family is reported by fit
            return tags
        if fam.classifier is not None:
            tags.estimator_type = "classifier"
            tags.classifier_tags = ClassifierTags(multi_class=fam.classifier != "binary")
        else:
            tags.estimator_type = "regressor"
            # score() is the mean log-likelihood, not R^2: sklearn's "score > 0.5" does not apply
            tags.regressor_tags = RegressorTags(poor_score=True)
            if fam.support.edges[0] >= 0:
                tags.target_tags.positive_only = True
        tags.target_tags.required = True
        return tags


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
        if finite and not all_finite(Xa):
            check_finite_matrix(Xa, names)  # names the column and row
        return Xa, names, has_names

    def _has_intercept(self) -> bool:
        """The fit's own intercept column: ``fit_intercept`` unless the family's other
        parameters carry it (``Family.location_intercept``: the Ordinal's thresholds)."""
        return bool(self.fit_intercept) and self._family_obj().location_intercept

    def _design(self, Xa: np.ndarray) -> np.ndarray:
        if self._has_intercept():
            return np.column_stack([np.ones(Xa.shape[0]), Xa])
        return Xa


    def _check_weights(self, sample_weight: Any, n: int) -> np.ndarray | None:
        return check_weights(sample_weight, n)

    def _offset(self, offset: Any, exposure: Any, n: int) -> np.ndarray | None:
        return offset_of(offset, exposure, n)

    # ------------------------------------------------------------------ fit
    def fit(self, X: Any, y: Any, sample_weight: Any = None, offset: Any = None,
            exposure: Any = None, designs: dict[str, Any] | None = None,
            groups: Any = None, **aux: Any) -> Regression:
        """Fit by maximum likelihood (or MAP with ``alpha_l2``); returns ``self``.

        Parameters
        ----------
        X : (n, p) array or DataFrame (column names are carried to ``result_``): the
            design of the mean (location) parameter
        y : (n,) responses (class labels for Bernoulli / Categorical), or a
            :class:`~mlekit.estimate.Censored` response (right, left and interval
            censoring: the censored likelihood, as ``survival::survreg``)
        sample_weight : (n,) non-negative weights (frequency-weight semantics)
        offset : (n,) added to the linear predictor of the mean
        exposure : (n,) positive; adds ``log(exposure)`` to the offset (log links)
        designs : ``{parameter: Z}``: the other parameters' designs (distributional
            regression), each an (n, q) array or DataFrame of its own, a list of ``X``'s
            column names or indices, ``"X"`` (all of ``X``) or ``"1"`` (a constant, the
            default); an intercept is added to each when ``fit_intercept``
        groups : (n,) cluster labels (any values; ``cov_type="cluster"`` only): the
            rows of one cluster may be correlated, the clusters are independent. A
            missing label, a length other than n or fewer than 2 clusters is a DataError
        **aux : per-row data some families need (Binomial ``trials``)
        """
        return self._fit(X, y, sample_weight, offset, exposure, designs, groups, None, aux)

    def _fit(self, X: Any, y: Any, sample_weight: Any, offset: Any, exposure: Any,
             designs: dict[str, Any] | None, groups: Any, start_at: np.ndarray | None,
             aux: dict[str, Any]) -> Regression:
        """:meth:`fit`, started at ``start_at`` (θ in the fit's layout: a refit of nearby
        data, as a bootstrap replicate or a profile point) instead of the intercept-only
        fit when it has the right length and is finite (else ignored)."""
        from . import _DATA_BACKENDS

        for accepts, backend_fit in _DATA_BACKENDS:  # e.g. dask arrays / dataframes
            if accepts(X) or accepts(y):
                if type(y).__name__ == "Censored":
                    from ..errors import NotImplementedForFamily

                    raise NotImplementedForFamily(
                        "a censored response is fitted in memory only (the Dask backend "
                        "reads y as exact values); pass NumPy or pandas data")
                if groups is not None:
                    aux["groups"] = groups
                return backend_fit(self, X, y, sample_weight=sample_weight, offset=offset,
                                   exposure=exposure, designs=designs, **aux)
        settings = Settings.of(self)
        if y is None:
            raise DataError(f"{type(self).__name__} requires y to be passed, but the target y "
                            "is None")
        if not has_fast_path(settings.family):  # (a multivariate family: said before y is read)
            regressable(settings.family)
        # the check for NaN / inf in X may be left to the first pass over the rows
        # (a lean, warm-started fit); otherwise the pipeline runs it
        Xa, names, has_names = self._validate_X(X, reset=True, finite=False)
        n = Xa.shape[0]
        settings = with_groups(settings, groups, n)
        yv, classes, aux = response(settings, y, n, aux)
        w = check_weights(sample_weight, n)
        off = offset_of(offset, exposure, n)
        Xc, spec, terms, self._design_layout = combine_designs(designs, X, Xa, names)
        fitted = fit_in_memory(settings, Xc, Xa, names, yv, classes, w, off, aux_rows(aux, n),
                               spec, terms, has_names, start_at=start_at)
        adopt_fit(self, fitted, n_features=Xa.shape[1])
        return self

    # ------------------------------------------------------------------ fit pieces
    def _combine_designs(self, designs: dict[str, Any] | None, X: Any, Xa: np.ndarray,
                         names: list[str], fitting: bool
                         ) -> tuple[np.ndarray, dict[str, Any], list[str]]:
        """:func:`._inputs.combine_designs` with the layout remembered at fit time."""
        layout = None if fitting else getattr(self, "_design_layout", [])
        Xc, spec, terms, layout = combine_designs(designs, X, Xa, names, layout)
        if fitting:
            self._design_layout = layout
        return Xc, spec, terms


    # ------------------------------------------------------------------ prediction
    def _check_fitted(self) -> None:
        from sklearn.utils.validation import check_is_fitted

        check_is_fitted(self, "result_")

    def _eta(self, X: Any, offset: Any = None, exposure: Any = None,
             designs: dict[str, Any] | None = None) -> np.ndarray:
        self._check_fitted()
        X, designs = self._formula_rhs(X, designs)
        Xa, names, _ = self._validate_X(X, reset=False)
        Xa, _, _ = self._combine_designs(designs, X, Xa, names, fitting=False)
        slots = self._model.slots
        sizes = [s.size(Xa.shape[1], self._has_intercept()) for s in slots]
        starts = np.concatenate([[0], np.cumsum(sizes)]).astype(int)
        eta = np.empty((Xa.shape[0], len(sizes)))
        for j, s in enumerate(slots):
            b = self._theta[starts[j]:starts[j + 1]]
            eta[:, j] = self._design(s.take(Xa)) @ b if s.design == "X" else b[0]
        off = self._offset(offset, exposure, Xa.shape[0])
        if off is not None:
            eta[:, 0] += off
        return eta

    def _formula_rhs(self, X: Any, designs: dict[str, Any] | None = None
                     ) -> tuple[Any, dict[str, Any] | None]:
        """For a model fitted by :meth:`from_formula`: the designs of new data ``X``,
        ``(X, designs)``.

        The fitted :class:`~mlekit.regression._formula.FormulaDesign` re-applies the
        learned levels and transforms; a missing column, an unseen level or a NaN
        raises a named DataError. With a formula per parameter every parameter's design
        is rebuilt from the frame (the errors then name the parameter), always: a raw
        frame may have the same column names as the location's design, and ``designs``
        is refused. With one formula, a frame that already has the design's columns
        passes through.
        """
        spec = getattr(self, "model_spec_", None)
        if spec is None or not hasattr(X, "columns"):
            return X, designs
        pf = getattr(self, "_param_formulas", None)
        if pf is None:
            same = list(X.columns) == list(getattr(self, "feature_names_in_", []))
            return (X if same else spec.matrix(X)), designs
        if designs is not None:
            from ..errors import ParameterError

            raise ParameterError(
                "this model was fitted with a formula per parameter "
                f"({', '.join(pf.texts)}): pass the data frame alone, every design is "
                "rebuilt from it (designs= is for models fitted on arrays)")
        return pf.frames(X)

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
            if self._family_obj().classifier == "multiclass":
                full = np.column_stack([np.zeros(eta.shape[0]), eta[:, :k]])
                return self.classes_[np.argmax(full, axis=1)]
            p = self._model.mean(eta)
            if p.ndim == 2:  # (class probabilities: the Ordinal)
                return self.classes_[np.argmax(p, axis=1)]
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
        if self._family_obj().classifier == "ordinal":
            with np.errstate(divide="ignore"):
                return np.log(self.predict_proba(X, offset))
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

    def predict_interval(self, X: Any, level: float = 0.95, n_sims: int = 2000,
                         rng: Any = None, offset: Any = None, exposure: Any = None,
                         designs: dict[str, Any] | None = None, **aux: Any):
        r"""Intervals that hold a new observation :math:`y_0 \mid x_0` with probability
        ``level``, the uncertainty of the estimates included: an (n, 2) array, or a
        DataFrame ``lower``/``upper`` with ``X``'s index when ``X`` is a DataFrame.

        Normal-identity with the Pearson convention (OLS, the default): exact,
        :math:`\hat y_0 \pm t_{n-p}\sqrt{s^2(1 + x_0^\top(X^\top X)^{-1}x_0)}`, as R's
        ``predict.lm(interval="prediction")``. Any other family: by simulation,
        :math:`\theta^* \sim N(\hat\theta, \hat\Sigma)` then :math:`y^*` from the family
        at :math:`\theta^*`, ``n_sims`` times (``rng``: a seed or Generator), and the
        ``(1 ∓ level)/2`` quantiles of the :math:`y^*`, counts for a discrete family.
        Only the family's sampler is used (no quantile function is needed); a family
        without one is a NotImplementedForFamily. Classifiers have no such interval
        (use ``predict_proba``). See :mod:`mlekit.regression._intervals`.
        """
        from ._intervals import prediction_interval

        return prediction_interval(self, X, level=level, n_sims=n_sims, rng=rng,
                                   offset=offset, exposure=exposure, designs=designs, **aux)

    def conf_int(self, X: Any, y: Any, level: float = 0.95, method: str = "profile",
                 sample_weight: Any = None, offset: Any = None, exposure: Any = None,
                 n_boot: int = 999, bootstrap: str = "cases", ci: str = "percentile",
                 rng: Any = 0, n_jobs: int = 1, progress: bool = False, **aux: Any):
        r"""Confidence intervals of the mean coefficients that refit the model, so they
        take the data it was fitted to (``result_`` keeps no data): ``method="profile"``,

        .. math:: \{b : 2(\hat\ell - \ell_p(b)) \le \chi^2_1(\text{level})\},

        :math:`\ell_p(b)` the log-likelihood maximised over the other coefficients and the
        nuisance parameters with :math:`\beta_j = b` (``MASS::confint`` on a ``glm``
        without dispersion). A bound the profile never reaches is ±inf with a
        NumericalWarning. ``method="wald"`` is ``result_.conf_int(level)``;
        ``method="bootstrap"`` resamples the rows (``bootstrap="cases"``) or simulates y
        from the fit (``"parametric"``), ``n_boot`` refits, percentile or BCa (``ci``)
        intervals, seeded by ``rng`` (see ``_intervals.bootstrap_conf_int``). Returns the
        layout of ``result_.conf_int()``. See :mod:`mlekit.regression._intervals`.
        """
        m = str(method).lower()
        if m == "wald":
            self._check_fitted()
            return self.result_.conf_int(level)
        if m == "bootstrap":
            from ._intervals import bootstrap_conf_int

            return bootstrap_conf_int(self, X, y, level=level, n_boot=n_boot,
                                      bootstrap=bootstrap, ci=ci, rng=rng, n_jobs=n_jobs,
                                      progress=progress, sample_weight=sample_weight,
                                      offset=offset, exposure=exposure, **aux)
        if m != "profile":
            from ..errors import ParameterError

            raise ParameterError(f"conf_int method must be 'profile', 'wald' or 'bootstrap', "
                                 f"not {method!r}")
        from ._intervals import profile_conf_int

        return profile_conf_int(self, X, y, level=level, sample_weight=sample_weight,
                                offset=offset, exposure=exposure, **aux)

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
    def from_formula(cls, formula: str | dict[str, str], data: Any, family: Any = None,
                     sample_weight: Any = None, offset: Any = None, exposure: Any = None,
                     event: str | None = None, trials: Any = None, groups: Any = None,
                     **kwargs: Any) -> Regression:
        r"""Fit ``y ~ x1 + C(g)`` on a DataFrame; names reach ``summary()``.

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

        **A formula per parameter** (distributional regression): ``formula`` may be a
        dict ``{parameter: formula}``, e.g. ``{"mu": "y ~ x1 + x2", "sigma": "~ x1"}``,
        so that :math:`\theta_{ik} = g_k^{-1}(z_{ik}^\top\beta_k)` with :math:`z_{ik}`
        row ``i`` of parameter ``k``'s formula design. The location parameter's formula
        (Normal ``mu``; Gamma and Beta ``mean`` in their mean parametrisation) carries
        the response; the others are one-sided; a parameter without a formula, or with
        ``"~ 1"``, is a constant. Each design's levels and transforms are kept, so
        ``predict(df)``, ``predict_distribution(df)``, ``predict_mean(df)`` and
        ``score(df, y)`` rebuild every design from a new frame; ``result_.coefs[k]`` is
        indexed by parameter ``k``'s formula columns. When the formulas differ in their
        intercept (or the location has none but its intercept), each intercept is a
        column ``"Intercept"`` of its design and ``fit_intercept`` is False.
        (:class:`~mlekit.regression._formula.ParamFormulas` says which errors are raised.)

        **Right-censored responses** (survival data): ``event="status"`` names a column of
        ``data`` that is 1 where the response was observed and 0 where it is censored (the
        event had not happened by then: ``Y > y``), as ``survival::Surv(time, status)``.
        The fit then maximises the censored likelihood (:mod:`._censored`); with
        ``family="weibull"`` the coefficients are ``survreg``'s Weibull AFT coefficients,
        and ``1/shape`` its scale. For left or interval censoring pass a
        :class:`~mlekit.estimate.Censored` response to :meth:`fit`.

        ``trials`` (Binomial): the per-row numbers of trials, and ``groups`` (with
        ``cov_type="cluster"``): the cluster labels, as in :meth:`fit`.
        """
        import inspect

        from ._formula import ParamFormulas, design_from_formula

        takes_family = "family" in inspect.signature(cls.__init__).parameters
        if family is None:  # the class's own family (LinearRegression, LogisticRegression)
            family = "normal" if takes_family else cls.family
        elif not takes_family and get_family(family) is not get_family(cls.family):
            from ..errors import ParameterError

            raise ParameterError(f"{cls.__name__} is the {cls.family} family; use "
                                 f"Regression.from_formula(..., family={family!r})")
        numeric_y = get_family(family).classifier is None
        if isinstance(formula, dict):
            pf = ParamFormulas.fit(formula, data, family, kwargs.get("link"),
                                   kwargs.get("fixed"))
            if pf.explicit_intercept and (kwargs.get("alpha_l2") or kwargs.get("alpha_l1")):
                from ..errors import ParameterError

                raise ParameterError(
                    "alpha_l2 / alpha_l1 with formulas that differ in their intercept would "
                    "penalise the intercept (it is then a column of the design); give every "
                    "modelled parameter's formula an intercept, or none")
            X, designs = pf.frames(data)
            y = _with_events(pf.response(data, numeric=numeric_y), data, event)
            est = cls(family=family, fit_intercept=pf.fit_intercept, **kwargs) \
                if takes_family else cls(fit_intercept=pf.fit_intercept, **kwargs)
            est.model_spec_ = pf.location_design
            est._param_formulas = pf
            est._formula_intercept = pf.fit_intercept
            est.formula_ = dict(pf.texts)
            est.fit(X, y, sample_weight=sample_weight, offset=offset, exposure=exposure,
                    designs=designs, **({} if trials is None else {"trials": trials}),
                    **({} if groups is None else {"groups": groups}))
            return est
        design, y, X = design_from_formula(formula, data)
        if X.shape[1] == 0:
            from ..errors import FormulaError

            raise FormulaError(f"the formula {formula!r} has no regressors besides "
                               "the intercept; fit the response's distribution with mk.fit(y, "
                               "family) instead")
        if numeric_y:
            y = design.response(data)
        y = _with_events(y, data, event)
        has_icpt = design.intercept
        est = cls(family=family, fit_intercept=has_icpt, **kwargs) if takes_family else \
            cls(fit_intercept=has_icpt, **kwargs)
        est.model_spec_ = design
        est._formula_intercept = has_icpt
        est.formula_ = formula
        est.fit(X, y, sample_weight=sample_weight, offset=offset, exposure=exposure,
                **({} if trials is None else {"trials": trials}),
                **({} if groups is None else {"groups": groups}))
        return est


def _with_events(y: Any, data: Any, event: str | None) -> Any:
    """``y`` right-censored where the column ``event`` of ``data`` is 0 (1: observed)."""
    if event is None:
        return y
    from ..errors import DataError
    from ..estimate import Censored

    if not isinstance(event, str) or event not in getattr(data, "columns", ()):
        cols = list(getattr(data, "columns", []))
        raise DataError(f"event={event!r} must name a column of the data (columns: "
                        f"{', '.join(map(str, cols[:12]))}{' …' if len(cols) > 12 else ''})")
    status = np.asarray(data[event].to_numpy(), dtype=object)
    ok = np.array([v is True or v is False or (isinstance(v, (int, float, np.integer,
                   np.floating, np.bool_)) and v in (0, 1)) for v in status], bool)
    if not ok.all():
        i = int(np.flatnonzero(~ok)[0])
        raise DataError(f"column {event!r} (event) must be 1 where the response was observed "
                        f"and 0 where it is censored; row {i} has {status[i]!r}")
    observed = status.astype(float) == 1.0
    if not observed.any():
        from ..errors import NoMaximumError

        raise NoMaximumError(f"column {event!r} (event) is 0 on every row: every response "
                             "is right-censored, so the likelihood keeps increasing as the "
                             "distribution moves to the right and the MLE does not exist")
    return Censored.from_indicator(np.asarray(y, float), censored=~observed)


class LinearRegression(Regression):
    """Normal-identity regression (ordinary least squares as maximum likelihood).

    ``sigma`` is estimated by ML (``result_.nuisance["sigma"] = sqrt(RSS/n)``: the llf,
    AIC and BIC); coefficients come from an exact pivoted-QR least-squares solve. The
    standard errors, t tests and intervals are OLS's by default (``dispersion="pearson"``:
    ``s² = RSS/(n − p)``, t(n − p), as R's ``lm``), with R², adjusted R² and F in
    ``result_``; ``dispersion="ml"`` gives the ML ones (divisor n, z tests).

    Examples
    --------
    >>> import mlekit as mk
    >>> engel = mk.datasets.load("engel")
    >>> model = mk.LinearRegression().fit(engel[["income"]], engel["foodexp"])
    >>> round(model.intercept_, 4), [round(float(b), 6) for b in model.coef_]
    (147.4754, [0.485178])
    >>> round(model.result_.nuisance["sigma"], 4)    # sqrt(RSS / n)
    113.6213
    >>> model.result_.bse.round(4).tolist()          # OLS: s = sqrt(RSS / (n - 2))
    [15.9571, 0.0144]
    >>> ml = mk.LinearRegression(dispersion="ml").fit(engel[["income"]], engel["foodexp"])
    >>> ml.result_.bse.round(4).tolist()             # ML: sigma = sqrt(RSS / n)
    [15.889, 0.0143]
    """

    family = "normal"
    link = None
    information = "observed"
    heteroscedastic = False
    engine = "auto"

    def __init__(self, fit_intercept: bool = True, alpha_l2: float = 0.0, alpha_l1: float = 0.0,
                 fixed: dict[str, float] | None = None, cov_type: str = "nonrobust",
                 max_iter: int = 100, tol: float = 1e-8, dispersion: str | None = None,
                 maxlags: int | None = None):
        self.fit_intercept = fit_intercept
        self.alpha_l2 = alpha_l2
        self.alpha_l1 = alpha_l1
        self.fixed = fixed
        self.cov_type = cov_type
        self.max_iter = max_iter
        self.tol = tol
        self.dispersion = dispersion
        self.maxlags = maxlags


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
    dispersion = None  # (Bernoulli has no dispersion: z tests)

    def __init__(self, fit_intercept: bool = True, alpha_l2: float = 0.0, alpha_l1: float = 0.0,
                 cov_type: str = "nonrobust", max_iter: int = 100, tol: float = 1e-8,
                 maxlags: int | None = None):
        self.fit_intercept = fit_intercept
        self.alpha_l2 = alpha_l2
        self.alpha_l1 = alpha_l1
        self.cov_type = cov_type
        self.max_iter = max_iter
        self.tol = tol
        self.maxlags = maxlags
