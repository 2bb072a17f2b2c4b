"""Helpers shared by the divergence code: batches, supports, absolute continuity."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..errors import NotImplementedForFamily, ParameterError
from ..families import Distribution, parse_distribution

__all__ = ["as_distribution", "broadcast_dist", "explain_infinite", "member", "support_bounds",
           "support_within"]


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
    bounds = dom.bounds  # per element; None: the domain does not declare where it ends
    known = bounds is not None
    lo, hi = bounds if known else (-np.inf, np.inf)
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


# ---------------------------------------------------------------- why KL is infinite
def _g(v: float) -> str:
    return f"{v:.6g}"


def _mass_below(p: Distribution, x: float) -> float | None:
    """P(X < x) for continuous p, P(X ≤ x − 1) for discrete p (None without a CDF)."""
    try:
        with np.errstate(all="ignore"):
            v = float(p.cdf(np.asarray(x - 1.0 if p.family.discrete else x)))
    except (NotImplementedForFamily, NotImplementedError, TypeError, ValueError):
        return None
    return v if np.isfinite(v) else None


def _mass_above(p: Distribution, x: float) -> float | None:
    """P(X > x) (None without a survival function or CDF)."""
    try:
        with np.errstate(all="ignore"):
            v = float(np.exp(p.logsf(np.asarray(x))))
    except (NotImplementedForFamily, NotImplementedError, TypeError, ValueError):
        return None
    return v if np.isfinite(v) else None


def _pieces_outside(p: Distribution, q: Distribution) -> list[tuple[str, float | None]]:
    """The parts of p's support outside q's (as text) with the mass p puts on each."""
    lp, hp, kp = (np.ravel(a)[0] if isinstance(a, np.ndarray) else a for a in support_bounds(p))
    lq, hq, kq = (np.ravel(a)[0] if isinstance(a, np.ndarray) else a for a in support_bounds(q))
    if not (kp and kq):
        return []
    lp, hp, lq, hq = float(lp), float(hp), float(lq), float(hq)
    out: list[tuple[str, float | None]] = []
    disc = p.family.discrete
    if lp < lq:
        top = min(lq, hp + (1.0 if disc else 0.0))
        if disc:
            text = (f"{{{_g(lp)}, …, {_g(top - 1)}}}" if np.isfinite(lp) and top - 1 > lp
                    else f"{{{_g(lp)}}}" if np.isfinite(lp) else f"{{…, {_g(top - 1)}}}")
        else:
            text = f"{'[' if np.isfinite(lp) else '('}{_g(lp)}, {_g(top)})"
        out.append((text, _mass_below(p, lq)))
    if hp > hq:
        bottom = max(hq, lp - (1.0 if disc else 0.0))
        if disc:
            first = bottom + 1
            text = (f"{{{_g(first)}, …}}" if not np.isfinite(hp) else
                    f"{{{_g(first)}}}" if hp == first else f"{{{_g(first)}, …, {_g(hp)}}}")
        else:
            text = f"({_g(bottom)}, {_g(hp)}{']' if np.isfinite(hp) else ')'}"
        out.append((text, _mass_above(p, hq)))
    return out


def _zero_points(p: Distribution, q: Distribution) -> tuple[list[float], float] | None:
    """Points where p has mass (discrete) or density and q has none: (first few, p's mass)."""
    lo, hi, _ = support_bounds(p)
    lo, hi = float(np.ravel(lo)[0]), float(np.ravel(hi)[0])
    if p.family.discrete:
        if not np.isfinite(lo):
            return None
        x = np.arange(lo, min(hi, lo + 100_000.0) + 1.0)
    else:
        try:
            with np.errstate(all="ignore"):
                x = np.asarray(p.ppf(np.linspace(0.0005, 0.9995, 1999)), dtype=float)
        except (NotImplementedForFamily, NotImplementedError):
            return None
        x = x[np.isfinite(x)]
    with np.errstate(all="ignore"):
        lpx = np.asarray(p.logpdf(x), dtype=float)
        lqx = np.asarray(q.logpdf(x), dtype=float)
    bad = (lpx > -np.inf) & (lqx == -np.inf)
    if not bad.any():
        return None
    mass = float(np.exp(lpx[bad]).sum()) if p.family.discrete else float("nan")
    return [float(v) for v in x[bad][:5]], mass


def explain_infinite(p: Distribution, q: Distribution, label: str = "KL") -> str:
    """Why KL(p ‖ q) (``label="KL"``) or the cross-entropy H(p, q) (``label="H"``) is +inf
    for one pair of members, in one sentence.

    The reasons, tried in order: p is discrete and q continuous (or the reverse); p puts
    mass on a part of its support outside q's support (named, with the mass, from p's
    CDF); q has zero density or probability at points where p has some; otherwise the
    expectation E_p[log p − log q] itself diverges (q's tails are lighter than p's).

    Examples
    --------
    >>> import mlekit as mk
    >>> why = explain_infinite(mk.Uniform(0, 2), mk.Uniform(0, 1))
    >>> print(why)  # doctest: +NORMALIZE_WHITESPACE
    KL(Uniform(low=0, high=2) ‖ Uniform(low=0, high=1)) = inf:
    P puts mass 0.5 on (1, 2], where Q has density 0
    """
    head = (f"H({p!r}, {q!r}) = inf: " if label == "H" else f"KL({p!r} ‖ {q!r}) = inf: ")
    if p.family.discrete != q.family.discrete:
        kinds = ("discrete", "continuous") if p.family.discrete else ("continuous", "discrete")
        return head + (f"P is {kinds[0]} and Q is {kinds[1]}, so P is not absolutely "
                       "continuous with respect to Q")
    zero = "probability 0" if p.family.discrete else "density 0"
    pieces = _pieces_outside(p, q)
    if pieces:
        parts = [f"mass {_g(m)} on {t}" if m is not None else f"positive mass on {t}"
                 for t, m in pieces]
        return head + f"P puts {' and '.join(parts)}, where Q has {zero}"
    zp = _zero_points(p, q)
    if zp is not None:
        pts, mass = zp
        where = ", ".join(_g(v) for v in pts) + (", …" if len(pts) == 5 else "")
        if p.family.discrete:
            return head + f"P puts mass {_g(mass)} on {{{where}}}, where Q has {zero}"
        return head + f"Q has {zero} at x = {where}, where P has positive density"
    return head + ("the supports agree, but E_P[log p(X) − log q(X)] diverges: Q's tails "
                   "are lighter than P's (log q falls faster than log p)")
