"""The result of every divergence computation: a value, how it was computed, its error."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .._utils.tables import ResultsTable

__all__ = ["DivergenceResult"]

#: the methods a :class:`DivergenceResult` may report, in the order "auto" tries them
METHODS = ("closed form", "exact", "quad", "mc")


def _scalar_or_array(v: Any) -> float | np.ndarray:
    arr = np.asarray(v, dtype=float)
    return float(arr) if arr.ndim == 0 else arr


@dataclass(frozen=True)
class DivergenceResult:
    """A KL divergence, entropy or cross-entropy with the method that produced it.

    Attributes
    ----------
    value : float or ndarray
        The quantity in nats; an array of ``batch_shape`` for batches of distributions.
        ``+inf`` where KL(p ‖ q) is infinite (p not absolutely continuous w.r.t. q).
    method : str
        ``"closed form"``, ``"exact"`` (a sum over the support), ``"quad"``
        (adaptive quadrature) or ``"mc"`` (Monte Carlo).
    error : float or ndarray
        Error estimate: 0 for closed forms; the truncation bound of an exact sum
        over a countable support; the quadrature error estimate; the Monte Carlo
        standard error.
    quantity : str
        What was computed, e.g. ``"KL(p || q)"``, ``"H(p)"``, ``"H(p, q)"``.
    n_evaluations : int or None
        Density evaluations used by ``"exact"`` and ``"quad"`` (summed over a batch).
    n_samples : int or None
        Monte Carlo sample size (per batch member).
    seed : int or None
        The seed of the Monte Carlo draw (reproducible).
    notes : tuple of str
        Remarks, e.g. why a value is infinite: which part of p's support q does not
        cover and the mass p puts there (``result.note`` joins them; ``repr`` shows them).

    Examples
    --------
    >>> import mlekit as mk
    >>> r = mk.kl(mk.Poisson(rate=2.0), mk.Poisson(rate=3.0))
    >>> r.method, r.quantity, round(float(r), 6)     # 2 log(2/3) + 3 - 2
    ('closed form', 'KL(p || q)', 0.18907)
    >>> r = mk.kl(mk.Normal(0, 1), mk.StudentT(nu=3, mu=0, sigma=1))   # no closed form
    >>> r.method, round(float(r), 6), bool(r.error < 1e-10)
    ('quad', 0.069152, True)
    >>> r = mk.kl(mk.Normal(0, 1), mk.Normal(1, 2), method="mc", seed=0)  # exact: 0.443147
    >>> r.method, round(float(r), 3), round(float(r.error), 4), r.n_samples
    ('mc', 0.443, 0.0019, 100000)
    """

    value: float | np.ndarray
    method: str
    error: float | np.ndarray = 0.0
    quantity: str = "KL(p || q)"
    n_evaluations: int | None = None
    n_samples: int | None = None
    seed: int | None = None
    notes: tuple[str, ...] = field(default_factory=tuple)

    def __post_init__(self) -> None:
        object.__setattr__(self, "value", _scalar_or_array(self.value))
        object.__setattr__(self, "error", _scalar_or_array(self.error))

    # -------------------------------------------------------------- conversions
    @property
    def shape(self) -> tuple[int, ...]:
        return np.shape(self.value)

    def __float__(self) -> float:
        if np.ndim(self.value) and np.size(self.value) != 1:
            raise TypeError(
                f"float() of a batch of {np.size(self.value)} values {self.quantity}; "
                "use .value (an array) or index the distributions first"
            )
        return float(np.ravel(self.value)[0]) if np.ndim(self.value) else float(self.value)

    def __array__(self, dtype: Any = None, copy: bool | None = None) -> np.ndarray:
        arr = np.asarray(self.value, dtype=float)
        return arr.astype(dtype) if dtype is not None else arr

    def __len__(self) -> int:
        if not np.ndim(self.value):
            raise TypeError("a single divergence has no len()")
        return len(self.value)

    def __getitem__(self, index: Any) -> DivergenceResult:
        err = self.error if not np.ndim(self.error) else np.asarray(self.error)[index]
        return DivergenceResult(np.asarray(self.value)[index], self.method, err, self.quantity,
                                self.n_evaluations, self.n_samples, self.seed, self.notes)

    # -------------------------------------------------------------- rendering
    def __repr__(self) -> str:
        def fmt(v):
            if np.ndim(v) == 0:
                return f"{float(v):.10g}"
            return np.array2string(np.asarray(v), precision=6, separator=", ", threshold=6)

        extra = f", n_samples={self.n_samples}, seed={self.seed}" if self.method == "mc" else ""
        if self.notes:
            extra += f", note={self.note!r}"
        return (f"DivergenceResult({self.quantity} = {fmt(self.value)} nats; "
                f"method={self.method!r}, error={fmt(self.error)}{extra})")

    @property
    def note(self) -> str | None:
        """The notes as one string (e.g. why the value is infinite), or None."""
        return "; ".join(self.notes) if self.notes else None

    def to_dict(self) -> dict[str, Any]:
        """Plain-Python form for JSON output (``mlekit kl --json``); inf stays ``float('inf')``."""
        def plain(v):
            return v.tolist() if isinstance(v, np.ndarray) else float(v)

        return {
            "quantity": self.quantity,
            "value": plain(self.value),
            "method": self.method,
            "error": plain(self.error),
            "n_evaluations": self.n_evaluations,
            "n_samples": self.n_samples,
            "seed": self.seed,
            "notes": list(self.notes),
        }

    def summary(self) -> ResultsTable:
        """A :class:`~mlekit._utils.tables.ResultsTable` (text/HTML/LaTeX/Markdown)."""
        info: list[tuple[str, Any]] = [("Method", self.method)]
        if self.n_samples is not None:
            info += [("Samples", self.n_samples), ("Seed", self.seed)]
        if self.n_evaluations is not None:
            info.append(("Evaluations", self.n_evaluations))
        vals = np.ravel(np.asarray(self.value, dtype=float))
        errs = np.ravel(np.broadcast_to(np.asarray(self.error, dtype=float), np.shape(self.value)))
        if np.ndim(self.value) == 0:
            rows = [(self.quantity, [float(vals[0]), float(errs[0])])]
        else:
            idx = list(np.ndindex(np.shape(self.value)))
            rows = [(f"{self.quantity}[{', '.join(map(str, i))}]", [float(v), float(e)])
                    for i, v, e in zip(idx, vals, errs, strict=True)]
        return ResultsTable(title=f"{self.quantity} (nats)", info=info,
                            columns=["value", "error"], rows=rows, notes=list(self.notes))
