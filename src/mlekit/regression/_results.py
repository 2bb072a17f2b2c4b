r"""RegressionResult: estimates, standard errors and fit statistics of a conditional MLE.

It exposes what statsmodels users expect (``params``, ``bse``, ``conf_int()``,
``tvalues``/``zvalues``, ``pvalues``, ``llf``, ``aic``, ``bic``, ``deviance``,
``null_deviance``, ``nobs``, ``df_resid``) and renders through the shared
:class:`~mlekit._utils.tables.ResultsTable` (no per-model summary copy).

Covariance: the inverse of the information at the optimum,

.. math:: \widehat{\mathrm{Cov}}(\hat\theta) = I(\hat\theta)^{-1},

with ``I`` the observed information (Hessian of the NLL) or the expected one,
or the sandwich ``I^{-1} M I^{-1}`` with ``M = Σ_i c_i s_i s_iᵀ`` (HC0:
``c_i = 1``; HC1: ``n/(n-k)``; HC2: ``1/(1-h_ii)``; HC3: ``1/(1-h_ii)^2``).
With a prior (MAP) the same formulas give the Laplace approximation.

Dispersion conventions (``dispersion``): for a family with a dispersion φ
(``Family.dispersion_parameter``: Normal σ², Gamma 1/shape, inverse Gaussian 1/λ)
``"pearson"`` (the default there) scales the mean coefficients' covariance by
``φ̂_P / φ̂_ML`` with ``φ̂_P = X²/(n − p)``, the Pearson statistic over the residual
degrees of freedom, and tests on Student's ``t(n − p)``: R's ``summary.glm`` and
statsmodels' GLM; for Normal-identity exactly OLS (R's ``lm``). ``"ml"`` keeps the
inverse information at the ML estimates and normal (z) tests. ``llf``, ``aic`` and
``bic`` always use the ML estimates.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy import stats

from .._utils.tables import ResultsTable
from ..families._rowmodel import RowModel

__all__ = ["RegressionResult", "WaldTestResult"]


def _se(var: Any) -> np.ndarray:
    """Standard errors from variances; a negative variance (an indefinite information,
    e.g. a nuisance running to its boundary) gives NaN, not a NumPy warning."""
    v = np.asarray(var, dtype=float)
    with np.errstate(invalid="ignore"):
        return np.where(v >= 0, np.sqrt(np.abs(v)), np.nan)


@dataclass(frozen=True)
class WaldTestResult:
    r"""A Wald test of linear restrictions :math:`R\theta = q`.

    ``statistic`` :math:`W = (R\hat\theta - q)^\top (R V R^\top)^{-1} (R\hat\theta - q)`,
    asymptotically :math:`\chi^2` with ``df`` = number of restrictions under the
    hypothesis; ``pvalue`` = :math:`P(\chi^2_{df} > W)`.
    """

    statistic: float
    df: int
    pvalue: float
    restrictions: str
    R: np.ndarray
    q: np.ndarray

    def __repr__(self) -> str:
        return (f"<Wald test of {self.restrictions!r}: chi2({self.df}) = "
                f"{self.statistic:.6g}, p = {self.pvalue:.4g}>")

    __str__ = __repr__


@dataclass
class RegressionResult:
    """Results of :meth:`Regression.fit` (available as ``estimator.result_``).

    ``params`` holds the coefficients of the mean (a pandas Series when the
    design had column names; for Categorical a (p, k-1) DataFrame with one
    column per non-reference class, as statsmodels' MNLogit). Nuisance
    parameters (sigma, shape, alpha, nu, phi) are in ``nuisance`` (natural scale)
    with standard errors in ``nuisance_bse`` (delta method).

    Examples
    --------
    >>> import mlekit as mk
    >>> engel = mk.datasets.load("engel")
    >>> res = mk.LinearRegression().fit(engel[["income"]], engel["foodexp"]).result_
    >>> res.params.round(4)
    Intercept    147.4754
    income         0.4852
    dtype: float64
    >>> res.conf_int().round(4)
                  lower     upper
    Intercept  116.0368  178.9140
    income       0.4569    0.5135
    >>> round(res.llf, 3), round(res.aic, 3), res.nobs
    (-1445.675, 2897.351, 235)
    >>> res.dispersion, round(res.rsquared, 4), res.df_resid      # OLS: Pearson, t(233)
    ('pearson', 0.8304, 233.0)
    """

    model: RowModel
    coef_names: list[str]
    theta: np.ndarray
    cov_theta: np.ndarray
    llf: float
    #: number of observations: an int for rows or whole-number (frequency) weights, a
    #: float for fractional weights
    nobs: int | float
    n_rows: int
    converged: bool
    method: str
    n_iter: int
    cov_type: str = "nonrobust"
    deviance: float | None = None
    null_deviance: float | None = None
    llnull: float | None = None
    penalised: bool = False
    pandas_names: bool = False
    slot_starts: np.ndarray = field(default_factory=lambda: np.zeros(0, int))
    extra_info: dict[str, Any] = field(default_factory=dict)
    #: coefficient names per linear predictor, when the predictors have designs of their
    #: own (distributional regression); None: every full-design slot uses ``coef_names``
    slot_names: list[list[str]] | None = None
    #: the dispersion convention of the inference: "pearson" (the mean's covariance scaled
    #: to the Pearson dispersion, t tests on ``df_resid``) or "ml" (z tests)
    dispersion: str = "ml"
    #: the dispersion φ the covariance uses (Pearson ``X²/(n − p)``, or the ML one);
    #: None for a family without one
    scale: float | None = None
    #: the information the covariance inverts: "observed" or "expected"
    information_kind: str = "observed"
    #: R², adjusted R², F of a least-squares fit (Normal-identity), else None
    least_squares: dict[str, float] | None = None
    #: a fingerprint of y, weights and per-row aux (lr_test / compare_models: same data?)
    data_fingerprint: str | None = None

    def __post_init__(self) -> None:
        # nobs: an int for rows or whole-number (frequency) weights, a float for
        # fractional weights (or a sum too large to be an exact count)
        f = float(self.nobs)
        self.nobs = int(f) if f.is_integer() and abs(f) < 2.0**53 else f

    # ------------------------------------------------------------------ layout
    def _mean_count(self) -> int:
        return len(self.model.mean_slots)

    def _mean_theta_index(self) -> np.ndarray:
        k = self._mean_count()
        return np.arange(int(self.slot_starts[k]))

    def _shape(self, flat: np.ndarray):
        """Shape a flat mean-coefficient vector as the user sees it."""
        k = self._mean_count()
        p = len(self.coef_names)
        if k == 1:
            if self.pandas_names:
                import pandas as pd

                return pd.Series(flat, index=list(self.coef_names))
            return flat
        import pandas as pd

        return pd.DataFrame(flat.reshape(k, p).T, index=list(self.coef_names),
                            columns=[s.name for s in self.model.mean_slots])

    # ------------------------------------------------------------------ estimates
    @property
    def param_names(self) -> list[str]:
        """Flat names of all estimated quantities, in the order of :attr:`cov_params`."""
        names = []
        for j, s in enumerate(self.model.slots):
            size = int(self.slot_starts[j + 1] - self.slot_starts[j])
            if s.design == "X":
                prefix = "" if j == 0 and self._mean_count() == 1 else f"{s.name}:"
                terms = self.coef_names if self.slot_names is None else self.slot_names[j]
                names += [f"{prefix}{n}" for n in terms[:size]]
            else:
                names.append(s.name)
        return names

    @property
    def distributional(self) -> bool:
        """Does a parameter other than the mean have covariates (a design of its own)?"""
        return any(s.design == "X" for s in self.model.slots[max(self._mean_count(), 1):])

    def _terms(self, j: int) -> list[str]:
        s = self.model.slots[j]
        if s.design != "X":
            return ["Intercept"]
        size = int(self.slot_starts[j + 1] - self.slot_starts[j])
        return list((self.coef_names if self.slot_names is None else self.slot_names[j])[:size])

    # ------------------------------------------------------------------ tests' distribution
    @property
    def use_t(self) -> bool:
        """Are the mean coefficients tested on Student's t(``df_resid``) (the Pearson
        convention) rather than the normal distribution?"""
        return self.dispersion == "pearson"

    def _pvalue(self, z: Any) -> np.ndarray:
        """Two-sided p-values of the statistics ``z`` (t(df_resid) or normal)."""
        z = np.abs(np.asarray(z, float))
        if self.use_t:
            return 2.0 * stats.t.sf(z, self.df_resid)
        return 2.0 * stats.norm.sf(z)

    def _quantile(self, level: float) -> float:
        """The ``(1 + level) / 2`` quantile of the test distribution."""
        if self.use_t:
            return float(stats.t.ppf(0.5 + level / 2.0, self.df_resid))
        return float(stats.norm.ppf(0.5 + level / 2.0))

    def _untested(self, j: int) -> bool:
        """Is slot ``j`` a constant nuisance on a transformed scale (a dispersion or shape
        on its log, a probability on its logit): reported, not tested? A nuisance on its
        own scale (the Ordinal's thresholds) is tested against 0, as polr and clm do."""
        s = self.model.slots[j]
        return s.nuisance is not None and s.design == "1" and s.transform != "identity"

    @property
    def coefs(self) -> dict[str, Any]:
        """One coefficient table per linear predictor, ``{parameter: DataFrame}``, with the
        columns ``coef``, ``std err``, ``z`` and ``P>|z|`` (``t`` and ``P>|t|`` under the
        Pearson convention; the parameter's link scale). A constant nuisance (σ, shape …)
        is not tested: its statistic and p-value are NaN (``log σ = 0`` means nothing)."""
        import pandas as pd

        out = {}
        se_all = _se(np.diag(self.cov_theta))
        stat, pcol = ("t", "P>|t|") if self.use_t else ("z", "P>|z|")
        for j, s in enumerate(self.model.slots):
            sl = slice(int(self.slot_starts[j]), int(self.slot_starts[j + 1]))
            b, se = self.theta[sl], se_all[sl]
            with np.errstate(divide="ignore", invalid="ignore"):
                z = np.where(se > 0, b / se, np.nan)
            if self._untested(j):
                z = np.full_like(z, np.nan)
            out[s.nuisance or s.name] = pd.DataFrame(
                {"coef": b, "std err": se, stat: z, pcol: self._pvalue(z)},
                index=self._terms(j))
        return out

    @property
    def params(self):
        return self._shape(self.theta[self._mean_theta_index()])

    @property
    def bse(self):
        idx = self._mean_theta_index()
        return self._shape(_se(np.diag(self.cov_theta)[idx]))

    @property
    def tvalues(self):
        idx = self._mean_theta_index()
        return self._shape(self.theta[idx] / _se(np.diag(self.cov_theta)[idx]))

    zvalues = tvalues

    @property
    def pvalues(self):
        """Two-sided p-values of the mean coefficients: Student's t(``df_resid``) under the
        Pearson convention (R's ``summary.glm``), else the normal distribution."""
        idx = self._mean_theta_index()
        z = self.theta[idx] / _se(np.diag(self.cov_theta)[idx])
        return self._shape(self._pvalue(z))

    def conf_int(self, level: float = 0.95, method: str = "wald"):
        """Wald intervals ``params ± q · bse``: (p, 2) (DataFrame with names), ``q`` the
        ``(1+level)/2`` quantile of t(``df_resid``) (Pearson convention) or of N(0, 1).

        For Categorical: a DataFrame with a (class, coefficient) row index.
        ``method="profile"`` needs refits, hence the data, which a result does not keep:
        it is ``estimator.conf_int(X, y, level)`` on the fitted estimator (a
        ParameterError here says so).
        """
        if str(method).lower() != "wald":
            from ..errors import ParameterError

            hint = (" (profile intervals refit the model, and a result keeps no data: "
                    "call conf_int(X, y, level, method='profile') on the fitted estimator)"
                    if str(method).lower() == "profile" else "")
            raise ParameterError(f"result_.conf_int method must be 'wald', not "
                                 f"{method!r}{hint}")
        q = self._quantile(level)
        idx = self._mean_theta_index()
        b, se = self.theta[idx], _se(np.diag(self.cov_theta)[idx])
        lo, hi = b - q * se, b + q * se
        if self._mean_count() == 1 and not self.pandas_names:
            return np.column_stack([lo, hi])
        import pandas as pd

        if self._mean_count() == 1:
            index: Any = list(self.coef_names)
        else:
            index = pd.MultiIndex.from_tuples(
                [(s.name, n) for s in self.model.mean_slots for n in self.coef_names])
        return pd.DataFrame({"lower": lo, "upper": hi}, index=index)

    def cov_params(self) -> np.ndarray:
        """Covariance of all estimated quantities (order: :attr:`param_names`;
        nuisance slots on their unconstrained, log scale)."""
        return self.cov_theta

    @property
    def nuisance(self) -> dict[str, float]:
        """Estimated nuisance parameters (natural scale); fixed ones included."""
        from ..links import get_link

        out = {k: float(v) for k, v in self.model.fixed.items()}
        for j, s in enumerate(self.model.slots):
            if s.nuisance is not None and s.design == "1":
                out[s.nuisance] = float(get_link(s.transform).inverse(
                    np.asarray(self.theta[self.slot_starts[j]], float)))
        return out

    @property
    def nuisance_bse(self) -> dict[str, float]:
        """Delta-method standard errors: se(exp(u)) = exp(u) · se(u); 0 for fixed ones."""
        from ..links import get_link

        out = {k: 0.0 for k in self.model.fixed}
        for j, s in enumerate(self.model.slots):
            if s.nuisance is not None and s.design == "1":
                i = self.slot_starts[j]
                d = get_link(s.transform).inverse_deriv(np.asarray(self.theta[i], float))
                out[s.nuisance] = float(np.abs(d) * _se(self.cov_theta[i, i]))
        return out

    # ------------------------------------------------------------------ fit statistics
    @property
    def df_model(self) -> int:
        """Number of estimated parameters (coefficients and nuisance parameters)."""
        return int(self.theta.size)

    @property
    def df_resid(self) -> float:
        return float(self.nobs - len(self._mean_theta_index()))

    @property
    def aic(self) -> float:
        """AIC = -2 llf + 2 k, k counting every estimated parameter (nuisance included)."""
        return -2.0 * self.llf + 2.0 * self.df_model

    @property
    def bic(self) -> float:
        """BIC = -2 llf + k log(nobs)."""
        return -2.0 * self.llf + self.df_model * np.log(self.nobs)

    @property
    def prsquared(self) -> float | None:
        """McFadden's pseudo-R² = 1 - llf / llnull, for discrete families only (None for a
        continuous one: its log-density depends on the units of y, so the ratio has no
        meaning there; see :attr:`rsquared` for least squares)."""
        if not self.model.family.discrete or self.llnull is None or self.llnull == 0:
            return None
        return 1.0 - self.llf / self.llnull

    pseudo_rsquared = prsquared

    def _ls(self, key: str) -> float | None:
        return None if self.least_squares is None else self.least_squares[key]

    @property
    def rsquared(self) -> float | None:
        """R² = 1 − RSS/TSS of a least-squares fit (Normal-identity; weighted as R's ``lm``;
        uncentred without an intercept), else None."""
        return self._ls("rsquared")

    @property
    def rsquared_adj(self) -> float | None:
        """Adjusted R² = 1 − (1 − R²)(n − i)/(n − p) (``i`` = 1 with an intercept)."""
        return self._ls("rsquared_adj")

    @property
    def fvalue(self) -> float | None:
        """The F statistic of all slopes = 0: ``(MSS/(p − i)) / (RSS/(n − p))``."""
        return self._ls("fvalue")

    @property
    def f_pvalue(self) -> float | None:
        """``P(F_{p−i, n−p} > fvalue)``."""
        return self._ls("f_pvalue")

    @property
    def inference(self) -> str:
        """One line: the dispersion convention, the information used, the tests'
        distribution (as ``summary()`` prints it)."""
        if self.dispersion == "pearson":
            conv = f"Pearson dispersion (φ̂ = {self.scale:.4g}, {_num(self.df_resid)} df)"
        elif self.penalised:
            conv = "MAP (Laplace approximation)"
        elif self.scale is not None:
            decl = self.model.family.dispersion_parameter
            fixed = decl is not None and decl[0] in self.model.fixed
            conv = (f"fixed dispersion (φ = {self.scale:.4g})" if fixed
                    else f"ML dispersion (φ̂ = {self.scale:.4g})")
        else:
            conv = "maximum likelihood"
        info = f"{self.information_kind} information"
        if self.cov_type != "nonrobust":
            info = f"{self.cov_type} sandwich ({info})"
        tests = f"t({_num(self.df_resid)}) tests" if self.use_t else "z tests"
        return f"{conv}, {info}, {tests}"

    # ------------------------------------------------------------------ tests
    def wald_test(self, restrictions: Any, q: Any = None) -> WaldTestResult:
        r"""Wald test of linear restrictions :math:`R\theta = q`, typed as text or as a matrix.

        ``restrictions`` such as ``"x1 = x2"``, ``"x1 + 2*x2 = 3, x3 = 0"`` or
        ``"C(g)[T.b] = 0"`` is read by :func:`mlekit.grammar.parse_restriction`
        (coefficient names of :attr:`param_names`, numbers, ``+ - * /``, ``=``;
        never evaluated) into :math:`R\theta = q` over the mean coefficients; a name that
        is not a coefficient is a FormulaError listing them. Or ``restrictions`` is the
        matrix ``R`` itself, (r, k) or (k,) for one restriction, with ``q`` (default 0):
        ``k`` the number of mean coefficients (the order of ``params``), or of all
        estimated quantities (the order of :attr:`param_names` and :meth:`cov_params`).
        Then

        .. math:: W = (R\hat\theta - q)^\top (R\,V R^\top)^{-1} (R\hat\theta - q)
                  \sim \chi^2_r,

        with :math:`V` the covariance of the estimates (``cov_type`` as fitted) and
        :math:`r` the number of restrictions (statsmodels' ``wald_test(R, use_f=False)``).

        Examples
        --------
        >>> import mlekit as mk
        >>> engel = mk.datasets.load("engel")
        >>> res = mk.LinearRegression().fit(engel[["income"]], engel["foodexp"]).result_
        >>> res.wald_test("income = 0.5")     # doctest: +ELLIPSIS
        <Wald test of 'income = 0.5': chi2(1) = 1.0..., p = 0.3...>
        >>> res.wald_test([[0.0, 1.0]], q=[0.5])      # the same, as a matrix
        <Wald test of 'income = 0.5': chi2(1) = 1.0..., p = 0.3...>
        """
        from ..errors import FormulaError, ParameterError, SingularMatrixError
        from ..grammar import parse_restriction

        idx = self._mean_theta_index()
        names = self.param_names[:idx.size]
        if isinstance(restrictions, str):
            if q is not None:
                raise ParameterError("wald_test: q is for a restriction matrix R; in text "
                                     f"write the right-hand sides ({restrictions!r})")
            R, q = parse_restriction(restrictions, names)
            text = restrictions
        else:
            R, q, idx, names = self._restriction_matrix(restrictions, q, idx, names)
            text = _restriction_text(R, q, names)
        V = self.cov_theta[np.ix_(idx, idx)]
        d = R @ self.theta[idx] - q
        M = R @ V @ R.T
        r = R.shape[0]
        if np.linalg.matrix_rank(R) < r:
            raise FormulaError(f"the restrictions {text!r} are not independent (one "
                               "is a combination of the others); drop the redundant ones")
        try:
            stat = float(d @ np.linalg.solve(M, d))
        except np.linalg.LinAlgError:
            stat = np.nan
        if not (np.isfinite(stat) and np.linalg.eigvalsh(0.5 * (M + M.T)).min() > 0):
            raise SingularMatrixError(f"the covariance of the restrictions {text!r} is "
                                      "singular or not positive definite (a parameter at a "
                                      "boundary or poorly identified); the Wald test is not "
                                      "defined: use an LR test (mk.lr_test) instead")
        return WaldTestResult(stat, r, float(stats.chi2.sf(stat, r)), text, R, q)

    def _restriction_matrix(self, R: Any, q: Any, idx: np.ndarray, names: list[str]
                            ) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[str]]:
        """``(R, q, idx, names)`` of a restriction matrix given as numbers: ``R`` over the
        mean coefficients (``idx``, ``names``) or over all of θ (``param_names``)."""
        from ..errors import DataError, ParameterError

        try:
            Rm = np.atleast_2d(np.asarray(R, dtype=float))
        except (TypeError, ValueError):
            raise ParameterError("wald_test: restrictions must be a string such as "
                                 "'x1 = 0, x2 = x3' or a numeric matrix R; got "
                                 f"{type(R).__name__}") from None
        every = self.param_names
        if Rm.ndim != 2 or Rm.shape[1] not in (idx.size, len(every)) or Rm.shape[0] == 0:
            alt = "" if len(every) == idx.size else \
                f" or {len(every)} (every estimated quantity: {', '.join(every)})"
            raise ParameterError(
                f"wald_test: R has shape {np.shape(R)}; it needs one row per restriction and "
                f"{idx.size} columns (the mean coefficients: {', '.join(names)}){alt}")
        if Rm.shape[1] != idx.size:
            idx, names = np.arange(len(every)), list(every)
        r = Rm.shape[0]
        qv = np.zeros(r) if q is None else np.atleast_1d(np.asarray(q, dtype=float)).ravel()
        if qv.size == 1 and r > 1:
            qv = np.full(r, float(qv[0]))
        if qv.shape != (r,):
            raise ParameterError(f"wald_test: q has {qv.size} values for {r} restrictions "
                                 "(rows of R); give one per row")
        for what, a in (("R", Rm), ("q", qv)):
            if not np.all(np.isfinite(a)):
                i = np.argwhere(~np.isfinite(a))[0]
                raise DataError(f"wald_test: {what}{list(map(int, i))} = {a[tuple(i)]} is "
                                "not a finite number")
        return Rm, qv, idx, names

    # ------------------------------------------------------------------ rendering
    def summary(self, level: float = 0.95) -> ResultsTable:
        """A ResultsTable (``str()``, ``.to_html()``, ``.to_latex()``, ``.to_markdown()``).

        An ``Inference`` line states the dispersion convention, the information used and
        the tests' distribution (:attr:`inference`). A constant nuisance (σ, a shape …)
        has its log-scale row without a test (``log σ = 0`` is no hypothesis) and a note
        with its estimate on the natural scale.
        """
        from ..links import get_link

        fam, link = self.model.family, self.model.link
        kind = "MAP (prior)" if self.penalised else "maximum likelihood"
        info: list[tuple[str, Any]] = [
            ("Family", fam.title), ("Link", link.name), ("Estimate", kind),
            ("Method", self.method), ("Observations", _num(self.nobs)),
            ("Parameters", self.df_model), ("Log-likelihood", self.llf),
            ("AIC", self.aic), ("BIC", self.bic), ("Converged", self.converged),
            ("Iterations", self.n_iter), ("Covariance", self.cov_type),
        ]
        if self.deviance is not None:
            info.append(("Deviance", self.deviance))
        if self.null_deviance is not None:
            info.append(("Null deviance", self.null_deviance))
        if self.rsquared is not None:
            info += [("R²", self.rsquared), ("Adj. R²", self.rsquared_adj),
                     (f"F({_num(self._ls('df_num'))}, {_num(self.df_resid)})", self.fvalue),
                     ("Prob (F)", self.f_pvalue)]
        if self.prsquared is not None:
            info.append(("Pseudo R² (McFadden)", self.prsquared))
        info += list(self.extra_info.items())
        q = self._quantile(level)
        qz = float(stats.norm.ppf(0.5 + level / 2.0))  # (a nuisance's Wald interval)
        pct = f"{100 * level:g}%"
        rows = []
        se_all = _se(np.diag(self.cov_theta))
        blocks = self.distributional
        names = self.param_names
        for i, (name, b, se) in enumerate(zip(names, self.theta, se_all, strict=True)):
            j = int(np.searchsorted(self.slot_starts, i, side="right") - 1)
            if blocks:
                s = self.model.slots[j]
                if i == self.slot_starts[j]:
                    lk = s.transform if s.nuisance else link.name
                    rows.append((f"{s.nuisance or s.name}  ({lk} link)", None))
                name = self._terms(j)[i - int(self.slot_starts[j])]
            if self._untested(j):
                rows.append((name, [float(b), float(se), None, None, float(b - qz * se),
                                    float(b + qz * se)]))
                continue
            z = b / se if se > 0 else np.nan
            p = float(self._pvalue(z)) if np.isfinite(z) else np.nan
            rows.append((name, [float(b), float(se), float(z), p, float(b - q * se),
                                float(b + q * se)]))
        notes = [f"Inference: {self.inference}"]
        ends = {}
        for j, s in enumerate(self.model.slots):
            if self._untested(j):
                i = int(self.slot_starts[j])
                se = float(se_all[i])
                lo, hi = get_link(s.transform).inverse(
                    np.array([self.theta[i] - qz * se, self.theta[i] + qz * se]))
                ends[s.nuisance] = (float(lo), float(hi))
        decl = fam.dispersion_parameter
        tested = {s.nuisance for j, s in enumerate(self.model.slots)
                  if s.nuisance is not None and not self._untested(j)}
        for k, v in self.nuisance.items():
            se = self.nuisance_bse.get(k, 0.0)
            if k in tested:
                continue
            if k in self.model.fixed:
                notes.append(f"{k} = {v:.6g} (fixed)")
                continue
            text = f"{k} = {v:.6g} (ML, se {se:.3g}"
            if k in ends:
                text += f"; {pct} interval {ends[k][0]:.4g} … {ends[k][1]:.4g}"
            text += "); a dispersion/shape: reported, not tested"
            if self.dispersion == "pearson" and decl is not None and decl[0] == k \
                    and self.scale is not None and self.scale > 0:
                text += (f"; the standard errors use the Pearson dispersion φ̂ = "
                         f"{self.scale:.4g} ({k} = {self.scale ** (1.0 / decl[1]):.6g})")
            notes.append(text)
        if self.model.classification and self._mean_count() > 1:
            notes.append("reference class: y=0 (its logits are 0)")
        stat, pcol = ("t", "P>|t|") if self.use_t else ("z", "P>|z|")
        return ResultsTable(
            title=f"{fam.title} regression ({link.name} link)", info=info,
            columns=["coef", "std err", stat, pcol, f"{pct} low", f"{pct} high"], rows=rows,
            notes=notes)

    def __str__(self) -> str:
        return self.summary().to_text()

    def _repr_html_(self) -> str:
        return self.summary().to_html()


def _num(v: float) -> int | float:
    return int(v) if float(v).is_integer() else float(v)


def _restriction_text(R: np.ndarray, q: np.ndarray, names: list[str]) -> str:
    """A restriction matrix as text, ``"x1 - x2 = 0, 2*x3 = 1"`` (for the test's repr)."""
    rows = []
    for row, rhs in zip(R, q, strict=True):
        terms = []
        for c, name in zip(row, names, strict=True):
            if c == 0:
                continue
            mag = "" if abs(c) == 1 else f"{abs(c):g}*"
            sign = "-" if c < 0 else "+"
            terms.append(f"{sign} {mag}{name}" if terms else f"{'-' if c < 0 else ''}{mag}{name}")
        rows.append(f"{' '.join(terms) or '0'} = {rhs:g}")
    return ", ".join(rows)
