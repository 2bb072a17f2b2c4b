r"""Maximum likelihood is minimum KL divergence — as a tool.

For data :math:`x_1,\dots,x_n` with empirical distribution :math:`\hat p` and a
model :math:`p_\theta`, the mean negative log-likelihood is a cross-entropy:

.. math::

    \frac1n\sum_{i=1}^n -\log p_\theta(x_i) \;=\; H(\hat p, p_\theta)
    \;=\; H(\hat p) + \mathrm{KL}(\hat p \,\|\, p_\theta).

:math:`H(\hat p)` does not depend on θ, so the θ that minimises
:math:`\mathrm{KL}(\hat p\,\|\,p_\theta)` is the θ that maximises the likelihood.

* Discrete data: :math:`\hat p` is the plug-in (empirical) distribution, and all
  three terms are exact finite sums, so the identity holds to rounding.
* Continuous data: :math:`\hat p` has no density; the data distribution's
  entropy is estimated by k nearest neighbours (Kozachenko–Leonenko) and
  :math:`\widehat{\mathrm{KL}}(p_{data}\,\|\,p_\theta) = \text{mean NLL} - \hat H`,
  with the standard errors of both pieces reported.

:func:`kl_decomposition` evaluates the decomposition for one model;
:func:`kl_profile` evaluates it along a grid (or path) of parameter values and
returns the arrays a plot needs, the argmin and the MLE.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy.special import xlogy

from .._utils.tables import ResultsTable
from ..errors import DataError, NotImplementedForFamily, ParameterError
from ..estimate._fit import BoundaryWarning, fit_estimate
from ..families import Distribution, Family, get_family
from ._support import as_distribution
from .samples import block_se, blocks, kl_entropy_estimate, knn_entropy, negative_kl_note

__all__ = ["KLDecomposition", "KLProfile", "kl_decomposition", "kl_profile"]


# ====================================================================== data side
@dataclass(frozen=True)
class _DataSide:
    """What depends only on the data: the plug-in distribution or the k-NN entropy."""

    x: np.ndarray
    weights: np.ndarray  # normalised to sum to 1
    discrete: bool
    entropy: float
    entropy_error: float
    values: np.ndarray | None = None  # discrete: distinct values
    freqs: np.ndarray | None = None  # discrete: their relative frequencies
    method: str = "plug-in"
    # continuous: the random blocks of the subsampling SE and the entropy estimate on each
    blocks: tuple[np.ndarray, ...] = ()
    block_entropy: np.ndarray | None = None
    weighted: bool = False  # the user gave weights (else the MLE is unweighted)


def _data_side(x: Any, family: Family, weights: Any, k: int,
               params: Mapping[str, Any] | None = None) -> _DataSide:
    if family.event_ndim:
        arr = np.asarray(x, dtype=float)
    else:
        arr = np.ravel(family.check_data(x, what="data", **(params or {})))
    if arr.shape[0] == 0:
        raise DataError("data is empty: the empirical distribution needs at least one point")
    if weights is None:
        w = np.full(arr.shape[0], 1.0 / arr.shape[0])
    else:
        w = np.asarray(weights, dtype=float)
        if w.shape != (arr.shape[0],):
            raise DataError(f"weights have shape {w.shape}; expected ({arr.shape[0]},)")
        if not np.all(np.isfinite(w)) or np.any(w < 0) or w.sum() <= 0:
            raise DataError("weights must be finite, non-negative and not all zero")
        w = w / w.sum()
    if family.discrete:
        vals, inv = np.unique(arr, return_inverse=True, axis=0 if arr.ndim > 1 else None)
        freqs = np.bincount(np.ravel(inv), weights=w, minlength=len(vals))
        h = float(-np.sum(xlogy(freqs, freqs)))
        return _DataSide(arr, w, True, h, 0.0, vals, freqs, "plug-in",
                         weighted=weights is not None)
    if weights is not None:
        raise DataError("weights are supported for discrete data only (the k-NN entropy "
                        "estimate of continuous data is unweighted)")
    hk = knn_entropy(arr, k=k)  # validates the points and k
    pts = arr[:, None] if arr.ndim == 1 else arr
    idx = tuple(blocks(pts.shape[0], int(k)))
    hb = np.array([kl_entropy_estimate(pts[b], int(k)) for b in idx])
    return _DataSide(arr, w, False, float(hk.value), float(hk.error), method=f"knn (k={k})",
                     blocks=idx, block_entropy=hb)


def _mean_nll(side: _DataSide, model: Distribution) -> tuple[float, float]:
    """Mean NLL of the data under ``model`` (= H(p̂, p_θ)) and its standard error."""
    nll, se, _ = _mean_nll_terms(side, model)
    return nll, se


def _mean_nll_terms(side: _DataSide, model: Distribution
                    ) -> tuple[float, float, np.ndarray | None]:
    """Mean NLL, its standard error and (continuous data) the per-point log q(x_i)."""
    with np.errstate(divide="ignore"):
        if side.discrete:
            assert side.values is not None and side.freqs is not None
            lq = np.asarray(model.logpdf(side.values), dtype=float)
            charged = side.freqs > 0
            if np.any(charged & (lq == -np.inf)):
                return np.inf, 0.0, None
            nll = -np.sum(np.where(charged, side.freqs * lq, 0.0))
            return float(nll), 0.0, None
        lq = np.asarray(model.logpdf(side.x), dtype=float)
    if np.any(lq == -np.inf):
        return np.inf, 0.0, None
    n = lq.shape[0]
    return float(-lq.mean()), float(lq.std(ddof=1) / np.sqrt(n)) if n > 1 else 0.0, lq


def _kl_plugin(side: _DataSide, model: Distribution) -> float:
    """KL(p̂ ‖ p_θ) = Σ_v f_v (log f_v − log p_θ(v)), computed directly (not by subtraction)."""
    assert side.values is not None and side.freqs is not None
    with np.errstate(divide="ignore"):
        lq = np.asarray(model.logpdf(side.values), dtype=float)
    f = side.freqs
    charged = f > 0
    if np.any(charged & (lq == -np.inf)):
        return np.inf
    return float(np.sum(np.where(charged, xlogy(f, f) - f * np.where(charged, lq, 0.0), 0.0)))


# ====================================================================== decomposition
@dataclass(frozen=True)
class KLDecomposition:
    r"""H(p̂, p_θ) = H(p̂) + KL(p̂ ‖ p_θ) for one data set and one model.

    Attributes
    ----------
    mean_nll : float
        −(1/n) Σ log p_θ(x_i): the cross-entropy H(p̂, p_θ) (weighted mean with weights).
    data_entropy : float
        H(p̂): exact plug-in entropy (discrete) or the k-NN estimate (continuous).
    kl : float
        KL(p̂ ‖ p_θ) ≥ 0 (plug-in sum, or mean NLL − k-NN entropy for continuous data).
    mean_nll_error, data_entropy_error, kl_error : float
        Standard errors: 0 for the exact discrete quantities. For continuous data the
        mean NLL's is sd(log p_θ(x_i))/√n; the entropy's and the KL's are subsampling
        SEs: the data are split at random (seed 0) into up to 10 disjoint blocks, the
        estimate is recomputed on each, and SE = sd(block estimates)/√B (see
        :mod:`mlekit.divergence.samples`). The KL's blocks pair each block's mean NLL
        with its own entropy estimate, so the strong correlation of the two pieces
        cancels. NaN when fewer than 2 blocks of more than k + 1 points fit.
    identity_gap : float
        mean_nll − (data_entropy + kl): 0 up to rounding for discrete data,
        where the three are computed separately.
    method : str
        ``"plug-in"`` (discrete) or ``"knn (k=…)"`` (continuous).
    n : int
        Number of observations.
    model : Distribution
        The model p_θ.
    notes : tuple of str
        Caveats. A continuous-data KL estimate below 0 is **not** clipped: ``kl`` is
        the raw estimate, and a note says by how many standard errors it is below 0
        and whether that is consistent with KL = 0 (within 2 SE). ``kl_clipped`` is
        max(kl, 0) for those who want it, stated as such.

    Examples
    --------
    >>> import mlekit as mk
    >>> d = mk.kl_decomposition([0, 1, 1, 1], mk.Bernoulli(0.5))
    >>> round(d.mean_nll, 6), round(d.data_entropy, 6), round(d.kl, 6)
    (0.693147, 0.562335, 0.130812)
    >>> d.method, abs(d.identity_gap) < 1e-12
    ('plug-in', True)
    """

    mean_nll: float
    data_entropy: float
    kl: float
    mean_nll_error: float
    data_entropy_error: float
    kl_error: float
    identity_gap: float
    method: str
    n: int
    model: Distribution
    notes: tuple[str, ...] = ()

    @property
    def kl_clipped(self) -> float:
        """max(kl, 0): KL cannot be negative (see :attr:`notes` when ``kl`` < 0)."""
        return max(self.kl, 0.0)

    @property
    def cross_entropy(self) -> float:
        """Alias of :attr:`mean_nll`: the cross-entropy H(p̂, p_θ)."""
        return self.mean_nll

    def __repr__(self) -> str:
        note = f", note={'; '.join(self.notes)!r}" if self.notes else ""
        return (f"KLDecomposition(H(p_hat, p_theta) = {self.mean_nll:.10g} = "
                f"H(p_hat) {self.data_entropy:.10g} + KL(p_hat || p_theta) {self.kl:.10g} "
                f"(SE {self.kl_error:.3g}); method={self.method!r}, n={self.n}, "
                f"model={self.model!r}{note})")

    def summary(self) -> ResultsTable:
        rows = [
            ("H(p_hat, p_theta) = mean NLL", [self.mean_nll, self.mean_nll_error]),
            ("H(p_hat)", [self.data_entropy, self.data_entropy_error]),
            ("KL(p_hat || p_theta)", [self.kl, self.kl_error]),
        ]
        return ResultsTable(
            title="Mean NLL = data entropy + KL (nats)",
            info=[("Model", repr(self.model)), ("Observations", self.n),
                  ("Method", self.method), ("Identity gap", self.identity_gap)],
            columns=["value", "std. error"], rows=rows,
            notes=[*self.notes,
                   "Minimising KL(p_hat || p_theta) over theta maximises the likelihood: "
                   "H(p_hat) does not depend on theta."])

    def to_dict(self) -> dict[str, Any]:
        return {"mean_nll": self.mean_nll, "data_entropy": self.data_entropy, "kl": self.kl,
                "mean_nll_error": self.mean_nll_error,
                "data_entropy_error": self.data_entropy_error, "kl_error": self.kl_error,
                "identity_gap": self.identity_gap, "method": self.method, "n": self.n,
                "model": repr(self.model), "notes": list(self.notes)}


def _decompose(side: _DataSide, model: Distribution) -> KLDecomposition:
    nll, nll_se, lq = _mean_nll_terms(side, model)
    notes: tuple[str, ...] = ()
    if side.discrete:
        kl = _kl_plugin(side, model)
        kl_se = 0.0
    else:
        kl = nll - side.entropy
        kl_se = 0.0
        if lq is not None and side.block_entropy is not None:
            # paired blocks: each block's mean NLL minus its own entropy estimate
            kl_se = block_se([-lq[b].mean() - h
                              for b, h in zip(side.blocks, side.block_entropy, strict=True)])
        note = negative_kl_note(kl, kl_se)
        notes = (note,) if note else ()
    gap = 0.0 if np.isinf(nll) else nll - (side.entropy + kl)
    return KLDecomposition(nll, side.entropy, kl, nll_se, side.entropy_error, kl_se,
                           float(gap), side.method, int(side.x.shape[0]), model, notes)


def kl_decomposition(data: Any, model: Distribution | str, *, weights: Any = None,
                     k: int = 3) -> KLDecomposition:
    r"""Split the mean NLL of ``data`` under ``model`` into data entropy + KL divergence.

    .. math::

        -\frac1n\sum_i \log p_\theta(x_i) = H(\hat p, p_\theta)
        = H(\hat p) + \mathrm{KL}(\hat p \,\|\, p_\theta)

    The KL is KL(p̂ ‖ p_θ) = E_p̂[log p̂ − log p_θ]: the expectation is under the
    data distribution (first argument), the model is the second.

    Parameters
    ----------
    data : array
        Observations (checked against the model's support).
    model : Distribution or str
        A single frozen member, e.g. ``mk.Bernoulli(0.3)`` or ``"poisson(rate=2)"``.
    weights : array, optional
        Observation weights (discrete data only); they define p̂.
    k : int
        Neighbour order of the k-NN entropy estimate (continuous data).

    Returns
    -------
    KLDecomposition

    Examples
    --------
    >>> import mlekit as mk
    >>> d = kl_decomposition([0, 1, 1, 1], mk.Bernoulli(0.5))
    >>> round(d.mean_nll, 6), round(d.data_entropy, 6), round(d.kl, 6)
    (0.693147, 0.562335, 0.130812)
    """
    model = as_distribution(model, "model")
    if model.batch_shape:
        raise ParameterError(f"model must be a single distribution, not a batch of shape "
                             f"{model.batch_shape}; use kl_profile for many parameter values")
    side = _data_side(data, model.family, weights, k, model.params)
    return _decompose(side, model)


# ====================================================================== profile
@dataclass(frozen=True)
class KLProfile:
    r"""Mean NLL, data entropy and KL(p̂ ‖ p_θ) along a grid or path of parameter values.

    Attributes
    ----------
    family : Family
    param : str or None
        The parameter varied along ``grid`` (None for a user path).
    grid : ndarray (g,)
        Values of ``param`` (or 0..g−1 along a path).
    params : dict name -> ndarray (g, ...)
        Every parameter of the model at each grid point (profiled ones at their
        conditional MLE).
    mean_nll, kl : ndarray (g,)
        H(p̂, p_θ) and KL(p̂ ‖ p_θ) at each point.
    data_entropy, data_entropy_error : float
        H(p̂) (constant along the grid) and its standard error.
    kl_error : ndarray (g,)
    argmin : float
        The grid value with the smallest KL.
    argmin_refined : float or None
        The minimiser of KL found by a bounded scalar search around ``argmin``
        (None for paths or when a neighbour is missing).
    mle : dict
        The maximum-likelihood estimate (all parameters).
    method : str
        ``"plug-in"`` or ``"knn (k=…)"``.
    profiled : tuple of str
        Parameters re-estimated at each grid point (their conditional MLE).

    Examples
    --------
    >>> import mlekit as mk
    >>> prof = mk.kl_profile([0, 1, 1, 1], mk.Bernoulli, "p", grid=[0.5, 0.75, 0.9])
    >>> [round(float(v), 4) for v in prof.kl]               # zero at the MLE p = 3/4
    [0.1308, 0.0, 0.0923]
    >>> prof.argmin, prof.mle
    (0.75, {'p': 0.75})
    """

    family: Family
    param: str | None
    grid: np.ndarray
    params: dict[str, np.ndarray]
    mean_nll: np.ndarray
    kl: np.ndarray
    kl_error: np.ndarray
    data_entropy: float
    data_entropy_error: float
    argmin: float
    argmin_refined: float | None
    mle: dict[str, Any]
    method: str
    n: int
    profiled: tuple[str, ...] = field(default_factory=tuple)

    @property
    def min_kl(self) -> float:
        return float(np.min(self.kl))

    def to_dict(self) -> dict[str, Any]:
        """Plain lists for JSON / the HTML report's plot."""
        def plain(v):
            return np.asarray(v).tolist() if isinstance(v, np.ndarray) else v

        return {
            "family": self.family.name, "param": self.param, "grid": plain(self.grid),
            "mean_nll": plain(self.mean_nll), "kl": plain(self.kl),
            "kl_error": plain(self.kl_error), "data_entropy": self.data_entropy,
            "data_entropy_error": self.data_entropy_error, "argmin": self.argmin,
            "argmin_refined": self.argmin_refined,
            "mle": {k: plain(np.asarray(v)) for k, v in self.mle.items()},
            "params": {k: plain(v) for k, v in self.params.items()},
            "method": self.method, "n": self.n, "profiled": list(self.profiled),
        }

    def __repr__(self) -> str:
        mle = self.mle.get(self.param) if self.param else None
        return (f"KLProfile({self.family.title}, {self.param} over {len(self.grid)} points; "
                f"argmin KL = {self.argmin:.6g}, MLE = {mle if mle is None else f'{mle:.6g}'}, "
                f"H(p_hat) = {self.data_entropy:.6g}, method={self.method!r})")

    def summary(self) -> ResultsTable:
        idx = int(np.argmin(self.kl))
        return ResultsTable(
            title=f"KL(p_hat || {self.family.title}) along {self.param or 'a path'}",
            info=[("Observations", self.n), ("Method", self.method),
                  ("H(p_hat)", self.data_entropy), ("argmin KL", self.argmin),
                  ("argmin (refined)", self.argmin_refined),
                  ("MLE", self.mle.get(self.param) if self.param else None)],
            columns=["value", "mean NLL", "KL", "KL std. error"],
            rows=[(str(i), [float(self.grid[i]), float(self.mean_nll[i]), float(self.kl[i]),
                            float(np.asarray(self.kl_error)[i])])
                  for i in sorted({0, max(idx - 1, 0), idx, min(idx + 1, len(self.grid) - 1),
                                   len(self.grid) - 1})],
            notes=[*([f"at {self.param or 'path point'} = {float(self.grid[idx]):.6g}: {note}"]
                     if (note := negative_kl_note(float(self.kl[idx]),
                                                  float(np.asarray(self.kl_error)[idx])))
                     else []),
                   "mean NLL = H(p_hat) + KL: the KL minimiser is the maximum-likelihood "
                   "estimate."])

    def plot(self, ax: Any = None) -> Any:
        """Draw mean NLL, H(p̂) and KL against the grid (matplotlib, imported here)."""
        import matplotlib.pyplot as plt

        if ax is None:
            _, ax = plt.subplots()
        ax.plot(self.grid, self.mean_nll, label="mean NLL = H(p_hat, p_theta)")
        ax.plot(self.grid, self.kl, label="KL(p_hat || p_theta)")
        ax.axhline(self.data_entropy, ls=":", color="gray", label="H(p_hat)")
        if self.param and self.param in self.mle:
            ax.axvline(float(self.mle[self.param]), ls="--", color="k", label="MLE")
        ax.set_xlabel(self.param or "path index")
        ax.set_ylabel("nats")
        ax.legend()
        return ax


def _conditional_mle(family: Family, side: _DataSide, fixed: Mapping[str, Any],
                     start: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """MLE of the parameters not in ``fixed``, by :mod:`mlekit.estimate` (one fitter).

    The same path as ``mlekit.fit(data, family, weights, fixed=fixed)``: the family's
    closed form where it has one for these ``fixed``, else the generic Newton path
    (warm-started at ``start``), with the same checks and named errors; no standard
    errors are computed (the profile needs only the estimates). A family whose own
    ``mle`` refuses these ``fixed`` (NotImplementedForFamily) is fitted generically.
    A BoundaryWarning is not repeated here (an estimate on the edge of its domain, such
    as p̂ = 0, is a valid point of the KL curve); a ConvergenceWarning is.
    """
    weights = side.weights * side.x.shape[0] if side.weighted else None
    free = {n for n in family.estimable_names if n not in fixed}
    warm = {n: v for n, v in (start or {}).items() if n in free} or None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", BoundaryWarning)
        try:
            res = fit_estimate(side.x, family, weights, dict(fixed) or None, start=warm)
        except NotImplementedForFamily:
            res = fit_estimate(side.x, family, weights, dict(fixed) or None, "generic",
                               start=warm)
    out = dict(fixed)
    out.update({k: (float(v) if np.ndim(v) == 0 else np.asarray(v))
                for k, v in res.params.items() if k not in fixed})
    return out


def _default_grid(family: Family, param: str, mle: Mapping[str, Any], n: int,
                  num: int) -> np.ndarray:
    """``num`` values around the MLE, evenly spaced in the parameter's unconstrained
    coordinate, ±5 standard errors wide (Fisher information) or ±1 unit without it."""
    prm = family.parameter(param)
    center = float(mle[param])
    dom = prm.domain
    try:
        u0 = float(dom.to_unconstrained(np.asarray(center)))
    except NotImplementedError:
        u0 = None
    width = 1.0
    try:
        info = family.fisher_information(**{k: np.asarray(v, float) for k, v in mle.items()})
    except (NotImplementedForFamily, ParameterError):
        info = None
    if info is not None:
        j = family.estimable_names.index(param)
        ij = float(np.asarray(info)[..., j, j])
        if np.isfinite(ij) and ij > 0:
            se = 1.0 / np.sqrt(n * ij)
            if u0 is not None and np.isfinite(u0):
                h = 1e-6 * max(abs(center), 1e-3)
                du = (float(dom.to_unconstrained(np.asarray(center + h)))
                      - float(dom.to_unconstrained(np.asarray(center - h)))) / (2 * h)
                width = 5.0 * se * abs(du) if np.isfinite(du) and du != 0 else 1.0
            else:
                width = 5.0 * se
    if u0 is None or not np.isfinite(u0):
        return center + np.linspace(-width, width, num)
    grid = dom.from_unconstrained(u0 + np.linspace(-width, width, num))
    return np.asarray(grid, dtype=float)


def kl_profile(data: Any, family: Family | str, param: str | None = None,
               grid: Sequence[float] | np.ndarray | None = None, *,
               fixed: Mapping[str, Any] | None = None, profile: bool = True,
               path: Sequence[Mapping[str, Any]] | None = None,
               mle: Mapping[str, Any] | None = None, weights: Any = None,
               num: int = 101, include_mle: bool = True, k: int = 3) -> KLProfile:
    r"""Evaluate mean NLL = H(p̂) + KL(p̂ ‖ p_θ) along a grid of one parameter (or a path).

    Shows "maximum likelihood = minimum KL": the grid minimiser of KL(p̂ ‖ p_θ)
    (the expectation under the data distribution p̂, the model second) sits at
    the MLE, because H(p̂) does not depend on θ.

    Parameters
    ----------
    data : array
        Observations.
    family : Family or str
        The model family, e.g. ``mk.Normal`` or ``"poisson"``.
    param : str
        The parameter to vary (default: the family's first estimable parameter).
    grid : array, optional
        Values of ``param``; default ``num`` points within ±5 standard errors of
        the MLE (evenly spaced in the parameter's unconstrained coordinate).
    fixed : dict, optional
        Parameters held at given values everywhere (e.g. Binomial ``n``).
    profile : bool
        True: the other free parameters are re-estimated at each grid value
        (their conditional MLE, a profile); False: held at their joint MLE.
    path : list of dict, optional
        Instead of ``param``/``grid``: full parameter dicts to evaluate in order
        (vector parameters such as Categorical ``p``).
    mle : dict, optional
        The MLE, if already known (e.g. from ``mlekit.fit``); otherwise the
        family's closed-form ``mle`` or a numerical maximisation.
    weights : array, optional
        Observation weights (discrete data).
    num : int
        Number of default grid points.
    include_mle : bool
        Insert the MLE into a default grid (so the grid argmin can hit it exactly).
    k : int
        Neighbour order of the k-NN entropy estimate (continuous data).

    Returns
    -------
    KLProfile
        ``grid``, ``mean_nll``, ``kl``, ``data_entropy``, ``argmin``,
        ``argmin_refined``, ``mle`` … ; ``.plot()`` and ``.to_dict()``.

    Examples
    --------
    >>> import mlekit as mk
    >>> prof = kl_profile([0, 1, 1, 1, 0, 1], mk.Bernoulli, "p", grid=[0.25, 0.5, 2/3, 0.8])
    >>> prof.argmin == prof.mle["p"]
    True
    """
    fam = get_family(family)
    fixed = dict(fixed or {})
    if path is None and param is not None and fam.parameter(param).event_ndim:
        raise ParameterError(
            f"{fam.title}.{param} is a vector; pass path=[{{...}}, ...] of full parameter "
            "values instead of a grid")
    check_params = dict(path[0]) if path else (fixed or None)
    side = _data_side(data, fam, weights, k, check_params)
    if mle is None and path is not None and fam.mle(side.x) is None:
        mle_full = {}
    elif mle is None:
        mle_full = _conditional_mle(fam, side, fixed)
    else:
        mle_full = {**fixed, **dict(mle)}
    if path is not None:
        models = [dict(pt) for pt in path]
        grid_arr = np.arange(len(models), dtype=float)
        param = None
        profiled: tuple[str, ...] = ()
    else:
        if param is None:
            free = [n for n in fam.estimable_names if n not in fixed]
            if not free:
                raise ParameterError(f"{fam.title}: no free parameter to vary")
            param = free[0]
        prm = fam.parameter(param)
        if prm.event_ndim:
            raise ParameterError(
                f"{fam.title}.{param} is a vector; pass path=[{{...}}, ...] of full parameter "
                "values instead of a grid")
        if param in fixed:
            raise ParameterError(f"{param} is both varied and fixed")
        if grid is None:
            grid_arr = _default_grid(fam, param, mle_full, side.x.shape[0], num)
            if include_mle:
                grid_arr = np.unique(np.append(grid_arr, float(mle_full[param])))
        else:
            grid_arr = prm.domain.check(np.ravel(np.asarray(grid, dtype=float)),
                                        what=f"grid of {param}", owner=fam.title,
                                        error=ParameterError)
        others = [n for n in fam.estimable_names if n != param and n not in fixed]
        profiled = tuple(others) if profile else ()
        models = []
        for v in grid_arr:
            if profiled:
                models.append(_conditional_mle(fam, side, {**fixed, param: float(v)},
                                               start=mle_full))
            else:
                models.append({**mle_full, param: float(v)})
    nll = np.empty(len(models))
    klv = np.empty(len(models))
    kle = np.empty(len(models))
    for i, prm_values in enumerate(models):
        dec = _decompose(side, fam(**prm_values))
        nll[i], klv[i], kle[i] = dec.mean_nll, dec.kl, dec.kl_error
    params = {name: np.asarray([np.asarray(m[name], float) for m in models])
              for name in fam.param_names if all(name in m for m in models)}
    j = int(np.argmin(klv))
    argmin = float(grid_arr[j])
    refined = None
    if param is not None and 0 < j < len(grid_arr) - 1 and np.isfinite(klv[j]):
        refined = _refine(fam, side, param, fixed, profiled, mle_full,
                          float(grid_arr[j - 1]), float(grid_arr[j + 1]))
    return KLProfile(fam, param, np.asarray(grid_arr, dtype=float), params, nll, klv, kle,
                     side.entropy, side.entropy_error, argmin, refined,
                     {k_: (float(v) if np.ndim(v) == 0 else np.asarray(v))
                      for k_, v in mle_full.items()},
                     side.method, int(side.x.shape[0]), profiled)


def _refine(fam: Family, side: _DataSide, param: str, fixed: Mapping[str, Any],
            profiled: tuple[str, ...], mle_full: Mapping[str, Any], a: float,
            b: float) -> float:
    """Brent search for the KL minimiser between the grid neighbours of the argmin."""
    from scipy.optimize import minimize_scalar

    def f(v):
        if profiled:
            values = _conditional_mle(fam, side, {**fixed, param: v}, start=mle_full)
        else:
            values = {**mle_full, param: v}
        return _decompose(side, fam(**values)).kl

    res = minimize_scalar(f, bounds=(a, b), method="bounded",
                          options={"xatol": 1e-10 * max(1.0, abs(a), abs(b))})
    return float(res.x)
