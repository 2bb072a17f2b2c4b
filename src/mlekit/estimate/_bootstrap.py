r"""Bootstrap confidence intervals, shared by univariate fits and regressions.

A bootstrap replicate refits the model to a resampled data set and keeps the estimate
:math:`\hat\theta^{*}_b`, ``b = 1 … B``:

- **nonparametric** (univariate) / **cases** (regression): resample the observations
  (rows) with replacement;
- **parametric**: draw a new data set of the same size from the fitted model (as
  fitdistrplus ``bootdist(bootmethod="param")``; for a regression, a new response from
  ``predict_distribution(X)`` at the same X).

Univariate refits are warm-started at the MLE (``start=``; closed forms ignore it).

Intervals at ``level``, :math:`\alpha = (1 - \text{level})/2`:

- **percentile**: the :math:`\alpha` and :math:`1-\alpha` quantiles of the replicates
  (``np.quantile``, linear interpolation);
- **BCa** (Efron 1987): the quantiles at

  .. math:: \alpha_{1,2} = \Phi\!\Big(z_0 + \frac{z_0 + z_{\alpha,1-\alpha}}
            {1 - a\,(z_0 + z_{\alpha,1-\alpha})}\Big),\qquad
            z_0 = \Phi^{-1}\big(\#\{\hat\theta^{*}_b < \hat\theta\}/B\big),

  with the acceleration from the jackknife estimates :math:`\hat\theta_{(i)}`,
  :math:`a = \sum_i (\bar\theta_{(\cdot)} - \hat\theta_{(i)})^3 /
  \big(6\,[\sum_i (\bar\theta_{(\cdot)} - \hat\theta_{(i)})^2]^{3/2}\big)`.
  The jackknife leaves out one observation at a time (with frequency weights, one unit
  of a row: weight ``w_i - 1``); above 200 observations (weighted rows) it leaves out
  one of 200 groups at a time (a grouped jackknife; the groups are a random partition
  drawn from ``rng``), so BCa costs at most 200 extra refits.

A refit that raises a :class:`~mlekit.errors.MlekitError` (no MLE in that resample,
e.g. a separated or all-zero resample) or gives a non-finite estimate is a *failure*:
failures are counted and reported by a :class:`~mlekit.errors.NumericalWarning`; the
interval uses the successful replicates when at least 90 % succeeded, and otherwise
:class:`~mlekit.errors.NoMaximumError` is raised.

Reproducibility: replicate ``b`` draws from its own generator, seeded by
``np.random.SeedSequence(rng).spawn(B)[b]``, so the replicates do not depend on
``n_jobs`` (process parallelism with :class:`concurrent.futures.ProcessPoolExecutor`).
"""

from __future__ import annotations

import itertools
import math
import warnings
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from typing import TYPE_CHECKING, Any

import numpy as np
from scipy.special import ndtr, ndtri

from ..errors import (
    MlekitError,
    NoMaximumError,
    NotImplementedForFamily,
    NumericalWarning,
    ParameterError,
)

if TYPE_CHECKING:
    from .result import FitResult

__all__ = ["bootstrap_conf_int", "bootstrap_interval", "bootstrap_replicates", "run_bootstrap"]

#: the jackknife for BCa leaves out single observations up to this many, groups beyond
JACKKNIFE_GROUPS = 200
#: the least share of successful refits an interval is computed from
MIN_SUCCESS = 0.9


# ---------------------------------------------------------------------- checks
def check_options(n_boot: Any, ci: Any, n_jobs: Any) -> tuple[int, str, int]:
    """Validate ``n_boot`` (integer >= 2), ``ci`` and ``n_jobs`` (integer >= 1)."""
    try:
        nb = int(n_boot)
    except (TypeError, ValueError):
        nb = -1
    if isinstance(n_boot, bool) or nb != n_boot or nb < 2:
        raise ParameterError(f"n_boot must be an integer >= 2 (the number of bootstrap "
                             f"replicates; 999 is usual), got {n_boot!r}")
    c = str(ci).lower()
    if c not in ("percentile", "bca"):
        raise ParameterError(f"ci must be 'percentile' or 'bca', not {ci!r}")
    try:
        nj = int(n_jobs)
    except (TypeError, ValueError):
        nj = -1
    if isinstance(n_jobs, bool) or nj != n_jobs or nj < 1:
        raise ParameterError(f"n_jobs must be an integer >= 1 (worker processes), got "
                             f"{n_jobs!r}")
    return nb, c, nj


def _seed_sequence(rng: Any) -> np.random.SeedSequence:
    if isinstance(rng, np.random.SeedSequence):
        return rng
    if isinstance(rng, np.random.Generator):
        return np.random.SeedSequence(int(rng.integers(2**63)))
    if rng is None or (isinstance(rng, (int, np.integer)) and not isinstance(rng, bool)
                       and rng >= 0):
        return np.random.SeedSequence(None if rng is None else int(rng))
    raise ParameterError(f"rng must be None, a non-negative integer seed, a SeedSequence or "
                         f"a numpy Generator, got {rng!r}")


# ---------------------------------------------------------------------- the run
def guarded(refit: Callable[[], np.ndarray], d: int) -> np.ndarray:
    """``refit()`` as a vector of length ``d``, or NaN when it raises a
    :class:`~mlekit.errors.MlekitError` (no MLE in the resample) or is not finite."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with np.errstate(all="ignore"):
                v = np.asarray(refit(), float).ravel()
    except MlekitError:
        return np.full(d, np.nan)
    return v if v.size == d and np.all(np.isfinite(v)) else np.full(d, np.nan)


def _run_chunk(task: Callable[[np.random.Generator], np.ndarray],
               seeds: Sequence[np.random.SeedSequence], d: int) -> np.ndarray:
    """Replicates for ``seeds`` (one row each; a failed refit is a row of NaN).

    A task with a ``batch(generators, d)`` method refits them together (many refits
    at once: ``mlekit.regression._replicates``); it returns the same rows."""
    gens = [np.random.default_rng(ss) for ss in seeds]
    batch = getattr(task, "batch", None)
    if batch is not None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            rows = batch(gens, d)
        if rows is not None:
            return rows
    return np.array([guarded(lambda g=g: task(g), d) for g in gens]).reshape(len(gens), d)


def run_bootstrap(task: Callable[[np.random.Generator], np.ndarray], d: int, n_boot: int,
                  rng: Any = 0, n_jobs: int = 1, progress: bool = False) -> np.ndarray:
    """``(n_boot, d)`` replicates of ``task`` (a picklable callable: generator -> estimate
    vector of length ``d``); failed refits are rows of NaN. Replicate ``b`` uses the
    ``b``-th child of ``SeedSequence(rng)``, whatever ``n_jobs``."""
    seeds = _seed_sequence(rng).spawn(n_boot)
    n_chunks = 1 if n_jobs == 1 and not progress else max(n_jobs * 4, 20 if progress else 1)
    n_chunks = min(n_chunks, n_boot)
    bounds = np.linspace(0, n_boot, n_chunks + 1).astype(int)
    chunks = [seeds[a:b] for a, b in itertools.pairwise(bounds)]
    bar = _progress(progress, n_boot)
    parts: list[np.ndarray] = []
    try:
        if n_jobs == 1:
            for ch in chunks:
                parts.append(_run_chunk(task, ch, d))
                if bar is not None:
                    bar[0].advance(bar[1], len(ch))
        else:
            with ProcessPoolExecutor(max_workers=n_jobs) as pool:
                futures = [pool.submit(_run_chunk, task, ch, d) for ch in chunks]
                for fut, ch in zip(futures, chunks, strict=True):
                    parts.append(fut.result())
                    if bar is not None:
                        bar[0].advance(bar[1], len(ch))
    finally:
        if bar is not None:
            bar[0].stop()
    return np.concatenate(parts, axis=0)


def _progress(on: bool, total: int):
    if not on:
        return None
    from rich.progress import Progress

    p = Progress(transient=True)
    p.start()
    return p, p.add_task("bootstrap", total=total)


# ---------------------------------------------------------------------- intervals
def screen_failures(reps: np.ndarray, what: str) -> np.ndarray:
    """Drop failed (NaN) replicates; warn with their count, raise when more than 10 %."""
    ok = np.all(np.isfinite(reps), axis=1)
    n_fail = int(reps.shape[0] - ok.sum())
    if n_fail:
        share = n_fail / reps.shape[0]
        if 1.0 - share < MIN_SUCCESS:
            raise NoMaximumError(
                f"bootstrap of {what}: {n_fail} of {reps.shape[0]} refits failed (no maximum "
                f"likelihood estimate in the resample, {share:.0%}); more than "
                f"{1 - MIN_SUCCESS:.0%} failed, so no interval is given. Try "
                "bootstrap='parametric', more data, or conf_int(method='profile')")
        warnings.warn(
            f"bootstrap of {what}: {n_fail} of {reps.shape[0]} refits failed (no maximum "
            "likelihood estimate in the resample); the interval uses the "
            f"{reps.shape[0] - n_fail} successful replicates", NumericalWarning, stacklevel=4)
    return reps[ok]


def acceleration(jack: np.ndarray) -> np.ndarray:
    r"""BCa acceleration per column from jackknife estimates ``jack`` (m, d):
    :math:`\sum (\bar\theta - \theta_{(i)})^3 / (6 [\sum (\bar\theta - \theta_{(i)})^2]^{3/2})`
    (0 where the jackknife values do not vary)."""
    dev = jack.mean(axis=0) - jack
    num = np.sum(dev**3, axis=0)
    den = 6.0 * np.sum(dev**2, axis=0) ** 1.5
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(den > 0, num / np.where(den > 0, den, 1.0), 0.0)


def bootstrap_interval(reps: np.ndarray, theta_hat: np.ndarray, level: float, ci: str,
                       accel: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Percentile or BCa ``(low, high)`` per column of ``reps`` (B, d) (module docstring)."""
    alpha = (1.0 - level) / 2.0
    theta_hat = np.asarray(theta_hat, float).ravel()
    if ci == "percentile":
        lo = np.quantile(reps, alpha, axis=0)
        hi = np.quantile(reps, 1.0 - alpha, axis=0)
        return lo, hi
    B = reps.shape[0]
    share = np.mean(reps < theta_hat, axis=0)
    bad = (share <= 0) | (share >= 1)
    if np.any(bad):
        warnings.warn(
            f"BCa: every replicate lies on one side of the estimate for {int(bad.sum())} "
            "parameter(s), so the bias correction is infinite; those ends are the extreme "
            "replicates. Use ci='percentile' or more replicates", NumericalWarning, stacklevel=4)
    z0 = ndtri(np.clip(share, 0.5 / B, 1.0 - 0.5 / B))
    a = np.zeros_like(z0) if accel is None else np.asarray(accel, float)
    out = []
    for q in (alpha, 1.0 - alpha):
        zq = float(ndtri(q))
        adj = ndtr(z0 + (z0 + zq) / (1.0 - a * (z0 + zq)))
        out.append(np.array([np.quantile(reps[:, j], adj[j]) for j in range(reps.shape[1])]))
    return out[0], out[1]


def jackknife_groups(n: int, gen: np.random.Generator) -> list[np.ndarray]:
    """Index groups to leave out: single rows up to ``JACKKNIFE_GROUPS`` rows, else a
    random partition into ``JACKKNIFE_GROUPS`` groups."""
    if n <= JACKKNIFE_GROUPS:
        return [np.array([i]) for i in range(n)]
    return np.array_split(gen.permutation(n), JACKKNIFE_GROUPS)


def jackknife(refit: Callable[[np.ndarray], np.ndarray], n: int, d: int,
              gen: np.random.Generator) -> np.ndarray:
    """Jackknife estimates: ``refit(keep_mask)`` for each group left out; a failed refit
    is dropped (the acceleration is a small correction)."""
    rows = []
    for g in jackknife_groups(n, gen):
        keep = np.ones(n, bool)
        keep[g] = False
        v = guarded(lambda keep=keep: refit(keep), d)
        if np.all(np.isfinite(v)):
            rows.append(v)
    if len(rows) < 3:
        raise NoMaximumError("BCa: the jackknife refits failed (no maximum without the left-"
                             "out observations); use ci='percentile'")
    return np.array(rows)


# ---------------------------------------------------------------------- univariate fits
class _UnivariateTask:
    """One bootstrap refit of a univariate fit (picklable for worker processes)."""

    def __init__(self, family, x, w, fixed, k, start, mode, dist):
        self.family, self.x, self.w, self.fixed, self.k = family, x, w, fixed, k
        self.start, self.mode, self.dist = start, mode, dist

    def refit(self, x, w=None) -> np.ndarray:
        from ._fit import fit_estimate

        # the estimate only: fit's checks and errors, no information matrix
        res = fit_estimate(x, self.family, weights=w, fixed=self.fixed or None,
                           start=self.start, k=self.k)
        return np.concatenate([np.ravel(np.asarray(res.params[n], float))
                               for n in self.start])

    def __call__(self, gen: np.random.Generator) -> np.ndarray:
        n = self.x.shape[0]
        if self.mode == "parametric":
            size = n if self.w is None else round(float(np.sum(self.w)))
            return self.refit(np.asarray(self.dist.sample(size, rng=gen)))
        if self.w is None:
            return self.refit(self.x[gen.integers(0, n, size=n)])
        total = round(float(np.sum(self.w)))
        counts = gen.multinomial(total, self.w / np.sum(self.w)).astype(float)
        return self.refit(self.x, counts)


def bootstrap_conf_int(result: FitResult, level: float = 0.95, n_boot: int = 999,
                       bootstrap: str = "parametric", ci: str = "percentile", rng: Any = 0,
                       n_jobs: int = 1, progress: bool = False) -> dict[str, tuple]:
    """Bootstrap intervals for a univariate :class:`FitResult` (module docstring); a
    fixed parameter's interval is its value. The replicates themselves come from
    :func:`bootstrap_replicates`."""
    lo, hi, _names, _ = _univariate(result, level, n_boot, bootstrap, ci, rng, n_jobs,
                                   progress)
    out: dict[str, tuple] = {}
    i = 0
    for name, value in result.params.items():
        if name in result.fixed:
            out[name] = (value, value)
            continue
        shape = np.shape(value)
        size = math.prod(shape)
        a, b = lo[i:i + size].reshape(shape), hi[i:i + size].reshape(shape)
        out[name] = (float(a) if a.ndim == 0 else a, float(b) if b.ndim == 0 else b)
        i += size
    return out


def bootstrap_replicates(result: FitResult, n_boot: int = 999, bootstrap: str = "parametric",
                         rng: Any = 0, n_jobs: int = 1) -> np.ndarray:
    """The ``(n_boot, k)`` replicates (free parameters flattened in ``param_names``
    order; failed refits are rows of NaN) that :func:`bootstrap_conf_int` uses."""
    task, d, _ = _univariate_task(result, bootstrap)
    nb, _, nj = check_options(n_boot, "percentile", n_jobs)
    return run_bootstrap(task, d, nb, rng, nj)


def _univariate_task(result: FitResult, bootstrap: str):
    mode = str(bootstrap).lower()
    if mode not in ("parametric", "nonparametric"):
        raise ParameterError(f"bootstrap must be 'parametric' or 'nonparametric' for a "
                             f"univariate fit, not {bootstrap!r}")
    obj = result._objective
    prep = getattr(obj, "prep", None)
    if prep is None:  # pragma: no cover - every FitResult from fit() has its data
        raise NotImplementedForFamily("this result keeps no data to bootstrap")
    if prep.censored is not None:
        raise NotImplementedForFamily("bootstrap intervals for censored data are not "
                                      "implemented; use conf_int(method='profile')")
    w = prep.w
    if w is not None and not np.allclose(w, np.round(w)):
        raise NotImplementedForFamily("bootstrap intervals need integer frequency weights "
                                      "(each is a count of repeated rows); use "
                                      "conf_int(method='profile')")
    free = [n for n in result.params if n not in result.fixed]
    start = {n: np.asarray(result.params[n], float) for n in free}
    fixed = {n: v for n, v in result.fixed.items()}
    task = _UnivariateTask(result.family, np.asarray(prep.x), None if w is None else
                           np.asarray(w, float), fixed, prep.k, start, mode,
                           result.distribution if mode == "parametric" else None)
    d = sum(int(np.size(result.params[n])) for n in free)
    return task, d, free


def _univariate(result, level, n_boot, bootstrap, ci, rng, n_jobs, progress):
    nb, c, nj = check_options(n_boot, ci, n_jobs)
    task, d, free = _univariate_task(result, bootstrap)
    reps = run_bootstrap(task, d, nb, rng, nj, progress)
    reps = screen_failures(reps, f"the {result.family.title} fit")
    theta_hat = np.concatenate([np.ravel(np.asarray(result.params[n], float)) for n in free])
    accel = None
    if c == "bca":
        x, w = task.x, task.w

        def refit(keep: np.ndarray) -> np.ndarray:
            if w is None:
                return task.refit(x[keep])
            return task.refit(x, np.where(keep, w, 0.0))

        gen = np.random.default_rng(_seed_sequence(rng).spawn(nb + 1)[nb])
        if w is not None and np.count_nonzero(w) <= JACKKNIFE_GROUPS:
            accel = acceleration(_unit_jackknife(task, d))
        else:  # unweighted, or many weighted rows: rows (or groups of rows) left out
            accel = acceleration(jackknife(refit, x.shape[0], d, gen))
    lo, hi = bootstrap_interval(reps, theta_hat, level, c, accel)
    return lo, hi, free, reps


def _unit_jackknife(task: _UnivariateTask, d: int) -> np.ndarray:
    """Leave-one-out estimates for frequency-weighted data: leaving out one of the
    ``w_i`` units of row ``i`` (weight ``w_i - 1``) gives the same estimate for each of
    them, so it is computed once per row and repeated ``w_i`` times."""
    w = np.round(task.w).astype(int)
    rows, reps = [], []
    for i in np.flatnonzero(w > 0):
        wi = w.astype(float)
        wi[i] -= 1.0
        if not wi.any():
            continue
        v = guarded(lambda wi=wi: task.refit(task.x, wi), d)
        if np.all(np.isfinite(v)):
            rows.append(v)
            reps.append(w[i])
    if len(rows) < 1 or sum(reps) < 3:
        raise NoMaximumError("BCa: the jackknife refits failed (no maximum without the left-"
                             "out observations); use ci='percentile'")
    return np.repeat(np.array(rows), reps, axis=0)
