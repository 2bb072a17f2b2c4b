"""Validation of data, weights and fixed parameters before any fit.

Everything here raises a :class:`~mlekit.errors.DataError` (or
:class:`~mlekit.errors.ParameterError`) whose message names what is wrong,
where (the first bad index) and the rule broken.
"""

from __future__ import annotations

import inspect
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..domains import first_bad_index
from ..errors import DataError, NoMaximumError, ParameterError, SupportError
from ..families.base import Family, as_real_array
from ._transform import FreeParam, domain_centre, is_vector_domain
from .censored import Censored, check_censored_maximum

__all__ = ["Prepared", "check_deferred_support", "distinct_at_least", "prepare"]


@dataclass
class Prepared:
    """Validated inputs of one fit."""

    family: Family
    x: np.ndarray  # exact observations (rows); for censored data: the exact ones
    w: np.ndarray | None  # frequency weights of x (None = all ones)
    fixed: dict[str, np.ndarray]
    free: list[FreeParam]
    nobs: float
    censored: Censored | None = None
    cw: np.ndarray | None = None  # weights of the censored rows (all rows of `censored`)
    k: int | None = None
    notes: list[str] = field(default_factory=list)
    #: the support check was left to the family's MLE (see :func:`prepare`); the fit
    #: runs :func:`check_deferred_support` unless that MLE returns finite estimates
    support_deferred: bool = False

    @property
    def wx(self) -> np.ndarray:
        return np.ones(self.x.shape[0]) if self.w is None else self.w

    @property
    def df_model(self) -> int:
        return sum(fp.usize for fp in self.free)

    def all_points(self) -> np.ndarray:
        """Every observation as a point (censored ones at a representative value)."""
        if self.censored is None:
            return self.x
        return self.censored.midpoints()

    def all_weights(self) -> np.ndarray:
        if self.censored is None:
            return self.wx
        return self.cw


#: weights whose largest value exceeds this are divided by it (their sums could overflow)
_W_BIG = 1e200


def check_weights(weights: Any, n: int, notes: list[str] | None = None) -> np.ndarray:
    """Frequency weights: finite, non-negative, one per observation, not all zero.

    Weights so large that their sums (Σw, Σw·x, Σw·log p) could overflow (the largest
    above 1e200) are divided by their maximum: the estimates do not change under a
    common factor, and ``[1e308, 1e308]`` then fits as ``[1, 1]``. A note (appended to
    ``notes``) says so, as ``nobs``, ``llf`` and the standard errors are then those of the
    rescaled weights. Tiny weights are kept: as frequency weights, 1e-300 each means
    ``nobs = n·1e-300`` (too few observations for any parameter).
    """
    w = as_real_array(weights, what="weights")
    if w.ndim != 1 or w.shape[0] != n:
        raise DataError(f"weights must be one value per observation: got shape {w.shape}, "
                        f"expected ({n},)")
    bad = ~np.isfinite(w)
    if bad.any():
        raise DataError(f"weights contain a non-finite value at index {first_bad_index(bad)}")
    bad = w < 0
    if bad.any():
        raise DataError(f"weights must be >= 0 (frequency weights); found {w[bad][0]:g} at index "
                        f"{first_bad_index(bad)}")
    if not np.any(w > 0):
        raise DataError("weights are all zero: there is nothing to fit")
    top = float(np.max(w))
    if top > _W_BIG:
        w = w / top
        w[w == np.max(w)] = 1.0  # exact for the largest ones
        if notes is not None:
            notes.append(f"the weights were divided by their maximum ({top:.6g}) so that their "
                         "sums stay in the float range; nobs, llf and the standard errors are "
                         "those of the rescaled weights")
    return w


def check_fixed(family: Family, fixed: Mapping[str, Any] | None) -> dict[str, np.ndarray]:
    out: dict[str, np.ndarray] = {}
    for name, value in dict(fixed or {}).items():
        p = family.parameter(name)  # ParameterError naming the family's parameters
        out[name] = p.domain.check(value, what=f"fixed {name}", owner=family.title,
                                   error=ParameterError)
    missing = [p.name for p in family.parameters if not p.estimable and p.name not in out]
    if missing:
        raise ParameterError(
            f"{family.title}: parameter {missing[0]!r} is not estimated from data; give it "
            f"with fixed={{{missing[0]!r}: ...}}"
        )
    return out


def check_start(family: Family, start: Mapping[str, Any] | None,
                fixed: Mapping[str, Any]) -> dict[str, np.ndarray] | None:
    """Starting values: known, free parameters, each inside its domain."""
    if start is None:
        return None
    out: dict[str, np.ndarray] = {}
    for name, value in dict(start).items():
        p = family.parameter(name)  # ParameterError naming the family's parameters
        if name in fixed:
            raise ParameterError(f"{family.title}: start gives {name!r}, which is held fixed; "
                                 "drop it from start= or from fixed=")
        out[name] = p.domain.check(value, what=f"start {name}", owner=family.title,
                                   error=ParameterError)
    return out


#: most classes a probability-vector family infers from its largest label
_MAX_CLASSES = 10_000_000


def _per_class(family: Family, domain) -> bool:
    """True for a parameter with one entry per class label: a vector domain with a
    bijection (:func:`~._transform.is_vector_domain`, e.g. the Simplex) in a family of
    scalar observations (Categorical's ``p``), so its length ``k`` comes from the labels."""
    return family.event_ndim == 0 and is_vector_domain(domain)


def _support_params(family: Family, x: np.ndarray, fixed: dict, k: int | None) -> dict:
    """Parameters to pass to ``check_data``: the fixed ones, and for a free per-class
    vector (:func:`_per_class`) a placeholder with the right number of classes: the
    centre of its domain (:func:`~._transform.domain_centre`, uniform on the Simplex)."""
    params = dict(fixed)
    for p in family.parameters:
        if p.name not in params and _per_class(family, p.domain):
            finite = x[np.isfinite(x)]
            top = float(max(finite.max(), 0)) if finite.size else 0.0
            if k is None and top >= _MAX_CLASSES:
                bad = np.isfinite(x) & (x >= _MAX_CLASSES)
                i = first_bad_index(bad)
                raise SupportError(
                    f"x[{i}] = {x[bad][0]:g} (index {i}) is not a class label of "
                    f"{family.title}: labels are 0, 1, …, k−1 and k (the largest label + 1 "
                    f"unless given with k=) is limited to {_MAX_CLASSES:,} classes")
            kk = k if k is not None else int(top) + 1
            params[p.name] = domain_centre(p.domain, (p.domain.length_for_classes(max(kk, 1)),))
    return params


def _check_support(family: Family, x: np.ndarray, params: dict, what: str) -> np.ndarray:
    try:
        return family.check_data(x, what=what, **params)
    except TypeError:
        return family.check_data(x, what=what)


def _free_params(family: Family, x: np.ndarray, fixed: dict, k: int | None,
                 start: Mapping[str, Any] | None) -> list[FreeParam]:
    free = []
    for p in family.parameters:
        if p.name in fixed:
            continue
        if start and p.name in start:
            shape = np.shape(start[p.name])
        elif p.event_ndim == 0:
            shape = ()
        elif _per_class(family, p.domain):
            kk = k if k is not None else int(x.max()) + 1 if x.size else 1
            shape = (p.domain.length_for_classes(kk),)
        else:
            d = x.shape[-1] if x.ndim > 1 else 1
            shape = (d,) * p.event_ndim
        free.append(FreeParam(p.name, p.domain, tuple(shape)))
    return free


def prepare(x: Any, family: Family, weights: Any = None, fixed: Mapping[str, Any] | None = None,
            k: int | None = None, start: Mapping[str, Any] | None = None,
            defer_support: bool = False) -> Prepared:
    """Validate everything a fit needs; see :func:`mlekit.estimate.fit` for the rules.

    ``defer_support``: the caller runs the family's closed-form ``mle`` next. For a
    family whose ``mle`` proves the data valid (``mle_checks_support``, see
    :func:`_support_deferrable`) the support check of large data is then left to it:
    ``support_deferred`` is set and the caller must run :func:`check_deferred_support`
    unless that ``mle`` returns finite estimates.
    """
    fixed_arr = check_fixed(family, fixed)
    check_start(family, start, fixed_arr)
    if isinstance(x, Censored):
        return _prepare_censored(x, family, weights, fixed_arr, k, start)
    arr = as_real_array(x, what="x", owner=family.title, allow_bool=family.discrete)
    if family.event_ndim == 0:
        if arr.ndim == 2 and arr.shape[1] == 1:
            arr = arr[:, 0]  # one column: the observations
        elif arr.ndim > 1:
            raise DataError(
                f"x has shape {arr.shape}: {family.title} is a univariate family and takes a "
                "1-D array of observations (or one (n, 1) column). Fit each column separately "
                "(e.g. x[:, j]), flatten it yourself if the values are one sample "
                "(np.ravel(x)), or use a multivariate family (MultivariateNormal, Dirichlet)")
        arr = np.ravel(arr)
    elif arr.ndim == family.event_ndim:
        arr = arr[None, ...]
    if family.event_ndim > 0 and arr.ndim != family.event_ndim + 1:
        raise DataError(
            f"x has shape {arr.shape}: {family.title} expects one observation per row, an "
            f"array of {family.event_ndim + 1} dimensions (n, d)"
        )
    if arr.shape[0] == 0 or arr.size == 0:
        raise DataError(f"x is empty: {family.title} needs at least one observation to fit")
    support_params = _support_params(family, arr, fixed_arr, k)
    deferred = defer_support and weights is None and _support_deferrable(family, arr, fixed_arr)
    if deferred:
        # two different values show two distinct ones as well as the range does (if
        # either is NaN or off the support, the deferred check reports it)
        span = (float(arr[0]), float(arr[-1]))
    else:
        span = _range_if_valid(family, arr, support_params)
        if span is None:
            arr = _check_support(family, arr, support_params, "x")
    notes: list[str] = []
    w = None if weights is None else check_weights(weights, arr.shape[0], notes)
    nobs = float(arr.shape[0]) if w is None else float(w.sum())
    free = _free_params(family, arr, fixed_arr, k, start)
    prep = Prepared(family, arr, w, fixed_arr, free, nobs, k=k, notes=notes,
                    support_deferred=deferred)
    _check_identifiable(prep, span)
    return prep


def _support_deferrable(family: Family, arr: np.ndarray, fixed: dict) -> bool:
    """True when the support check of ``arr`` can be left to ``family.mle``.

    A family sets ``mle_checks_support = True`` when its ``mle(x)`` (no weights, nothing
    fixed) raises, or returns a non-finite estimate, whenever some x is NaN, ±inf or
    off the support: the sufficient statistics it computes anyway prove the data valid
    (Σ log x is finite only if every x is in (0, ∞); Σ x only if every x is finite). That
    saves the min/max pass of :func:`_range_if_valid` over large data. Only where that
    pass would run (large univariate data, the default ``check_data``), and only for at
    most two parameters whose first and last values differ: that settles identifiability
    without a pass (equal ones take the usual path, which names all-equal data as such).
    """
    return (family.mle_checks_support and not fixed
            and len(family.estimable_names) <= 2
            and family.event_ndim == 0 and arr.size >= 4096
            and type(family).check_data is Family.check_data
            and bool(arr[0] != arr[-1]))


def check_deferred_support(prep: Prepared) -> None:
    """Run the support check that :func:`prepare` deferred (if it did): a DataError
    naming the first bad index, as without the deferral."""
    if prep.support_deferred:
        params = _support_params(prep.family, prep.x, prep.fixed, prep.k)
        _check_support(prep.family, prep.x, params, "x")
        prep.support_deferred = False


def _range_if_valid(family: Family, arr: np.ndarray, params: dict
                    ) -> tuple[float, float] | None:
    """``(min, max)`` of large univariate data when that range alone shows every value is
    finite and in the support; else None (the elementwise check then runs and names the
    first bad index). Two reductions serve both the support and the distinct-value check."""
    if (family.event_ndim != 0 or arr.size < 4096
            or type(family).check_data is not Family.check_data):
        return None
    lo, hi = float(np.min(arr)), float(np.max(arr))  # NaN propagates through both
    if not (np.isfinite(lo) and np.isfinite(hi)):
        return None
    try:
        ok = family.support_of(**params).range_within(lo, hi)
    except Exception:  # a support that needs other parameters: the elementwise check decides
        return None
    return (lo, hi) if ok else None


def _prepare_censored(data: Censored, family: Family, weights: Any, fixed: dict,
                      k: int | None, start) -> Prepared:
    if family.event_ndim != 0:
        raise DataError(f"censored data are supported for univariate families only, "
                        f"not {family.title}")
    n = len(data)
    if n == 0:
        raise DataError(f"x is empty: {family.title} needs at least one observation to fit")
    sp = _support_params(family, data.midpoints(), fixed, k)
    for what, vals in (("Censored low", data.low), ("Censored high", data.high)):
        finite = np.isfinite(vals)
        if not finite.any():
            continue
        # an infinite end means "censored on that side"; only finite ends must lie in the
        # support. Infinite ends are replaced by the first finite value, so the first bad
        # index reported is still the true one.
        filled = np.where(finite, vals, vals[finite][0])
        _check_support(family, filled, sp, what)
    exact = data.exact
    notes: list[str] = []
    cw = np.ones(n) if weights is None else check_weights(weights, n, notes)
    xe = data.low[exact]
    free = _free_params(family, data.midpoints(), fixed, k, start)
    nobs = float(cw.sum())
    prep = Prepared(family, xe, cw[exact], fixed, free, nobs,
                    censored=data if data.n_censored else None, cw=cw, k=k, notes=notes)
    if prep.censored is None:
        prep.w = None if weights is None else cw
    _check_identifiable(prep)
    if prep.censored is not None:
        check_censored_maximum(family, data, cw, fixed)
    return prep


def _check_identifiable(prep: Prepared, span: tuple[float, float] | None = None) -> None:
    """Too few observations or distinct values for the free parameters -> DataError.

    ``span``: two values of the (unweighted) data, equal only if all data are: their
    range, or any two that differ.
    """
    family = prep.family
    scalar_free = [fp for fp in prep.free if not is_vector_domain(fp.domain)]
    m = sum(fp.size for fp in scalar_free)
    if m == 0:
        return
    pts = prep.all_points()
    if prep.censored is not None:
        w = prep.all_weights()
        lohi = np.stack([prep.censored.low, prep.censored.high], axis=-1)[w > 0]
        distinct = np.unique(lohi, axis=0).shape[0]
    else:
        if span is not None and prep.w is None and m <= 2:
            distinct = 1 if span[0] == span[1] else 2  # no pass over the data
        else:
            pos = pts if prep.w is None else pts[prep.w > 0]
            distinct = distinct_at_least(pos, m)
    names = ", ".join(fp.name for fp in scalar_free)
    if prep.nobs < m:
        raise DataError(
            f"too few observations: {family.title} has {m} free parameter(s) ({names}) but "
            f"there are only {prep.nobs:g} observation(s); the MLE is not determined"
        )
    if distinct < m:
        what = "all data values are equal" if distinct == 1 else \
            f"the data take only {distinct} distinct values"
        raise NoMaximumError(
            f"{what}, fewer than the {m} free parameters of {family.title} ({names}): the MLE "
            "does not exist (the likelihood is maximised on the boundary, a degenerate "
            "distribution). Add data or hold parameters with fixed={...}"
        )


def distinct_at_least(points: np.ndarray, m: int) -> int:
    """Number of distinct rows of ``points``, counted only up to ``m``.

    ``min(m, #distinct)`` in at most ``m`` linear passes (no sort): the identifiability
    check needs to know whether there are as many distinct values as free parameters,
    not how many there are.
    """
    if points.shape[0] == 0:
        return 0
    flat = points.reshape(points.shape[0], -1)
    seen = [flat[0]]
    other: np.ndarray | None = None
    while len(seen) < m:
        differs = np.any(flat != seen[-1], axis=1) if flat.shape[1] > 1 else \
            flat[:, 0] != seen[-1][0]
        other = differs if other is None else np.logical_and(other, differs, out=other)
        idx = int(np.argmax(other))
        if not other[idx]:
            break
        seen.append(flat[idx])
    return len(seen)


def mle_accepts(family: Family, name: str) -> bool:
    try:
        sig = inspect.signature(family.mle)
    except (TypeError, ValueError):  # pragma: no cover
        return False
    return name in sig.parameters or any(
        p.kind is inspect.Parameter.VAR_KEYWORD for p in sig.parameters.values())
