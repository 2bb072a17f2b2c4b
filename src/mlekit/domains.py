"""Where a value may live: the domain of a parameter or the support of the data.

A :class:`Domain` is one object that serves four jobs (STYLE.md §2):

* **validation** — :meth:`Domain.check` converts to a float array and raises an
  error naming the first offending index and the rule broken;
* **reparameterisation** — :meth:`Domain.to_unconstrained` /
  :meth:`Domain.from_unconstrained` form a smooth bijection with the real line
  (``Positive ↔ exp``, ``UnitInterval ↔ expit``), used by the generic optimiser,
  with its analytic Jacobian :meth:`Domain.dtheta_du` / :meth:`Domain.jacobian`,
  the domain's :attr:`Domain.edges` and the regression link that maps the real
  line onto it (:attr:`Domain.default_link`);
* **test-data generation** — :meth:`Domain.example` draws valid points;
* **symbolic assumptions** — :attr:`Domain.sympy_assumptions` for SymPy symbols.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np
from scipy.special import expit, logit

from .errors import DataError, MlekitError, NotImplementedForFamily, ParameterError, SupportError

__all__ = [
    "Binary",
    "BoundedCounts",
    "Categories",
    "Counts",
    "Domain",
    "GreaterThan",
    "Interval",
    "NonNegative",
    "Ordered",
    "Positive",
    "PositiveDefinite",
    "Real",
    "Simplex",
    "UnitInterval",
    "as_float_array",
    "first_bad_index",
]


def first_bad_index(bad: np.ndarray) -> str:
    """Render the index of the first ``True`` in ``bad`` (``"3"`` or ``"(1, 2)"``).

    Examples
    --------
    >>> import numpy as np
    >>> from mlekit.domains import first_bad_index
    >>> x = np.array([1.0, -2.0, -3.0])
    >>> first_bad_index(x < 0)
    '1'
    >>> first_bad_index(np.array([[1.0, 2.0], [3.0, np.nan]]) != 1.0)   # row, column
    '(0, 1)'
    >>> first_bad_index(x > 5)                           # nothing bad: empty string
    ''
    """
    idx = np.argwhere(np.asarray(bad))
    if idx.size == 0:
        return ""
    first = tuple(int(i) for i in idx[0])
    return str(first[0]) if len(first) == 1 else str(first)


def as_float_array(x: Any, what: str = "x", error: type[MlekitError] = DataError) -> np.ndarray:
    """Convert ``x`` to a float64 array, with an error naming ``what`` if it is not numeric.

    Examples
    --------
    >>> from mlekit.domains import as_float_array
    >>> as_float_array([1, 2, 3])
    array([1., 2., 3.])
    >>> as_float_array(["1.5", "a"], "weights")
    Traceback (most recent call last):
        ...
    mlekit.errors.DataError: weights must be numeric: could not convert string to float: 'a'
    """
    try:
        arr = np.asarray(x, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise error(f"{what} must be numeric: {exc}") from None
    return arr


_RANGE_CHECK_SIZE = 4096  # arrays at least this large try the min/max shortcut first


@dataclass(frozen=True)
class Domain:
    r"""Base class: a set of allowed values, elementwise unless stated otherwise.

    Examples
    --------
    ``Positive`` (a ``Domain``) validates, reparameterises (``log``/``exp``), draws
    examples and gives the SymPy assumptions:

    >>> import numpy as np
    >>> from mlekit.domains import Positive
    >>> Positive, Positive.rule, Positive.sympy_assumptions
    (Positive, 'value > 0', {'positive': True})
    >>> Positive.check([1.0, 2.0])
    array([1., 2.])
    >>> Positive.check([1.0, 0.0, -2.0], what="sigma", owner="Normal")
    Traceback (most recent call last):
        ...
    mlekit.errors.SupportError: Normal: sigma must satisfy value > 0 (Positive); found 0 ...
    >>> u = Positive.to_unconstrained(np.array([0.5, 2.0]))
    >>> np.round(u, 4), Positive.from_unconstrained(u)
    (array([-0.6931,  0.6931]), array([0.5, 2. ]))
    >>> bool(np.all(Positive.example(np.random.default_rng(0), size=5) > 0))
    True

    What the generic optimiser needs, declared by the domain itself: the map
    :math:`\theta = g(u)`, its derivative written in :math:`\theta`, the edges and the
    regression link onto the domain:

    >>> Positive.bijection, Positive.dtheta_du(np.array([0.5, 2.0])), Positive.edges
    ('exp', array([0.5, 2. ]), (0.0, inf))
    >>> Positive.default_link
    'log'
    """

    name: str = "domain"
    rule: str = "any value"
    discrete: bool = False
    sympy_assumptions: dict[str, bool] = field(default_factory=lambda: {"real": True})

    #: the map :math:`u \mapsto \theta` from the unconstrained reals onto the domain, by
    #: name (``"identity"``, ``"exp"``, ``"lower + exp"``, ``"scaled expit"``,
    #: ``"softmax"``); ``None``: the domain has no bijection with the reals (integers,
    #: matrices), and the generic optimiser cannot move a parameter living there
    bijection: ClassVar[str | None] = None
    #: trailing axes that make up ONE value: 0 for an elementwise domain, 1 for a
    #: probability vector (Simplex), 2 for a matrix (PositiveDefinite)
    event_ndim: ClassVar[int] = 0
    #: the regression link :math:`g` whose inverse maps the real line onto the domain
    #: (``"identity"`` on the reals, ``"log"`` on the positives, ``"logit"`` on the unit
    #: interval); ``None`` where no named link does (integers, a simplex, matrices,
    #: ``Interval(a, b)`` other than (0, 1), ``GreaterThan(l)``)
    default_link: ClassVar[str | None] = None

    # --- membership -------------------------------------------------------------
    def contains(self, x: np.ndarray) -> np.ndarray:
        """Elementwise membership mask (finite values only)."""
        raise NotImplementedError

    def check(
        self,
        x: Any,
        what: str = "x",
        owner: str = "",
        error: type[MlekitError] = SupportError,
    ) -> np.ndarray:
        """Return ``x`` as a float array, or raise naming the first bad index and the rule.

        NaN and ±inf are always rejected (with their own message), then the
        domain's rule is checked.
        """
        prefix = f"{owner}: " if owner else ""
        arr = as_float_array(x, what=f"{prefix}{what}", error=error)
        if arr.size >= _RANGE_CHECK_SIZE:
            # large data: two reductions decide most cases (min and max propagate NaN,
            # so finite ends mean finite values); the elementwise pass below only runs
            # when they cannot, and then it names the first bad index as always
            lo, hi = float(np.min(arr)), float(np.max(arr))
            if np.isfinite(lo) and np.isfinite(hi) and self.range_within(lo, hi):
                return arr
        nonfinite = ~np.isfinite(arr)
        if nonfinite.any():
            where = first_bad_index(nonfinite)
            first_value = np.ravel(arr)[int(np.argmax(np.ravel(nonfinite)))]
            kind = "a NaN" if np.isnan(first_value) else "an infinite"
            loc = f" at index {where}" if arr.ndim else ""
            raise error(
                f"{prefix}{what} contains {kind} value{loc} "
                f"({int(nonfinite.sum())} of {arr.size} values are not finite)"
            )
        ok = self.contains(arr)
        if not np.all(ok):
            bad = ~np.asarray(ok)
            where = first_bad_index(bad)
            value = arr[np.unravel_index(int(np.argmax(bad)), bad.shape)] if bad.ndim else arr
            loc = f" at index {where}" if bad.ndim else ""
            raise error(
                f"{prefix}{what} must satisfy {self.rule} ({self.name}); "
                f"found {float(np.ravel(value)[0]):g}{loc} "
                f"({int(bad.sum())} of {bad.size} values break it)"
            )
        return arr

    def range_within(self, lo: float, hi: float) -> bool:
        """True when every finite value in ``[lo, hi]`` belongs to the domain.

        A sufficient test used by :meth:`check` on large arrays; ``False`` means
        "cannot tell from the range" (the elementwise test then decides).
        """
        return False

    # --- bijection with the unconstrained reals -----------------------------------
    @property
    def has_bijection(self) -> bool:
        """True when :meth:`to_unconstrained`, :meth:`from_unconstrained` and the
        analytic Jacobian (:meth:`jacobian`) exist for this domain."""
        return self.bijection is not None

    def _no_bijection(self, what: str) -> NotImplementedForFamily:
        return NotImplementedForFamily(
            f"the domain {self.name} ({self.rule}) has no bijection with the unconstrained "
            f"reals, so it has no {what}; a parameter living there must be fitted in "
            "closed form or held fixed")

    def to_unconstrained(self, x: np.ndarray) -> np.ndarray:
        r"""Map a point of the domain to the unconstrained reals, :math:`u = g^{-1}(\theta)`."""
        raise self._no_bijection("map to the reals")

    def from_unconstrained(self, u: np.ndarray) -> np.ndarray:
        r"""Inverse of :meth:`to_unconstrained`, :math:`\theta = g(u)`."""
        raise self._no_bijection("map from the reals")

    def dtheta_du(self, theta: np.ndarray) -> np.ndarray:
        r"""Diagonal Jacobian :math:`d\theta/du = g'(g^{-1}(\theta))`, written in θ.

        Elementwise domains only (same shape as ``theta``); a vector domain (Simplex)
        gives its full block through :meth:`jacobian`.
        """
        raise self._no_bijection("Jacobian")

    def unconstrained_size(self, shape: tuple[int, ...]) -> int:
        """Number of unconstrained coordinates of a parameter of this ``shape``."""
        if not self.has_bijection:
            raise self._no_bijection("unconstrained coordinates")
        return math.prod(shape)

    def length_for_classes(self, k: int) -> int:
        """Entries of one vector value in this domain for data with ``k`` class labels (a
        fit of scalar labels sizes its vector parameter by it): ``k`` (a probability per
        class, the Simplex); :data:`Ordered` has ``k - 1`` (the cut points between them)."""
        return int(k)

    def jacobian(self, theta: np.ndarray) -> np.ndarray:
        r"""Dense Jacobian :math:`\partial\theta/\partial u` of one parameter value,
        shape ``(theta.size, unconstrained_size(theta.shape))``.

        For an elementwise domain it is ``diag(dtheta_du(theta))``.
        """
        return np.diag(np.ravel(self.dtheta_du(np.ravel(np.asarray(theta, dtype=float)))))

    @property
    def edges(self) -> tuple[float, float]:
        """``(lower, upper)``: where the domain ends (±inf where it is unbounded).

        An end may or may not belong to the domain (:meth:`contains` says); an estimate
        equal to a finite end is on the boundary. A bound given per element
        (``GreaterThan(lower=array)``) is summarised by its largest value.
        """
        return (-np.inf, np.inf)

    @property
    def bounds(self) -> tuple[Any, Any] | None:
        """``(lower, upper)`` of each element, kept per element where the domain gives its
        bound as an array (``GreaterThan(lower=array)``, ``BoundedCounts(n)``, an
        ``Interval`` with array ends: a support that depends on the parameters), ±inf
        where unbounded; ``None`` where the domain does not declare them (the base class,
        Simplex, PositiveDefinite), so a caller knows it cannot compare supports.

        :attr:`edges` is the scalar summary of these.
        """
        return None

    def example(self, rng: np.random.Generator, size: int | tuple = ()) -> np.ndarray:
        """Draw valid example points (for tests and property checks)."""
        return self.from_unconstrained(rng.normal(size=size))

    def __repr__(self) -> str:
        return self.name


# ----------------------------------------------------------------------------------
@dataclass(frozen=True, repr=False)
class _Real(Domain):
    r"""The real line: :math:`\theta = u`, :math:`d\theta/du = 1`; identity link."""

    bijection: ClassVar[str | None] = "identity"
    default_link: ClassVar[str | None] = "identity"

    def contains(self, x):
        return np.isfinite(x)

    def range_within(self, lo, hi):
        return True

    def to_unconstrained(self, x):
        return np.asarray(x, dtype=float)

    def from_unconstrained(self, u):
        return np.asarray(u, dtype=float)

    def dtheta_du(self, theta):
        return np.ones_like(np.asarray(theta, dtype=float))

    @property
    def bounds(self) -> tuple[Any, Any]:
        return (-np.inf, np.inf)


class _ExpBijection:
    r"""Mixin for the half-line above 0: :math:`\theta = e^u`, so
    :math:`d\theta/du = e^u = \theta`; log link; edges (0, ∞)."""

    bijection: ClassVar[str | None] = "exp"
    default_link: ClassVar[str | None] = "log"

    def to_unconstrained(self, x):
        return np.log(x)

    def from_unconstrained(self, u):
        return np.exp(u)

    def dtheta_du(self, theta):
        return np.array(theta, dtype=float)  # a copy: θ itself

    @property
    def edges(self) -> tuple[float, float]:
        return (0.0, np.inf)

    @property
    def bounds(self) -> tuple[Any, Any]:
        return (0.0, np.inf)


@dataclass(frozen=True, repr=False)
class _Positive(_ExpBijection, Domain):
    """Values above 0 (``value > 0``)."""

    def contains(self, x):
        return x > 0

    def range_within(self, lo, hi):
        return lo > 0


@dataclass(frozen=True, repr=False)
class _NonNegative(_ExpBijection, Domain):
    """Values at or above 0 (``value >= 0``); the bijection reaches the open half-line."""

    def contains(self, x):
        return x >= 0

    def range_within(self, lo, hi):
        return lo >= 0


@dataclass(frozen=True, repr=False)
class Interval(Domain):
    r"""The interval between ``low`` and ``high`` (open or closed at each end).

    Examples
    --------
    >>> import numpy as np
    >>> from mlekit.domains import Interval, UnitInterval
    >>> isinstance(UnitInterval, Interval), UnitInterval.rule
    (True, '0 < value < 1')
    >>> half_open = Interval(name="Interval[-1, 1)", rule="-1 <= value < 1",
    ...                      low=-1.0, high=1.0, closed=(True, False))
    >>> half_open.contains(np.array([-1.0, 0.0, 1.0]))
    array([ True,  True, False])
    >>> float(half_open.from_unconstrained(0.0))         # the midpoint (scaled expit)
    0.0
    >>> UnitInterval.check([0.2, 1.0], what="p")
    Traceback (most recent call last):
        ...
    mlekit.errors.SupportError: p must satisfy 0 < value < 1 (UnitInterval); found 1 at index 1 ...

    The bijection is :math:`\theta = a + (b-a)\,\sigma(u)` with the logistic
    :math:`\sigma`, so :math:`d\theta/du = (b-a)\sigma(u)(1-\sigma(u)) =
    (\theta-a)(b-\theta)/(b-a)`; the regression link is the logit on (0, 1) only:

    >>> half_open.dtheta_du(np.array([0.0])), half_open.edges
    (array([0.5]), (-1.0, 1.0))
    >>> UnitInterval.default_link, half_open.default_link
    ('logit', None)
    """

    low: float = 0.0
    high: float = 1.0
    closed: tuple[bool, bool] = (False, False)

    bijection: ClassVar[str | None] = "scaled expit"

    def contains(self, x):
        lo = x >= self.low if self.closed[0] else x > self.low
        hi = x <= self.high if self.closed[1] else x < self.high
        return lo & hi

    def range_within(self, lo, hi):
        return bool(self.contains(np.array([lo, hi])).all())

    def to_unconstrained(self, x):
        return logit((np.asarray(x) - self.low) / (self.high - self.low))

    def from_unconstrained(self, u):
        return self.low + (self.high - self.low) * expit(u)

    def dtheta_du(self, theta):
        a, b = float(self.low), float(self.high)
        theta = np.asarray(theta, dtype=float)
        return (theta - a) * (b - theta) / (b - a)

    @property
    def edges(self) -> tuple[float, float]:
        return (float(self.low), float(self.high))

    @property
    def bounds(self) -> tuple[Any, Any]:
        return (self.low, self.high)

    @property  # type: ignore[override]
    def default_link(self) -> str | None:
        # the logit maps the reals onto (0, 1), inside [0, 1] closed or open
        return "logit" if (self.low, self.high) == (0.0, 1.0) else None


def _interval(low: float, high: float, closed=(False, False), name: str | None = None) -> Interval:
    lb = "[" if closed[0] else "("
    rb = "]" if closed[1] else ")"
    assumptions = {"real": True}
    if low >= 0:
        assumptions = {"nonnegative": True} if closed[0] else {"positive": True}
    return Interval(
        name=name or f"Interval{lb}{low:g}, {high:g}{rb}",
        rule=f"{low:g} {'<=' if closed[0] else '<'} value {'<=' if closed[1] else '<'} {high:g}",
        sympy_assumptions=assumptions,
        low=low,
        high=high,
        closed=closed,
    )


@dataclass(frozen=True, repr=False)
class GreaterThan(Domain):
    """Values above ``lower`` (``x >= lower`` if ``closed``); ``lower`` may be an array.

    Examples
    --------
    >>> import numpy as np
    >>> from mlekit.domains import GreaterThan
    >>> above1 = GreaterThan(name="GreaterThan(1)", rule="value >= 1", lower=1.0)
    >>> above1.check([1.0, 3.0])
    array([1., 3.])
    >>> float(above1.from_unconstrained(np.log(2.0)))   # lower + exp(u)
    3.0
    >>> above1.check([1.5, 0.5])
    Traceback (most recent call last):
        ...
    mlekit.errors.SupportError: x must satisfy value >= 1 (GreaterThan(1)); found 0.5 at index 1 ...
    >>> per_row = GreaterThan(lower=np.array([0.0, 5.0]))   # a bound per element
    >>> per_row.contains(np.array([1.0, 1.0]))
    array([ True, False])
    """

    lower: Any = 0.0
    closed: bool = True

    bijection: ClassVar[str | None] = "lower + exp"

    def contains(self, x):
        return x >= self.lower if self.closed else x > self.lower

    def range_within(self, lo, hi):
        if np.ndim(self.lower):
            return False
        return bool(lo >= self.lower if self.closed else lo > self.lower)

    def to_unconstrained(self, x):
        return np.log(np.asarray(x) - self.lower)

    def from_unconstrained(self, u):
        return self.lower + np.exp(u)

    def dtheta_du(self, theta):
        r""":math:`\theta = l + e^u`, so :math:`d\theta/du = e^u = \theta - l`."""
        return np.asarray(theta, dtype=float) - np.asarray(self.lower, dtype=float)

    @property
    def edges(self) -> tuple[float, float]:
        return (float(np.max(self.lower)), np.inf)

    @property
    def bounds(self) -> tuple[Any, Any]:
        return (self.lower, np.inf)


@dataclass(frozen=True, repr=False)
class _Integers(Domain):
    low: int = 0
    high: Any = None  # None = unbounded; may be an array (Binomial n)

    def contains(self, x):
        ok = (x == np.floor(x)) & (x >= self.low)
        if self.high is not None:
            ok = ok & (x <= self.high)
        return ok

    def example(self, rng, size=()):
        high = 10 if self.high is None else self.high
        return rng.integers(self.low, np.asarray(high) + 1, size=size).astype(float)

    @property
    def edges(self) -> tuple[float, float]:
        return (float(self.low), np.inf if self.high is None else float(np.max(self.high)))

    @property
    def bounds(self) -> tuple[Any, Any]:
        return (self.low, np.inf if self.high is None else self.high)


@dataclass(frozen=True, repr=False)
class _Simplex(Domain):
    r"""Vectors along the last axis with non-negative entries summing to one.

    The bijection is the softmax of :math:`(u, 0)` (additive log-ratios against the last
    class), so a vector of k entries has k − 1 coordinates and its Jacobian is the
    k × (k − 1) block :math:`\partial p_j/\partial u_l = p_j(\delta_{jl} - p_l)`
    (:meth:`jacobian`; there is no elementwise :meth:`dtheta_du`).
    """

    atol: float = 1e-8

    bijection: ClassVar[str | None] = "softmax"
    event_ndim: ClassVar[int] = 1

    def contains(self, x):
        x = np.asarray(x)
        if x.ndim == 0:
            return np.asarray(False)
        return np.all(x >= 0, axis=-1) & (np.abs(x.sum(axis=-1) - 1.0) <= self.atol * x.shape[-1])

    def check(self, x, what="p", owner="", error=ParameterError):
        prefix = f"{owner}: " if owner else ""
        arr = as_float_array(x, what=f"{prefix}{what}", error=error)
        if arr.ndim == 0 or arr.shape[-1] < 1:
            raise error(f"{prefix}{what} must be a probability vector (last axis = classes)")
        if not np.all(np.isfinite(arr)):
            where = first_bad_index(~np.isfinite(arr))
            raise error(f"{prefix}{what} contains a non-finite value at index {where}")
        if np.any(arr < 0):
            where = first_bad_index(arr < 0)
            raise error(f"{prefix}{what} must have entries >= 0; "
                        f"found a negative entry at index {where}")
        sums = arr.sum(axis=-1)
        bad = np.abs(sums - 1.0) > self.atol * arr.shape[-1]
        if np.any(bad):
            where = first_bad_index(np.atleast_1d(bad))
            total = float(np.ravel(sums)[int(np.argmax(np.ravel(bad)))])
            raise error(
                f"{prefix}{what} must sum to 1 along its last axis (Simplex); the vector at "
                f"batch index {where or 0} sums to {total:.10g}. mlekit never renormalises "
                "silently: divide by the sum yourself if that is what you mean"
            )
        return arr

    def to_unconstrained(self, x):
        # additive log-ratio against the last class
        x = np.asarray(x)
        return np.log(x[..., :-1]) - np.log(x[..., -1:])

    def from_unconstrained(self, u):
        u = np.asarray(u)
        z = np.concatenate([u, np.zeros(u.shape[:-1] + (1,))], axis=-1)
        z = z - z.max(axis=-1, keepdims=True)
        e = np.exp(z)
        return e / e.sum(axis=-1, keepdims=True)

    def dtheta_du(self, theta):
        raise NotImplementedForFamily(
            f"the domain {self.name} is not elementwise: its Jacobian couples the entries "
            "of a probability vector; use Simplex.jacobian(p)")

    def unconstrained_size(self, shape):
        # k − 1 coordinates per probability vector along the last axis
        if len(shape) == 0:
            raise NotImplementedForFamily(
                f"the domain {self.name} holds probability vectors, not a single number")
        return math.prod(shape[:-1]) * (int(shape[-1]) - 1)

    def jacobian(self, theta):
        p = np.ravel(np.asarray(theta, dtype=float))
        # p = softmax(u, 0): dp_j/du_l = p_j (δ_jl − p_l), l < k − 1
        return np.diag(p)[:, :-1] - np.outer(p, p[:-1])

    @property
    def edges(self) -> tuple[float, float]:
        return (0.0, 1.0)  # of each entry


@dataclass(frozen=True, repr=False)
class _Ordered(Domain):
    r"""Strictly increasing vectors along the last axis: the cut points of an ordinal model.

    The bijection is the ordered transform (Stan's ``ordered``)

    .. math::

        \theta_1 = u_1, \qquad \theta_j = \theta_{j-1} + e^{u_j}\quad (j \ge 2),

    so a vector of k entries has k coordinates; its Jacobian is lower triangular,
    :math:`\partial\theta_j/\partial u_1 = 1` and
    :math:`\partial\theta_j/\partial u_l = \theta_l - \theta_{l-1}` for
    :math:`2 \le l \le j` (:meth:`jacobian`; there is no elementwise :meth:`dtheta_du`).

    Examples
    --------
    >>> import numpy as np
    >>> from mlekit.domains import Ordered
    >>> u = Ordered.to_unconstrained(np.array([-1.0, 0.5, 2.0]))
    >>> np.round(u, 4), Ordered.from_unconstrained(u)
    (array([-1.    ,  0.4055,  0.4055]), array([-1. ,  0.5,  2. ]))
    >>> Ordered.check([0.0, 0.0, 1.0], what="theta", owner="Ordinal")
    Traceback (most recent call last):
        ...
    mlekit.errors.ParameterError: Ordinal: theta must be strictly increasing along its last ...
    """

    bijection: ClassVar[str | None] = "ordered"
    event_ndim: ClassVar[int] = 1

    def contains(self, x):
        x = np.asarray(x)
        if x.ndim == 0 or x.shape[-1] < 1:
            return np.asarray(False)
        return np.all(np.isfinite(x), axis=-1) & np.all(np.diff(x, axis=-1) > 0, axis=-1)

    def check(self, x, what="theta", owner="", error=ParameterError):
        prefix = f"{owner}: " if owner else ""
        arr = as_float_array(x, what=f"{prefix}{what}", error=error)
        if arr.ndim == 0 or arr.shape[-1] < 1:
            raise error(f"{prefix}{what} must be a vector of cut points (last axis); got a "
                        "single number")
        if not np.all(np.isfinite(arr)):
            where = first_bad_index(~np.isfinite(arr))
            raise error(f"{prefix}{what} contains a non-finite value at index {where}")
        steps = np.diff(arr, axis=-1)
        if np.any(steps <= 0):
            *batch, j = (int(i) for i in np.argwhere(steps <= 0)[0])
            at = f" in the vector at batch index {tuple(batch)}" if batch else ""
            raise error(
                f"{prefix}{what} must be strictly increasing along its last axis (Ordered); "
                f"entry {j} is {arr[(*batch, j)]:g} and entry {j + 1} is "
                f"{arr[(*batch, j + 1)]:g}{at} (sort the cut points; merge classes whose cut "
                "points coincide)")
        return arr

    def to_unconstrained(self, x):
        x = np.asarray(x, dtype=float)
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.concatenate([x[..., :1], np.log(np.diff(x, axis=-1))], axis=-1)

    def from_unconstrained(self, u):
        u = np.asarray(u, dtype=float)
        return np.cumsum(np.concatenate([u[..., :1], np.exp(u[..., 1:])], axis=-1), axis=-1)

    def dtheta_du(self, theta):
        raise NotImplementedForFamily(
            f"the domain {self.name} is not elementwise: each cut point moves with the ones "
            "below it; use Ordered.jacobian(theta)")

    def unconstrained_size(self, shape):
        if len(shape) == 0:
            raise NotImplementedForFamily(
                f"the domain {self.name} holds vectors of cut points, not a single number")
        return math.prod(shape)

    def length_for_classes(self, k: int) -> int:
        return max(int(k) - 1, 1)

    def jacobian(self, theta):
        th = np.ravel(np.asarray(theta, dtype=float))
        gaps = np.concatenate([[1.0], np.diff(th)])  # dθ_j/du_l for l <= j
        return np.tril(np.broadcast_to(gaps, (th.size, th.size)))


@dataclass(frozen=True, repr=False)
class _PositiveDefinite(Domain):
    """Symmetric positive-definite matrices over the last two axes."""

    event_ndim: ClassVar[int] = 2

    def contains(self, x):
        x = np.asarray(x)
        if x.ndim < 2 or x.shape[-1] != x.shape[-2]:
            return np.asarray(False)
        sym = np.allclose(x, np.swapaxes(x, -1, -2))
        try:
            np.linalg.cholesky(x)
        except np.linalg.LinAlgError:
            return np.asarray(False)
        return np.asarray(sym)

    def check(self, x, what="cov", owner="", error=ParameterError):
        prefix = f"{owner}: " if owner else ""
        arr = as_float_array(x, what=f"{prefix}{what}", error=error)
        if not np.all(np.isfinite(arr)):
            raise error(f"{prefix}{what} contains a non-finite value at index "
                        f"{first_bad_index(~np.isfinite(arr))}")
        if not bool(self.contains(arr)):
            raise error(f"{prefix}{what} must be a symmetric positive-definite matrix "
                        f"(PositiveDefinite); shape {arr.shape} is not")
        return arr


Real = _Real(name="Real", rule="-inf < value < inf", sympy_assumptions={"real": True})
Positive = _Positive(name="Positive", rule="value > 0", sympy_assumptions={"positive": True})
NonNegative = _NonNegative(
    name="NonNegative", rule="value >= 0", sympy_assumptions={"nonnegative": True}
)
UnitInterval = _interval(0.0, 1.0, (False, False), name="UnitInterval")
ClosedUnitInterval = _interval(0.0, 1.0, (True, True), name="ClosedUnitInterval")
Binary = _Integers(
    name="Binary", rule="value in {0, 1}", discrete=True,
    sympy_assumptions={"integer": True, "nonnegative": True}, low=0, high=1,
)
Counts = _Integers(
    name="Counts", rule="value in {0, 1, 2, ...}", discrete=True,
    sympy_assumptions={"integer": True, "nonnegative": True}, low=0,
)
PositiveIntegers = _Integers(
    name="PositiveIntegers", rule="value in {1, 2, 3, ...}", discrete=True,
    sympy_assumptions={"integer": True, "positive": True}, low=1,
)
Simplex = _Simplex(name="Simplex", rule="entries >= 0 summing to 1 along the last axis")
PositiveDefinite = _PositiveDefinite(name="PositiveDefinite", rule="symmetric positive definite")
Ordered = _Ordered(name="Ordered", rule="strictly increasing along the last axis")


def BoundedCounts(n: Any) -> Domain:
    """Integers ``0 … n`` (``n`` may be an array, e.g. Binomial trials per row).

    Examples
    --------
    >>> import numpy as np
    >>> from mlekit.domains import BoundedCounts
    >>> successes = BoundedCounts(np.array([3, 5, 5]))   # trials per row
    >>> successes.contains(np.array([3.0, 6.0, 2.5]))    # 6 > 5 trials; 2.5 not an integer
    array([ True, False, False])
    >>> successes.check([3, 6, 2], owner="Binomial")
    Traceback (most recent call last):
        ...
    mlekit.errors.SupportError: Binomial: x must satisfy value in {0, 1, ..., n} ...; found 6 ...
    """
    return _Integers(
        name="BoundedCounts", rule="value in {0, 1, ..., n}", discrete=True,
        sympy_assumptions={"integer": True, "nonnegative": True}, low=0, high=n,
    )


def Categories(k: int) -> Domain:
    """Class labels ``0 … k-1``.

    Examples
    --------
    >>> import numpy as np
    >>> from mlekit.domains import Categories
    >>> labels = Categories(3)
    >>> labels, labels.rule
    (Categories(3), 'value in {0, ..., 2}')
    >>> labels.contains(np.array([0.0, 2.0, 3.0]))
    array([ True,  True, False])
    >>> sorted(set(labels.example(np.random.default_rng(0), size=50).tolist()))
    [0.0, 1.0, 2.0]
    """
    return _Integers(
        name=f"Categories({k})", rule=f"value in {{0, ..., {k - 1}}}", discrete=True,
        sympy_assumptions={"integer": True, "nonnegative": True}, low=0, high=k - 1,
    )
