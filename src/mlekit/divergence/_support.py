"""Helpers shared by the divergence code: batches, supports, absolute continuity."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..domains import GreaterThan, Interval, NonNegative, Positive, Real
from ..errors import NotImplementedForFamily, ParameterError
from ..families import Distribution, parse_distribution

__all__ = ["as_distribution", "broadcast_dist", "member", "support_bounds", "support_within"]


def as_distribution(d: Any, what: str) -> Distribution:
    """Accept a frozen :class:`Distribution` or a spec such as ``"normal(mu=0, sigma=1)"``."""
    if isinstance(d, Distribution):
        return d
    if isinstance(d, str):
        return parse_distribution(d)
    raise ParameterError(
        f"{what} must be a frozen distribution such as mk.Normal(0, 1) or a spec like "
        f"'normal(0, 1)'; got {type(d).__name__}"
    )


def _event_shape(arr: np.ndarray, event_ndim: int) -> tuple[int, ...]:
    return arr.shape[arr.ndim - event_ndim:] if event_ndim else ()


def broadcast_dist(d: Distribution, shape: tuple[int, ...]) -> Distribution:
    """``d`` with every parameter broadcast to batch ``shape`` (no copy, no re-validation)."""
    if d.batch_shape == shape and all(
        np.shape(d.params[p.name])[: np.ndim(d.params[p.name]) - p.event_ndim] == shape
        for p in d.family.parameters
    ):
        return d
    fam = d.family
    params = {}
    ev_of_shape = {}
    for prm in fam.parameters:
        arr = np.asarray(d.params[prm.name], dtype=float)
        ev_of_shape[arr.shape] = prm.event_ndim
        params[prm.name] = np.broadcast_to(arr, shape + _event_shape(arr, prm.event_ndim))
    aux = {}
    for k, v in d.aux.items():
        arr = np.asarray(v, dtype=float)
        aux[k] = np.broadcast_to(arr, shape + _event_shape(arr, ev_of_shape.get(arr.shape, 0)))
    return Distribution(fam, params, aux)


def member(d: Distribution, index: tuple[int, ...]) -> Distribution:
    """Member ``index`` of a distribution already broadcast by :func:`broadcast_dist`."""
    if not index:
        return d
    params = {k: np.array(v[index]) for k, v in d.params.items()}
    aux = {k: np.array(v[index]) for k, v in d.aux.items()}
    return Distribution(d.family, params, aux)


def support_bounds(d: Distribution) -> tuple[np.ndarray, np.ndarray, bool]:
    """Lower and upper end of the support of every member (arrays of ``batch_shape``).

    Returns ``(lo, hi, known)``; ``known`` is False when the support's domain is
    not one mlekit can read (the caller then relies on the log-density being
    ``-inf`` off the support).
    """
    shape = d.batch_shape
    try:
        dom = d.family.support_of(**d.params)
    except TypeError:  # a support_of that does not take the parameters
        dom = d.family.support
    lo: Any
    hi: Any
    known = True
    if dom is Real:
        lo, hi = -np.inf, np.inf
    elif dom is Positive or dom is NonNegative:
        lo, hi = 0.0, np.inf
    elif isinstance(dom, Interval):
        lo, hi = dom.low, dom.high
    elif isinstance(dom, GreaterThan):
        lo, hi = dom.lower, np.inf
    elif getattr(dom, "discrete", False) and hasattr(dom, "low"):
        lo = dom.low
        hi = np.inf if getattr(dom, "high", None) is None else dom.high
    else:
        lo, hi, known = -np.inf, np.inf, False
    lo = np.broadcast_to(np.asarray(lo, dtype=float), shape)
    hi = np.broadcast_to(np.asarray(hi, dtype=float), shape)
    return lo, hi, known


def support_within(p: Distribution, q: Distribution) -> np.ndarray:
    """True where the support of p lies inside the support of q (per batch member).

    Where it does not, KL(p ‖ q) = +inf: q gives zero density to a set p charges.
    Families with supports mlekit cannot read are assumed compatible (the
    log-density then decides).
    """
    shape = np.broadcast_shapes(p.batch_shape, q.batch_shape)
    lp, hp, kp = support_bounds(p)
    lq, hq, kq = support_bounds(q)
    if not (kp and kq):
        return np.ones(shape, dtype=bool)
    return np.broadcast_to((lp >= lq) & (hp <= hq), shape)


def check_compatible(p: Distribution, q: Distribution) -> tuple[int, ...]:
    """Check that p and q can be compared; return the broadcast batch shape."""
    if p.family.event_ndim != q.family.event_ndim:
        raise ParameterError(
            f"cannot compare {p.family.title} (data with {p.family.event_ndim} event axes) "
            f"with {q.family.title} ({q.family.event_ndim} event axes)"
        )
    try:
        return np.broadcast_shapes(p.batch_shape, q.batch_shape)
    except ValueError:
        raise ParameterError(
            f"batch shapes {p.batch_shape} of p and {q.batch_shape} of q do not broadcast"
        ) from None


def has_logsf(d: Distribution) -> bool:
    """Whether ``d.logsf`` works (the family has a CDF or its own log-survival function)."""
    try:
        d.logsf(np.asarray(0.0))
    except NotImplementedForFamily:
        return False
    return True
