r"""Censored observations: each one is known only to lie in an interval.

``Censored(low, high)`` holds one interval per observation, in the convention of
fitdistrplus' ``fitdistcens`` (``left``/``right`` columns):

==================================  =================  =====================================
``low``, ``high``                   kind               likelihood contribution
==================================  =================  =====================================
``low == high``                     exact              :math:`p(x)` (density or pmf)
``low = -inf`` (or NaN / None)      left-censored      :math:`P(X \le h) = F(h)`
``high = +inf`` (or NaN / None)     right-censored     :math:`P(X > l) = S(l)`
``low < high``, both finite         interval-censored  :math:`P(l < X \le h) = F(h) - F(l)`
==================================  =================  =====================================

The log-likelihood is computed from the family's ``logpdf``, ``cdf`` and
``logsf`` in a stable way (upper-tail probabilities through ``logsf``, never
``log(1 - F)``). For discrete families the intervals are half-open as written
(``P(X > l)`` for right censoring at ``l``).

Examples
--------
>>> import numpy as np, mlekit as mk
>>> from mlekit.estimate import Censored
>>> t = np.array([2.0, 3.5, 1.2, 4.0])
>>> data = Censored.from_indicator(t, censored=[False, True, False, True])  # right-censored
>>> res = mk.fit(data, "normal")
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ..domains import first_bad_index
from ..errors import DataError, NoMaximumError
from ..families.base import as_real_array

__all__ = ["Censored"]


def _endpoint(v: Any, fill: float, what: str) -> np.ndarray:
    if v is None:
        return None  # type: ignore[return-value]
    if isinstance(v, (list, tuple)):
        v = [fill if e is None else e for e in v]
    arr = _flat(as_real_array(v, what=what, allow_bool=False), what)
    return np.where(np.isnan(arr), fill, arr)


def _flat(arr: np.ndarray, what: str) -> np.ndarray:
    """1-D values (an (n, 1) column is accepted); anything else is a DataError."""
    if arr.ndim == 2 and arr.shape[1] == 1:
        return arr[:, 0]
    if arr.ndim > 1:
        raise DataError(f"{what} has shape {arr.shape}: censored data take one value per "
                        "observation (a 1-D array, or one (n, 1) column)")
    return np.ravel(arr)


@dataclass(frozen=True, init=False)
class Censored:
    """Interval-valued data: observation ``i`` lies in ``[low[i], high[i]]``.

    Parameters
    ----------
    low, high : array-like of the same length. ``low == high`` is an exact
        observation; ``low = -inf`` (or NaN/None) means left-censored at
        ``high``; ``high = +inf`` (or NaN/None) means right-censored at ``low``;
        otherwise the value is only known to lie in ``(low, high]``.

    Examples
    --------
    >>> import numpy as np, mlekit as mk
    >>> t = np.array([2.0, 3.5, 1.2, 4.0, 0.8])
    >>> data = mk.Censored.from_indicator(t, censored=[False, True, False, True, False])
    >>> data.n_censored
    2
    >>> res = mk.fit(data, "exponential")            # rate = events / total time
    >>> round(res.params["rate"], 4), round(3 / float(t.sum()), 4)
    (0.2609, 0.2609)
    """

    low: np.ndarray
    high: np.ndarray

    def __init__(self, low: Any, high: Any):
        lo = _endpoint(low, -np.inf, "Censored low")
        hi = _endpoint(high, np.inf, "Censored high")
        if lo.shape != hi.shape:
            raise DataError(
                f"Censored: low has {lo.size} values but high has {hi.size}; they must match"
            )
        both_inf = np.isneginf(lo) & np.isposinf(hi)
        if both_inf.any():
            raise DataError(
                f"Censored: observation {first_bad_index(both_inf)} has low = -inf and "
                "high = +inf (it carries no information); drop it"
            )
        if np.any(np.isposinf(lo)) or np.any(np.isneginf(hi)):
            bad = np.isposinf(lo) | np.isneginf(hi)
            raise DataError(f"Censored: observation {first_bad_index(bad)} has low = +inf or "
                            "high = -inf")
        bad = lo > hi
        if bad.any():
            raise DataError(
                f"Censored: low must be <= high; observation {first_bad_index(bad)} has "
                f"low = {lo[bad][0]:g} > high = {hi[bad][0]:g}"
            )
        object.__setattr__(self, "low", lo)
        object.__setattr__(self, "high", hi)

    # -- constructors ----------------------------------------------------------------
    @classmethod
    def from_indicator(cls, x: Any, censored: Any, side: str = "right") -> Censored:
        """Survival-style data: ``x`` with a boolean ``censored`` flag per value.

        ``side="right"``: a censored value means ``X > x`` (still alive at ``x``);
        ``side="left"``: ``X <= x`` (below a detection limit).
        """
        x = _flat(as_real_array(x, what="x", allow_bool=False), "x")
        c = np.ravel(np.asarray(censored, dtype=bool))
        if c.shape != x.shape:
            raise DataError(f"Censored: censored has {c.size} flags but x has {x.size} values")
        if side == "right":
            return cls(x, np.where(c, np.inf, x))
        if side == "left":
            return cls(np.where(c, -np.inf, x), x)
        raise DataError(f"Censored: side must be 'right' or 'left', not {side!r}")

    # -- views -----------------------------------------------------------------------
    def __len__(self) -> int:
        return int(self.low.size)

    @property
    def exact(self) -> np.ndarray:
        """Mask of exactly observed values."""
        return self.low == self.high

    @property
    def right(self) -> np.ndarray:
        """Mask of right-censored values (``X > low``)."""
        return np.isposinf(self.high) & np.isfinite(self.low)

    @property
    def left(self) -> np.ndarray:
        """Mask of left-censored values (``X <= high``)."""
        return np.isneginf(self.low) & np.isfinite(self.high)

    @property
    def interval(self) -> np.ndarray:
        """Mask of interval-censored values (``low < X <= high``, both finite)."""
        return np.isfinite(self.low) & np.isfinite(self.high) & (self.low < self.high)

    @property
    def n_censored(self) -> int:
        return int(np.sum(~self.exact))

    def midpoints(self) -> np.ndarray:
        """A point per observation (for starting values): the value, the finite end, or the
        midpoint of an interval."""
        lo, hi = self.low, self.high
        return np.where(np.isfinite(lo) & np.isfinite(hi), 0.5 * (lo + hi),
                        np.where(np.isfinite(lo), lo, hi))

    def __repr__(self) -> str:
        return (f"Censored(n={len(self)}: {int(self.exact.sum())} exact, {int(self.right.sum())} "
                f"right, {int(self.left.sum())} left, {int(self.interval.sum())} interval)")


def check_censored_maximum(family: Any, data: Censored, weights: np.ndarray,
                           fixed: Any) -> None:
    r"""Refuse, by name, censored data whose likelihood has no maximum.

    Every censored term is a probability, at most 1. The supremum of the likelihood is
    then approached, and never attained, by a distribution that moves all its mass into
    every observed interval at once:

    * all observations right-censored (:math:`X > l_i`): :math:`\prod S(l_i) \to 1` as
      the distribution moves above :math:`\max l_i` (a location → ∞ or a scale → ∞);
    * all left-censored (:math:`X \le h_i`): :math:`\prod F(h_i) \to 1` as it moves
      below :math:`\min h_i`;
    * every observation an interval (right/left-censored ones are half-lines) and the
      intervals share a point, or exact values that all equal one point inside every
      interval: a distribution concentrated there (scale → 0) drives every probability
      to 1 (and an exact value's density to ∞), for families that can concentrate.

    Checked for the continuous built-in families with nothing held fixed, where the
    argument is a theorem; other cases (fixed parameters, discrete or user-defined
    families) are caught after the fit, by parameters running off with the likelihood
    still rising (``mlekit.estimate._fit``). Raises :class:`~mlekit.errors.NoMaximumError`.
    """
    from ..families._registry import FAMILIES

    # (the families declare it: Family.censored_mass_escapes / _concentrates; a family
    # built at run time, e.g. a subclass, is not vouched for by its parent's declaration)
    if (fixed or family.discrete or FAMILIES.get(family.name) is not family
            or not family.censored_mass_escapes):
        return
    title = family.title
    use = weights > 0
    lo, hi = data.low[use], data.high[use]
    exact = lo == hi
    n = int(use.sum())
    what = f"all {n} observations" if n > 1 else "the only observation"
    need = "at least one exact or left/interval-censored observation is needed"
    if not exact.any() and np.all(np.isposinf(hi)):
        raise NoMaximumError(
            f"{title}: {what} {'are' if n > 1 else 'is'} right-censored: the likelihood keeps "
            "increasing (every survival probability S(l) → 1 as the distribution moves above "
            "all of them: location or scale → ∞) and no parameter value attains its "
            f"supremum, so the MLE does not exist; {need}")
    if not exact.any() and np.all(np.isneginf(lo)):
        raise NoMaximumError(
            f"{title}: {what} {'are' if n > 1 else 'is'} left-censored: the likelihood keeps "
            "increasing (every probability F(h) → 1 as the distribution moves below all of "
            "them) and no parameter value attains its supremum, so the MLE does not exist; "
            "at least one exact or right/interval-censored observation is needed")
    if not family.censored_mass_concentrates:
        return
    s_lo, s_hi = family.support.edges  # where the support ends (the domain says)
    cen = ~exact
    low = max(float(np.max(lo[cen])), s_lo) if cen.any() else s_lo
    high = min(float(np.min(hi[cen])), s_hi) if cen.any() else s_hi
    if exact.any():
        points = np.unique(lo[exact])
        if points.size == 1 and low < points[0] <= high and cen.any():
            raise NoMaximumError(
                f"{title}: every exact observation equals {points[0]:g} and every censored "
                "interval contains it: the likelihood increases without bound as the "
                "distribution concentrates there (scale → 0), so the MLE does not exist; "
                "an exact value elsewhere, or an interval that excludes it, is needed")
        return
    if low < high:
        raise NoMaximumError(
            f"{title}: every observation is an interval (or half-line) containing the points "
            f"of ({low:g}, {high:g}]: the likelihood approaches its supremum 1 as the "
            "distribution concentrates there (scale → 0), and no parameter value attains it, "
            "so the MLE does not exist; an exact value, or intervals without a common point, "
            "are needed")
