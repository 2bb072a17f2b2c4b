r"""Closed-form KL divergences between *different* families.

Same-family closed forms live next to their family (``@register_kl`` in each
family file). This module adds the cross-family ones that no family owns.

**Any P against a Normal.** For every P with a finite mean, variance and
entropy,

.. math::

    \mathrm{KL}(P \,\|\, \mathcal N(m, s^2)) = -H(P) + \tfrac12\log(2\pi s^2)
        + \frac{\operatorname{Var}_P + (\mathbb E_P - m)^2}{2 s^2},

since E_P[log q] only needs the first two moments of P. It is registered for
every registered continuous univariate family that has no pair of its own
with Normal (Gamma‖Normal, Laplace‖Normal, LogNormal‖Normal …); Normal‖Normal
keeps its own formula (the same value). P with infinite variance gives +inf; a
discrete P gives +inf (it has atoms, the Normal none); where P lacks a closed
entropy, mean or variance the engine falls back to quadrature.

**Any P against an Exponential(rate λ)** (if registered):
KL = −H(P) − log λ + λ E_P[X] when the support of P lies in [0, ∞), else +inf.

**Any P against a Uniform(low, high)** (if registered):
KL = −H(P) + log(high − low) when the support of P lies in [low, high], else +inf.

**Normal against Laplace(m, b)** (if registered):
KL = −H(N) + log 2b + E|X − m| / b with the folded-normal mean
E|X − m| = σ √(2/π) exp(−δ²/2σ²) + δ (1 − 2Φ(−δ/σ)), δ = μ − m.

The registrations are made per concrete family class (``register_kl(PClass,
QClass)``), because a registered function only receives the two parameter
dicts; a pair a family engineer already registered is never overwritten.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from scipy.special import ndtr

from ..errors import NotImplementedForFamily
from ..families import FAMILIES, KL_REGISTRY, Distribution, Family, register_kl
from ..families.normal import NormalFamily
from ._support import support_bounds

__all__ = ["REGISTERED_HERE"]

_LOG_2PI = float(np.log(2.0 * np.pi))

#: the (P class, Q class) pairs this module registered (for tests and docs)
REGISTERED_HERE: list[tuple[type, type]] = []


#: words with which a family's ``mean``/``var`` say that the moment does not exist
_NO_MOMENT = ("diverg", "does not exist", "undefined", "no mean", "no variance")


def _moment_missing(exc: NotImplementedForFamily) -> bool:
    """True when the family says the moment does not exist (infinite), not merely unknown."""
    msg = str(exc).lower()
    return any(w in msg for w in _NO_MOMENT)


def _moments(fam: Family, params: dict[str, Any]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(H(P), E_P[X], Var_P) as float arrays.

    A mean or variance that does not exist (Cauchy; StudentT with ν ≤ 1) is returned as
    +inf member by member (E_P[X²] is then infinite); one that is merely unknown in
    closed form raises NotImplementedForFamily, so the engine falls back to quadrature.
    """
    with np.errstate(all="ignore"):
        h = np.asarray(fam.entropy(**params), dtype=float)
        try:
            m = np.asarray(fam.mean(**params), dtype=float)
            v = np.asarray(fam.var(**params), dtype=float)
        except NotImplementedForFamily as exc:
            if not _moment_missing(exc):
                raise
            shape = Distribution(fam, params).batch_shape
            if not shape:
                return h, np.asarray(np.inf), np.asarray(np.inf)
            # a batch: some members may have the moments; ask member by member
            from ._support import broadcast_dist, member

            full = broadcast_dist(Distribution(fam, params), shape)
            m, v = np.empty(shape), np.empty(shape)
            for idx in np.ndindex(*shape):
                _, m[idx], v[idx] = _moments(fam, member(full, idx).params)
    return h, m, v


def _generic_vs_normal(fam: Family) -> Callable[..., np.ndarray]:
    def kl_p_normal(p: dict[str, Any], q: dict[str, Any]) -> np.ndarray:
        h, mean, var = _moments(fam, p)
        mu, sigma = np.asarray(q["mu"], float), np.asarray(q["sigma"], float)
        with np.errstate(all="ignore"):
            out = (-h + np.log(sigma) + 0.5 * _LOG_2PI
                   + (var + (mean - mu) ** 2) / (2.0 * sigma**2))
        # infinite or undefined moments (Cauchy, Pareto with small shape): E_P[X²] = inf
        bad = ~np.isfinite(mean) | ~np.isfinite(var) | np.isnan(out)
        return np.where(bad, np.inf, out)

    kl_p_normal.__doc__ = (f"KL({fam.title} || Normal) = -H(P) + log s + log(2 pi)/2 + "
                           "(Var_P + (E_P - m)^2) / (2 s^2).")
    return kl_p_normal


def _generic_vs_exponential(fam: Family, rate_name: str) -> Callable[..., np.ndarray]:
    def kl_p_exponential(p: dict[str, Any], q: dict[str, Any]) -> np.ndarray:
        lo, _, known = support_bounds(Distribution(fam, p))
        if not known:
            raise NotImplementedForFamily(f"{fam.title}: support not readable")
        lam = np.asarray(q[rate_name], float)
        if np.all(lo < 0):  # q gives zero density to x < 0, which p charges
            return np.full(np.broadcast_shapes(lo.shape, lam.shape), np.inf)
        h, mean, _ = _moments(fam, p)
        with np.errstate(all="ignore"):
            out = -h - np.log(lam) + lam * mean
        return np.where((lo < 0) | ~np.isfinite(mean) | np.isnan(out), np.inf, out)

    kl_p_exponential.__doc__ = f"KL({fam.title} || Exponential) = -H(P) - log rate + rate E_P[X]."
    return kl_p_exponential


def _generic_vs_uniform(fam: Family, low: str, high: str) -> Callable[..., np.ndarray]:
    def kl_p_uniform(p: dict[str, Any], q: dict[str, Any]) -> np.ndarray:
        with np.errstate(all="ignore"):
            h = np.asarray(fam.entropy(**p), dtype=float)
        a, b = np.asarray(q[low], float), np.asarray(q[high], float)
        lo, hi, known = support_bounds(Distribution(fam, p))
        if not known:
            raise NotImplementedForFamily(f"{fam.title}: support not readable")
        out = -h + np.log(b - a)
        return np.where((lo < a) | (hi > b) | np.isnan(out), np.inf, out)

    kl_p_uniform.__doc__ = f"KL({fam.title} || Uniform) = -H(P) + log(high - low) on its support."
    return kl_p_uniform


def _normal_vs_laplace(loc: str, scale: str) -> Callable[..., np.ndarray]:
    def kl_normal_laplace(p: dict[str, Any], q: dict[str, Any]) -> np.ndarray:
        mu, sigma = np.asarray(p["mu"], float), np.asarray(p["sigma"], float)
        m, b = np.asarray(q[loc], float), np.asarray(q[scale], float)
        d = mu - m
        e_abs = (sigma * np.sqrt(2.0 / np.pi) * np.exp(-0.5 * (d / sigma) ** 2)
                 + d * (1.0 - 2.0 * ndtr(-d / sigma)))
        h = 0.5 * (1.0 + _LOG_2PI) + np.log(sigma)
        return -h + np.log(2.0 * b) + e_abs / b

    return kl_normal_laplace


def _register(p_cls: type, q_cls: type, fn: Callable[..., np.ndarray]) -> None:
    if (p_cls, q_cls) in KL_REGISTRY:
        return  # the family engineer's own formula wins
    register_kl(p_cls, q_cls)(fn)
    REGISTERED_HERE.append((p_cls, q_cls))


def _univariate_continuous(fam: Family) -> bool:
    # (a family with atoms, Tweedie's P(0), has KL = +inf against any density)
    return not fam.discrete and not fam.atoms and fam.event_ndim == 0


def register_cross_family() -> None:
    """(Re-)register the cross-family closed forms for every registered family.

    Called at import; call again after registering a new family at run time.
    """
    families = list(FAMILIES.values())
    for fam in families:
        if fam is FAMILIES.get("normal") or not _univariate_continuous(fam):
            continue
        _register(type(fam), NormalFamily, _generic_vs_normal(fam))
    expo = FAMILIES.get("exponential")
    if expo is not None and len(expo.param_names) == 1:
        for fam in families:
            if fam is not expo and _univariate_continuous(fam):
                _register(type(fam), type(expo), _generic_vs_exponential(fam, expo.param_names[0]))
    uni = FAMILIES.get("uniform")
    if uni is not None and len(uni.param_names) == 2:
        lo_name, hi_name = uni.param_names
        for fam in families:
            if fam is not uni and _univariate_continuous(fam):
                _register(type(fam), type(uni), _generic_vs_uniform(fam, lo_name, hi_name))
    lap = FAMILIES.get("laplace")
    if lap is not None and len(lap.param_names) == 2:
        _register(NormalFamily, type(lap), _normal_vs_laplace(*lap.param_names))


register_cross_family()
