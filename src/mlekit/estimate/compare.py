r"""Choosing a family: fit several and rank them.

For each candidate family ``compare`` fits the data by maximum likelihood and
reports

* ``llf``, ``AIC`` :math:`= 2k - 2\ell`, ``BIC`` :math:`= k\log n - 2\ell` and
  ``dAIC`` (AIC minus the best AIC); rows are ranked by AIC;
* ``KS``: the Kolmogorov–Smirnov statistic :math:`\sup_x |F_n(x) - \hat F(x)|`
  against the fitted CDF (:func:`scipy.stats.kstest`);
* ``AD``: the Anderson–Darling statistic of the fitted CDF on the sorted data
  :math:`x_{(1)} \le \dots \le x_{(n)}`,

  .. math:: A^2 = -n - \frac1n \sum_{i=1}^n (2i-1)
            \bigl[\log \hat F(x_{(i)}) + \log \hat S(x_{(n+1-i)})\bigr],

  computed with the family's ``logsf`` for the upper tail;
* optionally ``p_boot``: a parametric-bootstrap p-value of the KS statistic
  (``bootstrap=B`` samples from the fitted member, each refitted, seeded),
  :math:`(1 + \#\{KS_b \ge KS\}) / (B + 1)`. Plain KS p-values are not valid when
  the parameters were estimated from the same data; the bootstrap one is.

KS and AD assume a continuous CDF; for discrete families they are reported
but are not distribution-free (the bootstrap p-value remains valid).
Log-likelihoods of discrete (pmf) and continuous (density) families are not
comparable, so ``families="auto"`` uses discrete families for integer-valued
data and continuous families otherwise.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .._utils.tables import ResultsTable
from ..errors import DataError, MlekitError, ParameterError
from ..families._registry import FAMILIES, get_family
from ..families.base import Family, as_real_array
from ._fit import fit
from .result import FitResult

__all__ = ["CompareResult", "anderson_darling", "auto_families", "compare"]


def anderson_darling(x: np.ndarray, logcdf: np.ndarray | None = None, logsf: np.ndarray | None
                     = None) -> float:
    r"""Anderson–Darling :math:`A^2` from log F and log S at the sorted data.

    ``x`` must be sorted ascending; ``logcdf[i] = log F(x_(i))``,
    ``logsf[i] = log S(x_(i))``.
    """
    n = x.size
    i = np.arange(1, n + 1)
    terms = (2 * i - 1) * (logcdf + logsf[::-1])
    val = -n - float(np.sum(terms)) / n
    return val if np.isfinite(val) else np.inf


def _gof(res: FitResult, x: np.ndarray) -> tuple[float, float]:
    """(KS, AD) of the fitted member against the data; NaN when the family has no CDF."""
    fam, params = res.family, res.params
    xs = np.sort(x)
    try:
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            cdf = np.asarray(fam.cdf(xs, **params), float)
            logsf = np.asarray(fam.logsf(xs, **params), float)
    except (NotImplementedError, MlekitError):
        return np.nan, np.nan
    from scipy import stats

    ks = float(stats.kstest(xs, lambda t: fam.cdf(np.asarray(t, float), **params)).statistic)
    with np.errstate(divide="ignore", invalid="ignore"):
        logcdf = np.where(cdf < 0.5, np.log(np.where(cdf > 0, cdf, 1.0)) +
                          np.where(cdf > 0, 0.0, -np.inf), np.log1p(-np.exp(logsf)))
    return ks, anderson_darling(xs, logcdf, logsf)


def _univariate(x: Any) -> np.ndarray:
    """1-D real data (an (n, 1) column is accepted); other shapes, complex values, text
    and dates are a DataError naming them (see ``families.base.as_real_array``)."""
    arr = as_real_array(x, what="x")
    if arr.ndim == 2 and arr.shape[1] == 1:
        return arr[:, 0]
    if arr.ndim > 1:
        raise DataError(f"x has shape {arr.shape}: comparing univariate families needs a "
                        "1-D array of observations (or one (n, 1) column)")
    return np.ravel(arr)


def _is_univariate(fam: Family) -> bool:
    return fam.event_ndim == 0 and all(p.event_ndim == 0 for p in fam.parameters)


def auto_families(x: Any) -> list[Family]:
    """Registered univariate families (scalar parameters, all estimable) whose support
    contains ``x``: the discrete ones if every value is an integer, else the continuous ones.
    """
    x = _univariate(x)
    integer = bool(np.all(np.isfinite(x)) and np.all(x == np.floor(x)))
    out = []
    for fam in FAMILIES.values():
        if not _is_univariate(fam) or not all(p.estimable for p in fam.parameters):
            continue
        if fam.discrete != integer:
            continue
        try:
            fam.check_data(x)
        except (MlekitError, TypeError, ValueError):
            continue
        out.append(fam)
    return out


@dataclass
class CompareResult:
    """Ranked comparison of fitted families (best AIC first).

    ``table`` is a :class:`pandas.DataFrame` indexed by family name; ``fits`` maps
    name -> :class:`FitResult`; ``failed`` maps name -> reason for families that
    could not be fitted.

    Examples
    --------
    >>> import mlekit as mk
    >>> days = mk.datasets.load("strikes")["duration"]
    >>> cmp = mk.compare(days, ["exponential", "gamma", "lognormal"])
    >>> list(cmp.table.index)                        # best AIC first
    ['exponential', 'gamma', 'lognormal']
    >>> cmp.table["dAIC"].round(2).tolist()
    [0.0, 1.46, 4.76]
    >>> round(cmp.fits["gamma"].params["shape"], 3)
    0.893
    """

    table: Any
    fits: dict[str, FitResult]
    failed: dict[str, str] = field(default_factory=dict)
    nobs: int = 0
    bootstrap: int | None = None

    @property
    def best(self) -> FitResult:
        """The fit with the smallest AIC."""
        return self.fits[self.table.index[0]]

    def summary(self) -> ResultsTable:
        cols = [c for c in self.table.columns if c not in ("method",)]
        rows = [(str(name), [_cell(v) for v in row[cols].tolist()])
                for name, row in self.table.iterrows()]
        notes = [f"{name}: not fitted ({why})" for name, why in self.failed.items()]
        notes.append("Ranked by AIC. KS/AD are for the fitted CDF; their classical p-values do "
                     "not apply when parameters are estimated (use bootstrap=).")
        return ResultsTable(title="Family comparison (maximum likelihood)",
                            info=[("Observations", self.nobs), ("Families", len(self.fits)),
                                  ("Bootstrap samples", self.bootstrap or 0)],
                            columns=cols, rows=rows, notes=notes)

    def __repr__(self) -> str:
        return self.summary().to_text()

    def _repr_html_(self) -> str:
        return self.summary().to_html()


def _cell(v: Any) -> Any:
    if isinstance(v, (np.floating, np.integer)):
        return v.item()
    return v


def compare(x: Any, families: Sequence[str | Family] | str = "auto", *,
            bootstrap: int | None = None, rng: int | np.random.Generator | None = 0,
            fixed: dict[str, dict[str, Any]] | None = None) -> CompareResult:
    """Fit each family to ``x`` and rank them by AIC.

    Parameters
    ----------
    x : one-dimensional data.
    families : names or families, or ``"auto"`` (see :func:`auto_families`).
    bootstrap : number of parametric-bootstrap samples for a KS p-value per family
        (``None``: no bootstrap).
    rng : seed or Generator for the bootstrap.
    fixed : per-family fixed parameters, e.g. ``{"binomial": {"n": 10}}``.

    Returns
    -------
    CompareResult with ``table`` columns ``k, llf, AIC, BIC, dAIC, KS, AD`` (and
    ``p_boot``), ``method``, ``converged``.

    Examples
    --------
    >>> import mlekit as mk
    >>> days = mk.datasets.load("strikes")["duration"]
    >>> cmp = mk.compare(days, ["exponential", "weibull", "lognormal"])
    >>> cmp.table["AIC"].round(2)
    family
    exponential    591.41
    weibull        592.69
    lognormal      596.17
    Name: AIC, dtype: float64
    """
    import pandas as pd

    data = _univariate(x)
    if isinstance(families, str):
        if families.lower() != "auto":
            families = [families]
            fams = [get_family(f) for f in families]
        else:
            fams = auto_families(data)
            if not fams:
                raise DataError("no registered univariate family has a support containing x")
    else:
        fams = [get_family(f) for f in families]
    if len({f.discrete for f in fams}) > 1:
        warnings.warn("comparing discrete and continuous families: their log-likelihoods "
                      "(pmf vs density) are not on the same scale", UserWarning, stacklevel=2)
    fixed = {get_family(k).name: v for k, v in (fixed or {}).items()}
    gen = np.random.default_rng(rng)
    rows, fits, failed = [], {}, {}
    for fam in fams:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                res = fit(data, fam, fixed=fixed.get(fam.name))
        except (MlekitError, NotImplementedError) as exc:
            failed[fam.name] = str(exc)
            continue
        ks, ad = _gof(res, data)
        row = {"family": fam.name, "k": res.df_model, "llf": res.llf, "AIC": res.aic,
               "BIC": res.bic, "KS": ks, "AD": ad}
        if bootstrap:
            row["p_boot"] = _bootstrap_p(res, data.size, ks, int(bootstrap), gen,
                                         fixed.get(fam.name))
        row["method"] = res.method
        row["converged"] = res.converged
        rows.append(row)
        fits[fam.name] = res
    if not rows:
        raise DataError("no family could be fitted: " + "; ".join(
            f"{k}: {v}" for k, v in failed.items()))
    table = pd.DataFrame(rows).set_index("family").sort_values("AIC", kind="stable")
    table.insert(table.columns.get_loc("BIC") + 1, "dAIC", table["AIC"] - table["AIC"].min())
    return CompareResult(table=table, fits=fits, failed=failed, nobs=int(data.size),
                         bootstrap=bootstrap)


def _bootstrap_p(res: FitResult, n: int, ks: float, b: int, gen: np.random.Generator,
                 fixed) -> float:
    if not np.isfinite(ks):
        return np.nan
    if b < 1:
        raise ParameterError("bootstrap must be a positive number of samples")
    dist = res.distribution
    count, used = 0, 0
    for _ in range(b):
        sample = np.ravel(dist.sample(n, rng=gen))
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                rb = fit(sample, res.family, fixed=fixed)
        except MlekitError:
            continue  # a degenerate resample (e.g. all equal) carries no KS statistic
        kb, _ = _gof(rb, sample)
        used += 1
        count += kb >= ks
    return (1 + count) / (1 + used) if used else np.nan
