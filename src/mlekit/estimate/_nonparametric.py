r"""Nonparametric distribution estimates for censored data (used by the report).

* :func:`kaplan_meier` — right censoring. With distinct event times
  :math:`t_1 < t_2 < \dots`, :math:`d_j` events at :math:`t_j` and :math:`n_j` observations
  still at risk (time :math:`\ge t_j`),

  .. math:: \hat S(t) = \prod_{t_j \le t} \Bigl(1 - \frac{d_j}{n_j}\Bigr).

* :func:`turnbull` — any mix of exact, left-, right- and interval-censored data
  (:class:`~mlekit.estimate.Censored`): the nonparametric MLE of Turnbull (1976) by the
  self-consistency (EM) iteration. Observation :math:`i` lies in :math:`(l_i, h_i]`; mass
  :math:`p_j` sits on candidate points :math:`s_j` (every finite right end, exact values,
  and :math:`+\infty` when some observation is right-censored beyond them all). With
  :math:`\alpha_{ij} = 1` when :math:`s_j \in (l_i, h_i]` (:math:`s_j = x_i` for an exact
  value),

  .. math:: p_j \leftarrow \frac{1}{W}\sum_i w_i
            \frac{\alpha_{ij} p_j}{\sum_k \alpha_{ik} p_k}.

  Every innermost interval of Turnbull ends at a right end, so the likelihood is the
  same as with mass spread inside the interval; the estimate :math:`\hat F` is drawn as
  a step at the right ends (it is not unique inside an innermost interval).

On right-censored data the Turnbull estimate is the Kaplan–Meier one (Efron's
self-consistency), which the tests check.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ..errors import ConvergenceWarning, DataError

__all__ = ["StepCDF", "kaplan_meier", "turnbull"]


@dataclass(frozen=True)
class StepCDF:
    """A right-continuous step estimate of a CDF: ``F(t) = cdf[j]`` for
    ``points[j] <= t < points[j+1]`` (0 before the first point).

    ``points`` are finite; ``cdf[-1] < 1`` means mass beyond the last point (censored
    above it). ``method`` names the estimator.
    """

    points: np.ndarray
    cdf: np.ndarray
    method: str

    def __call__(self, t: Any) -> np.ndarray:
        t = np.asarray(t, float)
        j = np.searchsorted(self.points, t, side="right")
        return np.where(j > 0, np.concatenate([[0.0], self.cdf])[j], 0.0)

    def quantile(self, q: Any) -> np.ndarray:
        """The smallest point whose F reaches ``q`` (NaN where F never does)."""
        q = np.asarray(q, float)
        j = np.searchsorted(self.cdf, q - 1e-12, side="left")
        pts = np.concatenate([self.points, [np.nan]])
        return pts[np.minimum(j, self.points.size)]


def _weights(w: Any, n: int) -> np.ndarray:
    if w is None:
        return np.ones(n)
    w = np.ravel(np.asarray(w, float))
    if w.shape != (n,):
        raise DataError(f"weights has {w.size} values but the data have {n}")
    if np.any(~np.isfinite(w) | (w < 0)):
        i = int(np.flatnonzero(~np.isfinite(w) | (w < 0))[0])
        raise DataError(f"weights must be finite and >= 0; index {i} is {w[i]!r}")
    return w


def kaplan_meier(time: Any, event: Any, weights: Any = None) -> StepCDF:
    """Kaplan–Meier estimate of F = 1 − S from right-censored data.

    ``time``: observed times; ``event``: True where the time is an event (exact), False
    where it is right-censored (the value is only known to exceed ``time``).

    Examples
    --------
    >>> km = kaplan_meier([1, 2, 2, 3, 4], [True, True, False, True, False])
    >>> km.points.tolist(), [round(float(v), 4) for v in km.cdf]
    ([1.0, 2.0, 3.0], [0.2, 0.4, 0.7])
    """
    t = np.ravel(np.asarray(time, float))
    e = np.ravel(np.asarray(event, bool))
    if t.shape != e.shape:
        raise DataError(f"kaplan_meier: time has {t.size} values but event has {e.size}")
    if not np.all(np.isfinite(t)):
        raise DataError(f"kaplan_meier: time index {int(np.flatnonzero(~np.isfinite(t))[0])} "
                        "is not finite")
    w = _weights(weights, t.size)
    pts = np.unique(t[e & (w > 0)])
    surv, s = [], 1.0
    for tj in pts:
        at_risk = float(np.sum(w[t >= tj]))
        d = float(np.sum(w[(t == tj) & e]))
        s *= 1.0 - d / at_risk
        surv.append(s)
    return StepCDF(pts, 1.0 - np.asarray(surv, float), "Kaplan–Meier")


def turnbull(low: Any, high: Any, weights: Any = None, *, tol: float = 1e-10,
             maxiter: int = 20000) -> StepCDF:
    """Turnbull's nonparametric MLE of F from interval-valued data ``(low, high]``.

    ``low == high`` is an exact value, ``low = -inf`` left-censored, ``high = +inf``
    right-censored (the :class:`~mlekit.estimate.Censored` convention). A
    :class:`~mlekit.errors.ConvergenceWarning` is raised if the EM has not met ``tol``
    (the largest change of a mass) after ``maxiter`` steps.
    """
    import warnings

    lo = np.ravel(np.asarray(low, float))
    hi = np.ravel(np.asarray(high, float))
    if lo.shape != hi.shape:
        raise DataError(f"turnbull: low has {lo.size} values but high has {hi.size}")
    w = _weights(weights, lo.size)
    keep = w > 0
    lo, hi, w = lo[keep], hi[keep], w[keep]
    if lo.size == 0:
        raise DataError("turnbull: no observation has a positive weight")
    pts = np.unique(np.concatenate([hi[np.isfinite(hi)], lo[lo == hi]]))
    if np.any(np.isposinf(hi)):
        pts = np.concatenate([pts, [np.inf]])
    exact = lo == hi
    alpha = np.where(exact[:, None], pts[None, :] == lo[:, None],
                     (pts[None, :] > lo[:, None]) & (pts[None, :] <= hi[:, None]))
    if not np.all(alpha.any(axis=1)):  # pragma: no cover - every (l, h] holds its h
        raise DataError("turnbull: an observation contains no candidate point")
    p = np.full(pts.size, 1.0 / pts.size)
    total = float(w.sum())
    for _ in range(maxiter):
        denom = alpha @ p
        new = p * ((w / denom) @ alpha) / total
        done = float(np.max(np.abs(new - p))) < tol
        p = new
        if done:
            break
    else:
        warnings.warn(f"turnbull: the EM did not reach tol={tol:g} in {maxiter} steps; the "
                      "estimate is approximate", ConvergenceWarning, stacklevel=2)
    finite = np.isfinite(pts)
    cdf = np.cumsum(p)[finite]
    return StepCDF(pts[finite], np.minimum(cdf, 1.0), "Turnbull NPMLE")
