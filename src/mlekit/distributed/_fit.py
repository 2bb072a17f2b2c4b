r"""Regression on Dask arrays / dataframes: the in-memory pipeline with :class:`DaskSums`.

``fit_regression(estimator, X, y)`` fits a :class:`mlekit.regression.Regression`
on data that do not fit in memory, or live on a cluster:

1. **data** — X (dask array or dataframe) → design ``D = [1, X]`` with one
   column chunk; y, weights, offset, trials rechunked to D's rows;
2. **checks** — one pass: non-finite values (global row index), support of y,
   class labels (Bernoulli/Categorical), Σw;
3. **start** — the row model's intercept-only start from the first chunk of y;
4. **solve** — ``regression.solver.newton`` (or ``prox_newton`` for L1) — the
   same function as in memory — on a :class:`DaskSums` backend;
5. **inference** — the estimator's own covariance (observed/expected, HC0–HC3,
   cluster-robust and Newey-West: one pass each), deviance and null model, so
   ``result_.summary()`` is the in-memory one.

The existence of the MLE (separation; count or binomial levels at 0 or at the
trials) is diagnosed as in memory, by reductions (:class:`_Existence`); Categorical
(softmax) fits only warn when they do not converge.

Not covered on Dask: the exact least-squares (QR) and median (LP) solves
(Normal-identity is fitted by Newton, which is exact for β in one step; Laplace
raises).
"""

from __future__ import annotations

import itertools
import time
import warnings
from typing import Any

import numpy as np

from ..errors import (
    ConvergenceWarning,
    DataError,
    NotImplementedForFamily,
    SupportError,
)
from ._sums import DaskSums, _const

__all__ = ["fit_regression", "is_dask_collection"]


def is_dask_collection(x: Any) -> bool:
    """True for dask arrays / dataframes / series, without importing dask.

    Examples
    --------
    >>> import numpy as np, dask.array as da
    >>> from mlekit.distributed import is_dask_collection
    >>> is_dask_collection(da.ones(4, chunks=2)), is_dask_collection(np.ones(4))
    (True, False)
    """
    return type(x).__module__.split(".")[0] in ("dask", "dask_expr") and hasattr(x, "dask")


def _to_array(x: Any, what: str) -> tuple[Any, list[str] | None]:
    """Dask dataframe/series/array → (dask array with known chunk sizes, column names)."""
    import dask.array as da

    names = None
    if hasattr(x, "columns"):  # dask dataframe
        names = [str(c) for c in x.columns]
        x = x.to_dask_array()
    elif hasattr(x, "to_dask_array"):  # dask series
        x = x.to_dask_array()
    elif not isinstance(x, da.Array):
        x = da.from_array(np.asarray(x))
    if any(np.isnan(c) for cs in x.chunks for c in cs):
        x = x.compute_chunk_sizes()
    return x, names


def _align(a: Any, rows: tuple[int, ...], what: str, n: int) -> Any:
    import dask.array as da

    if a is None:
        return None
    if hasattr(a, "to_dask_array") or hasattr(a, "dask"):
        a, _ = _to_array(a, what)
    else:
        a = np.asarray(a, float)
        if a.ndim == 0:
            return da.full((n,), float(a), chunks=(rows,))
        a = da.from_array(a, chunks=(rows,))
    if a.ndim == 2 and a.shape[1] == 1:
        a = a[:, 0]
    if a.ndim != 1 or a.shape[0] != n:
        raise DataError(f"{what} must have shape ({n},); got {a.shape}")
    return a.astype(float).rechunk((rows,))


def _check_chunk(D, y, w, start, names, classify):
    """Validate one chunk; return (Σw, labels or None). Errors name global rows."""
    D = np.asarray(D, float)
    bad = ~np.isfinite(D)
    if bad.any():
        i, j = (int(v) for v in np.argwhere(bad)[0])
        kind = "NaN" if np.isnan(D[i, j]) else "infinite"
        raise DataError(f"X column {names[j]!r} contains a {kind} value at row {start + i}; "
                        "drop or impute these rows first")
    y = np.asarray(y)
    labels = None
    if classify:
        labels = np.unique(y)
    elif y.dtype.kind in "fc" and not np.all(np.isfinite(y)):
        i = int(np.flatnonzero(~np.isfinite(y))[0])
        raise DataError(f"y contains a {'NaN' if np.isnan(y[i]) else 'infinite'} value "
                        f"at row {start + i}")
    if w is not None:
        w = np.asarray(w, float)
        badw = ~np.isfinite(w) | (w < 0)
        if badw.any():
            i = int(np.flatnonzero(badw)[0])
            raise DataError(f"sample_weight must be finite and >= 0; found {w[i]:g} at row "
                            f"{start + i}")
    return (float(D.shape[0] if w is None else np.sum(w)), labels)


def _check_support(y, aux, model, start):
    try:
        model.check_y(np.asarray(y, float), {k: np.asarray(v, float) for k, v in aux.items()})
    except SupportError as exc:
        raise SupportError(f"{exc} (in the row chunk starting at row {start})") from None
    return 0.0


def _encode(y, classes):
    codes = np.searchsorted(classes, np.asarray(y))
    return codes.astype(float)


def _design(X: Any, fit_intercept: bool, chunk_rows: int | None) -> Any:
    import dask.array as da

    X = X.astype(float)
    if chunk_rows is not None:
        X = X.rechunk({0: chunk_rows, 1: -1})
    else:
        X = X.rechunk({1: -1})
    if not fit_intercept:
        return X
    ones = da.ones((X.shape[0], 1), chunks=(X.chunks[0], (1,)), dtype=float)
    return da.concatenate([ones, X], axis=1).rechunk({1: -1})


def fit_regression(estimator: Any, X: Any, y: Any, sample_weight: Any = None,
                   offset: Any = None, exposure: Any = None, designs: Any = None, *,
                   groups: Any = None, persist: bool | None = None,
                   chunk_rows: int | None = None, null_model: bool = True, check: bool = True,
                   progress: Any = None, **aux: Any) -> Any:
    r"""Fit ``estimator`` (a :class:`~mlekit.regression.Regression`) on Dask data; returns it.

    The estimate maximises the same conditional log-likelihood as
    ``estimator.fit`` on the same rows,
    :math:`\sum_i w_i \log p(y_i \mid g^{-1}(x_i^\top\beta + o_i))`, with the same
    Newton solver; the sums over rows run per chunk on the Dask scheduler in use
    (threaded by default, or the ``distributed.Client`` you created).

    Parameters
    ----------
    estimator : an unfitted or fitted ``Regression`` (its parameters are used as given)
    X : (n, p) dask array or dask dataframe (column names are carried to ``result_``)
    y : (n,) dask array / series (or NumPy) of responses
    sample_weight, offset, exposure : (n,) as in ``Regression.fit`` (dask or NumPy)
    designs : ``{parameter: columns}`` as in ``Regression.fit``: each parameter's design
        as a list of ``X``'s column names or indices, ``"X"`` or ``"1"`` (distributional
        regression; separate design arrays are for in-memory fits)
    groups : (n,) cluster labels for ``cov_type="cluster"`` (dask or NumPy; read into
        memory once, one code per row): the clusters' score sums are then a reduction
        over the blocks, added on the client. ``cov_type="HAC"`` needs no more: each
        block returns its own Newey-West sum and its first and last ``maxlags`` rows'
        scores, and the pairs across block boundaries are added in row order
    persist : keep the design in (worker) memory across Newton passes. Default: yes
        when it takes under 25% of the total memory of the cluster (or of this machine)
    chunk_rows : rows per chunk (default: the input's; ~1e5 to 1e6 rows work well)
    null_model : also fit the intercept-only model (``llnull``, ``null_deviance``, pseudo-R²)
    check : run the validation pass (finite X, y in the support, class labels, weights).
        ``check=False`` saves one pass over the data when you vouch for them; classifier
        labels must then be the codes 0..k-1 (Bernoulli: 0/1)
    progress : ``callable(kind, seconds)`` called after every pass, or True to print
    **aux : per-row data some families need (Binomial ``trials``)

    Notes
    -----
    With the threaded scheduler the chunks run in parallel threads, so BLAS is held to
    one thread per task during the fit (threadpoolctl); oversubscribed OpenBLAS threads
    made the Gram products 50-80x slower on a busy 2-core machine.

    Examples
    --------
    >>> import dask.dataframe as dd, mlekit as mk
    >>> from mlekit.distributed import fit_regression
    >>> engel = dd.from_pandas(mk.datasets.load("engel"), npartitions=3)
    >>> model = fit_regression(mk.LinearRegression(), engel[["income"]], engel["foodexp"])
    >>> round(model.intercept_, 4), [round(float(b), 6) for b in model.coef_]
    (147.4754, [0.485178])
    >>> model.result_.bse.round(4).tolist()          # as the in-memory fit
    [15.9571, 0.0144]
    """
    with _blas_guard():
        return _fit_regression(estimator, X, y, sample_weight, offset, exposure, designs,
                               groups=groups, persist=persist, chunk_rows=chunk_rows,
                               null_model=null_model, check=check, progress=progress, **aux)


def _blas_guard() -> Any:
    import contextlib

    import dask.threaded
    from dask.base import get_scheduler

    if get_scheduler() is dask.threaded.get:
        from threadpoolctl import threadpool_limits

        return threadpool_limits(1, user_api="blas")
    return contextlib.nullcontext()


def _fit_regression(estimator, X, y, sample_weight, offset, exposure, designs, *, groups,
                    persist, chunk_rows, null_model, check, progress, **aux):
    """The regression pipeline (``mlekit.regression._pipeline``) on :class:`DaskSums`."""
    import dask

    from ..regression import _pipeline as pipe
    from ..regression._diagnostics import check_rank
    from ..regression._estimator import adopt_fit
    from ..regression._inputs import Settings, with_groups
    from ..regression._least_squares import hessian_proves_rank

    est = estimator
    settings = Settings.of(est)
    fam = settings.family
    Xd, names = _to_array(X, "X")
    if Xd.ndim != 2:
        raise DataError(f"X must be two-dimensional; got shape {Xd.shape}")
    n, p = (int(v) for v in Xd.shape)
    names = names or [f"x{j}" for j in range(p)]
    if is_dask_collection(groups):  # one label per row: read into memory once
        groups = groups.compute()
    settings = with_groups(settings, groups, n)
    spec, terms, layout = _designs(designs, names, p)
    D = _design(Xd, False, chunk_rows)  # the intercept stays implicit (DaskSums)
    rows = tuple(int(c) for c in D.chunks[0])
    ordinal = fam.classifier == "ordinal"  # (ordered labels: _ordinal)
    levels = None  # an ordered Categorical's categories (its codes are y)
    if ordinal:
        from ._ordinal import ordered_codes

        coded = ordered_codes(y, fam.title)
        if coded is not None:
            y, levels = coded
        elif hasattr(y, "dtype") and y.dtype.kind not in "fiub":
            raise DataError(f"{fam.title} regression: y must be numbers in their order or an "
                            "ordered pandas Categorical (text labels have no order: give "
                            "pd.Categorical(y, categories=[...], ordered=True))")
    yd = _align(y, rows, "y", n) if not (hasattr(y, "dtype") and y.dtype.kind in "OUSb") \
        else _to_array(y, "y")[0].rechunk((rows,))
    w = _align(sample_weight, rows, "sample_weight", n)
    off = _align(offset, rows, "offset", n)
    if exposure is not None:
        import dask.array as da

        e = _align(exposure, rows, "exposure", n)
        if bool((~da.isfinite(e) | (e <= 0)).any().compute()):
            raise DataError("exposure must be finite and > 0")
        off = da.log(e) + (0.0 if off is None else off)
    aux_arrays = {k: _align(v, rows, k, n) for k, v in aux.items() if v is not None}

    # 2. checks: one pass over the chunks
    from dask import delayed

    starts = np.concatenate([[0], np.cumsum(rows)])[:-1]
    classify = settings.classifier
    Db = D.to_delayed().ravel()
    yb = yd.to_delayed().ravel()
    wb = [None] * len(Db) if w is None else list(w.to_delayed().ravel())
    if check:
        checks = [delayed(_check_chunk, pure=False)(Db[i], yb[i], wb[i], int(starts[i]),
                                                    names,
                                                    classify) for i in range(len(Db))]
        (checked,) = dask.compute(checks)
    else:
        k = 2 if fam.classifier == "binary" else int(yd.max().compute()) + 1
        checked = [(float(n) if w is None else float(w.sum().compute()),
                    np.arange(k, dtype=float))]
    sum_w = float(sum(c[0] for c in checked))
    if sum_w <= 0:
        raise DataError("sample_weight sums to zero: there is nothing to fit")
    classes = None
    if classify:
        classes = np.unique(np.concatenate([c[1] for c in checked]))
        if levels is not None:  # the codes of an ordered Categorical: its levels' order
            if classes.size and classes[0] < 0:
                import dask.array as da

                i = int(da.argmax(yd < 0).compute())
                raise DataError(f"{fam.title} regression: y has a missing value at row {i}")
            classes = levels
        if fam.classifier == "binary" and classes.size > 2:
            raise SupportError(f"{fam.title} regression needs 2 classes; found "
                               f"{classes.size} ({list(classes[:5])}...). Use "
                               "family='categorical'")
        if classes.size < 2:
            raise DataError(f"y has only one class ({classes[0]!r}): a classifier needs at "
                            "least 2 classes")
        yd = yd.map_blocks(_encode, classes, dtype=float) if check and levels is None \
            else yd.astype(float)
    else:
        yd = yd.astype(float)
    model = pipe.build_model(settings, None if classes is None else len(classes), spec)
    if model.in_memory_only is not None:
        from ..errors import NotImplementedForFamily

        raise NotImplementedForFamily(f"{settings.family.title} regression is fitted in "
                                      f"memory only: {model.in_memory_only}; pass NumPy or "
                                      "pandas data")
    slot_names = pipe.slot_names_of(model, names, terms, settings.fit_intercept)
    if model.exact == "linear program":
        raise NotImplementedForFamily(
            f"{fam.title} regression is solved exactly as a linear program in memory; it "
            "is not available on Dask")
    if not classify and check:
        aux_b = {k: list(a.to_delayed().ravel()) for k, a in aux_arrays.items()}
        support = [delayed(_check_support, pure=False)(
            yb_, {k: v[i] for k, v in aux_b.items()}, model, int(starts[i]))
            for i, yb_ in enumerate(yd.to_delayed().ravel())]
        dask.compute(support)

    # 3. backend (+ persist when it fits)
    if persist is None:
        persist = _fits_in_memory(D.nbytes + yd.nbytes)
    if progress is True:
        progress = _print_progress
    sums = _RobustSums(D, yd, model, w, off, aux_arrays, persist=persist, nobs=sum_w,
                    intercept=settings.fit_intercept,
                    progress=progress or None)
    coef_names = (["Intercept"] if settings.fit_intercept else []) + names
    prior, l1 = pipe.penalties(settings, sums, model)
    n_eff = n if w is None else int((w > 0).sum().compute())
    if n_eff < sums.n_params and prior is None:
        raise DataError(f"too few rows: n_samples = {n_eff} for {sums.n_params} parameters")
    r0 = rows[0]
    y_head = yd[:r0].compute()
    w_head = None if w is None else w[:r0].compute()
    aux_head = {k: v[:r0].compute() for k, v in aux_arrays.items()}
    off_mean = None
    if off is not None:
        oh = off[:r0].compute()
        wh = np.ones_like(oh) if w_head is None else w_head
        off_mean = float(np.sum(wh * oh) / np.sum(wh))
    ochk = None
    if ordinal:  # every block's class counts (not the first block's), named empty classes
        from ._ordinal import OrdinalChecks

        ochk = OrdinalChecks(sums, model, names, classes, levels is not None, _LP_MAX_ROWS)
        y_head, w_head = ochk.before(fam.title, penalised=prior is not None)
        aux_head = {}  # (y_head: the classes 0 … K-1, w_head: their counts)
    theta0 = pipe.start(settings, sums, model, y_head, w_head, aux_head, offset_mean=off_mean)
    # existence of the MLE: the cheap screens, one reduction pass (regression._diagnostics)
    exist = _Existence(settings.fit_intercept, model, D, yd, w, aux_arrays, names)
    exist.screen(penalised=prior is not None)

    # 4. solve: the in-memory solver on the Dask sums. Warm start as in memory: Newton on
    #    an in-memory subsample (every k-th row of a few random chunks) gives the start
    #    and an approximate Hessian, so the passes over the cluster are gradient-only
    #    until the last one (see regression.solver, step 2)
    def rank_check(h_block: np.ndarray) -> None:
        # as in memory: a well-conditioned curvature block proves the design full rank;
        # otherwise the design's own Gram DᵀWD decides (one more pass), never the
        # likelihood's curvature (Normal-log/inverse curvature can be indefinite at θ0)
        if slot_names is not None:  # each parameter's own design (a Gram pass each)
            icpt = int(settings.fit_intercept)
            for j, sl in enumerate(model.slots):
                if sl.design == "X":
                    cols = range(p) if sl.columns is None else sl.columns
                    sub = sums.restrict([0] * icpt + [c + icpt for c in cols])
                    check_rank(sub.design_gram(), [f"{sl.name}: {t}" for t in slot_names[j]])
        elif not hessian_proves_rank(h_block):
            check_rank(sums.design_gram(), coef_names)

    warm = None
    m = pipe.warm_rows(sums.n, sums.n_params)
    if m is not None:  # a bounded in-memory sample: its job is a start and a Hessian
        m = min(m, max(_WARM_MAX_ROWS, 40 * sums.n_params))
    if l1 is None and prior is None and m is not None:
        sub = sums.sample(m)
        if sub is not None:
            warm = pipe.warm_fit(settings, sub, theta0, names, model, sums.sum_weights,
                                 classes)
        if warm is not None:
            if not hessian_proves_rank(warm[1][:sums.p, :sums.p]):
                warm = None  # the full design decides below
    first = None
    if warm is None:
        first = sums.nll_grad_hess(theta0)
        if prior is None:
            rank_check(first[2][:sums.p, :sums.p])
    if warm is not None:
        res, caught = pipe.solve(settings, sums, warm[0], prior, l1, hess0=warm[1])
    else:
        res, caught = pipe.solve(settings, sums, theta0, prior, l1, first=first)
    if prior is None and l1 is None and any(sl.nuisance is not None and sl.design == "X"
                                            for sl in model.slots):
        from ..regression._diagnostics import check_parameter_divergence

        check_parameter_divergence(model, sums, res.theta, theta0, res.converged)
    existence = None
    if ochk is not None and prior is None:  # the MLE exists: certified, or the exact LP
        existence = ochk.after_solve(res.theta, res.converged)
    theta = res.theta
    if prior is None:
        exist.after_solve(sums, theta, res.converged)
    if prior is None and l1 is None and model.edge is not None:
        from ..regression._diagnostics import check_nuisance_edge

        # a nuisance run to the edge where the family is another (NB alpha -> 0), after
        # the existence checks (a diverging mean is the first thing to say)
        check_nuisance_edge(model, sums, theta, float(np.mean(y_head)))
    pipe.replay(caught)  # (a named NoMaximumError above supersedes the solver's warnings)
    if classify and not ordinal and not res.converged:
        warnings.warn("the classification fit did not converge: check for (quasi-)separation "
                      "(the separation pre-check of the in-memory fit does not run on Dask)",
                      ConvergenceWarning, stacklevel=2)

    # 5. inference: the pipeline's own
    result = pipe.finish(settings, sums, model, res, prior, coef_names=coef_names,
                         nobs=sum_w, n_rows=n, y_head=y_head, w_head=w_head,
                         aux_head=aux_head, with_null=null_model, slot_names=slot_names,
                         pandas_names=names is not None and hasattr(X, "columns"))
    result.extra_info["Backend"] = f"dask ({len(rows)} chunks, {sums.n_passes} passes)"
    if existence is not None:
        result.extra_info["MLE exists"] = existence
    adopt_fit(est, pipe.Fitted(result, model, theta, res.n_iter, classes), n_features=p,
              feature_names=names if hasattr(X, "columns") else None, design_layout=layout)
    est.dask_passes_ = sums.n_passes
    return est


class _RobustSums(DaskSums):
    """:class:`DaskSums` with the meats of the cluster-robust and Newey-West covariances
    (``regression._inference``), each one pass over the blocks."""

    def _pieces(self, fn: Any, *args: Any) -> list:
        """``fn(block's InMemorySums, *args)`` for every block, in row order."""
        import dask
        from dask import delayed

        t0 = time.perf_counter()
        model, layout = self._model_delayed(), _const(self._layout)
        parts = [delayed(_on_block, pure=False)(*blk, model, layout, fn,
                                                *(a[i] if isinstance(a, _PerBlock) else a
                                                  for a in args))
                 for i, blk in enumerate(self._blocks)]
        (out,) = dask.compute(parts)
        self.n_passes += 1
        if self._progress is not None:
            self._progress(fn.__name__.strip("_").replace("_", " "), time.perf_counter() - t0)
        return out

    def cluster_scores(self, theta: np.ndarray, codes: np.ndarray, n_groups: int
                       ) -> np.ndarray:
        """Σ_{i ∈ g} s_i per cluster, (G, P): each block's sums, added (a reduction)."""
        bounds = np.concatenate([[0], np.cumsum(self.row_chunks)])
        per = _PerBlock([codes[a:b] for a, b in itertools.pairwise(bounds)])
        parts = self._pieces(_cluster_part, np.asarray(theta, float), per, n_groups)
        return np.sum(parts, axis=0)

    def hac_meat(self, theta: np.ndarray, maxlags: int) -> np.ndarray:
        """The Newey-West meat: each block's own sum and its first and last ``maxlags``
        rows' scores; the pairs across block boundaries added here, in row order."""
        from ..regression._sums import HacSum

        acc = HacSum(maxlags, self.n_params)
        pieces = self._pieces(_hac_part, np.asarray(theta, float), int(maxlags))
        for (within, head, tail), rows in zip(pieces, self.row_chunks, strict=True):
            acc.add_piece(within, head, tail, rows)
        return acc.meat


class _PerBlock(list):
    """An argument of :meth:`_RobustSums._pieces` that differs per block (one item each)."""


def _on_block(D, y, w, off, aux, model, layout, fn, *args):
    from ._sums import _chunk_sums

    return fn(_chunk_sums(D, y, w, off, aux, model, layout), *args)


def _cluster_part(sums, theta, codes, n_groups):
    return sums.cluster_scores(theta, np.asarray(codes, np.intp), n_groups)


def _hac_part(sums, theta, maxlags):
    return sums.hac_piece(theta, maxlags)


_WARM_MAX_ROWS = 250_000  # rows of the in-memory warm-start sample of a Dask fit
_LP_MAX_ROWS = 1_000_000  # boundary rows the existence LP may gather into memory


class _Existence:
    """The in-memory existence diagnosis (``regression._diagnostics``) as Dask reductions.

    ``screen``: per-block column (min, max) over the rows at a bound / interior and
    their counts (every y at a bound; one column non-zero only on such rows).
    ``after_solve``: when the fit signals trouble (not converged, or ``max |η|``
    beyond the link's bound), the exact LP: the interior rows' Gram (a reduction)
    gives the null space ``N`` in which a direction must lie; only the rows at a
    bound whose projection on ``N`` is non-zero are gathered for the LP. If they are
    too many (``_LP_MAX_ROWS``) the fit is refused, saying the MLE appears not to exist.
    Categorical (softmax) fits keep the non-convergence warning.
    """

    def __init__(self, intercept, model, D, yd, w, aux_arrays, names):
        from ..regression._diagnostics import existence_boundary

        self.intercept, self.model, self.D, self.names = intercept, model, D, names
        self.bd = existence_boundary(model)
        if self.bd is None:
            return
        self.Db = list(D.to_delayed().ravel())
        self.yb = list(yd.to_delayed().ravel())
        self.wb = [None] * len(self.Db) if w is None else list(w.to_delayed().ravel())
        if model.family.trials_parameter is not None and "trials" in aux_arrays:
            self.ub = list(aux_arrays["trials"].to_delayed().ravel())
        else:
            self.ub = [1.0] * len(self.Db)
        self.weighted = w is not None

    def _map(self, fn, *args):
        import dask
        from dask import delayed

        parts = [delayed(fn, pure=True)(self.Db[i], self.yb[i], self.wb[i], self.ub[i],
                                        self.bd, *args) for i in range(len(self.Db))]
        (out,) = dask.compute(parts)
        return out

    def screen(self, penalised: bool) -> None:
        from ..regression._diagnostics import (
            boundary_stats,
            merge_boundary_stats,
            screen_existence,
        )

        if self.bd is None or (penalised and not self.intercept):
            return
        stats = merge_boundary_stats(self._map(boundary_stats))
        screen_existence(stats, [] if penalised else self.names, self.intercept,
                         self.bd, weighted=self.weighted)

    def after_solve(self, sums, theta, converged: bool) -> None:
        from ..regression._diagnostics import (
            _null_space,
            boundary_projection,
            interior_gram,
            raise_combination,
            recession_direction,
        )

        if self.bd is None or not self.bd.at_infinity:
            return
        if converged:
            eta_max = float(abs(sums.predictors(theta)[:, 0]).max().compute())
            if eta_max <= self.bd.eta_signal:
                return
        icpt = self.intercept
        G = sum(self._map(interior_gram, icpt))
        N = _null_space(G)
        if N.shape[1] == 0:
            return
        parts = self._map(boundary_projection, icpt, N)
        rows = sum(a.shape[0] + b.shape[0] for a, b in parts)
        full = (["Intercept"] if icpt else []) + list(self.names)
        if rows > _LP_MAX_ROWS:
            raise self.bd.error(
                f"the {self.bd.family} fit runs off to infinity (|linear predictor| beyond "
                f"{self.bd.eta_signal:g}, or no convergence) and {rows} rows at a bound of "
                "the family are too many for the exact check in memory: the "
                "maximum-likelihood estimate appears not to exist. Check for a level or "
                "combination of columns whose y are all at 0 (or all at the trials); drop or "
                "merge it, or fit the MAP with a prior (alpha_l2 > 0)"
            )
        AL = np.vstack([a for a, _ in parts]) if parts else np.zeros((0, N.shape[1]))
        AU = np.vstack([b for _, b in parts]) if parts else np.zeros((0, N.shape[1]))
        z = recession_direction(AL, AU, np.eye(N.shape[1]))
        if z is None:
            return
        sd = np.asarray(self.D.std(axis=0).compute(), float)
        sd = np.concatenate([[0.0] if icpt else [], sd])
        raise_combination(N @ z, sd, full, self.bd, has_zero_rows=AL.shape[0] > 0)


def _designs(designs: Any, names: list[str], p: int
             ) -> tuple[dict[str, Any], list[str], list]:
    """The parameters' designs on Dask: columns of ``X`` (names or indices), ``"X"`` or
    ``"1"`` (:func:`mlekit.regression._inputs.combine_designs` without arrays)."""
    from ..regression._inputs import combine_designs

    for pname, Z in (designs or {}).items():
        if not isinstance(Z, (str, list, tuple)):
            raise NotImplementedForFamily(
                f"designs[{pname!r}]: on Dask a parameter's design is a list of X's columns "
                f"(designs={{{pname!r}: ['x1', 'x2']}}), 'X' or '1'; put its columns into X, "
                "or fit in memory")
    _, spec, terms, layout = combine_designs(designs, None, np.empty((0, p)), names)
    return spec, terms, layout


def _fits_in_memory(nbytes: float) -> bool:
    """Persist when the data take < 25% of the cluster's (or this machine's) memory."""
    total = None
    try:
        from distributed import default_client

        info = default_client().scheduler_info()
        total = sum(wk.get("memory_limit", 0) or 0 for wk in info["workers"].values())
    except Exception:
        total = None
    if not total:
        try:
            import psutil

            total = psutil.virtual_memory().total
        except ImportError:  # pragma: no cover
            import os

            total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    return nbytes < 0.25 * total


def _print_progress(kind: str, seconds: float) -> None:
    import sys

    print(f"  pass: {kind:<14} {seconds:7.2f} s", file=sys.stderr, flush=True)
