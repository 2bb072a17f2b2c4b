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
Log-likelihoods of discrete (pmf) and continuous (density) families are on one
scale only when a density's value at a whole number stands for the probability of
its unit cell; :func:`auto_rule` states when ``families="auto"`` takes that to hold
(whole numbers with a wide spread) and therefore tries both kinds.
"""

from __future__ import annotations

import re
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

__all__ = ["AutoRule", "CompareResult", "anderson_darling", "auto_families", "auto_rule", "compare",
           "split_families"]


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


#: Whole numbers are also tried with continuous families when their interquartile range is
#: at least ``WIDE_IQR`` and they take at least ``WIDE_DISTINCT`` distinct values
#: (see :func:`auto_rule`).
WIDE_IQR = 20.0
WIDE_DISTINCT = 20


@dataclass(frozen=True)
class AutoRule:
    """What :func:`auto_rule` decided about ``x``: which kinds of family to try, and why."""

    whole: bool
    """every value is a whole number"""
    discrete: bool
    """try the count (discrete) families"""
    continuous: bool
    """try the continuous families"""
    text: str
    """the rule as applied to these data, in one line"""


def auto_rule(x: Any) -> AutoRule:
    r"""The rule by which ``compare(x, "auto")`` picks the kinds of family to try.

    * Data that are not all whole numbers: the continuous families.
    * Whole numbers: the count (discrete) families; and the continuous families too when
      the data are *wide*: an interquartile range of at least ``WIDE_IQR`` = 20 and at
      least ``WIDE_DISTINCT`` = 20 distinct values (the Nile volumes 456..1370: IQR 234,
      85 values; doctor visits ``mdvis``: IQR 4, counts only).

    Why: a density and a pmf are on one likelihood scale when the density at a whole
    number :math:`k` stands for the probability of the unit cell around it. By the
    midpoint rule

    .. math:: \log P(k - \tfrac12 < X \le k + \tfrac12)
              = \log f(k) + \frac{f''(k)}{24 f(k)} + O(f^{(4)}/f),

    and for a Normal :math:`f''/f = (z^2 - 1)/\sigma^2`. An IQR of 20 means
    :math:`\sigma \gtrsim 15` for a Normal-shaped bulk, so the correction is below
    :math:`(z^2 + 1)/(24 \cdot 15^2) \approx 2\cdot10^{-3}` per observation even at
    :math:`|z| = 3` (and averages to about zero): AICs of densities and pmfs can be
    ranked together. Narrower whole numbers (a mean of a few counts) are counts, where a
    density's value is not a cell probability (the Exponential would "win" on ``mdvis``
    by putting density 0.35 at 0). Fewer than 20 distinct values are labels or coarse
    counts, not measurements.
    """
    x = _univariate(x)
    finite = x[np.isfinite(x)]
    whole = bool(finite.size == x.size and np.all(finite == np.floor(finite)))
    if not whole:
        return AutoRule(False, False, True, "not all whole numbers: continuous families")
    q1, q3 = np.percentile(finite, [25, 75]) if finite.size else (0.0, 0.0)
    iqr, distinct = float(q3 - q1), int(np.unique(finite).size)
    wide = iqr >= WIDE_IQR and distinct >= WIDE_DISTINCT
    cond = (f"IQR {iqr:g} {'>=' if iqr >= WIDE_IQR else '<'} {WIDE_IQR:g}, "
            f"{distinct} distinct values {'>=' if distinct >= WIDE_DISTINCT else '<'} "
            f"{WIDE_DISTINCT}")
    if wide:
        text = (f"whole numbers, wide ({cond}): count and continuous families (a density at "
                f"k stands for the probability of [k-1/2, k+1/2], so AICs compare)")
    else:
        text = (f"whole numbers, narrow ({cond}): count families only (continuous ones need "
                f"IQR >= {WIDE_IQR:g} and >= {WIDE_DISTINCT} distinct values)")
    return AutoRule(True, True, wide, text)


def _skip_reason(fam: Family, x: np.ndarray, rule: AutoRule,
                 fixed: dict[str, dict[str, Any]]) -> str | None:
    """Why ``compare(x, "auto")`` does not try ``fam`` (None: it is tried)."""
    if fam.event_ndim > 0:
        return "multivariate (vector observations)"
    if any(p.event_ndim > 0 for p in fam.parameters):
        return "class labels (a parameter vector over categories)"
    known = fixed.get(fam.name, {})
    needs = [p.name for p in fam.parameters if not p.estimable and p.name not in known]
    if needs:
        return (f"needs a known {', '.join(needs)} (fit it by name with fixed="
                f"{{'{needs[0]}': value}})")
    if fam.discrete and not rule.discrete:
        return "a count family; the data are not all whole numbers"
    if not fam.discrete and not rule.continuous:
        return "continuous; narrow whole numbers are counts (see the rule)"
    try:
        fam.check_data(x)
    except (MlekitError, TypeError, ValueError) as exc:
        m = re.search(r"must satisfy (.*?); found (.*?) at index (\d+)", str(exc))
        if m:
            return f"support {m.group(1)} does not hold x[{m.group(3)}] = {m.group(2)}"
        return "support does not hold the data: " + str(exc).split(": ", 1)[-1]
    return None


def _auto_candidates(x: np.ndarray, fixed: dict[str, dict[str, Any]] | None = None
                     ) -> tuple[list[Family], dict[str, str], AutoRule]:
    """(families to try, {skipped registered family: why}, the rule) for ``"auto"``."""
    rule = auto_rule(x)
    tried, skipped = [], {}
    for fam in FAMILIES.values():
        why = _skip_reason(fam, x, rule, fixed or {})
        if why is None:
            tried.append(fam)
        else:
            skipped[fam.name] = why
    return tried, skipped, rule


def auto_families(x: Any) -> list[Family]:
    """Registered univariate families (scalar parameters, all estimable) whose support
    contains ``x``, of the kinds :func:`auto_rule` picks: count families for whole numbers,
    continuous ones for other data and for wide whole numbers.

    >>> import mlekit as mk
    >>> nile = mk.datasets.load("nile")["volume"]
    >>> from mlekit.estimate.compare import auto_families
    >>> names = [f.name for f in auto_families(nile)]
    >>> "normal" in names and "negativebinomial" in names
    True
    """
    return _auto_candidates(_univariate(x))[0]


def split_families(text: str) -> list[str]:
    """The names in a comma-separated family list, ``"gamma, weibull,lognormal"``; commas
    inside parentheses belong to a family spec (``"truncated(normal, low=0),gamma"``).

    >>> split_families("gamma, weibull,lognormal")
    ['gamma', 'weibull', 'lognormal']
    >>> split_families("truncated(normal, low=0),gamma")
    ['truncated(normal, low=0)', 'gamma']
    """
    parts, depth, cur = [], 0, []
    for ch in str(text):
        if ch == "," and depth == 0:
            parts.append("".join(cur).strip())
            cur = []
            continue
        depth += (ch == "(") - (ch == ")")
        cur.append(ch)
    parts.append("".join(cur).strip())
    empty = [i for i, p in enumerate(parts) if not p]
    if empty and len(parts) > 1:
        raise ParameterError(f"family list {text!r}: entry {empty[0] + 1} is empty; separate "
                             "names by single commas, e.g. 'gamma,weibull,lognormal'")
    return parts


@dataclass
class CompareResult:
    """Ranked comparison of fitted families (best AIC first).

    ``table`` is a :class:`pandas.DataFrame` indexed by family name; ``fits`` maps
    name -> :class:`FitResult`; ``failed`` maps name -> reason for families that
    could not be fitted. ``tried`` lists the families attempted (fitted or failed), in
    order; ``skipped`` maps each registered family that ``"auto"`` did not try to why
    (empty for a named list); ``rule`` is the one-line rule that chose them (see
    :func:`auto_rule`; "the families named" for a list).

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
    tried: list[str] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)
    rule: str = "the families named"

    @property
    def best(self) -> FitResult:
        """The fit with the smallest AIC."""
        return self.fits[self.table.index[0]]

    def summary(self) -> ResultsTable:
        cols = [c for c in self.table.columns if c not in ("method",)]
        rows = [(str(name), [_cell(v) for v in row[cols].tolist()])
                for name, row in self.table.iterrows()]
        notes = [f"{name}: not fitted ({why})" for name, why in self.failed.items()]
        notes.append(f"Rule: {self.rule}.")
        notes.append("Tried: " + ", ".join(self.tried) + ".")
        if self.skipped:
            groups: dict[str, list[str]] = {}
            for name, why in self.skipped.items():
                groups.setdefault(why, []).append(name)
            notes.append("Skipped: " + "; ".join(f"{', '.join(names)}: {why}"
                                                 for why, names in groups.items()) + ".")
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
    families : names or families, a comma-separated list ``"gamma,weibull,lognormal"``,
        or ``"auto"``: every registered family of the kinds :func:`auto_rule` picks
        whose support holds ``x`` (the result's ``skipped`` says why the others were not
        tried).
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
    fixed = {get_family(k).name: v for k, v in (fixed or {}).items()}
    skipped: dict[str, str] = {}
    rule_text = "the families named"
    if isinstance(families, str) and families.strip().lower() == "auto":
        fams, skipped, rule = _auto_candidates(data, fixed)
        rule_text = rule.text
        if not fams:
            raise DataError("no registered univariate family has a support containing x")
    else:
        if isinstance(families, str):
            families = split_families(families)
        fams = list({f.name: f for f in (get_family(f) for f in families)}.values())
        if not fams:
            raise ParameterError("families is empty: name at least one family, or 'auto'")
        if len({f.discrete for f in fams}) > 1:
            warnings.warn("comparing discrete and continuous families: their log-likelihoods "
                          "(pmf vs density) are not on the same scale unless the data are whole "
                          "numbers with a wide spread (see mlekit.estimate.compare.auto_rule)",
                          UserWarning, stacklevel=2)
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
                         bootstrap=bootstrap, tried=[f.name for f in fams], skipped=skipped,
                         rule=rule_text)


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
