r"""Intervals for a fitted regression: profile-likelihood intervals for the coefficients,
and prediction intervals for a new observation.

**Profile intervals** (:func:`profile_conf_int`, called by
:meth:`Regression.conf_int(X, y, method="profile") <mlekit.Regression.conf_int>`). For a
mean coefficient :math:`\beta_j` the interval at ``level`` is

.. math:: \{\, b : 2\,(\hat\ell - \ell_p(b)) \le \chi^2_{1}(\text{level}) \,\},
   \qquad \ell_p(b) = \max_{\beta_{-j},\,\text{nuisance}} \ell(\beta_j = b, \beta_{-j}),

the profile log-likelihood, every other coefficient and every nuisance parameter
(σ, a shape …) maximised again. The ends are the roots of the signed root
:math:`r(b) = \operatorname{sign}(b - \hat\beta_j)\sqrt{2(\hat\ell - \ell_p(b))} = \pm z`,
:math:`z = \sqrt{\chi^2_1(\text{level})}`: each is bracketed starting from the Wald end
:math:`\hat\beta_j \pm z\,\mathrm{se}_j` (the bracket doubled up to 32 times that width)
and found by Brent's method. ``ℓ_p(b)`` is a refit with :math:`b\,x_j` moved into the
offset. For families without a dispersion (Poisson, Bernoulli, Binomial …) this is
``MASS::confint`` on a ``glm`` (R interpolates a spline through its profile, so the two
agree to about 1e-4); with an estimated dispersion the dispersion is profiled too (the
pure likelihood interval; MASS instead fixes it at its Pearson value). A profile that
never reaches the threshold (separation-like data, a flat likelihood) gives an infinite
end and a :class:`~mlekit.errors.NumericalWarning`, never a made-up number.

**Prediction intervals** (:func:`prediction_interval`, called by
:meth:`Regression.predict_interval <mlekit.Regression.predict_interval>`): an interval
that holds a *new* observation :math:`y_0 \mid x_0` with probability ``level``,
including the uncertainty of the estimates.

- Normal-identity with the Pearson convention (OLS): exact,
  :math:`\hat y_0 \pm t_{n-p,(1+\text{level})/2}\sqrt{s^2\,(1 + x_0^\top(X^\top X)^{-1}x_0)}`
  (R's ``predict.lm(interval="prediction")``), computed as
  :math:`s^2 + x_0^\top \hat V x_0` with :math:`\hat V = s^2 (X^\top X)^{-1}` the fit's
  covariance.
- Any other family: simulation. Draw :math:`\theta^{*}_s \sim N(\hat\theta, \hat\Sigma)`
  (every estimated quantity, nuisance parameters on their unconstrained scale, with the
  fit's covariance), then one :math:`y^{*}_s` from the family at :math:`\theta^{*}_s`
  for each row, ``s = 1 … n_sims``; the interval is the ``(1 ∓ level)/2`` empirical
  quantiles of the :math:`y^{*}_s`. For a discrete family the quantiles are taken by
  inverting the empirical CDF, so the bounds are counts. This needs only the family's
  sampler (no quantile function); a family without one is a NotImplementedForFamily.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
from scipy import optimize, stats

from ..errors import (
    DataError,
    NoMaximumError,
    NotImplementedForFamily,
    NumericalWarning,
    ParameterError,
)

__all__ = ["bootstrap_conf_int", "prediction_interval", "profile_conf_int"]

_EXPAND = 6  # the bracket grows from the Wald end by doubling, up to 2**5 = 32 times


def _check_level(level: Any) -> float:
    try:
        lv = float(level)
    except (TypeError, ValueError):
        lv = np.nan
    if not 0.0 < lv < 1.0:
        raise ParameterError(f"level must lie strictly between 0 and 1 (e.g. 0.95), got "
                             f"{level!r}")
    return lv


def _restricted_estimator(est: Any):
    """A Regression with ``est``'s family, link and nuisance settings, without its own
    intercept column (the full design is passed explicitly) and without a prior."""
    from ._estimator import Regression

    return Regression(family=est.family, link=est.link, fit_intercept=False,
                      fixed=getattr(est, "fixed", None),
                      information=getattr(est, "information", "observed"),
                      max_iter=est.max_iter, tol=est.tol,
                      dispersion=getattr(est, "dispersion", None))


def _shape_intervals(res: Any, lo: np.ndarray, hi: np.ndarray):
    if not res.pandas_names:
        return np.column_stack([lo, hi])
    import pandas as pd

    return pd.DataFrame({"lower": lo, "upper": hi}, index=list(res.coef_names))


def profile_conf_int(est: Any, X: Any, y: Any, level: float = 0.95,
                     sample_weight: Any = None, offset: Any = None, exposure: Any = None,
                     **aux: Any):
    r"""Profile-likelihood intervals of the mean coefficients of the fitted ``est`` (the
    module docstring gives the definition); ``X``, ``y`` (and weights, offset, exposure,
    per-row aux) must be the data ``est`` was fitted to (checked by the data fingerprint).

    Returns a (p, 2) array, or a DataFrame with columns ``lower``, ``upper`` indexed by
    the coefficient names when the fit had names (as ``result_.conf_int()``).
    """
    level = _check_level(level)
    est._check_fitted()
    res = est.result_
    if res.penalised:
        raise ParameterError("profile intervals are for maximum-likelihood fits; this fit "
                             "has a prior (alpha_l2 / alpha_l1): use result_.conf_int() "
                             "(its Laplace approximation)")
    if res._mean_count() != 1 or res.distributional or getattr(est, "heteroscedastic", False):
        raise NotImplementedForFamily(
            "profile intervals are implemented for one linear predictor of the mean "
            "(not for Categorical, ordinal thresholds or distributional regression); use "
            "result_.conf_int() (Wald)")
    Xf, designs = est._formula_rhs(X)
    if designs:
        raise NotImplementedForFamily("profile intervals: designs for other parameters are "
                                      "not supported; use result_.conf_int() (Wald)")
    Xa, _, _ = est._validate_X(Xf, reset=False)
    D = est._design(Xa)
    n, p = D.shape
    idx = res._mean_theta_index()
    if p != idx.size:
        raise DataError(f"X gives {p} design columns but the fit has {idx.size} mean "
                        "coefficients; pass the X the model was fitted to")
    if p < 2:
        raise NotImplementedForFamily("profile intervals need at least two mean "
                                      "coefficients (for one, fit the response's "
                                      "distribution with mk.fit and its conf_int)")
    off0 = est._offset(offset, exposure, n)
    off0 = np.zeros(n) if off0 is None else np.asarray(off0, float)
    beta = np.asarray(res.theta[idx], float)
    se = np.sqrt(np.clip(np.diag(res.cov_theta)[idx], 0.0, None))
    z = float(np.sqrt(stats.chi2.ppf(level, 1)))
    llf_hat = float(res.llf)

    theta_all = np.asarray(est._theta, float)
    starts: dict[int, np.ndarray] = {}  # per coefficient: the last restricted optimum

    def ell_p(j: int, b: float, check: bool = False) -> float:
        sub = _restricted_estimator(est)
        # warm: from the last restricted optimum of this coefficient (the bracket and
        # Brent's steps move b a little at a time), at first from θ̂ without β_j
        start = starts.get(j, np.delete(theta_all, idx[j]))
        sub._fit(np.delete(D, j, axis=1), y, sample_weight, off0 + b * D[:, j], None, None,
                 None, start, aux)
        if sub.result_.converged:
            starts[j] = np.asarray(sub._theta, float)
        fa, fb = res.data_fingerprint, sub.result_.data_fingerprint
        if check and fa is not None and fb is not None and fa != fb:
            raise DataError("profile intervals refit the model: X, y (and sample_weight "
                            "and per-row data) must be those it was fitted to; these "
                            "differ from the fit's")
        return float(sub.result_.llf)

    # the restricted fit at the estimate must give the fit's llf (same data, same model)
    at_hat = ell_p(0, float(beta[0]), check=True)
    if not abs(at_hat - llf_hat) <= 1e-6 * max(1.0, abs(llf_hat)):
        raise DataError(f"profile intervals: the refit at the estimates has log-likelihood "
                        f"{at_hat:.10g}, not the fit's {llf_hat:.10g}; pass the X, y, "
                        "sample_weight and offset the model was fitted to")

    def signed_root(j: int, b: float) -> float:
        d = max(2.0 * (llf_hat - ell_p(j, b)), 0.0)
        return float(np.sign(b - beta[j]) * np.sqrt(d))

    names = list(res.coef_names)
    lo, hi = np.empty(p), np.empty(p)
    for j in range(p):
        width = z * se[j] if np.isfinite(se[j]) and se[j] > 0 else max(1.0, abs(beta[j]))
        for side, out in ((-1.0, lo), (1.0, hi)):
            out[j] = _one_end(lambda b, j=j: signed_root(j, b), beta[j], side, width, z)
            if not np.isfinite(out[j]):
                warnings.warn(
                    f"the profile likelihood of {names[j]!r} does not reach the {level:g} "
                    f"threshold {'below' if side < 0 else 'above'} the estimate within "
                    f"{2 ** (_EXPAND - 1)} times the Wald half-width (to "
                    f"{beta[j] + side * width * 2 ** (_EXPAND - 1):.6g}): the "
                    f"{'lower' if side < 0 else 'upper'} end is {side * np.inf} (the data "
                    "do not bound this coefficient: separation or a flat likelihood)",
                    NumericalWarning, stacklevel=3)
    return _shape_intervals(res, lo, hi)


class _RegressionReplicate:
    """One bootstrap refit of a fitted regression (picklable for worker processes):
    ``cases`` refits ``sklearn.base.clone(est)`` to rows drawn with replacement,
    ``parametric`` to a response drawn from the fitted predictive distributions;
    :meth:`batch` refits many replicates at once where the model allows it."""

    def __init__(self, est: Any, X: Any, y: Any, mode: str, rows: dict[str, Any],
                 predictive: Any, n: int):
        self.est, self.X, self.y, self.mode = est, X, y, mode
        self.rows, self.predictive, self.n = rows, predictive, n

    def refit(self, take: np.ndarray | None, y: Any = None) -> np.ndarray:
        from sklearn.base import clone

        sub = clone(self.est)
        yy = self.y if y is None else y
        if take is not None:
            X, yy = _rows(self.X, take), _rows(yy, take)
            rows = {k: _rows(v, take) for k, v in self.rows.items()}
        else:
            X, rows = self.X, dict(self.rows)
        # warm: started at the fit's own θ̂ (a replicate lies O(n^-1/2) from it)
        known = ("sample_weight", "offset", "exposure")
        sub._fit(X, yy, rows.get("sample_weight"), rows.get("offset"), rows.get("exposure"),
                 None, None, np.asarray(self.est._theta, float),
                 {k: v for k, v in rows.items() if k not in known})
        res = sub.result_
        return np.asarray(res.theta[res._mean_theta_index()], float)

    def refit_as_given(self) -> np.ndarray:
        """The refit to the data as given (it must reproduce the fit): many-at-once with
        one replicate of unit counts where the model allows it, else the pipeline's."""
        if getattr(self, "arrays", None) is not None:
            from ._replicates import refit_block

            D, yv, w, off, aux, theta_hat, prods = self.arrays
            thetas, ok = refit_block(self.est._model, D, theta_hat, yv[:, None],
                                     w, off, aux, prods)
            if ok[0]:
                return thetas[0]
        return self.refit(None)

    def _draw(self, gen: np.random.Generator) -> np.ndarray:
        """Replicate's draw: the resampled rows (cases) or the new response (labels)."""
        if self.mode == "cases":
            return gen.integers(0, self.n, size=self.n)
        ystar = np.asarray(self.predictive.sample(rng=gen))
        if self.est._is_classifier():
            ystar = np.asarray(self.est.classes_)[ystar.astype(int)]
        return ystar

    def _refit_draw(self, draw: np.ndarray) -> np.ndarray:
        return self.refit(draw) if self.mode == "cases" else self.refit(None, draw)

    def __call__(self, gen: np.random.Generator) -> np.ndarray:
        return self._refit_draw(self._draw(gen))

    # ------------------------------------------------------------ many refits at once
    def prepare_batch(self) -> None:
        """Lay out the arrays :meth:`batch` needs, when the fit allows refitting many
        replicates at once (:mod:`._replicates`: one linear predictor, no prior, no other
        designs); else leave ``batch`` to decline."""
        from ._inputs import Settings, aux_rows, check_weights, offset_of, response
        from ._replicates import _products, batchable

        self.arrays = None
        est, res = self.est, self.est.result_
        aux = {k: v for k, v in self.rows.items()
               if k not in ("sample_weight", "offset", "exposure")}
        Xf, designs = est._formula_rhs(self.X)
        if designs or res.penalised or not batchable(est._model, aux):
            return
        Xa, _, _ = est._validate_X(Xf, reset=False)
        D = np.ascontiguousarray(est._design(Xa), dtype=float)
        n = D.shape[0]
        settings = Settings.of(est)
        self.settings = settings
        yv, _, aux2 = response(settings, self.y, n, dict(aux))
        if any(k.startswith("censor") for k in aux2):
            return
        w = check_weights(self.rows.get("sample_weight"), n)
        off = offset_of(self.rows.get("offset"), self.rows.get("exposure"), n)
        theta_hat = np.asarray(res.theta[res._mean_theta_index()], float)
        self.arrays = (D, np.asarray(yv, float), w, off, aux_rows(aux2, n), theta_hat,
                       _products(D))

    def _model_y(self, ystar: np.ndarray) -> np.ndarray:
        from ._inputs import response

        aux = {k: v for k, v in self.rows.items()
               if k not in ("sample_weight", "offset", "exposure")}
        return np.asarray(response(self.settings, ystar, self.n, aux)[0], float)

    def batch(self, gens: list[np.random.Generator], d: int) -> np.ndarray | None:
        """The replicates of ``gens`` refitted together (:func:`._replicates.refit_block`);
        a replicate it does not accept is refitted alone by the full pipeline (a failure
        there is a row of NaN). None when the fit cannot be batched."""
        from ..estimate._bootstrap import guarded
        from ._replicates import block_size, refit_block

        if getattr(self, "arrays", None) is None:
            return None
        D, yv, w, off, aux, theta_hat, prods = self.arrays
        out = np.full((len(gens), d), np.nan)
        size = block_size(self.n)
        for a in range(0, len(gens), size):
            part = gens[a:a + size]
            draws = [self._draw(g) for g in part]
            if self.mode == "cases":
                W = np.column_stack([np.bincount(t, minlength=self.n) for t in draws]
                                    ).astype(float)
                if w is not None:
                    W *= w[:, None]
                Y = yv
            else:
                Y = np.column_stack([self._model_y(t) for t in draws])
                W = w
            thetas, ok = refit_block(self.est._model, D, theta_hat, Y, W, off, aux, prods)
            for j, draw in enumerate(draws):
                out[a + j] = thetas[j] if ok[j] else guarded(
                    lambda t=draw: self._refit_draw(t), d)
        return out


def _rows(v: Any, take: np.ndarray) -> Any:
    """Rows ``take`` of an array, Series or DataFrame (``None`` and scalars as they are)."""
    if v is None or np.ndim(v) == 0:
        return v
    if hasattr(v, "iloc"):
        return v.iloc[take]
    return np.asarray(v)[take]


def bootstrap_conf_int(est: Any, X: Any, y: Any, level: float = 0.95, n_boot: int = 999,
                       bootstrap: str = "cases", ci: str = "percentile", rng: Any = 0,
                       n_jobs: int = 1, progress: bool = False, sample_weight: Any = None,
                       offset: Any = None, exposure: Any = None, batch: bool = True,
                       **aux: Any):
    r"""Bootstrap intervals of the mean coefficients of the fitted ``est``, refitting
    ``sklearn.base.clone(est)`` ``n_boot`` times to the data it was fitted to.

    ``bootstrap="cases"`` resamples rows (with their weights, offset and per-row data);
    ``"parametric"`` keeps X and draws y from ``est.predict_distribution(X)``. ``ci`` is
    ``"percentile"`` or ``"bca"`` (acceleration from a row jackknife, grouped into 200
    groups above 200 rows). Failed refits (no MLE in a resample, e.g. a Poisson resample
    of zeros) are counted: a NumericalWarning, and a NoMaximumError when more than 10 %
    failed. Replicates do not depend on ``n_jobs``. See :mod:`mlekit.estimate._bootstrap`.
    ``batch`` (default): a model with one linear predictor refits its replicates many at
    once (:mod:`._replicates`; the same replicates to 1e-9), False: one pipeline fit each.
    Returns the layout of :func:`profile_conf_int`.
    """
    from ..estimate._bootstrap import (
        _seed_sequence,
        acceleration,
        bootstrap_interval,
        check_options,
        jackknife,
        run_bootstrap,
        screen_failures,
    )

    level = _check_level(level)
    nb, c, nj = check_options(n_boot, ci, n_jobs)
    mode = str(bootstrap).lower()
    if mode not in ("cases", "parametric"):
        raise ParameterError(f"bootstrap must be 'cases' or 'parametric' for a regression, "
                             f"not {bootstrap!r}")
    est._check_fitted()
    res = est.result_
    idx = res._mean_theta_index()
    if idx.size != len(res.coef_names):
        raise NotImplementedForFamily(
            "bootstrap intervals are implemented for one linear predictor of the mean "
            "(not for Categorical or distributional regression); use result_.conf_int()")
    n = int(np.shape(np.asarray(y, dtype=object))[0]) if np.ndim(y) else 0
    rows = {k: v for k, v in (("sample_weight", sample_weight), ("offset", offset),
                              ("exposure", exposure), *aux.items()) if v is not None}
    predictive = None
    if mode == "parametric":
        if sample_weight is not None:
            raise NotImplementedForFamily("the parametric bootstrap with sample_weight is not "
                                          "implemented; use bootstrap='cases'")
        predictive = est.predict_distribution(X, offset=offset, exposure=exposure, **aux)
    task = _RegressionReplicate(est, X, y, mode, rows, predictive, n)
    if batch:
        task.prepare_batch()
    # the refit to the data as given must reproduce the fit (same data, same model)
    theta_hat = np.asarray(res.theta[idx], float)
    again = task.refit_as_given()
    if not np.allclose(again, theta_hat, rtol=1e-5, atol=1e-8 * max(1.0, np.abs(theta_hat).max())):
        raise DataError("bootstrap intervals refit the model: X, y (and sample_weight, offset "
                        "and per-row data) must be those it was fitted to; the refit to "
                        "these gives other coefficients")
    reps = run_bootstrap(task, idx.size, nb, rng, nj, progress)
    reps = screen_failures(reps, "the regression coefficients")
    accel = None
    if c == "bca":
        gen = np.random.default_rng(_seed_sequence(rng).spawn(nb + 1)[nb])
        accel = acceleration(jackknife(lambda keep: task.refit(np.flatnonzero(keep)), n,
                                       idx.size, gen))
    lo, hi = bootstrap_interval(reps, theta_hat, level, c, accel)
    return _shape_intervals(res, lo, hi)


def _one_end(r: Any, b0: float, side: float, width: float, z: float) -> float:
    """The root of ``side · r(b) = z`` on the ``side`` of ``b0``: bracketed by doubling the
    distance from ``b0`` (from ``width``), then Brent's method; ±inf if not bracketed."""
    inner = b0
    for k in range(_EXPAND):
        outer = b0 + side * width * 2.0 ** k
        try:
            v = side * r(outer)
        except NoMaximumError:  # no maximum of the restricted fit there: no finite end
            return side * np.inf
        if v >= z:
            a, b = sorted((inner, outer))
            return float(optimize.brentq(lambda t: side * r(t) - z, a, b,
                                         xtol=1e-9 * max(1.0, abs(b0)), rtol=1e-10))
        inner = outer
    return side * np.inf


def prediction_interval(est: Any, X: Any, level: float = 0.95, n_sims: int = 2000,
                        rng: Any = None, offset: Any = None, exposure: Any = None,
                        designs: dict[str, Any] | None = None, **aux: Any):
    """Prediction intervals for new observations (the module docstring gives the
    methods): an (n, 2) array, or a DataFrame ``lower``/``upper`` with ``X``'s index when
    ``X`` is a DataFrame."""
    level = _check_level(level)
    est._check_fitted()
    res = est.result_
    if est._is_classifier():
        raise NotImplementedForFamily(
            f"predict_interval: {res.model.family.title} responses are class labels; use "
            "predict_proba(X) for their probabilities")
    try:
        sims = int(n_sims)
    except (TypeError, ValueError):
        sims = -1
    if sims < 100 or sims != n_sims:
        raise ParameterError(f"n_sims must be an integer >= 100 (the simulation's draws), "
                             f"got {n_sims!r}")
    eta = est._eta(X, offset, exposure, designs)
    model = res.model
    # (least squares: the Normal with the identity link, by its row model's declaration)
    exact = (model.exact == "least squares"
             and res.dispersion == "pearson" and res.cov_type == "nonrobust"
             and not res.distributional and not res.penalised and res.scale is not None)
    if exact:
        Xf, dz = est._formula_rhs(X, designs)
        Xa, names, _ = est._validate_X(Xf, reset=False)
        Xa, _, _ = est._combine_designs(dz, Xf, Xa, names, fitting=False)
        D = est._design(Xa)
        idx = res._mean_theta_index()
        V = res.cov_theta[np.ix_(idx, idx)]
        var = res.scale + np.einsum("ij,jk,ik->i", D, V, D)
        half = stats.t.ppf(0.5 + level / 2.0, res.df_resid) * np.sqrt(var)
        lo, hi = eta[:, 0] - half, eta[:, 0] + half
    else:
        lo, hi = _simulate(est, res, X, eta, level, sims, rng, offset, exposure, designs,
                           aux)
    if hasattr(X, "index") and hasattr(X, "columns"):
        import pandas as pd

        return pd.DataFrame({"lower": lo, "upper": hi}, index=X.index)
    return np.column_stack([lo, hi])


def _simulate(est: Any, res: Any, X: Any, eta_hat: np.ndarray, level: float, sims: int,
              rng: Any, offset: Any, exposure: Any, designs: Any, aux: dict
              ) -> tuple[np.ndarray, np.ndarray]:
    """Quantiles of y* drawn at θ* ~ N(θ̂, Σ̂), one θ* per simulation shared by the rows."""
    gen = np.random.default_rng(rng)
    n, k = eta_hat.shape
    theta_hat = np.asarray(est._theta, float)
    cov = 0.5 * (res.cov_theta + res.cov_theta.T)
    draws = gen.multivariate_normal(theta_hat, cov, size=sims, method="eigh")
    etas = _linear_predictors(est, X, offset, exposure, designs, draws)
    aux_arrays = {a: np.broadcast_to(np.asarray(v, float), (n,)) for a, v in aux.items()
                  if v is not None}
    aux_rep = {a: np.tile(v, sims) for a, v in aux_arrays.items()}
    params = res.model.distribution_params(etas.reshape(sims * n, k), aux_rep)
    try:
        ystar = np.asarray(res.model.family(**params).sample(rng=gen), float)
    except NotImplementedForFamily as exc:
        raise NotImplementedForFamily(
            f"predict_interval simulates new observations, which needs a sampler: {exc}. "
            "Use predict_distribution(X) for the plug-in predictive distribution") from None
    ystar = ystar.reshape(sims, n)
    a = (1.0 - level) / 2.0
    method = "inverted_cdf" if res.model.family.discrete else "linear"
    lo = np.quantile(ystar, a, axis=0, method=method)
    hi = np.quantile(ystar, 1.0 - a, axis=0, method=method)
    return lo, hi


def _linear_predictors(est: Any, X: Any, offset: Any, exposure: Any, designs: Any,
                       thetas: np.ndarray) -> np.ndarray:
    """``η`` of the rows of ``X`` at each parameter vector in ``thetas`` (m, P): (m, n, k)
    (the estimator's ``_eta`` with the designs built once)."""
    Xf, dz = est._formula_rhs(X, designs)
    Xa, names, _ = est._validate_X(Xf, reset=False)
    Xa, _, _ = est._combine_designs(dz, Xf, Xa, names, fitting=False)
    slots = est._model.slots
    sizes = [s.size(Xa.shape[1], est._has_intercept()) for s in slots]
    starts = np.concatenate([[0], np.cumsum(sizes)]).astype(int)
    m, n = thetas.shape[0], Xa.shape[0]
    eta = np.empty((m, n, len(slots)))
    for j, s in enumerate(slots):
        b = thetas[:, starts[j]:starts[j + 1]]
        eta[:, :, j] = (b @ est._design(s.take(Xa)).T) if s.design == "X" else b[:, :1]
    off = est._offset(offset, exposure, n)
    if off is not None:
        eta[:, :, 0] += off
    return eta
