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

from ..domains import as_float_array, first_bad_index
from ..errors import DataError

__all__ = ["Censored"]


def _endpoint(v: Any, fill: float, what: str) -> np.ndarray:
    if v is None:
        return None  # type: ignore[return-value]
    if isinstance(v, (list, tuple)):
        v = [fill if e is None else e for e in v]
    arr = np.ravel(as_float_array(v, what=what))
    return np.where(np.isnan(arr), fill, arr)


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
        x = np.ravel(as_float_array(x, what="x"))
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
