r"""``fit``: maximum likelihood for any registered family.

.. math:: \hat\theta = \arg\max_\theta \sum_i w_i \log p(x_i; \theta)

Closed form first, generic fallback always, and the result says which ran
(``result.method``). Standard errors are the square roots of the diagonal of
the inverse information: observed, :math:`-\nabla^2\ell(\hat\theta)` (default),
or expected, :math:`n\,\mathcal{I}_1(\hat\theta)`.
"""

from __future__ import annotations

import itertools
import warnings
from collections.abc import Mapping
from typing import Any

import numpy as np

from ..errors import (
    ConvergenceWarning,
    DataError,
    NoMaximumError,
    NotImplementedForFamily,
    ParameterError,
    UnknownNameError,
)
from ..families._mle_tools import information_matrix, scaled_covariance
from ..families._registry import get_family
from ..families.base import Family
from ._data import Prepared, check_deferred_support, mle_accepts, prepare
from ._generic import GenericFitter, generic_fit, numerical_hessian_f, numerical_hessian_u
from ._loglik import Objective
from ._transform import FreeParam, Packer, domain_supported, is_vector_domain
from .result import FitResult

__all__ = ["BoundaryWarning", "fit", "fit_estimate"]

_METHODS = {"auto": "auto", "generic": "generic", "closed form": "closed form",
            "closed-form": "closed form", "closed_form": "closed form", "closedform": "closed form"}


class UnknownMethodError(UnknownNameError, ParameterError):
    """``fit(..., method=...)`` names no fit method (an UnknownNameError, and a
    ParameterError as before)."""


class BoundaryWarning(UserWarning):
    """An estimate lies on the edge of its parameter domain (e.g. p̂ = 0).

    Examples
    --------
    >>> import warnings, mlekit as mk
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     res = mk.Bernoulli.fit([0, 0, 0, 0])       # p-hat = 0, on the edge of [0, 1]
    >>> [w.category.__name__ for w in caught], res.at_boundary
    (['BoundaryWarning'], ('p = 0',))
    """


def fit(x: Any, family: str | Family, weights: Any = None,
        fixed: Mapping[str, Any] | None = None, method: str = "auto", *,
        information: str = "observed", start: Mapping[str, Any] | None = None,
        k: int | None = None, maxiter: int = 1000, **options: Any) -> FitResult:
    r"""Fit ``family`` to ``x`` by maximum likelihood.

    Parameters
    ----------
    x : array-like of observations, or a :class:`~mlekit.estimate.Censored` object for
        censored data. A univariate family takes a 1-D array or one ``(n, 1)`` column
        (the observations); any other 2-D shape is a DataError naming it, never flattened.
        A multivariate family (MultivariateNormal, Dirichlet) takes rows ``(n, d)``.
        Real numbers only: complex values with a non-zero imaginary part, text (even text
        that reads as numbers), dates and, for a continuous family, booleans are a
        DataError (complex values whose imaginary parts are all exactly 0 are their real
        parts).
    family : a :class:`~mlekit.families.base.Family` or a registered name (``"normal"``).
    weights : frequency weights, one per observation: finite, >= 0, not all zero.
        ``nobs`` is their sum; weight 2 is the same as the row appearing twice. Weights
        whose largest value is above 1e200 are divided by it first (the estimates do not
        change; a note says that nobs and llf are those of the rescaled weights).
    fixed : ``{name: value}`` parameters held at given values (not estimated).
        Parameters that a family never estimates (Binomial ``n``) must be given here.
    method : ``"auto"`` (the family's closed form / specialised ``mle`` if it has one
        for these data and ``fixed``, else the generic path), ``"closed form"``
        (error if there is none), or ``"generic"`` (always the numerical path).
    information : ``"observed"`` (default; negative Hessian of the log-likelihood at the
        estimate) or ``"expected"`` (n times the family's Fisher information).
    start : starting values for the generic path ``{name: value}``.
    k : number of classes of a probability-vector parameter (Categorical);
        default: largest label + 1.
    maxiter : iteration limit of the generic path.
    **options : options of the family's own fit (``Family.fit_options``): a mixture's
        ``n_starts`` and ``rng``; a family without options names what it was given.

    Returns
    -------
    FitResult

    Raises
    ------
    DataError
        NaN/inf or out-of-support data (naming the first bad index), empty data, bad
        weights, fewer observations or distinct values than free parameters, or an
        estimate outside the parameter domain (the MLE does not exist, e.g. σ̂ = 0).
    NoMaximumError
        Censored data whose likelihood has no maximum: all right-censored, all
        left-censored, or intervals sharing a point (named before the fit for the built-in
        continuous families), or a generic fit that ends with parameters running off while
        the likelihood still rises (checked after every censored fit).

    Warns
    -----
    ConvergenceWarning
        The generic solver stopped before converging (``result.converged`` is False).
    BoundaryWarning
        An estimate lies on the edge of its domain (``result.at_boundary``), such as
        p̂ = 0 for Bernoulli data that are all 0. The fit is returned; Wald standard
        errors are not valid there (use ``conf_int(method="profile")``).

    Examples
    --------
    >>> import numpy as np, mlekit as mk
    >>> res = mk.fit(np.array([1.0, 2.0, 4.0]), "normal")
    >>> res.method
    'closed form'
    """
    fam = get_family(family)
    if options:  # a family's own options (a mixture's n_starts, rng): Family.fit_options
        with fam.fit_options(**options):
            return fit(x, fam, weights, fixed, method, information=information, start=start,
                       k=k, maxiter=maxiter)
    key = str(method).strip().lower()
    if key not in _METHODS:
        raise UnknownMethodError(f"unknown fit method {method!r} (choose from: auto, closed form, "
                             "generic)")
    method = _METHODS[key]
    if information not in ("observed", "expected"):
        raise ParameterError(f"information must be 'observed' or 'expected', not {information!r}")
    prep = prepare(x, fam, weights, fixed, k=k, start=start, defer_support=method != "generic")
    return _fit_prepared(prep, method, information, start, maxiter, fixed, k)


def fit_estimate(x: Any, family: str | Family, weights: Any = None,
                 fixed: Mapping[str, Any] | None = None, method: str = "auto", *,
                 start: Mapping[str, Any] | None = None, maxiter: int = 1000,
                 k: int | None = None) -> FitResult:
    """:func:`fit` without the standard errors: the estimate, ``llf`` and ``method``.

    For callers that need many fits of the same data (a profile over a grid, the KL
    profiles of :mod:`mlekit.divergence.mle_kl`): the same closed form or generic path
    as :func:`fit`, its checks, errors and warnings, but no information matrix is built
    (``result.cov`` is NaN, ``result.information == "not computed"``).

    Examples
    --------
    >>> import mlekit as mk
    >>> from mlekit.estimate._fit import fit_estimate
    >>> res = fit_estimate([1.0, 2.0, 4.0], "normal", fixed={"mu": 2.0})
    >>> round(float(res.params["sigma"]), 6), res.information    # sqrt(mean((x - 2)^2))
    (1.290994, 'not computed')
    """
    fam = get_family(family)
    key = str(method).strip().lower()
    if key not in _METHODS:
        raise UnknownMethodError(f"unknown fit method {method!r} (choose from: auto, closed form, "
                                 "generic)")
    method = _METHODS[key]
    prep = prepare(x, fam, weights, fixed, k=k, start=start,
                   defer_support=method != "generic")
    return _fit_prepared(prep, method, "observed", start, maxiter, fixed, k, need_cov=False)


def _fixed_for_mle(prep: Prepared) -> dict[str, Any] | None:
    if not prep.fixed:
        return None
    return {n: float(v) if np.ndim(v) == 0 else v for n, v in prep.fixed.items()}


def _fit_prepared(prep: Prepared, method: str, information: str, start, maxiter: int,
                  fixed_in, k, need_cov: bool = True) -> FitResult:
    fam = prep.family
    closed = None
    mle_error: Exception | None = None
    if method != "generic" and prep.censored is None:
        kwargs = {"k": k} if k is not None and mle_accepts(fam, "k") else {}
        try:
            with np.errstate(divide="ignore", invalid="ignore"):
                closed = fam.mle(prep.x, weights=prep.w, fixed=_fixed_for_mle(prep), **kwargs)
        except Exception as exc:
            if not prep.support_deferred:
                raise
            mle_error = exc  # unless the data are bad: that is the error to report
        details = dict(getattr(closed, "details", None) or {})
    if prep.support_deferred and (closed is None or not _all_finite(closed)):
        # the family's MLE proves valid data by finite estimates (see prepare): else
        # the elementwise check names the first bad value, if there is one
        check_deferred_support(prep)
    prep.support_deferred = False  # checked, or shown valid by the finite estimates
    if mle_error is not None:
        raise mle_error
    if method == "closed form" and closed is None:
        why = "for censored data" if prep.censored is not None else \
            "for these fixed parameters" if prep.fixed else ""
        raise NotImplementedForFamily(
            f"{fam.title} has no closed-form MLE {why}".rstrip() + "; use method='auto' or "
            "'generic'")

    notes: list[str] = list(prep.notes)  # e.g. the weights were rescaled
    fitter: GenericFitter | None = None
    if closed is not None:
        closed = dict(closed)
        label = str(details.get("method", fam.mle_method))
        converged = bool(details.get("converged", True))
        nit = int(details.get("nit", 0))
        message = str(details.get("message", ""))
        # a family's own solver may stop at an edge the domain does not show (StudentT's
        # nu at its cap when the likelihood rises towards nu = inf): it says so here
        family_edges = tuple(str(b) for b in np.atleast_1d(details.get("boundary", ())))
        # a specialised solver has the sufficient statistics at hand: it may hand back the
        # maximised log-likelihood and the observed information, which saves passes over
        # the data (the test suite holds both against the direct sums)
        solver_llf = details.get("llf")
        solver_info = details.get("information")
        solver_info_u = details.get("information_u")  # −∂²ℓ in the packer's u (Mixture)
        prep.free = [FreeParam(fp.name, fp.domain, np.shape(closed[fp.name]))
                     for fp in prep.free]
        theta = {fp.name: np.asarray(closed[fp.name], float) for fp in prep.free}
        _check_estimate(prep, theta)
        packer = Packer(prep.free) if _all_supported(prep) else None
        obj = Objective(prep, packer or _LoosePacker(prep.free))
        llf = float(solver_llf) if solver_llf is not None else obj.loglik(theta)
        if not converged:
            warnings.warn(f"{fam.title}: {label} did not converge ({message}); the estimate "
                          "may be inaccurate", ConvergenceWarning, stacklevel=3)
    else:
        family_edges = ()
        solver_info = solver_info_u = None
        moving = [n for n in fam.support_parameters
                  if n in {fp.name for fp in prep.free}]
        if moving:
            raise NotImplementedForFamily(
                f"{fam.title}: the support depends on {', '.join(moving)}, so the likelihood is "
                "not smooth there and the generic (gradient) path does not apply; use the "
                "closed-form fit (method='auto') or hold those parameters fixed")
        outcome, fitter = generic_fit(prep, start=start, maxiter=maxiter)
        theta, llf, converged = outcome.theta, outcome.llf, outcome.converged
        label, nit, message = outcome.method, outcome.nit, outcome.message
        packer, obj = fitter.packer, fitter.obj
        if not np.isfinite(llf):
            raise DataError(f"{fam.title}: the generic fit ended where the log-likelihood is "
                            f"not finite ({message}); the MLE may not exist for these data, "
                            "or give start={...}")
        _check_estimate(prep, theta)
        if prep.censored is not None:
            edge = _check_runaway(fitter, theta, llf)
            if edge is not None:
                theta, llf = edge
        if not converged:
            warnings.warn(
                f"{fam.title}: the generic MLE did not converge ({message}); the estimate may "
                "be inaccurate. Try start={...} near a sensible value, a larger maxiter=, "
                "rescaling the data, or holding a parameter with fixed={...}",
                ConvergenceWarning, stacklevel=3)
    if not np.isfinite(llf):
        raise DataError(f"{fam.title}: the log-likelihood at the estimate is not finite "
                        f"(llf = {llf}); the data are impossible under the fitted model")

    # a family may know edges its domains do not show (StudentT's cap on nu): it says so
    # for the free parameters through ``mle_boundary`` (a method, so that ``mle()`` itself
    # keeps returning plain parameter values for its other callers; default: none)
    family_edges = family_edges + tuple(
        str(b) for b in fam.mle_boundary({fp.name: theta[fp.name] for fp in prep.free}))
    boundary = _boundary(prep, theta) + family_edges
    if boundary:
        warnings.warn(
            f"{fam.title}: the MLE lies on the boundary of the parameter domain "
            f"({', '.join(boundary)}); standard errors from the information are not valid "
            "there (use conf_int(method='profile'))", BoundaryWarning, stacklevel=3)
    observed = _solver_information(prep, solver_info) if information == "observed" else None
    scaled = _scaled_covariance(prep, theta, observed, boundary) \
        if need_cov and information == "observed" else None
    if scaled is not None:  # a family's standardised information (data near 1e±300)
        cov, direct_se, more = scaled
        notes.extend(more)
        info_label = "observed (Hessian, standardised data)"
    elif need_cov and observed is not None:
        cov, info_label = _invert(observed, np.full_like(observed, np.nan), notes,
                                  boundary), "observed (Hessian)"
    elif need_cov:
        cov, info_label = _covariance(prep, theta, information, obj, packer, fitter, notes,
                                      boundary, info_u=solver_info_u)
    else:
        size = sum(fp.size for fp in prep.free)
        cov, info_label = np.full((size, size), np.nan), "not computed"
    labels = [lab for fp in prep.free for lab in fp.labels]
    edge = [i for i, lab in enumerate(labels) if any(b.startswith(f"{lab} = ") for b in boundary)]
    if edge and np.any(np.isfinite(cov[edge])):
        # the warning above says Wald errors are not valid at an edge: do not print one
        cov = np.array(cov, float)
        cov[edge, :] = np.nan
        cov[:, edge] = np.nan
        notes.append(f"no standard error for {', '.join(labels[i] for i in edge)}: the "
                     "estimate is on the boundary (use conf_int(method='profile'))")

    def refit(new_fixed: Mapping[str, Any]) -> float:
        """Profile log-likelihood: the maximised ℓ with ``new_fixed`` held."""
        sub = prepare_like(prep, new_fixed)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            warm = {n: v for n, v in theta.items() if n not in new_fixed}  # warm start
            res = _fit_prepared(sub, "auto" if method != "generic" else "generic",
                                "observed", warm, maxiter, None, k, need_cov=False)
        return res.llf

    res = FitResult(family=fam, params={**prep.fixed, **theta}, fixed=prep.fixed, cov=cov,
                    param_names=labels, free_shapes={fp.name: fp.shape for fp in prep.free},
                    llf=llf, nobs=prep.nobs, df_model=prep.df_model, method=label,
                    converged=converged, information=info_label, at_boundary=boundary,
                    notes=notes, message=message, nit=nit, objective=obj, refit=refit,
                    censored=prep.censored is not None)
    if scaled is not None:  # finite where the variance (the diagonal of cov) is not
        res.bse.update({fp.name: float(se) for fp, se in zip(prep.free, direct_se, strict=True)})
    return res


def _scaled_covariance(prep: Prepared, theta, observed: np.ndarray | None, boundary):
    """``(cov, se, notes)`` from the family's ``scaled_information`` (the observed
    information of standardised data), or None.

    Used when a family offers it and the solver's own information is missing or out of
    the well-scaled float range (data near 1e±300: there n/σ² under- or overflows).
    """
    if (prep.family.scaled_information is None or boundary or prep.censored is not None
            or not prep.free or any(fp.shape != () for fp in prep.free)):
        return None
    if observed is not None:
        d = np.abs(np.diag(observed))
        if np.all((d > 1e-200) & (d < 1e200)):
            return None  # the solver's information is accurate: nothing to rescale
    params = {**prep.fixed, **{k: float(v) for k, v in theta.items()}}
    info_u, scale = prep.family.scaled_information(prep.x, prep.w, params)
    return scaled_covariance(info_u, scale, [fp.name for fp in prep.free])


def prepare_like(prep: Prepared, new_fixed: Mapping[str, Any]) -> Prepared:
    """The same data with more parameters held fixed (for profile likelihoods)."""
    fixed = {**prep.fixed, **{n: np.asarray(v, float) for n, v in new_fixed.items()}}
    free = [fp for fp in prep.free if fp.name not in fixed]
    return Prepared(prep.family, prep.x, prep.w, fixed, free, prep.nobs, prep.censored,
                    prep.cw, prep.k, [])


class _LoosePacker:
    """Minimal stand-in when a closed-form family has a parameter with no bijection."""

    def __init__(self, free):
        self.free = free
        self.size = sum(fp.size for fp in free)
        self.labels = [lab for fp in free for lab in fp.labels]
        self.has_simplex = False


def _all_finite(estimate: Mapping[str, Any]) -> bool:
    return all(np.all(np.isfinite(np.asarray(v, float))) for v in estimate.values())


def _all_supported(prep: Prepared) -> bool:
    return all(domain_supported(fp.domain) for fp in prep.free)


def _check_estimate(prep: Prepared, theta: dict[str, np.ndarray]) -> None:
    """An estimate outside its domain means the MLE does not exist: DataError."""
    fam = prep.family
    for fp in prep.free:
        val = np.asarray(theta[fp.name], float)
        if not np.all(np.isfinite(val)):
            mags = np.abs(np.asarray(prep.all_points(), float))
            mags = mags[np.isfinite(mags) & (mags > 0)]
            if mags.size and (mags.min() < np.finfo(float).tiny or mags.max() > 1e300):
                raise DataError(
                    f"{fam.title}: the MLE of {fp.name} is not finite in double precision "
                    f"({_show(val)}) for data of extreme magnitude (|x| from {mags.min():.3g} "
                    f"to {mags.max():.3g}: subnormal or near overflow); rescale the data by a "
                    "power of 10, and the estimates with it")
            raise NoMaximumError(
                f"{fam.title}: the MLE of {fp.name} is not finite ({_show(val)}); the "
                "likelihood increases without bound, so the MLE does not exist for these data")
        if is_vector_domain(fp.domain):
            continue
        try:
            ok = np.all(fp.domain.contains(val))
        except Exception:  # e.g. PositiveDefinite on a wrong shape
            ok = False
        if not ok:
            pts = prep.all_points()
            extra = " (all data values are equal)" if np.unique(pts).size == 1 else ""
            raise NoMaximumError(
                f"{fam.title}: the MLE does not exist for these data{extra}: the likelihood is "
                f"maximised at {fp.name} = {_show(val)}, outside its domain {fp.domain!r} "
                f"({fp.domain.rule}). Add data or hold parameters with fixed={{...}}")


def _check_runaway(fitter: GenericFitter, theta: dict[str, np.ndarray], llf: float
                   ) -> tuple[dict[str, np.ndarray], float] | None:
    """NoMaximumError when the generic fit stopped on a ray along which ℓ still rises.

    The solver stops where the gradient is below its tolerance; when the likelihood has
    no maximum (censored data whose probabilities all tend to 1 as a parameter runs off)
    that is merely where ℓ has flattened out. From the end point ``u`` (unconstrained
    coordinates) ℓ is evaluated at ``u + t d`` for t = 1, 4, 16, 64, along the gradient
    and along each coordinate axis both ways. At a maximum every such ray falls (a unit
    step in log-scale is far beyond the curvature of any identified estimate); if ℓ
    rises all along one of them, the estimate is running to the edge of the domain and
    is refused. An edge that belongs to the domain (p = 1 for a Binomial) is a boundary
    estimate, not a runaway: when ℓ is at least as high there, ``(θ at the edge, ℓ)`` is
    returned (the boundary check then reports it); otherwise None.
    """
    packer = fitter.packer
    u = np.asarray(packer.u(theta), float)
    if not u.size:
        return None
    dirs = []
    with np.errstate(all="ignore"):
        try:
            g = np.asarray(fitter.grad_u(u), float)
        except Exception:  # pragma: no cover - a gradient that fails here failed before
            g = np.zeros_like(u)
        if np.all(np.isfinite(g)) and np.any(g != 0):
            dirs.append(g / np.linalg.norm(g))
        for j in range(u.size):
            for sign in (1.0, -1.0):
                e = np.zeros_like(u)
                e[j] = sign
                dirs.append(e)
        for d in dirs:
            vals = [fitter.loglik_u(u + t * d) for t in (1.0, 4.0, 16.0, 64.0)]
            if not (np.all(np.isfinite(vals)) and vals[0] >= llf and vals[-1] > llf
                    and all(b >= a for a, b in itertools.pairwise(vals))):
                continue
            far = packer.theta(u + 64.0 * d)
            moves = []
            for fp in fitter.prep.free:
                a0 = np.ravel(np.asarray(theta[fp.name], float))
                a1 = np.ravel(np.asarray(far[fp.name], float))
                for lab, v0, v1 in zip(fp.labels, a0, a1, strict=True):
                    if v1 == v0:
                        continue
                    edge = _edge_towards(fp.domain, v1 > v0)
                    if edge is not None and _contains(fp.domain, edge):
                        # heading for an edge inside the domain (Binomial p = 1): the MLE is
                        # there if ℓ is at least as high at the edge itself
                        if fp.shape == ():
                            at_edge = {**theta, fp.name: np.asarray(edge, float)}
                            ll_edge = fitter.obj.loglik(at_edge)
                            if np.isfinite(ll_edge) and ll_edge >= llf:
                                return at_edge, float(ll_edge)
                        return None
                    moves.append(f"{lab} → {_edge_text(edge, v1 > v0)}")
            running = ", ".join(moves) or "the parameters run off"
            raise NoMaximumError(
                f"{fitter.prep.family.title}: the MLE does not exist for these censored data: "
                f"the log-likelihood keeps increasing as {running} (ℓ = {llf:.6g} where the "
                f"solver stopped, {vals[-1]:.6g} further out), so "
                "no parameter value maximises it. Add exact observations, or hold a "
                "parameter with fixed={...}")
    return None


def _edge_towards(domain: Any, up: bool) -> float | None:
    """The end of a scalar parameter domain in the direction of travel (None: unknown,
    for a domain without a bijection or a vector domain)."""
    if not domain_supported(domain) or is_vector_domain(domain):
        return None
    lower, upper = domain.edges
    return float(upper if up else lower)


def _edge_text(edge: float | None, up: bool) -> str:
    if edge is None or np.isinf(edge):
        return "∞" if up else "−∞"
    return f"{edge:g}"


def _contains(domain: Any, value: float) -> bool:
    if not np.isfinite(value):
        return False
    try:
        return bool(np.all(domain.contains(np.asarray(value, float))))
    except Exception:
        return False


def _show(v: np.ndarray) -> str:
    return f"{float(v):g}" if np.ndim(v) == 0 else np.array2string(v, precision=4)


def _boundary(prep: Prepared, theta) -> tuple[str, ...]:
    out = []
    for fp in prep.free:
        val = np.ravel(np.asarray(theta[fp.name], float))
        # the finite ends of a domain the optimiser moves in (an infinite one is never hit)
        edges = [e for e in fp.domain.edges if np.isfinite(e)] \
            if domain_supported(fp.domain) else []
        for j, v in enumerate(val):
            if any(v == e for e in edges):
                out.append(fp.labels[j] + f" = {v:g}")
    return tuple(out)


def _covariance(prep: Prepared, theta, information: str, obj: Objective, packer,
                fitter: GenericFitter | None, notes: list[str],
                boundary: tuple[str, ...], info_u: Any = None) -> tuple[np.ndarray, str]:
    """Covariance of the free parameters (flattened), and a label saying where it came from.

    ``info_u``: the observed information −∂²ℓ/∂u∂uᵀ in the packer's unconstrained
    coordinates handed back by a family's solver (``details["information_u"]``, the
    mixture's Newton Hessian); where its size matches it replaces the numerical Hessian,
    and cov(θ) = J I_u⁻¹ Jᵀ with J = ∂θ/∂u (the delta method)."""
    fam = prep.family
    size = sum(fp.size for fp in prep.free)
    nan = np.full((size, size), np.nan)
    if size == 0:
        return np.zeros((0, 0)), "none (all parameters fixed)"
    params = {**prep.fixed, **theta}
    censored = prep.censored is not None
    moving = [fp.name for fp in prep.free if fp.name in fam.support_parameters]
    if moving and not fam.support_regular(params):
        return _nonregular_covariance(prep, params, moving, nan, notes)
    if (fam.mle_covariance is not None and not prep.fixed and not censored
            and len(prep.free) == len(fam.parameters)):
        closed_cov = fam.mle_covariance(params, prep.nobs)  # None: not at this point
        if closed_cov is not None:
            cov = np.asarray(closed_cov, float)
            if cov.shape == (size, size):
                return cov, "closed form (family)"
    if information == "expected":
        if censored:
            notes.append("expected information is not available for censored data; "
                         "observed information used")
        elif all(fp.shape == () for fp in prep.free):
            info = _expected(fam, prep, params)
            if info is not None:
                return _invert(info, nan, notes, boundary), "expected (Fisher information)"
            notes.append(f"{fam.title} declares no Fisher information; observed used")
        else:
            notes.append("expected information is available for scalar parameters only; "
                         "observed information used")
    if isinstance(packer, Packer) and not censored and not packer.has_simplex:
        try:
            with np.errstate(all="ignore"):
                hess = obj.hessian_theta(theta)
            if np.all(np.isfinite(hess)):
                trial: list[str] = []
                cov = _invert(-hess, nan, trial, boundary)
                if np.all(np.isfinite(cov)) or boundary or not np.any(hess):
                    notes.extend(trial)
                    return cov, "observed (Hessian)"
                # e.g. Laplace: the log-density is not twice differentiable in mu, its
                # observed Hessian is 0 almost everywhere; the expected information is right
                exp_cov = _expected(fam, prep, params)
                if exp_cov is not None:
                    notes.append("observed information singular at the estimate (the "
                                 "log-density is not smooth there); expected information used")
                    return _invert(exp_cov, nan, notes, boundary), "expected (Fisher information)"
                notes.extend(trial)
                return cov, "observed (Hessian)"
        except Exception:  # fall through to the numerical Hessian
            pass
    if not isinstance(packer, Packer):
        notes.append("standard errors unavailable: no bijection for a parameter domain")
        return nan, "unavailable"
    if boundary:
        notes.append("standard errors unavailable at a boundary estimate")
        return nan, "unavailable (boundary)"
    if info_u is not None and not censored:
        iu = np.asarray(info_u, float)
        if iu.shape == (packer.usize, packer.usize) and np.all(np.isfinite(iu)):
            cov_u = _invert(iu, np.full_like(iu, np.nan), notes, boundary)
            jac = packer.jacobian(theta)
            return jac @ cov_u @ jac.T, "observed (Hessian)"
    # numerical Hessian of the (analytic where possible) gradient, in u; delta method to θ
    if fitter is None:
        fitter = GenericFitter(prep)
        fitter.probe(theta)
    u = packer.u(theta)
    with np.errstate(all="ignore"):
        if fitter.grad_mode == "analytic":
            hu = numerical_hessian_u(fitter.grad_u, u)
        else:
            hu = numerical_hessian_f(fitter.loglik_u, u)
    cov_u = _invert(-hu, np.full_like(hu, np.nan), notes, boundary)
    jac = packer.jacobian(theta)
    return jac @ cov_u @ jac.T, "observed (numerical Hessian of the score)"


def _solver_information(prep: Prepared, info: Any) -> np.ndarray | None:
    """The observed information −∂²ℓ/∂θ∂θᵀ handed back by a family's solver.

    ``info`` maps pairs of parameter names to the summed second derivatives; it is used
    only when it covers every pair of (scalar) free parameters and the data are not
    censored.
    """
    if info is None or prep.censored is not None or not prep.free:
        return None
    if any(fp.shape != () for fp in prep.free):
        return None
    return information_matrix(info, [fp.name for fp in prep.free])


def _nonregular_covariance(prep: Prepared, params, moving: list[str], nan: np.ndarray,
                           notes: list[str]) -> tuple[np.ndarray, str]:
    r"""Covariance when a free parameter bounds the support (Uniform's ends, Pareto's scale).

    There the MLE is an order statistic (â = min x), not a stationary point: the score
    does not vanish, the "observed information" is not the curvature of a maximum and
    the estimator converges at rate 1/n, not 1/√n. Standard errors from the Hessian are
    meaningless (for Uniform it is not even negative definite). The family's
    ``mle_covariance`` gives the sampling covariance of the estimator itself (plug-in),
    e.g. Var(min x) = (b−a)² n/((n+1)²(n+2)) for Uniform, Var ŝ = s²nα/((nα−1)²(nα−2))
    for Pareto (ŝ ~ Pareto(nα, s)); its rows for the free parameters are used. That
    covariance is exact for the support parameters whether or not the others are known;
    a note says that the estimator is skewed and biased towards the inside of the
    support, so Wald intervals θ̂ ± z·se are rough (one-sided intervals from the
    order-statistic distribution are exact).
    """
    fam = prep.family
    names = list(fam.estimable_names)
    idx = [names.index(fp.name) for fp in prep.free]
    note = (f"{fam.title} is not a regular family: {', '.join(moving)} bound"
            f"{'s' if len(moving) == 1 else ''} the support, so the MLE is an order statistic "
            "(not a stationary point of the likelihood) and Hessian-based (Wald) standard "
            "errors do not apply")
    cov = None
    if fam.mle_covariance is not None and all(fp.shape == () for fp in prep.free):
        try:
            full = fam.mle_covariance(params, prep.nobs)  # None: not at this point
            full = None if full is None else np.asarray(full, float)
        except Exception:  # e.g. too few observations for the formula
            full = None
        if full is not None and full.shape == (len(names), len(names)):
            cov = full[np.ix_(idx, idx)]
    why = ("their sampling variance is not finite (too few observations for it, or beyond "
           "the float range at this scale of the data: rescale them)")
    if cov is None or not np.any(np.isfinite(np.diag(cov))):
        notes.append(note + "; no standard errors" + ("" if cov is None else f": {why}"))
        return nan, "unavailable (non-regular)"
    notes.append(note + "; std. errors are the estimator's sampling standard deviations "
                 "(plug-in), and as it is skewed and biased inwards, Wald intervals are rough")
    if not np.all(np.isfinite(cov)):
        # e.g. Pareto's Var α̂ needs n > 3; Uniform's variance overflows for data near 1e300
        cov = np.where(np.isfinite(cov), cov, np.nan)
        notes.append(f"some standard errors are not available: {why}")
    return cov, "sampling (order statistics)"


def _expected(fam, prep: Prepared, params) -> np.ndarray | None:
    """n · I₁(θ̂) restricted to the free parameters, or None (vector parameters, censored
    data, or no Fisher information declared)."""
    if prep.censored is not None or not all(fp.shape == () for fp in prep.free):
        return None
    try:
        fi = fam.fisher_information(**params)
    except Exception:  # a family's closed form may not cover every point
        return None
    if fi is None:
        return None
    fi = np.asarray(fi, float)
    names = list(fam.estimable_names)
    idx = [names.index(fp.name) for fp in prep.free]
    k = len(names)
    if fi.ndim == 3 and fi.shape[1:] == (k, k) and fi.shape[0] == prep.x.shape[0]:
        # one information per observation (e.g. Binomial with n per row): weighted sum
        return np.tensordot(prep.wx, fi, axes=(0, 0))[np.ix_(idx, idx)]
    if fi.shape != (k, k):
        return None
    return prep.nobs * fi[np.ix_(idx, idx)]


def _invert(info: np.ndarray, nan: np.ndarray, notes: list[str], boundary) -> np.ndarray:
    if not np.all(np.isfinite(info)):
        notes.append("the information matrix is not finite at the estimate; no standard errors")
        return nan
    if not np.any(info):
        notes.append("the information matrix is zero at the estimate (a flat likelihood, or "
                     "it underflows at this scale of the data: rescale them); no standard "
                     "errors")
        return nan
    try:
        chol = np.linalg.cholesky(0.5 * (info + info.T))
    except np.linalg.LinAlgError:
        notes.append("the information matrix is not positive definite at the estimate "
                      "(flat or saddle likelihood); no standard errors")
        return nan
    inv_chol = np.linalg.solve(chol, np.eye(info.shape[0]))
    return inv_chol.T @ inv_chol
