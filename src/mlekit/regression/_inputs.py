r"""What a regression is given: its settings, the response, weights, offsets and designs.

The first stage of the regression pipeline (:mod:`mlekit.regression._pipeline`): every
check that needs no pass over the rows of ``X``, with errors that name the column, the
row and what to try. Nothing here knows the scikit-learn estimator; the Dask backend
uses the same pieces.

* :class:`Settings` — the estimator's parameters, checked and resolved once (the family
  object, not its name);
* :func:`response` — y as floats, or class labels coded ``0..k-1`` (a family that
  declares ``classifier``), or Binomial ``(successes, failures)`` columns (a family that
  declares ``trials_parameter``);
* :func:`check_weights`, :func:`offset_of` — frequency weights ``w_i >= 0`` and the offset
  ``o_i`` (``+ log(exposure_i)``) of the mean's linear predictor;
* :func:`combine_designs` — one matrix ``[X, Z_1, Z_2 …]`` for the parameters' designs
  ``θ_k = g_k^{-1}(Z_k β_k)``, and the column layout kept for prediction;
* :func:`check_y_range` — responses whose magnitude the sums over rows cannot hold, and
  constant responses whose dispersion has no maximum.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from ..errors import DataError, ParameterError, SupportError
from ..families import Family, get_family
from ..families._rowmodel import RowModel
from ._diagnostics import check_finite_matrix
from ._least_squares import all_finite

__all__ = ["COV_TYPES", "DISPERSION", "INFORMATION", "Settings", "check_groups",
           "check_settings", "check_weights", "combine_designs", "offset_of", "response",
           "with_groups"]

COV_TYPES = ("nonrobust", "HC0", "HC1", "HC2", "HC3", "cluster", "HAC")
INFORMATION = ("observed", "expected")
DISPERSION = ("pearson", "ml")


# ---------------------------------------------------------------------- settings
def check_settings(est: Any) -> None:
    """Check an estimator's settings before any data are read (ParameterError / UnknownNameError).

    ``cov_type``, ``information`` and ``dispersion`` (or None) must be known names;
    ``alpha_l2`` and ``alpha_l1`` finite numbers >= 0; ``max_iter`` a positive integer and
    ``tol`` a finite number > 0; ``maxlags`` an integer >= 0 with ``cov_type="HAC"`` and
    None otherwise.
    """
    from ..errors import did_you_mean

    if est.cov_type not in COV_TYPES:
        raise did_you_mean(est.cov_type, COV_TYPES, what="cov_type")
    if est.information not in INFORMATION:
        raise did_you_mean(est.information, INFORMATION, what="information")
    maxlags = getattr(est, "maxlags", None)
    if est.cov_type == "HAC":
        if isinstance(maxlags, bool) or not isinstance(maxlags, (int, np.integer)) \
                or maxlags < 0:
            raise ParameterError(f"cov_type='HAC' needs maxlags, the number of lags of the "
                                 f"Newey-West (Bartlett) covariance, an integer >= 0; got "
                                 f"maxlags={maxlags!r} (e.g. maxlags=4)")
    elif maxlags is not None:
        raise ParameterError(f"maxlags={maxlags!r} applies to cov_type='HAC' only (the "
                             f"estimator has cov_type={est.cov_type!r}); drop it or set "
                             "cov_type='HAC'")
    disp = getattr(est, "dispersion", None)
    if disp is not None and (not isinstance(disp, str) or disp not in DISPERSION):
        if not isinstance(disp, str):
            raise ParameterError(f"dispersion must be 'pearson', 'ml' or None (the "
                                 f"family's default); got {disp!r}")
        raise did_you_mean(disp, DISPERSION, what="dispersion")
    for name in ("alpha_l2", "alpha_l1"):
        v = getattr(est, name)
        try:
            ok = v is not None and not isinstance(v, bool) and np.isfinite(float(v)) \
                and float(v) >= 0
        except (TypeError, ValueError):
            ok = False
        if not ok:
            raise ParameterError(f"{name} must be a finite number >= 0 (0 = maximum "
                                 f"likelihood); got {v!r}")
    it = est.max_iter
    if isinstance(it, bool) or not isinstance(it, (int, np.integer)) or it < 1:
        raise ParameterError(f"max_iter must be a positive integer; got {it!r}")
    tol = est.tol
    try:
        ok = not isinstance(tol, bool) and np.isfinite(float(tol)) and float(tol) > 0
    except (TypeError, ValueError):
        ok = False
    if not ok:
        raise ParameterError(f"tol must be a finite number > 0; got {tol!r}")


@dataclass(frozen=True)
class Settings:
    """A regression's settings, checked, with the family resolved once.

    The fields are the estimator's parameters (``Regression``'s docstring says what each
    means); :meth:`of` reads them from any object that has them, so the scikit-learn
    estimator and the Dask backend build the same pipeline from the same settings.
    """

    family: Family
    link: Any = None
    fit_intercept: bool = True
    alpha_l2: float = 0.0
    alpha_l1: float = 0.0
    fixed: Mapping[str, float] | None = None
    cov_type: str = "nonrobust"
    information: str = "observed"
    heteroscedastic: bool = False
    max_iter: int = 100
    tol: float = 1e-8
    engine: str = "auto"
    #: "pearson", "ml" or None (the family's default: "pearson" where it is defined);
    #: see :func:`dispersion_refusal` and :func:`._inference.pearson_ratio`
    dispersion: str | None = None
    #: the lags of the Newey-West covariance (``cov_type="HAC"``), else None
    maxlags: int | None = None
    #: ``cov_type="cluster"``: each row's cluster as a code ``0..G-1`` (data given to
    #: ``fit(..., groups=g)``, not a parameter: :func:`check_groups`), else None
    groups: np.ndarray | None = field(default=None, compare=False, repr=False)

    @classmethod
    def of(cls, est: Any) -> Settings:
        """The checked settings of ``est`` (raises before any data are read); an explicit
        ``dispersion="pearson"`` where it is not defined is a ParameterError naming why."""
        check_settings(est)
        settings = cls(family=get_family(est.family), link=est.link,
                       fit_intercept=bool(est.fit_intercept)
                       and get_family(est.family).location_intercept,
                       alpha_l2=float(est.alpha_l2),
                       alpha_l1=float(est.alpha_l1), fixed=dict(est.fixed or {}) or None,
                       cov_type=est.cov_type, information=est.information,
                       heteroscedastic=bool(est.heteroscedastic),
                       max_iter=int(est.max_iter), tol=float(est.tol), engine=est.engine,
                       dispersion=getattr(est, "dispersion", None),
                       maxlags=None if getattr(est, "maxlags", None) is None
                       else int(est.maxlags))
        if settings.dispersion == "pearson":
            why = settings.dispersion_refusal()
            if why is not None:
                raise ParameterError(f"dispersion='pearson' is not defined here: {why}; use "
                                     "dispersion='ml' (or None: the family's default)")
        return settings

    def dispersion_refusal(self, model: RowModel | None = None,
                           penalised: bool | None = None) -> str | None:
        r"""Why the Pearson dispersion convention does not apply, or None where it does.

        It needs a family that declares a dispersion (``Family.dispersion_parameter``:
        Normal σ, Gamma shape, inverse Gaussian λ), estimated (not ``fixed``) as one
        intercept-only nuisance (no design of its own, not ``heteroscedastic``), and an
        unpenalised fit (a prior changes the mean's information by more than the scale
        1/φ). ``model`` (the row model, once built) adds the check of the parameters'
        designs; ``penalised`` that of the priors (default: the settings' alphas).
        """
        decl = self.family.dispersion_parameter
        if decl is None:
            return f"the {self.family.title} family has no dispersion parameter"
        name = decl[0]
        if self.fixed and name in self.fixed:
            return f"its dispersion parameter {name!r} is fixed (fixed={{{name!r}: ...}})"
        if self.heteroscedastic:
            return f"{name!r} has a design of its own (heteroscedastic=True)"
        if penalised is None:
            penalised = bool(self.alpha_l2 or self.alpha_l1)
        if penalised:
            return ("the fit is penalised (alpha_l2 / alpha_l1 > 0: a MAP estimate, whose "
                    "information is not a multiple of 1/φ)")
        if model is not None:
            if getattr(model, "censored", False):
                return "the response is censored (the Pearson statistic needs exact values)"
            slots = [s for s in model.slots if s.nuisance == name]
            if not slots:
                return f"the model does not estimate {name!r}"
            if any(s.design != "1" for s in slots):
                return f"{name!r} has a design of its own (designs={{{name!r}: ...}})"
        return None

    @property
    def classifier(self) -> bool:
        """Is y a set of class labels (the family declares ``classifier``)?"""
        return self.family.classifier is not None


# ---------------------------------------------------------------------- clusters
def check_groups(groups: Any, n: int) -> tuple[np.ndarray, int]:
    """Cluster labels, one per row, as codes ``0..G-1`` (in order of first appearance)
    and ``G``.

    Any labels (numbers, strings, categories) compare by equality; a missing label
    (NaN, None, NaT) is a DataError naming its row, as are labels of the wrong length
    and fewer than two clusters (the cluster-robust covariance needs ``G >= 2``).
    """
    import pandas as pd

    if hasattr(groups, "to_numpy"):
        groups = groups.to_numpy()
    g = np.asarray(groups, dtype=object) if not isinstance(groups, np.ndarray) else groups
    if g.ndim == 2 and g.shape[1] == 1:
        g = g[:, 0]
    if g.ndim != 1:
        raise DataError(f"groups must hold one cluster label per row (a 1-d array of {n} "
                        f"labels); got shape {g.shape}")
    if g.shape[0] != n:
        raise DataError(f"groups has {g.shape[0]} labels but X has {n} rows: give one "
                        "cluster label per row")
    codes, uniques = pd.factorize(g, use_na_sentinel=True)
    if codes.size and codes.min() < 0:
        i = int(np.flatnonzero(codes < 0)[0])
        raise DataError(f"groups[{i}] (row {i}) is missing ({g[i]!r}): every row needs a "
                        "cluster label; drop the row or give it a cluster of its own")
    if len(uniques) < 2:
        raise DataError(f"groups has {len(uniques)} cluster"
                        f"{'' if len(uniques) == 1 else 's'}: the cluster-robust covariance "
                        "needs at least 2 (G/(G-1) scaling, one score sum per cluster); use "
                        "cov_type='HC1' for independent rows")
    return codes.astype(np.intp), len(uniques)


def with_groups(settings: Settings, groups: Any, n: int) -> Settings:
    """``settings`` with the cluster codes of ``groups`` (``fit(..., groups=g)``) when
    ``cov_type="cluster"``; a ParameterError when one is given without the other."""
    if settings.cov_type == "cluster":
        if groups is None:
            raise ParameterError("cov_type='cluster' needs the clusters: fit(X, y, groups=g) "
                                 "with one cluster label per row")
        codes, _ = check_groups(groups, n)
        return replace(settings, groups=codes)
    if groups is not None:
        raise ParameterError(f"groups=... is used by cov_type='cluster' only (the estimator "
                             f"has cov_type={settings.cov_type!r}); set cov_type='cluster'")
    return settings


# ---------------------------------------------------------------------- the response
def as_1d(y: Any) -> Any:
    """A column vector y becomes 1-d with scikit-learn's DataConversionWarning."""
    if hasattr(y, "shape") and len(y.shape) == 2 and y.shape[1] == 1:
        from sklearn.utils.validation import column_or_1d

        return column_or_1d(y, warn=True)
    return y


def numeric_y(y: Any, family: str) -> np.ndarray:
    """y as floats, or a DataError naming the first entry that is not a number."""
    raw = y.to_numpy() if hasattr(y, "to_numpy") else np.asarray(y)
    if raw.dtype.kind == "c":
        raise DataError("y is complex: a response must be real numbers")
    try:
        return np.asarray(raw, dtype=float)
    except (TypeError, ValueError):
        flat = raw.reshape(-1)
        for i, v in enumerate(flat):
            try:
                float(v)
            except (TypeError, ValueError):
                raise DataError(
                    f"y must be numeric for the {family} family: y[{i}] = {v!r} is text or "
                    "another non-numeric value (class labels belong to family='bernoulli' or "
                    "'categorical')") from None
        raise DataError(f"y must be numeric for the {family} family") from None


def encode_labels(y: Any, family: Family) -> tuple[np.ndarray, np.ndarray]:
    """Class labels -> ``(codes 0..k-1 as floats, classes)``; a binary family takes 2 labels."""
    from sklearn.utils.multiclass import check_classification_targets

    fam_name = family.name
    binary = family.classifier == "binary"
    if family.classifier == "ordinal":
        return _ordered_labels(y, family)
    y = np.asarray(y)
    if y.ndim == 2 and y.shape[1] == 1:
        y = y[:, 0]
    if y.ndim != 1:
        raise DataError(f"y must be one-dimensional; got shape {y.shape}")
    if binary and y.dtype.kind in "fiub":
        # the common case, labels already 0/1: no sort, no (n,) temporaries beyond masks
        n0, n1 = int(np.count_nonzero(y == 0)), int(np.count_nonzero(y == 1))
        if n0 and n1 and n0 + n1 == y.size:
            return (y if y.dtype == np.float64 else y.astype(float)), \
                np.array([0, 1], dtype=y.dtype)
    if y.dtype.kind in "fc":
        bad = ~np.isfinite(y)
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise DataError(f"y contains a {'NaN' if np.isnan(y[i]) else 'infinite'} value "
                            f"at row {i}")
    try:
        with warnings.catch_warnings():  # sklearn casts huge floats to int to look at them
            warnings.simplefilter("ignore", RuntimeWarning)
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
            # whole numbers too large for sklearn's int cast (1e300): labels all the same
        else:
            raise SupportError(f"{fam_name} regression needs class labels: {exc}") from None
    classes, codes = np.unique(y, return_inverse=True)
    if binary and classes.size > 2:
        if y.dtype.kind in "fiub":
            out = np.flatnonzero((y != 0) & (y != 1))
            i = int(out[0])
            raise SupportError(
                f"{family.title} regression: y must satisfy value in {{0, 1}} (Binary); found "
                f"{y[i]} at row {i} ({classes.size} distinct values). Only binary "
                "classification is supported: use family='categorical' for more classes"
            )
        i = int(np.flatnonzero(codes >= 2)[0])
        raise SupportError(
            f"{family.title} regression needs 2 classes; found {classes.size}, the third "
            f"({y[i]!r}) first at row {i}. Only binary classification is supported: "
            "use family='categorical'"
        )
    if classes.size < 2:
        raise DataError(
            f"y has only one class ({classes[0]!r}): a classifier needs at least 2 classes"
        )
    return codes.astype(float), classes


def _ordered_labels(y: Any, family: Family) -> tuple[np.ndarray, np.ndarray]:
    """Ordered class labels -> ``(codes 0..K-1, classes in their order)``: a pandas ordered
    Categorical in its categories' order (every category must occur), or numbers in
    increasing order; unordered text is refused (its order would be alphabetical)."""
    import pandas as pd

    dtype = getattr(y, "dtype", None)
    if isinstance(dtype, pd.CategoricalDtype):
        cat = pd.Categorical(y)
        if not cat.ordered:
            raise DataError(f"{family.title} regression: y is an unordered Categorical; make "
                            "it ordered (pd.Categorical(y, categories=[...], ordered=True)) "
                            "so that the classes have their order")
        codes = np.asarray(cat.codes)
        if np.any(codes < 0):
            raise DataError(f"{family.title} regression: y has a missing value at row "
                            f"{int(np.flatnonzero(codes < 0)[0])}")
        used = np.bincount(codes, minlength=len(cat.categories))
        if np.any(used == 0):
            j = int(np.flatnonzero(used == 0)[0])
            raise DataError(f"{family.title} regression: the level {cat.categories[j]!r} of y "
                            "has no observation (its thresholds would run together); drop it "
                            "with y.cat.remove_unused_categories()")
        return codes.astype(float), np.asarray(cat.categories)
    arr = np.asarray(y)
    if arr.ndim == 2 and arr.shape[1] == 1:
        arr = arr[:, 0]
    if arr.ndim != 1:
        raise DataError(f"y must be one-dimensional; got shape {arr.shape}")
    if arr.dtype.kind not in "fiub":
        raise DataError(f"{family.title} regression: y must be numbers in their order or an "
                        "ordered pandas Categorical (text labels have no order: give "
                        "pd.Categorical(y, categories=[...], ordered=True))")
    arr = arr.astype(float)
    bad = ~np.isfinite(arr)
    if bad.any():
        raise DataError(f"y contains a non-finite value at row {int(np.flatnonzero(bad)[0])}")
    classes, codes = np.unique(arr, return_inverse=True)
    if classes.size < 2:
        raise DataError(f"y has only one class ({classes[0]!r}): an ordinal model needs at "
                        "least 2 ordered classes")
    return codes.astype(float), classes


def response(settings: Settings, y: Any, n: int, aux: dict[str, Any]
             ) -> tuple[np.ndarray, np.ndarray | None, dict[str, Any]]:
    """``(y as floats, classes or None, aux)`` for ``n`` rows, checked.

    A family that declares ``trials_parameter`` (Binomial) also takes y as two columns
    ``(successes, failures)``, as statsmodels' GLM does: the trials are then their sum.
    A :class:`~mlekit.estimate.Censored` y is a censored response (:mod:`._censored`): y
    is then a representative value per row, and ``aux`` gains its intervals.
    """
    fam = settings.family
    aux = dict(aux)
    from ..estimate.censored import Censored

    if isinstance(y, Censored):  # (a censored response: its intervals ride in aux)
        if settings.classifier:
            raise DataError(f"{fam.title} regression: y is censored, but a classifier's y "
                            "are class labels; censoring applies to values of a support")
        from ._censored import censored_response

        yv, extra = censored_response(y, n)
        aux.update(extra)
        return yv, None, aux
    if fam.trials_parameter is not None and np.ndim(y) == 2 and np.shape(y)[1] == 2:
        yy = np.asarray(y, dtype=float)
        y, aux["trials"] = yy[:, 0], yy[:, 0] + yy[:, 1]
    y = as_1d(y)
    classes = None
    if settings.classifier:
        yv, classes = encode_labels(y, fam)
    else:
        yv = numeric_y(y, fam.name)
        if yv.ndim == 2 and yv.shape[1] == 1:
            yv = yv[:, 0]
        if yv.ndim != 1:
            raise DataError(f"y must be one-dimensional; got shape {yv.shape}")
    if yv.shape[0] != n:
        raise DataError(f"X has {n} rows but y has {yv.shape[0]}")
    return yv, classes, aux


def check_y_range(y: np.ndarray, w: np.ndarray | None, model: RowModel) -> None:
    r"""Refuse y the fit cannot represent, or whose dispersion has no maximum.

    **Magnitude.** The rows form powers ``y^k`` (the family's ``y_power``: 2 for variances
    and deviances, 3 for the inverse Gaussian) summed over up to ``~1e8`` rows, so with
    ``B^k · 1e8 · margin <= 1.8e308`` the bound is ``B = 1e120`` (``k = 2``) and
    ``B = 1e80`` (``k = 3``); the same bound below, ``|y| >= 1/B``, keeps ``y^k`` away from
    underflow. Beyond it a :class:`DataError` says by which power of ten to rescale y;
    within it the fits are scale-equivariant (tested for ``c = 1e±100``).

    **Constant y.** With all (positively weighted) y equal to one value c, the mean fits
    c exactly and the likelihood keeps rising as the spread parameter shrinks: a Gamma's
    or Beta's shape/precision and an inverse Gaussian's λ run to +∞, a Student-t's σ to
    0, and a negative binomial's α to 0. The MLE does not exist: a
    :class:`~mlekit.errors.NoMaximumError`, not an overflow. (A model solved exactly by
    least squares keeps its coefficients; σ̂ = 0 is reported.)
    """
    from ..errors import NoMaximumError

    if model.classification or y.size == 0:
        return
    yy = y if w is None else y[w > 0]
    a = np.abs(yy)
    top = float(np.max(a)) if a.size else 0.0
    if top != 0.0 and np.isfinite(top):
        bound = 1e80 if model.family.y_power >= 3 else 1e120
        if not (1.0 / bound <= top <= bound):
            i = int(np.flatnonzero(np.abs(y) == top)[0])
            factor = 10.0 ** (-round(float(np.log10(top))))
            side = "above" if top > bound else "below"
            raise DataError(
                f"y spans magnitudes beyond double precision for {model.family.name} "
                f"regression: |y| reaches {top:.3g} (row {i}), {side} the "
                f"{bound if top > bound else 1 / bound:.0e} its squared terms can hold; "
                f"rescale y by {factor:.0e} (fit y * {factor:.0e}; the coefficients and "
                "scale transform back) and refit")
    free = [nm for nm in model.nuisance_names if nm not in model.fixed]
    if not free or model.exact == "least squares":
        return
    if yy.size == 0 or np.any(yy != yy[0]) or yy[0] == 0:
        return  # (every y = 0 is the existence check's: the mean itself has no MLE)
    raise NoMaximumError(
        f"every y equals {yy[0]:g}: the {model.family.name} fit is perfect, so its "
        f"{', '.join(free)} runs to the edge of its domain and the likelihood has no maximum "
        "(the MLE does not exist). Fix the nuisance with fixed={...}, or use a family "
        "without one")


# ---------------------------------------------------------------------- weights, offset
def check_weights(sample_weight: Any, n: int) -> np.ndarray | None:
    """Frequency weights as floats, finite and >= 0 with a positive sum, or None."""
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


def offset_of(offset: Any, exposure: Any, n: int) -> np.ndarray | None:
    """The offset of the mean's linear predictor, ``o_i + log(exposure_i)``, or None."""
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


def aux_rows(aux: Mapping[str, Any], n: int) -> dict[str, np.ndarray]:
    """Per-row data (Binomial ``trials``) broadcast to ``n`` rows, as floats."""
    return {k: np.broadcast_to(np.asarray(v, float), (n,)).copy()
            for k, v in aux.items() if v is not None}


# ---------------------------------------------------------------------- designs
Layout = list[tuple[str, int | None]]


def combine_designs(designs: Mapping[str, Any] | None, X: Any, Xa: np.ndarray,
                    names: list[str], fitted: Layout | None = None
                    ) -> tuple[np.ndarray, dict[str, Any], list[str], Layout]:
    """One matrix ``[X, Z_1, Z_2 …]`` for the parameters' designs, each parameter's
    columns in it, the column names, and the layout to remember for prediction.

    ``designs`` maps a parameter to an array/DataFrame ``Z`` (its columns are appended),
    a list of ``X``'s column names or indices, ``"X"`` or ``"1"``. At fit time
    (``fitted=None``) the returned layout records each parameter's number of appended
    columns; at predict time ``fitted`` is that layout and the same parameters' ``Z``
    must be given again, with the same number of columns.
    """
    fitting = fitted is None
    if not designs:
        if not fitting:
            need = [k for k, v in fitted if v is not None]
            if need:
                raise DataError(f"this model was fitted with designs for {', '.join(need)}: "
                                "pass them again, designs={...}, with new rows")
        return Xa, {}, list(names), [] if fitting else list(fitted)
    if not isinstance(designs, Mapping):
        raise ParameterError("designs must be a dict {parameter: design}; got "
                             f"{type(designs).__name__}")
    blocks, spec, terms, layout = [Xa], {}, list(names), []
    p = Xa.shape[1]
    col = p
    for pname, Z in designs.items():
        own = None if fitting else dict(fitted).get(pname)
        if own is not None and (isinstance(Z, str) or (
                isinstance(Z, (list, tuple))
                and all(isinstance(c, (str, int, np.integer)) for c in Z))):
            raise DataError(f"designs[{pname!r}]: the model was fitted with a design of "
                            f"{own} columns of its own; pass that design again (new rows)")
        if isinstance(Z, str):
            if Z not in ("X", "1"):
                raise ParameterError(f"designs[{pname!r}] = {Z!r}: a string design is "
                                     "'X' (the columns of X) or '1' (a constant)")
            spec[pname] = Z
            layout.append((pname, None))
            continue
        if isinstance(Z, (list, tuple)) and all(isinstance(c, (str, int, np.integer))
                                                and not isinstance(c, bool) for c in Z):
            idx = []
            for c in Z:
                if isinstance(c, str):
                    if c not in names:
                        raise DataError(f"designs[{pname!r}]: no column {c!r} in X "
                                        f"(columns: {', '.join(names)})")
                    idx.append(names.index(c))
                else:
                    if not 0 <= int(c) < p:
                        raise DataError(f"designs[{pname!r}]: column index {c} is outside "
                                        f"X's {p} columns")
                    idx.append(int(c))
            spec[pname] = tuple(idx)
            layout.append((pname, None))
            continue
        Zn = [str(c) for c in Z.columns] if hasattr(Z, "columns") else None
        try:
            Za = np.asarray(Z.to_numpy() if hasattr(Z, "to_numpy") else Z, dtype=float)
        except (TypeError, ValueError):
            raise DataError(f"designs[{pname!r}] must be numeric (an (n, q) array or "
                            "DataFrame)") from None
        if Za.ndim == 1:
            Za = Za[:, None]
        if Za.ndim != 2 or Za.shape[0] != Xa.shape[0]:
            raise DataError(f"designs[{pname!r}] has shape {Za.shape}; it needs one row per "
                            f"row of X ({Xa.shape[0]})")
        if Zn is None:
            Zn = [f"z{j}" for j in range(Za.shape[1])]
        if not fitting:
            q = dict(fitted).get(pname)
            if q is None or q != Za.shape[1]:
                raise DataError(f"designs[{pname!r}] has {Za.shape[1]} columns; the model "
                                f"was fitted with {q if q is not None else 'none'}")
        if not all_finite(Za):
            check_finite_matrix(Za, [f"{pname}:{c}" for c in Zn])
        blocks.append(Za)
        spec[pname] = tuple(range(col, col + Za.shape[1]))
        terms += Zn
        layout.append((pname, Za.shape[1]))
        col += Za.shape[1]
    if not fitting:
        missing = [k for k, v in fitted if v is not None and k not in designs]
        if missing:
            raise DataError(f"designs for {', '.join(missing)} are missing: the model was "
                            "fitted with them")
        layout = list(fitted)
    Xc = np.column_stack(blocks) if len(blocks) > 1 else Xa
    if len(blocks) > 1:  # the mean keeps X's own columns
        spec = {"__location__": tuple(range(p)), **spec}
    return Xc, spec, terms, layout
