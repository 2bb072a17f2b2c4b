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
    Intercept  116.3335  178.6173
    income       0.4571    0.5132
    >>> round(res.llf, 3), round(res.aic, 3), res.nobs
    (-1445.675, 2897.351, 235.0)
    """

    model: RowModel
    coef_names: list[str]
    theta: np.ndarray
    cov_theta: np.ndarray
    llf: float
    nobs: float
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

    @property
    def coefs(self) -> dict[str, Any]:
        """One coefficient table per linear predictor, ``{parameter: DataFrame}``, with the
        columns ``coef``, ``std err``, ``z`` and ``P>|z|`` (the parameter's link scale)."""
        import pandas as pd

        out = {}
        se_all = _se(np.diag(self.cov_theta))
        for j, s in enumerate(self.model.slots):
            sl = slice(int(self.slot_starts[j]), int(self.slot_starts[j + 1]))
            b, se = self.theta[sl], se_all[sl]
            with np.errstate(divide="ignore", invalid="ignore"):
                z = np.where(se > 0, b / se, np.nan)
            out[s.nuisance or s.name] = pd.DataFrame(
                {"coef": b, "std err": se, "z": z, "P>|z|": 2.0 * stats.norm.sf(np.abs(z))},
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
        idx = self._mean_theta_index()
        z = self.theta[idx] / _se(np.diag(self.cov_theta)[idx])
        return self._shape(2.0 * stats.norm.sf(np.abs(z)))

    def conf_int(self, level: float = 0.95):
        """Wald intervals ``params ± z_{(1+level)/2} · bse``: (p, 2) (DataFrame with names).

        For Categorical: a DataFrame with a (class, coefficient) row index.
        """
        q = stats.norm.ppf(0.5 + level / 2.0)
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
        """McFadden's pseudo-R² = 1 - llf / llnull."""
        if self.llnull is None or self.llnull == 0:
            return None
        return 1.0 - self.llf / self.llnull

    pseudo_rsquared = prsquared

    # ------------------------------------------------------------------ tests
    def wald_test(self, restrictions: str) -> WaldTestResult:
        r"""Wald test of linear restrictions on the mean coefficients, typed as text.

        ``restrictions`` such as ``"x1 = x2"``, ``"x1 + 2*x2 = 3, x3 = 0"`` or
        ``"C(g)[T.b] = 0"`` is read by :func:`mlekit.grammar.parse_restriction`
        (coefficient names of :attr:`param_names`, numbers, ``+ - * /``, ``=``;
        never evaluated) into :math:`R\theta = q`. Then

        .. math:: W = (R\hat\theta - q)^\top (R\,V R^\top)^{-1} (R\hat\theta - q)
                  \sim \chi^2_r,

        with :math:`V` the covariance of the estimates (``cov_type`` as fitted) and
        :math:`r` the number of restrictions.

        Examples
        --------
        >>> import mlekit as mk
        >>> engel = mk.datasets.load("engel")
        >>> res = mk.LinearRegression().fit(engel[["income"]], engel["foodexp"]).result_
        >>> res.wald_test("income = 0.5")     # doctest: +ELLIPSIS
        <Wald test of 'income = 0.5': chi2(1) = 1.0..., p = 0.3...>
        """
        from ..errors import FormulaError, SingularMatrixError
        from ..grammar import parse_restriction

        idx = self._mean_theta_index()
        names = self.param_names[:idx.size]
        R, q = parse_restriction(restrictions, names)
        V = self.cov_theta[np.ix_(idx, idx)]
        d = R @ self.theta[idx] - q
        M = R @ V @ R.T
        r = R.shape[0]
        if np.linalg.matrix_rank(R) < r:
            raise FormulaError(f"the restrictions {restrictions!r} are not independent (one "
                               "is a combination of the others); drop the redundant ones")
        try:
            stat = float(d @ np.linalg.solve(M, d))
        except np.linalg.LinAlgError:
            raise SingularMatrixError(f"the covariance of the restrictions {restrictions!r} "
                                      "is singular; the Wald test is not defined") from None
        return WaldTestResult(stat, r, float(stats.chi2.sf(stat, r)), restrictions, R, q)

    # ------------------------------------------------------------------ rendering
    def summary(self, level: float = 0.95) -> ResultsTable:
        """A ResultsTable (``str()``, ``.to_html()``, ``.to_latex()``, ``.to_markdown()``)."""
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
        if self.prsquared is not None:
            info.append(("Pseudo R² (McFadden)", self.prsquared))
        info += list(self.extra_info.items())
        q = stats.norm.ppf(0.5 + level / 2.0)
        pct = f"{100 * level:g}%"
        rows = []
        se_all = _se(np.diag(self.cov_theta))
        blocks = self.distributional
        names = self.param_names
        for i, (name, b, se) in enumerate(zip(names, self.theta, se_all, strict=True)):
            if blocks:
                j = int(np.searchsorted(self.slot_starts, i, side="right") - 1)
                s = self.model.slots[j]
                if i == self.slot_starts[j]:
                    lk = s.transform if s.nuisance else link.name
                    rows.append((f"{s.nuisance or s.name}  ({lk} link)", None))
                name = self._terms(j)[i - int(self.slot_starts[j])]
            z = b / se if se > 0 else np.nan
            p = float(2.0 * stats.norm.sf(abs(z))) if np.isfinite(z) else np.nan
            rows.append((name, [float(b), float(se), float(z), p, float(b - q * se),
                                float(b + q * se)]))
        notes = []
        for k, v in self.nuisance.items():
            se = self.nuisance_bse.get(k, 0.0)
            fixed = " (fixed)" if k in self.model.fixed else ""
            notes.append(f"{k} = {v:.6g} (se {se:.3g}){fixed}")
        if self.model.classification and self._mean_count() > 1:
            notes.append("reference class: y=0 (its logits are 0)")
        return ResultsTable(
            title=f"{fam.title} regression ({link.name} link)", info=info,
            columns=["coef", "std err", "z", "P>|z|", f"{pct} low", f"{pct} high"], rows=rows,
            notes=notes)

    def __str__(self) -> str:
        return self.summary().to_text()

    def _repr_html_(self) -> str:
        return self.summary().to_html()


def _num(v: float) -> int | float:
    return int(v) if float(v).is_integer() else float(v)
