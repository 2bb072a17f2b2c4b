r"""Censored responses in a regression: rows known only to lie in an interval.

A row ``i`` with ``Censored(low, high)`` contributes, as in a univariate censored fit
(:mod:`mlekit.estimate.censored`), with the parameters ``θ_i = g⁻¹(X_i β)`` of its row:

.. math::

    \ell_i = \begin{cases}
      \log p(y_i;\theta_i) & \text{exact } (l_i = h_i = y_i)\\
      \log S(l_i;\theta_i) & \text{right-censored } (h_i = \infty)\\
      \log F(h_i;\theta_i) & \text{left-censored } (l_i = -\infty)\\
      \log\bigl(F(h_i;\theta_i) - F(l_i;\theta_i)\bigr) & \text{interval-censored}
    \end{cases}

Exact rows keep the family's analytic score and Hessian (the engine's own rows).
Families declare no derivative of their CDF, so the censored rows are differentiated
numerically **in link space**, per row: every step ``η ± kh`` stays a valid parameter
(no domain edge to step over), and the five-point stencils

.. math::

    \partial_j \ell \approx \frac{-\ell_{+2} + 8\ell_{+1} - 8\ell_{-1} + \ell_{-2}}{12h},
    \qquad
    \partial_j^2 \ell \approx \frac{-\ell_{+2} + 16\ell_{+1} - 30\ell_0
                                      + 16\ell_{-1} - \ell_{-2}}{12h^2}

(``h = 10⁻³``; truncation ``O(h⁴)``) give the gradient to about 1e-12 and the diagonal
curvature to about 1e-9 relative; the cross terms use the four corners
``(ℓ_{++} - ℓ_{+-} - ℓ_{-+} + ℓ_{--}) / 4h²`` (about 1e-7). The estimates solve the
gradient equations, so they carry the gradient's accuracy; the standard errors carry the
curvature's. The regression result names the method.

The representative ``y`` of a censored row (its value, its finite end, or an interval's
midpoint) only serves the checks of the support and the start; the likelihood reads
``aux["censor_low"]`` and ``aux["censor_high"]``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from ..errors import DataError

__all__ = ["CENSOR_KEYS", "censored_response", "check_censored_existence", "describe",
           "is_censored", "patch_censored_rows"]

#: the per-row data a censored response adds to a regression's ``aux``
CENSOR_KEYS = ("censor_low", "censor_high")
#: the link-space step of the difference stencils
STEP = 1e-3


def censored_response(data: Any, n: int) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """``(representative y, aux entries)`` of a :class:`~mlekit.estimate.Censored` response
    for ``n`` rows (its length must be ``n``)."""
    if len(data) != n:
        raise DataError(f"X has {n} rows but the censored response has {len(data)}")
    return data.midpoints(), {"censor_low": np.array(data.low, float),
                              "censor_high": np.array(data.high, float)}


def is_censored(aux: Mapping[str, Any]) -> bool:
    """Does this regression's per-row data carry a censored response?"""
    return CENSOR_KEYS[0] in aux


def _loglik(family: Any, base: Mapping[str, np.ndarray], lo: np.ndarray,
            hi: np.ndarray) -> np.ndarray:
    """ℓ of censored rows (no exact row among them) with the family's parameters ``base``."""
    from ..estimate._loglik import log_cdf, log_interval

    right = np.isposinf(hi)
    left = np.isneginf(lo)
    out = np.empty(lo.shape)
    with np.errstate(all="ignore"):
        if right.any():
            out[right] = np.asarray(family.logsf(
                lo[right], **{k: v[right] for k, v in base.items()}), float)
        if left.any():
            out[left] = log_cdf(family, hi[left], {k: v[left] for k, v in base.items()})
        mid = ~right & ~left
        if mid.any():
            out[mid] = log_interval(family, lo[mid], hi[mid],
                                    {k: v[mid] for k, v in base.items()})
    return out


def patch_censored_rows(model: Any, eta: np.ndarray, aux: Mapping[str, np.ndarray],
                        order: int, nll: np.ndarray, g: np.ndarray | None,
                        h: np.ndarray | None) -> None:
    """Overwrite, in place, the NLL (and its link-space gradient ``g`` and Hessian ``h``)
    of the censored rows of a block with the censored contributions (module docstring).

    ``model`` is the engine's :class:`~mlekit.regression._engine.FamilyModel`: its
    ``_phi`` maps ``η`` to the parameters in its coordinates, ``_base`` to the family's.
    A row whose parameters leave their domain at ``η`` has NLL ``+inf`` and zero
    derivatives, as in the exact rows.
    """
    lo, hi = np.asarray(aux["censor_low"], float), np.asarray(aux["censor_high"], float)
    rows = np.flatnonzero(lo != hi)
    if rows.size == 0:
        return
    lo, hi = lo[rows], hi[rows]
    e0 = np.array(eta[rows], float)
    sub = {k: np.asarray(v)[rows] for k, v in aux.items()}
    fam = model.family

    def ell(e: np.ndarray) -> np.ndarray:
        phi, ok = model._phi(e)
        v = _loglik(fam, model._base(phi, sub), lo, hi)
        return np.where(ok & ~np.isnan(v), v, -np.inf)

    f0 = ell(e0)
    nll[rows] = -f0
    if order == 0:
        return
    m = e0.shape[1]
    good = np.isfinite(f0)
    grad = np.zeros((rows.size, m))
    hess = np.zeros((rows.size, m, m)) if order >= 2 else None
    shifted: dict[tuple[int, int], np.ndarray] = {}

    def at(j: int, k: int) -> np.ndarray:
        if (j, k) not in shifted:
            e = e0.copy()
            e[:, j] += k * STEP
            shifted[j, k] = ell(e)
        return shifted[j, k]

    with np.errstate(all="ignore"):
        for j in range(m):
            p1, m1, p2, m2 = at(j, 1), at(j, -1), at(j, 2), at(j, -2)
            grad[:, j] = (-p2 + 8.0 * p1 - 8.0 * m1 + m2) / (12.0 * STEP)
            if hess is not None:
                hess[:, j, j] = (-p2 + 16.0 * p1 - 30.0 * f0 + 16.0 * m1 - m2) \
                    / (12.0 * STEP**2)
        if hess is not None:
            for a in range(m):
                for b in range(a + 1, m):
                    corners = []
                    for sa, sb in ((1, 1), (1, -1), (-1, 1), (-1, -1)):
                        e = e0.copy()
                        e[:, a] += sa * STEP
                        e[:, b] += sb * STEP
                        corners.append(ell(e))
                    v = (corners[0] - corners[1] - corners[2] + corners[3]) / (4.0 * STEP**2)
                    hess[:, a, b] = hess[:, b, a] = v
    good &= np.all(np.isfinite(grad), axis=1)
    grad[~good] = 0.0
    if g is not None:
        g[rows] = -grad
    if h is not None and hess is not None:
        hess[~good] = 0.0
        h[rows] = -hess


def _location_sign(model: Any, eta_row: np.ndarray, aux_row: Mapping[str, np.ndarray]) -> float:
    """+1 if raising the location's linear predictor raises a right-censored row's (or
    lowers a left-censored row's) log-likelihood, else -1 (a rate parameter: Exponential)."""
    up, down = eta_row.copy(), eta_row.copy()
    up[:, 0] += 0.1
    down[:, 0] -= 0.1
    lo, hi = aux_row["censor_low"], aux_row["censor_high"]

    def ell(e: np.ndarray) -> float:
        phi, _ = model._phi(e)
        return float(_loglik(model.family, model._base(phi, aux_row), lo, hi)[0])

    rises = ell(up) > ell(down)
    return 1.0 if rises == bool(np.isposinf(hi[0])) else -1.0


def check_censored_existence(model: Any, X: np.ndarray, names: list[str], has_intercept: bool,
                             aux: Mapping[str, np.ndarray], w: np.ndarray | None,
                             eta_of: Any) -> None:
    r"""Raise NoMaximumError if the censored likelihood has no maximum in the location's
    coefficients (exact: a linear program, as for separation).

    A right-censored row's ``log S(l; θ)`` only grows as its location moves up (a
    left-censored row's as it moves down) and approaches 0, never a maximum. So a
    direction ``d`` of the location's coefficients with ``x_iᵀd = 0`` on every exactly
    observed and interval-censored row, ``x_iᵀd >= 0`` on the right-censored and
    ``<= 0`` on the left-censored rows (the signs reversed for a rate parameter), not
    zero on all of them, raises the likelihood without bound: typically a group (a level
    of a factor) in which no event was observed. ``X`` is the location's design without
    the intercept; ``eta_of(i)`` the linear predictors of row ``i`` at the start.
    """
    from ..errors import NoMaximumError
    from ._diagnostics import _design, _null_space, recession_direction

    lo, hi = np.asarray(aux["censor_low"], float), np.asarray(aux["censor_high"], float)
    live = np.ones(lo.shape, bool) if w is None else np.asarray(w) > 0
    right = live & np.isposinf(hi)
    left = live & np.isneginf(lo)
    if not (right.any() or left.any()):
        return
    inner = live & ~right & ~left
    DI = _design(X[inner], has_intercept)
    N = _null_space(DI.T @ DI) if DI.shape[0] else np.eye(DI.shape[1])
    if N.shape[1] == 0:
        return
    i = int(np.flatnonzero(right | left)[0])
    sign = _location_sign(model, eta_of(i), {k: np.asarray(v)[i:i + 1] for k, v in aux.items()})
    up, down = (right, left) if sign > 0 else (left, right)
    d = recession_direction(_design(X[down], has_intercept), _design(X[up], has_intercept), N)
    if d is None:
        return
    full = (["Intercept"] if has_intercept else []) + list(names)
    sd = np.concatenate([[0.0] if has_intercept else [], X.std(axis=0)]) if X.shape[1] \
        else np.zeros(len(full))
    score = np.abs(d) * np.where(sd > 0, sd, 0.0)
    if not np.any(score > 0):
        score = np.abs(d)
    j = int(np.argmax(score))
    cols = [full[k] for k in np.flatnonzero(score > 1e-6 * score.max())]
    loc = model.location
    raise NoMaximumError(
        f"the censored likelihood has no maximum: a combination of columns led by "
        f"{full[j]!r} (involving {', '.join(map(repr, cols))}) is 0 on every exactly "
        "observed or interval-censored row and moves every right-censored row's "
        f"{loc} one way (left-censored rows the other), so the likelihood keeps "
        f"increasing along it and the coefficients run off to infinity (typically a group "
        "in which no event was observed); merge or drop that group, or add a prior "
        "(alpha_l2 > 0)")


def describe(aux: Mapping[str, np.ndarray], w: np.ndarray | None) -> str:
    """One line for ``summary()``: how many rows are censored, and how."""
    lo, hi = np.asarray(aux["censor_low"], float), np.asarray(aux["censor_high"], float)
    live = np.ones(lo.shape, bool) if w is None else np.asarray(w) > 0
    right = int(np.count_nonzero(live & np.isposinf(hi)))
    left = int(np.count_nonzero(live & np.isneginf(lo)))
    inner = int(np.count_nonzero(live & (lo != hi))) - right - left
    parts = [f"{k} {v}" for k, v in (("right", right), ("left", left), ("interval", inner))
             if v]
    return (f"{', '.join(parts)} of {int(np.count_nonzero(live))} rows; censored terms "
            "differentiated numerically in link space")
