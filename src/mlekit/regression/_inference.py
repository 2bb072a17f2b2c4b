r"""Inference after a regression's solve: information, covariance, deviance, the null model.

The last stage of the regression pipeline (:mod:`mlekit.regression._pipeline`), the same
for every row-sum backend (in memory, Dask): everything is computed from the backend's
sums over rows, ``Σ w_i ∇ℓ_i``, ``Σ w_i ∇²ℓ_i``, ``Σ w_i d_i`` …

* :func:`information` — the observed information ``−∇² log L(θ̂)`` (the solver's last
  pass), or the expected (Fisher) information ``E[−∇² log L]`` where asked or where the
  model declares that only the expected one is defined (Laplace: ``|y − μ|`` has no
  curvature);
* :func:`covariance` — its inverse, or the sandwich ``H⁻¹ M H⁻¹`` with a meat of the
  per-row scores: HC0–HC3 ``M = Σ c_i s_i s_iᵀ``, cluster-robust (CR1) from the
  clusters' score sums, Newey–West (HAC) from lagged cross products;
* :func:`null_model` — the intercept-only model's log-likelihood and deviance;
* :func:`dispersion_convention`, :func:`pearson_ratio` — the Pearson scale of the
  dispersion families (R's ``summary.glm``), and :func:`least_squares_fit` — R², the F
  test (R's ``summary.lm``).
"""

from __future__ import annotations

import dataclasses
import functools
import warnings
from typing import Any

import numpy as np
from scipy import linalg, stats

from ..families._rowmodel import RowModel
from ._inputs import Settings
from ._sums import InMemorySums
from .solver import SolverResult, newton

__all__ = ["cov_label", "covariance", "deviance", "dispersion_convention", "information",
           "least_squares_fit", "null_model", "pearson_ratio"]


def _quietly(fn: Any, *args: Any) -> Any:
    """``fn(*args)`` without NumPy's floating-point warnings (a probe whose value is unused)."""
    with np.errstate(all="ignore"):
        return fn(*args)


def _link_of(model: RowModel, value: float) -> float:
    """g(value) for the mean's link; ±inf or NaN (no NumPy warning) off the link's domain."""
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        return float(model.link.link(np.asarray(value)))


def information(settings: Settings, sums: Any, model: RowModel, res: SolverResult,
                prior: np.ndarray | None) -> np.ndarray:
    """The information matrix at ``res.theta`` (prior included) for the covariance.

    The solver's last Hessian when it is the observed information at ``θ̂``; otherwise
    one more pass with ``model.information`` set to the kind asked for (a model whose
    ``information_kind`` is declared uses that one: Laplace's expected information).
    """
    kind = model.information_kind or settings.information
    if kind == "observed" and res.hess is not None and res.method == "newton":
        return res.hess  # the solver's last pass is at theta (prior included)
    model.information = kind
    try:
        _, _, h = sums.nll_grad_hess(res.theta)
    finally:
        model.information = "observed"
    return h if prior is None else h + np.diag(prior)


def covariance(settings: Settings, sums: Any, model: RowModel, theta: np.ndarray,
               h: np.ndarray, nobs: float, unit_cov: np.ndarray | None = None
               ) -> np.ndarray:
    r"""Inverse information ``h⁻¹`` (and the sandwich ``h⁻¹ M h⁻¹`` for HC0-HC3).

    After an exact least-squares fit by QR the coefficients' block is
    ``σ̂² (Dᵀ W D)⁻¹`` from the solver's triangular factor (``unit_cov``, already scaled
    by ``σ̂²``; NIST StRD: ≥ 9 digits on every linear data set's standard errors, where
    inverting the Hessian ``Dᵀ W D / σ̂²`` loses ``κ² ε``); the coefficients are
    uncorrelated with ``log σ̂`` at the optimum (``Dᵀ W r = 0``), whose information there
    is ``2 Σ w`` exactly (observed = expected; also for a perfect fit, ``σ̂ = 0``).
    """
    from ..errors import NumericalWarning

    if unit_cov is not None:
        k = unit_cov.shape[0]
        if h.shape[0] in (k, k + 1):
            cov = np.zeros_like(h)
            cov[:k, :k] = unit_cov
            if h.shape[0] == k + 1:  # log(sigma)
                cov[k, k] = 1.0 / (2.0 * sums.sum_weights)
            return _sandwich(settings, sums, model, theta, cov, nobs)
    d = np.sqrt(np.abs(np.diag(h)))
    d[d == 0] = 1.0
    hs = h / d[:, None] / d[None, :]
    if not np.all(np.isfinite(hs)):
        warnings.warn("the information matrix is not finite at the optimum: the standard "
                      "errors are NaN (a parameter may be running to a boundary of its "
                      "domain)", NumericalWarning, stacklevel=4)
        return np.full_like(h, np.nan)
    try:
        c = linalg.cho_factor(hs)
        inv = linalg.cho_solve(c, np.eye(len(d)))
    except linalg.LinAlgError:
        warnings.warn("the information matrix is not positive definite at the optimum; "
                      "standard errors use its pseudo-inverse (a parameter may be "
                      "poorly identified or at a boundary)", NumericalWarning, stacklevel=4)
        inv = np.linalg.pinv(hs)
    cov = inv / d[:, None] / d[None, :]
    return _sandwich(settings, sums, model, theta, cov, nobs)


def _sandwich(settings: Settings, sums: Any, model: RowModel, theta: np.ndarray,
              cov: np.ndarray, nobs: float) -> np.ndarray:
    r"""``cov`` (nonrobust), or the sandwich ``cov M cov`` with a meat of the scores.

    With ``s_i = w_i D_iᵀ ∇_η ℓ_i`` the per-row scores of every parameter (the mean's
    and the others' linear predictors alike), ``k`` the mean's coefficients and ``n``
    the (weighted) number of observations:

    * HC0–HC3: ``M = Σ c_i s_i s_iᵀ`` (``c_i`` = 1, ``n/(n − k)``, ``1/(1 − h_ii)``,
      ``1/(1 − h_ii)²``);
    * ``"cluster"`` (CR1): ``M = G/(G − 1) · (n − 1)/(n − k) · Σ_g s_g s_gᵀ``,
      ``s_g = Σ_{i ∈ g} s_i`` — statsmodels' ``cov_type="cluster"`` (its default
      ``use_correction=True``) and R's ``sandwich::vcovCL(type="HC1")``;
    * ``"HAC"`` (Newey–West): ``M = Γ_0 + Σ_{l=1}^{L} (1 − l/(L+1)) (Γ_l + Γ_lᵀ)``,
      ``Γ_l = Σ_t s_t s_{t−l}ᵀ``, rows in their given order, no small-sample factor —
      statsmodels' ``cov_type="HAC"`` (default ``use_correction=False``) and R's
      ``sandwich::NeweyWest(lag=L, prewhite=FALSE, adjust=FALSE)``.

    A dispersion φ cancels from the sandwich (the scores and the information both carry
    ``1/φ``), so it does not depend on the dispersion convention, as in statsmodels.
    """
    if settings.cov_type == "nonrobust":
        return cov
    scale = None
    n_mean = len(model.mean_slots)
    k = int(sums.starts[n_mean])
    if settings.cov_type == "cluster":
        codes = settings.groups
        if codes is None:  # (the estimator's fit always sets them)
            from ..errors import ParameterError

            raise ParameterError("cov_type='cluster' needs fit(X, y, groups=g)")
        n_groups = int(codes.max()) + 1
        sg = sums.cluster_scores(theta, codes, n_groups)
        corr = n_groups / (n_groups - 1.0) * (nobs - 1.0) / (nobs - k)
        return corr * (cov @ (sg.T @ sg) @ cov)
    if settings.cov_type == "HAC":
        return cov @ sums.hac_meat(theta, int(settings.maxlags or 0)) @ cov
    if settings.cov_type == "HC1":
        scale = np.full(sums.n, nobs / (nobs - k))
    elif settings.cov_type in ("HC2", "HC3"):
        lev = sums.leverage(theta, cov, n_mean)
        power = 1.0 if settings.cov_type == "HC2" else 2.0
        scale = 1.0 / (1.0 - np.minimum(lev, 1.0 - 1e-12)) ** power
    meat = sums.score_outer(theta, scale)
    return cov @ meat @ cov


def cov_label(settings: Settings) -> str:
    """The covariance as ``summary()`` names it: ``"HC1"``, ``"cluster (G groups, CR1)"``,
    ``"HAC (maxlags = L, Bartlett)"`` …"""
    if settings.cov_type == "cluster" and settings.groups is not None:
        return f"cluster ({int(settings.groups.max()) + 1} groups, CR1)"
    if settings.cov_type == "HAC":
        return f"HAC (maxlags = {settings.maxlags}, Bartlett)"
    return settings.cov_type


def deviance(sums: Any, model: RowModel, res: SolverResult, y_head: np.ndarray,
             aux_head: dict, nll_hat: float | None = None
             ) -> tuple[float | None, float | None]:
    """``(deviance, Σ w ℓ_saturated)``: the model's deviance ``Σ w d(y, μ̂)`` (None when the
    family has no unit deviance) and the saturated NLL's sum (None when it has none).

    For one-parameter families ``d = 2 (ℓ(θ̂) − ℓ_saturated)``: with ``nll_hat`` (the NLL
    at ``θ̂``, known from the solver) a sum over y alone, else a pass over the rows."""
    one = {k: v[:1] for k, v in aux_head.items()}
    sat_sum = None
    if isinstance(sums, InMemorySums) and model.saturated_nll(y_head[:1], one) is not None:
        sat_sum = 0.0 if model.saturated_zero else sums.map_y(model.saturated_nll)
    if model.unit_deviance(y_head[:1], sums.eta(res.theta, slice(0, 1)), one) is None:
        return None, sat_sum
    if sat_sum is not None and nll_hat is not None:
        return 2.0 * (nll_hat - sat_sum), sat_sum
    return sums.map_rows(model.unit_deviance, res.theta), sat_sum


def null_model(settings: Settings, sums: Any, model: RowModel, y: np.ndarray,
               w: np.ndarray | None, aux: dict, sat_sum: float | None = None,
               theta: np.ndarray | None = None, ones: list[int] | None = None
               ) -> tuple[float | None, float | None]:
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
    alpha do. Then ``null deviance >= deviance``. For families whose unit deviance
    does not involve the nuisance (Normal, Gamma, inverse Gaussian: exponential
    dispersion models, whose mean MLE does not depend on it either) the re-fitted
    null model is used as it is; without ``theta`` too.

    For a one-parameter family with its canonical link (Bernoulli-logit,
    Poisson-log) and no offset, the intercept's score equation ``Σ w (y - μ) = 0``
    gives ``μ̂ = ȳ_w`` in closed form: one pass over ``y``, no Newton. With the
    cumulant form ``ℓ = a(η) - yη + c(y)`` the NLL there is closed too,
    ``W (a(η̂) - ȳ η̂) + Σ w c(y)`` with ``W = Σ w``. ``y``, ``w``, ``aux`` are all the
    rows in memory, or the first chunk of a Dask backend (used for starts and probes).
    Without an implicit intercept, ``ones`` are the design columns that are constant 1
    (intercepts given as columns, as per-parameter formulas do): the null model keeps them.
    """
    icpt = settings.fit_intercept
    null = sums.restrict([0] if icpt else list(ones or []))  # never touches X
    in_memory = isinstance(sums, InMemorySums)
    sat = model.saturated_nll(y[:1], {k: v[:1] for k, v in aux.items()}) \
        if in_memory else None
    wsum = float(y.shape[0] if w is None else np.sum(w))
    ybar = float((np.sum(y) if w is None else w @ y) / wsum)
    cum = sums._cum if in_memory else None
    if (in_memory and cum is not None and icpt and sums.offset is None
            and sat is not None
            and np.isfinite(eta0 := _link_of(model, ybar))):
        a0 = cum.value_sum(np.array([eta0]), None, None, np.empty(1))  # a(η̂)
        fun = wsum * (a0 - ybar * eta0) + sums._const_sum()
        if sat_sum is None:
            sat_sum = null.map_y(model.saturated_nll)
        return -fun, 2.0 * (fun - sat_sum)
    ww = np.broadcast_to(1.0, y.shape) if w is None else w
    if (in_memory and icpt and sums.offset is None and len(model.slots) == 1
            and sat is not None and model.link.name == model.family.canonical_link
            and model.link.name != "softmax"  # (a vector link)
            and np.isfinite(mu_eta := _link_of(model, ybar))):
        theta_null = np.array([mu_eta])
        fun = null.nll(theta_null)
    else:
        start = model.init_eta(y, ww, aux)
        theta0 = np.zeros(null.n_params)
        for j, s in enumerate(model.slots):
            if s.design == "1" or null.sizes[j] > 0:
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
        held = _held_nuisance(sums, model, theta)
        if held and _deviance_uses(model, held, null, theta_null, y, aux):
            return -fun, _null_deviance_held(null, model, held, theta_null)
        with np.errstate(all="ignore"):  # (no intercept: η = 0 may be μ = ∞)
            dev = null.map_rows(model.unit_deviance, theta_null)
        if not np.isfinite(dev):
            dev = None
    if not np.isfinite(fun):
        return None, dev
    return -fun, dev


def _held_nuisance(sums: Any, model: RowModel, theta: np.ndarray | None) -> dict[str, float]:
    """The fitted model's free scalar nuisances (natural scale), or {} when there are
    none, ``theta`` is unknown, or a nuisance has a design of its own (heteroscedastic)."""
    extra = model.slots[len(model.mean_slots):]
    if theta is None or not extra or any(s.design != "1" or s.nuisance is None
                                         for s in extra):
        return {}
    eta = np.array([[theta[sums.starts[j]] for j in range(len(model.slots))]])
    return {k: float(np.ravel(v)[0]) for k, v in model.nuisance_values(eta).items()
            if k not in model.fixed}


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


def _null_deviance_held(null: Any, model: RowModel, held: dict[str, float],
                        theta_null: np.ndarray) -> float | None:
    """Null deviance with the nuisances held at ``held``: the intercept re-fitted at
    that nuisance (Newton from the null fit's), then ``Σ w d(y, μ̂₀)``; None if that
    fit fails (no null deviance rather than one at another dispersion)."""
    fixed_model = dataclasses.replace(model, fixed={**model.fixed, **held})
    null_f = null.with_model(fixed_model)
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


# ---------------------------------------------------------------------- dispersion
def dispersion_convention(settings: Settings, model: RowModel, penalised: bool,
                          df_resid: float) -> str:
    """``"pearson"`` or ``"ml"``: the convention the inference of this fit uses.

    ``settings.dispersion`` None is the family's default: ``"pearson"`` where it is
    defined (:meth:`Settings.dispersion_refusal`, and ``n − p > 0``), else ``"ml"``; an
    explicit ``"pearson"`` where it is not defined is a ParameterError naming why.
    """
    from ..errors import ParameterError

    if settings.dispersion == "ml":
        return "ml"
    why = settings.dispersion_refusal(model, penalised)
    if why is None and not df_resid > 0:
        why = (f"there are no residual degrees of freedom (n − p = {df_resid:g}): the "
               "Pearson scale χ²/(n − p) is not defined")
    if why is None:
        return "pearson"
    if settings.dispersion == "pearson":
        raise ParameterError(f"dispersion='pearson' is not defined here: {why}; use "
                             "dispersion='ml' (or None: the family's default)")
    return "ml"


def _pearson_rows(model: RowModel, y: np.ndarray, eta: np.ndarray, aux: dict) -> np.ndarray:
    """``(y − μ̂)² / Var(y | θ̂)`` per row, the variance at the fitted (ML) parameters."""
    params = model.distribution_params(eta, aux)
    var = np.asarray(model.family.var(**params), float)
    with np.errstate(divide="ignore", invalid="ignore"):
        return (y - model.mean(eta)) ** 2 / var


def _squared_residuals(model: RowModel, y: np.ndarray, eta: np.ndarray,
                       aux: dict) -> np.ndarray:
    """``(y − μ̂)²`` per row."""
    return (y - model.mean(eta)) ** 2


def pearson_ratio(sums: Any, model: RowModel, theta: np.ndarray, df_resid: float,
                  ls_nobs: float | None = None) -> float:
    r"""``ρ = φ̂_P / φ̂_ML``: the Pearson scale over the ML dispersion.

    With ``Var(y_i) = φ V(μ_i)`` (``Family.dispersion_parameter``) the Pearson
    statistic at the ML fit is ``Σ w (y − μ̂)² / Var_i(θ̂) = X² / φ̂_ML``, with
    ``X² = Σ w (y − μ̂)² / V(μ̂)``, so

    .. math:: \rho = \frac{1}{n - p} \sum_i w_i \frac{(y_i - \hat\mu_i)^2}
              {\widehat{\mathrm{Var}}(y_i)}
              = \frac{X^2 / (n - p)}{\hat\phi_{ML}} = \frac{\hat\phi_P}{\hat\phi_{ML}} .

    The mean coefficients' information is ``U / φ`` (``U`` that of unit dispersion;
    at the MLE it is uncorrelated with the dispersion's, observed or expected), so
    their covariance under the Pearson convention is ``φ̂_P U⁻¹ = ρ · Cov_ML``: R's
    ``summary.glm`` and statsmodels' GLM. After an exact least-squares fit
    ``σ̂²_ML = RSS / n`` makes ``ρ = n / (n − p)`` in closed form: the OLS covariance
    ``RSS/(n − p) · (DᵀWD)⁻¹`` (R's ``lm``): ``ls_nobs`` is then ``n`` (no pass).
    """
    if ls_nobs is not None:
        return float(ls_nobs / df_resid)
    return float(sums.map_rows(functools.partial(_pearson_rows, model), theta) / df_resid)


def least_squares_fit(sums: Any, model: RowModel, theta: np.ndarray, df_resid: float,
                      intercept: bool, y: np.ndarray | None = None,
                      w: np.ndarray | None = None) -> dict[str, float] | None:
    r"""R², adjusted R² and the overall F test of a least-squares fit, as R's ``summary.lm``.

    With ``RSS = Σ w (y − ŷ)²`` and, at a least-squares solution (``Σ w r = 0`` with an
    intercept, ``Σ w ŷ r = 0``), ``MSS = TSS − RSS`` with ``TSS = Σ w (y − ȳ_w)²``
    (``Σ w y²`` without an intercept):

    .. math:: R^2 = 1 - \frac{RSS}{TSS}, \qquad
              \bar R^2 = 1 - (1 - R^2)\frac{n - i}{n - p}, \qquad
              F = \frac{MSS / (p - i)}{RSS / (n - p)} \sim F_{p - i,\, n - p},

    ``i`` = 1 with an intercept, else 0; ``n`` the weighted number of observations
    (frequency weights: R's ``lm`` on the rows repeated ``w`` times). ``y``, ``w``: all
    rows in memory (the y-only sums then need no pass); None for a backend that keeps
    its rows elsewhere. None when the model has no slope (nothing to test).
    """
    n_mean = int(sums.starts[1])
    num_df = n_mean - int(intercept)
    if num_df <= 0 or not df_resid > 0:
        return None
    rss = float(sums.map_rows(functools.partial(_squared_residuals, model), theta))
    if y is not None:
        ww = np.ones_like(y) if w is None else w
        wsum = float(np.sum(ww))
        ybar = float(ww @ y / wsum) if intercept else 0.0
        tss = float(ww @ (y - ybar) ** 2)
    else:
        ybar = sums.map_rows(_y_of, theta) / sums.nobs if intercept else 0.0
        tss = float(sums.map_rows(functools.partial(_y_dev2, ybar), theta))
    mss = tss - rss
    with np.errstate(divide="ignore", invalid="ignore"):
        r2 = 1.0 - rss / tss if tss > 0 else np.nan
        n = df_resid + n_mean
        adj = 1.0 - (1.0 - r2) * (n - int(intercept)) / df_resid
        f = (mss / num_df) / (rss / df_resid) if rss > 0 else np.inf
    fp = float(stats.f.sf(f, num_df, df_resid)) if np.isfinite(f) else 0.0
    return {"rsquared": float(r2), "rsquared_adj": float(adj), "fvalue": float(f),
            "f_pvalue": fp, "df_num": float(num_df), "ssr": rss, "centered_tss": tss}


def _y_of(y: np.ndarray, eta: np.ndarray, aux: dict) -> np.ndarray:
    return y


def _y_dev2(ybar: float, y: np.ndarray, eta: np.ndarray, aux: dict) -> np.ndarray:
    return (y - ybar) ** 2
