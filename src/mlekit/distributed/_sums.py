r"""The row-sum backend on Dask: the same sums as ``regression._sums.InMemorySums``, per chunk.

A conditional-likelihood fit only needs p-sized sums over the rows,

.. math::

    f(\theta) = \sum_c \sum_{i \in c} w_i \ell_i, \qquad
    \nabla f = \sum_c D_c^\top g_c, \qquad
    \nabla^2 f = \sum_c D_c^\top H_c D_c ,

so each row chunk ``c`` of the Dask arrays is summed by an
:class:`~mlekit.regression.InMemorySums` built on that chunk (the very code the
in-memory fit runs), on the worker that holds the chunk; only the partial sums
``(f_c, ∇f_c, ∇²f_c)`` — a few kB for p = 20 — travel, and one ``compute`` per
pass adds them. The Newton solver (``regression.solver.newton``) is the same
function as in memory: it only calls :meth:`DaskSums.nll` and
:meth:`DaskSums.nll_grad_hess`.

The design can be persisted in worker memory (``persist=True``) so that the
passes of the Newton iterations do not re-read (or re-generate) the data; with
``persist=False`` every pass streams the chunks through (out of core).
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from ..regression import InMemorySums, RowModel

__all__ = ["DaskSums"]


# ---------------------------------------------------------------- per-chunk tasks (run on workers)
def _chunk_sums(D, y, w, off, aux, model, layout=False):
    """The in-memory sums of one chunk; ``layout`` is ``intercept`` or
    ``(intercept, slots)`` (the slots of a restricted design: the null model's)."""
    intercept, slots = layout if isinstance(layout, tuple) else (layout, None)
    sums = InMemorySums(np.asarray(D, dtype=float), np.asarray(y, dtype=float), model,
                        None if w is None else np.asarray(w, float),
                        None if off is None else np.asarray(off, float),
                        {k: np.asarray(v, float) for k, v in (aux or {}).items()},
                        intercept=intercept, slots=slots)
    sums.track_grad0 = False  # a one-pass object: DaskSums.grad_at_zero does its own pass
    return sums


def _part_nll(D, y, w, off, aux, model, intercept, theta):
    return _chunk_sums(D, y, w, off, aux, model, intercept).nll(theta)


def _part_nll_grad_hess(D, y, w, off, aux, model, intercept, theta, hessian):
    return _chunk_sums(D, y, w, off, aux, model, intercept).nll_grad_hess(theta, hessian=hessian)


def _part_first_pass(D, y, w, off, aux, model, intercept, theta, hessian):
    """The first pass: (f, ∇f, ∇²f) at θ and ∇f(0) from the same chunk in memory."""
    sums = _chunk_sums(D, y, w, off, aux, model, intercept)
    sums.track_grad0 = True
    f, g, h = sums.nll_grad_hess(theta, hessian=hessian)
    return f, g, h, sums.grad_at_zero()


def _part_design_gram(D, y, w, off, aux, model, intercept):
    """``Dᵀ W D`` of one chunk (intercept column included), weights only: no curvature."""
    sums = _chunk_sums(D, y, w, off, aux, model, intercept)
    ww = np.ones(sums.X.shape[0]) if sums.w is None else sums.w
    g = sums.design_gram(slice(None), ww)
    iu = np.triu_indices(g.shape[0], 1)
    g[(iu[1], iu[0])] = g[iu]
    return g


def _part_rows(D, y, w, off, aux, step):
    """Every ``step``-th row of one chunk (for an in-memory subsample); copies, so the
    worker does not keep the whole chunk alive behind a strided view."""
    def take(a):
        return None if a is None else np.ascontiguousarray(np.asarray(a, float)[::step])

    return (take(D), take(y), take(w), take(off),
            {k: take(v) for k, v in (aux or {}).items()})


def _part_score_outer(D, y, w, off, aux, model, intercept, theta, scale):
    s = None if scale is None else np.asarray(scale, float)
    return _chunk_sums(D, y, w, off, aux, model, intercept).score_outer(theta, s)


def _part_map_rows(D, y, w, off, aux, model, intercept, theta, fn):
    return _chunk_sums(D, y, w, off, aux, model, intercept).map_rows(fn, theta)


def _part_leverage(D, y, w, off, aux, model, intercept, theta, cov, n_slots):
    return _chunk_sums(D, y, w, off, aux, model, intercept).leverage(theta, cov, n_slots)


def _part_eta(D, off, slots, theta, starts, intercept=False):
    D = np.asarray(D, float)
    out = np.empty((D.shape[0], len(slots)))
    for j, s in enumerate(slots):
        b = theta[starts[j]:starts[j + 1]]
        if s.design == "X":
            Ds = s.take(D)
            out[:, j] = Ds @ b[1:] + b[0] if intercept else Ds @ b
        else:
            out[:, j] = b[0]
    if off is not None:
        out[:, 0] += np.asarray(off, float)
    return out


def _const(obj: Any) -> Any:
    """A Delayed literal with a random key: no hashing of the object (tokenizing a model
    pickles it, which cost more than a whole pass on small data)."""
    from dask import delayed

    if obj is None or isinstance(obj, (bool, int, float, str)):
        return obj
    return delayed(obj, name=f"mlekit-const-{uuid.uuid4().hex}", traverse=False)


def _add(parts: list) -> Any:
    """Sum partial results: floats, arrays, or (f, g, h) tuples (h may be None)."""
    first = parts[0]
    if isinstance(first, tuple):
        return tuple(None if first[k] is None else _add([p[k] for p in parts])
                     for k in range(len(first)))
    total = first
    for p in parts[1:]:
        total = total + p
    return total


def _tree_sum(items: list, fan_in: int = 16):
    """Add Delayed partial sums in a tree (few, small transfers; no single hot task)."""
    from dask import delayed

    while len(items) > 1:
        items = [delayed(_add, pure=False)(items[i:i + fan_in])
                 for i in range(0, len(items), fan_in)]
    return items[0]


class DaskSums:
    """Sums over the rows of Dask arrays, one :class:`InMemorySums` per row chunk.

    Parameters
    ----------
    D : (n, p) dask array, the design columns (without the intercept column when
        ``intercept`` is True); one chunk across columns
    y : (n,) dask array of responses (class codes for classification), same row chunks
    model : the row model (family + link in link space)
    sample_weight, offset : (n,) dask arrays or None
    aux : per-row extra data (Binomial ``trials``) as dask arrays
    persist : keep the chunks in (worker) memory across passes
    progress : called after every pass with (kind, seconds), e.g. to print progress
    intercept : the design is ``[1, D]``, the intercept handled inside the per-chunk sums
        (as in ``InMemorySums``): no column of ones is stored or persisted

    Attributes ``n, p, slots, sizes, starts, n_params, nobs`` are those of
    ``InMemorySums``, so the estimator's inference code runs unchanged.

    Examples
    --------
    >>> import numpy as np, dask.array as da
    >>> from mlekit.distributed import DaskSums
    >>> from mlekit.regression import InMemorySums, make_model
    >>> rng = np.random.default_rng(0)
    >>> D = np.column_stack([np.ones(200), rng.normal(size=200)])   # intercept + one feature
    >>> y = rng.poisson(np.exp(0.3 + 0.5 * D[:, 1])).astype(float)
    >>> model = make_model("poisson")
    >>> sums = DaskSums(da.from_array(D, chunks=(50, 2)), da.from_array(y, chunks=50), model)
    >>> theta = np.array([0.3, 0.5])
    >>> round(sums.nll(theta), 6) == round(InMemorySums(D, y, model).nll(theta), 6)
    True
    >>> round(sums.nll(theta), 4)
    301.6613
    """

    def __init__(self, D: Any, y: Any, model: RowModel, sample_weight: Any = None,
                 offset: Any = None, aux: Mapping[str, Any] | None = None,
                 persist: bool = False, nobs: float | None = None,
                 progress: Callable[[str, float], None] | None = None,
                 intercept: bool = False):
        import dask

        self.model = model
        self.D, self.y, self.w, self.offset = D, y, sample_weight, offset
        self.aux = dict(aux or {})
        if persist:
            arrays = dask.persist(D, y, sample_weight, offset, self.aux)
            self.D, self.y, self.w, self.offset, self.aux = arrays
        self.intercept = bool(intercept)
        self.n = int(self.D.shape[0])
        self.p = int(self.D.shape[1]) + self.intercept
        self._slots: list | None = None  # the slots of a restricted design (restrict)
        self._set_slots(model.slots)
        self.row_chunks = tuple(int(c) for c in self.D.chunks[0])
        self._progress = progress
        self.n_passes = 0
        self._blocks = self._make_blocks()
        self._nobs = nobs
        self._grad0: np.ndarray | None = None

    # ------------------------------------------------------------------ plumbing
    def _set_slots(self, slots: list) -> None:
        """Slots, their coefficient counts and offsets (a slot may use some columns)."""
        self.slots = slots
        self.sizes = [s.size(self.p - self.intercept, self.intercept) for s in slots]
        self.starts = np.concatenate([[0], np.cumsum(self.sizes)]).astype(int)
        self.n_params = int(self.starts[-1])

    @property
    def _layout(self) -> Any:
        return self.intercept if self._slots is None else (self.intercept, self._slots)

    def _make_blocks(self) -> list[tuple]:
        def col(a):
            return [None] * len(self.row_chunks) if a is None else list(a.to_delayed().ravel())

        Db = list(self.D.to_delayed().ravel())
        yb, wb, ob = col(self.y), col(self.w), col(self.offset)
        auxb = [{k: v[i] for k, v in ((k, col(a)) for k, a in self.aux.items())}
                for i in range(len(Db))] if self.aux else [None] * len(Db)
        return list(zip(Db, yb, wb, ob, auxb, strict=True))

    def _reduce(self, kind: str, fn: Callable, *args: Any) -> Any:
        import dask
        from dask import delayed

        t0 = time.perf_counter()
        model = self._model_delayed()
        args = tuple(_const(a) for a in args)
        parts = [delayed(fn, pure=False)(*blk, model, _const(self._layout), *args)
                 for blk in self._blocks]
        (out,) = dask.compute(_tree_sum(parts))
        self.n_passes += 1
        if self._progress is not None:
            self._progress(kind, time.perf_counter() - t0)
        return out

    def _model_delayed(self) -> Any:
        if getattr(self, "_model_d", None) is None:
            self._model_d = _const(self.model)
        return self._model_d

    @property
    def nobs(self) -> float:
        if self._nobs is None:
            self._nobs = float(self.n if self.w is None else self.w.sum().compute())
        return self._nobs

    @property
    def sum_weights(self) -> float:
        return self.nobs

    # ------------------------------------------------------------------ the sums
    def nll(self, theta: np.ndarray) -> float:
        """f(θ) = Σ_i w_i ℓ_i: one pass, p-sized task arguments, one float per chunk back."""
        return float(self._reduce("nll", _part_nll, np.asarray(theta, float)))

    def nll_grad_hess(self, theta: np.ndarray, hessian: bool = True
                      ) -> tuple[float, np.ndarray, np.ndarray | None]:
        """f, ∇f, ∇²f in one pass: per-chunk fused sums added on the cluster.

        The first pass at a θ ≠ 0 also sums ∇f(0) (:meth:`grad_at_zero`) from the same
        chunks, so the solver's reference costs no pass of its own.
        """
        theta = np.asarray(theta, float)
        kind = "nll+grad+hess" if hessian else "nll+grad"
        if self._grad0 is None and np.any(theta != 0):
            f, g, h, g0 = self._reduce(kind, _part_first_pass, theta, hessian)
            self._grad0 = g0
            return float(f), g, h
        f, g, h = self._reduce(kind, _part_nll_grad_hess, theta, hessian)
        return float(f), g, h

    def design_gram(self) -> np.ndarray:
        """``Dᵀ W D`` over all chunks (one pass): the design's Gram, for the rank check."""
        return self._reduce("design Gram", _part_design_gram)

    def sample(self, m: int, seed: int = 0) -> InMemorySums | None:
        """An in-memory :class:`InMemorySums` over about ``m`` rows: every k-th row of a few
        chunks drawn at random (seeded). Only those chunks are computed (regenerated, for
        data that are not persisted); None when the data have too few rows or chunks."""
        import dask
        from dask import delayed

        n_chunks = len(self.row_chunks)
        if self.n < 2 * m or n_chunks == 0:
            return None
        # a few chunks (at most 8 computed at once: memory stays a few chunks' worth
        # even when the data are regenerated, not persisted)
        k = min(n_chunks, 8)
        picks = np.sort(np.random.default_rng(seed).choice(n_chunks, k, replace=False))
        rows = sum(self.row_chunks[i] for i in picks)
        step = max(1, rows // m)
        parts = dask.compute(*[delayed(_part_rows, pure=False)(*self._blocks[i][:5], step)
                               for i in picks])

        def cat(j):
            vals = [p[j] for p in parts]
            return None if vals[0] is None else np.concatenate(vals)

        aux = {key: np.concatenate([p[4][key] for p in parts]) for key in parts[0][4]}
        return InMemorySums(cat(0), cat(1), self.model, cat(2), cat(3), aux,
                            intercept=self.intercept, slots=self._slots)

    def grad_at_zero(self) -> np.ndarray:
        """∇f(0), the reference of the solver's relative gradient norm (one pass, cached)."""
        if self._grad0 is None:
            self._grad0 = self.nll_grad_hess(np.zeros(self.n_params), hessian=False)[1]
        return self._grad0

    def score_outer(self, theta: np.ndarray, scale: Any = None) -> np.ndarray:
        """Σ_i c_i s_i s_iᵀ (sandwich meat); ``scale`` an (n,) NumPy or Dask array or None."""
        theta = np.asarray(theta, float)
        if scale is None:
            return self._reduce("score outer", _part_score_outer, theta, None)
        import dask.array as da

        sc = scale if hasattr(scale, "dask") else da.from_array(np.asarray(scale, float),
                                                              chunks=(self.row_chunks,))
        sc = sc.rechunk((self.row_chunks,))
        import dask
        from dask import delayed

        parts = [delayed(_part_score_outer, pure=False)(*blk, self._model_delayed(),
                                                         _const(self._layout), _const(theta),
                                                         s)
                 for blk, s in zip(self._blocks, sc.to_delayed().ravel(), strict=True)]
        (out,) = dask.compute(_tree_sum(parts))
        return out

    def leverage(self, theta: np.ndarray, cov_unscaled: np.ndarray,
                 n_slots: int | None = None) -> Any:
        """Per-row leverage as a lazy (n,) Dask array (used by HC2/HC3)."""
        import dask.array as da
        from dask import delayed

        theta = np.asarray(theta, float)
        model, th, cov = self._model_delayed(), _const(theta), _const(cov_unscaled)
        parts = [da.from_delayed(delayed(_part_leverage, pure=False)(
                     *blk, model, _const(self._layout), th, cov, n_slots), shape=(r,),
                     dtype=float)
                 for blk, r in zip(self._blocks, self.row_chunks, strict=True)]
        return da.concatenate(parts)

    def map_rows(self, fn: Any, theta: np.ndarray) -> float:
        """Σ_i w_i fn(y_i, eta_i, aux_i), e.g. the unit deviance."""
        return float(self._reduce("map rows", _part_map_rows, np.asarray(theta, float), fn))

    def eta(self, theta: np.ndarray, sl: slice = slice(None)) -> np.ndarray:
        """Linear predictors of the rows ``sl`` (computed; keep ``sl`` small)."""
        D = self.D[sl].compute()
        off = None if self.offset is None else self.offset[sl].compute()
        return _part_eta(D, off, self.slots, np.asarray(theta, float), self.starts,
                         self.intercept)

    def predictors(self, theta: np.ndarray) -> Any:
        """All linear predictors as a lazy (n, m) Dask array."""
        theta = np.asarray(theta, float)
        m = len(self.slots)
        if self.offset is None:
            return self.D.map_blocks(_part_eta, None, self.slots, theta, self.starts,
                                     self.intercept, chunks=(self.row_chunks, (m,)),
                                     dtype=float)
        return self.D.map_blocks(
            lambda d, o: _part_eta(d, o[:, 0], self.slots, theta, self.starts, self.intercept),
            self.offset[:, None], chunks=(self.row_chunks, (m,)), dtype=float)

    def predictor_range(self, theta: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Per slot, the smallest and largest linear predictor over the rows (one pass)."""
        import dask

        P = self.predictors(theta)
        lo, hi = dask.compute(P.min(axis=0), P.max(axis=0))
        self.n_passes += 1
        return np.asarray(lo, float), np.asarray(hi, float)

    def slot_predictor(self, theta: np.ndarray, j: int) -> np.ndarray:
        """The linear predictor of slot ``j`` on every row, (n,) in memory (one pass)."""
        self.n_passes += 1
        return np.asarray(self.predictors(theta)[:, j].compute(), float)

    def restrict(self, columns: list[int]) -> DaskSums:
        """The same sums over a subset of design columns (the null model).

        ``columns`` index the design: with an implicit intercept, column 0 is it.
        """
        import dataclasses

        import dask.array as da

        keep = [c - self.intercept for c in columns if c >= self.intercept]
        D = self.D[:, keep] if keep else da.zeros((self.n, 0), chunks=(self.row_chunks, 0))
        out = DaskSums.__new__(DaskSums)
        out.__dict__.update(self.__dict__)
        out.D = D
        out.intercept = self.intercept and 0 in columns
        out.p = len(columns)
        out._grad0 = None
        slots = self.slots
        if any(s.columns is not None for s in slots):  # re-index the slots' columns
            slots = [s if s.columns is None else dataclasses.replace(
                s, columns=tuple(keep.index(c) for c in s.columns if c in keep))
                for s in slots]
            out._slots = slots
        out._set_slots(slots)
        out.n_passes = 0
        out._model_d = None
        out._blocks = out._make_blocks()
        return out

    def with_model(self, model: RowModel) -> DaskSums:
        """The same rows and design under another row model (e.g. the null model with its
        nuisance held fixed: ``_inference.null_model``); the data are shared, not copied."""
        out = DaskSums.__new__(DaskSums)
        out.__dict__.update(self.__dict__)
        out.model = model
        out._slots = None
        out._set_slots(model.slots)
        out._grad0 = None
        out.n_passes = 0
        out._model_d = None
        return out
