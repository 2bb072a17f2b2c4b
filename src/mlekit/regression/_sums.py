r"""The row-sum backend: every sum over rows of a regression fit lives here.

A conditional-likelihood fit only ever needs p-sized sums over the rows:

.. math::

    f(\theta) = \sum_i w_i\,\ell_i(\eta_i), \qquad
    \nabla f = \sum_i w_i\, D_i^\top g_i, \qquad
    \nabla^2 f = \sum_i w_i\, D_i^\top H_i D_i ,

where ``eta_i = D_i theta + offset_i`` stacks the model's slots (linear
predictors; see ``_models.py``), ``g_i`` and ``H_i`` are the per-row link-space
derivatives and ``D_i`` is block-diagonal with the row ``x_i`` (slots with the
full design) or ``1`` (intercept-only slots).

:class:`InMemorySums` computes them over NumPy row chunks. The solver
(``solver.py``) calls only :meth:`nll`, :meth:`nll_grad_hess`; inference calls
:meth:`score_outer` and :meth:`leverage`. A Dask backend implements the same
methods with per-chunk partial sums reduced on the cluster, and the solver runs
unchanged.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Mapping
from contextlib import nullcontext
from typing import Any

import numpy as np

from ._models import RowModel

__all__ = ["InMemorySums"]

_CHUNK_BYTES = 8 * 2**20  # ~8 MB of X per chunk: fits in cache-friendly pieces
_BLAS: list[Any] = []     # the threadpoolctl controller, created on first use


def _available_cpus() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


def _single_threaded_blas() -> Any:
    """A context in which BLAS runs on one thread (no-op without threadpoolctl).

    The chunks are what runs in parallel: a multi-threaded BLAS on a small
    per-chunk product synchronises its threads on every call, which costs little
    on an idle machine but up to 5-40x on a busy one (measured: benchmarks/run.py).
    """
    if not _BLAS:
        try:
            from threadpoolctl import ThreadpoolController

            _BLAS.append(ThreadpoolController())
        except ImportError:  # pragma: no cover - threadpoolctl ships with scikit-learn
            _BLAS.append(None)
    ctl = _BLAS[0]
    return nullcontext() if ctl is None else ctl.limit(limits=1, user_api="blas")


def _gram(X: np.ndarray, h: np.ndarray) -> np.ndarray:
    """``Xᵀ diag(h) X``; as ``WᵀW`` with ``W = sqrt(h) X`` when h >= 0 (NumPy then uses
    the symmetric rank-k BLAS update, about twice as fast as a general product)."""
    if np.all(h >= 0):
        W = np.sqrt(h)[:, None] * X
        return W.T @ W
    return X.T @ (h[:, None] * X)


class InMemorySums:
    """Sums over the rows of in-memory arrays, in chunks.

    Parameters
    ----------
    X : (n, p) float array, the design (intercept column included if any)
    y : (n,) responses (class codes 0..k-1 for classification)
    model : the row model (family + link in link space)
    sample_weight : (n,) non-negative weights, or None
    offset : (n,) offset added to the mean slot (log exposure for log links), or None
    aux : per-row extra data the model needs (Binomial ``trials``)
    """

    def __init__(self, X: np.ndarray, y: np.ndarray, model: RowModel,
                 sample_weight: np.ndarray | None = None, offset: np.ndarray | None = None,
                 aux: Mapping[str, np.ndarray] | None = None, chunk_rows: int | None = None,
                 n_threads: int | None = None):
        self.X = X
        self.y = y
        self.model = model
        self.w = sample_weight
        self.offset = offset
        self.aux = dict(aux or {})
        self.n, self.p = X.shape
        self.slots = model.slots
        self.sizes = [self.p if s.design == "X" else 1 for s in self.slots]
        self.starts = np.concatenate([[0], np.cumsum(self.sizes)]).astype(int)
        self.n_params = int(self.starts[-1])
        if chunk_rows is None:
            chunk_rows = max(1024, _CHUNK_BYTES // (8 * max(self.p, 1)))
        self.chunk_rows = int(chunk_rows)
        #: threads that sum chunks in parallel (None: every CPU this process may use)
        self.n_threads = n_threads

    # ------------------------------------------------------------------ helpers
    @property
    def nobs(self) -> float:
        return float(self.n if self.w is None else np.sum(self.w))

    @property
    def sum_weights(self) -> float:
        return self.nobs

    def _chunks(self) -> Iterator[slice]:
        for start in range(0, self.n, self.chunk_rows):
            yield slice(start, min(start + self.chunk_rows, self.n))

    def _map_chunks(self, fn: Callable[[slice], Any]) -> list[Any]:
        """``[fn(chunk) for chunk in chunks]``, run on ``n_threads`` threads.

        NumPy releases the GIL in BLAS and ufunc loops, so the chunks' partial sums
        run in parallel, each with single-threaded BLAS. The results come back in
        chunk order, so the reduction (and the fit) does not depend on scheduling.
        """
        chunks = list(self._chunks())
        workers = min(self.n_threads or _available_cpus(), len(chunks))
        with _single_threaded_blas():
            if workers <= 1:
                return [fn(sl) for sl in chunks]
            from concurrent.futures import ThreadPoolExecutor

            with ThreadPoolExecutor(workers) as pool:
                return list(pool.map(fn, chunks))

    def _aux(self, sl: slice) -> dict[str, np.ndarray]:
        return {k: v[sl] for k, v in self.aux.items()}

    def eta(self, theta: np.ndarray, sl: slice = slice(None)) -> np.ndarray:
        """Linear predictors of the rows ``sl``: shape (rows, m)."""
        X = self.X[sl]
        out = np.empty((X.shape[0], len(self.slots)))
        for j, s in enumerate(self.slots):
            b = theta[self.starts[j]:self.starts[j + 1]]
            out[:, j] = X @ b if s.design == "X" else b[0]
        if self.offset is not None:
            out[:, 0] += self.offset[sl]
        return out

    def _weights(self, sl: slice, rows: int) -> np.ndarray | None:
        return None if self.w is None else self.w[sl]

    # ------------------------------------------------------------------ the sums
    def nll(self, theta: np.ndarray) -> float:
        """f(θ) = Σ_i w_i ℓ_i — one pass, no derivatives (used by the line search)."""

        def part(sl: slice) -> float:
            nll, _, _ = self.model.rows(self.y[sl], self.eta(theta, sl), self._aux(sl), order=0)
            w = self._weights(sl, nll.shape[0])
            return float(np.sum(nll if w is None else w * nll))

        return float(sum(self._map_chunks(part)))

    def nll_grad_hess(self, theta: np.ndarray, hessian: bool = True
                      ) -> tuple[float, np.ndarray, np.ndarray | None]:
        """f, ∇f (P,), ∇²f (P, P) in one pass over the rows (fused).

        Each chunk yields its partial ``(f, ∇f, upper blocks of ∇²f)``
        (:meth:`_chunk_sums`); the partial sums are added in chunk order.
        """
        P = self.n_params
        f = 0.0
        grad = np.zeros(P)
        hess = np.zeros((P, P)) if hessian else None
        for fc, gc, hc in self._map_chunks(lambda sl: self._chunk_sums(theta, sl, hessian)):
            f += fc
            grad += gc
            if hessian:
                hess += hc
        if hessian:
            iu = np.triu_indices(P, 1)
            hess[(iu[1], iu[0])] = hess[iu]  # mirror the upper blocks
        return f, grad, hess

    def _chunk_sums(self, theta: np.ndarray, sl: slice, hessian: bool
                    ) -> tuple[float, np.ndarray, np.ndarray | None]:
        """One chunk's ``(f, ∇f, ∇²f upper blocks)``."""
        P = self.n_params
        grad = np.zeros(P)
        hess = np.zeros((P, P)) if hessian else None
        m = len(self.slots)
        X = self.X[sl]
        nll, g, h = self.model.rows(self.y[sl], self.eta(theta, sl), self._aux(sl),
                                    order=2 if hessian else 1)
        w = self._weights(sl, nll.shape[0])
        if w is not None:
            nll = w * nll
            g = g * w[:, None]
            if hessian:
                h = h * w[:, None, None]
        f = float(np.sum(nll))
        for a, sa in enumerate(self.slots):
            ra = slice(self.starts[a], self.starts[a + 1])
            grad[ra] += X.T @ g[:, a] if sa.design == "X" else np.sum(g[:, a])
            if not hessian:
                continue
            for b in range(a, m):
                sb = self.slots[b]
                rb = slice(self.starts[b], self.starts[b + 1])
                hab = h[:, a, b]
                if sa.design == "X" and sb.design == "X":
                    block = _gram(X, hab)
                elif sa.design == "X":
                    block = (X.T @ hab)[:, None]
                elif sb.design == "X":
                    block = (hab @ X)[None, :]
                else:
                    block = np.array([[np.sum(hab)]])
                hess[ra, rb] += block
        return f, grad, hess

    def score_outer(self, theta: np.ndarray, scale: np.ndarray | None = None) -> np.ndarray:
        r"""The sandwich "meat" Σ_i c_i s_i s_iᵀ with s_i = w_i D_iᵀ g_i (per-row scores).

        ``scale`` (n,) optionally multiplies each row's term (HC1–HC3 corrections).
        """
        P = self.n_params
        meat = np.zeros((P, P))
        for sl in self._chunks():
            s = self._row_scores(theta, sl)
            if scale is not None:
                s = s * np.sqrt(scale[sl])[:, None]
            meat += s.T @ s
        return meat

    def _row_scores(self, theta: np.ndarray, sl: slice) -> np.ndarray:
        X = self.X[sl]
        _, g, _ = self.model.rows(self.y[sl], self.eta(theta, sl), self._aux(sl), order=1)
        w = self._weights(sl, g.shape[0])
        if w is not None:
            g = g * w[:, None]
        parts = [X * g[:, [a]] if s.design == "X" else g[:, [a]]
                 for a, s in enumerate(self.slots)]
        return np.concatenate(parts, axis=1)

    def leverage(self, theta: np.ndarray, cov_unscaled: np.ndarray,
                 n_slots: int | None = None) -> np.ndarray:
        r"""Per-row leverage h_ii = w_i Σ_ab H_iab D_ia C_ab D_ibᵀ over the first ``n_slots``.

        With C the inverse information. For one slot this is ``w_i h_i x_iᵀ C x_i``,
        the GLM hat-matrix diagonal (OLS: ``x_iᵀ (XᵀX)⁻¹ x_i``).
        """
        m = len(self.slots) if n_slots is None else n_slots
        out = np.empty(self.n)
        for sl in self._chunks():
            X = self.X[sl]
            _, _, h = self.model.rows(self.y[sl], self.eta(theta, sl), self._aux(sl), order=2)
            w = self._weights(sl, h.shape[0])
            rows = X.shape[0]
            D = [X if s.design == "X" else np.ones((rows, 1)) for s in self.slots]
            lev = np.zeros(rows)
            for a in range(m):
                ra = slice(self.starts[a], self.starts[a + 1])
                for b in range(m):
                    rb = slice(self.starts[b], self.starts[b + 1])
                    q = np.einsum("ij,jk,ik->i", D[a], cov_unscaled[ra, rb], D[b])
                    lev += h[:, a, b] * q
            out[sl] = lev if w is None else w * lev
        return out

    def predictors(self, theta: np.ndarray) -> np.ndarray:
        """All linear predictors, (n, m) (used for fitted values and diagnostics)."""
        return self.eta(theta)

    def restrict(self, columns: list[int]) -> InMemorySums:
        """The same sums over a subset of design columns (the null model uses the intercept)."""
        X = self.X[:, columns] if columns else np.zeros((self.n, 0))
        return InMemorySums(X, self.y, self.model, self.w, self.offset, self.aux,
                            self.chunk_rows, self.n_threads)

    def map_rows(self, fn: Any, theta: np.ndarray) -> float:
        """Σ_i w_i fn(y_i, eta_i, aux_i) — e.g. the unit deviance."""

        def part(sl: slice) -> float:
            v = fn(self.y[sl], self.eta(theta, sl), self._aux(sl))
            w = self._weights(sl, v.shape[0])
            return float(np.sum(v if w is None else w * v))

        return float(sum(self._map_chunks(part)))
