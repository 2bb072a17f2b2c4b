"""Logistic regression on a Dask cluster: mlekit vs dask-ml, same data, same cluster.

Not a test. Run from the project root, e.g.::

    python benchmarks/bench_dask.py --rows 10000000 --features 20
    python benchmarks/bench_dask.py --rows 100000000 --features 20 --out-of-core --skip-dask-ml

In-memory mode: X (rows x features, N(0,1)) and y ~ Bernoulli(expit(0.2 + X beta))
are generated on a 2-worker LocalCluster (1 thread each, loopback) and persisted
there; then mlekit's ``fit_regression`` (Newton on per-chunk sums, standard
errors included) and dask-ml's ``LogisticRegression`` (solver newton and lbfgs,
effectively unpenalised: C=1e12) fit the same arrays. Reports the median of
``--repeats`` wall times, the ratio, the largest coefficient difference and the
peak extra memory (resident set of the client + scheduler + worker processes,
sampled every 20 ms, minus the level before the fit).

Out-of-core mode: the data are a lazy graph generated chunk by chunk from a
seeded ``dask.array.random.default_rng`` (PCG64) and never materialised; every
pass of the fit regenerates the chunks on the workers (``persist=False``).
Needs ``dask[array,dataframe] distributed psutil`` (+ ``dask-ml`` for the peer).
"""

from __future__ import annotations

import argparse
import statistics
import threading
import time

import numpy as np


class PeakRSS:
    """Peak total RSS (bytes) of this process and its children, sampled in a thread."""

    def __init__(self, interval: float = 0.02):
        import psutil

        self.proc = psutil.Process()
        self.interval = interval
        self.peak = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def total(self) -> int:
        import psutil

        total = 0
        for p in [self.proc, *self.proc.children(recursive=True)]:
            try:
                total += p.memory_info().rss
            except psutil.Error:
                pass
        return total

    def __enter__(self):
        self.base = self.total()
        self.peak = self.base
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def _run(self):
        while not self._stop.is_set():
            self.peak = max(self.peak, self.total())
            time.sleep(self.interval)

    def __exit__(self, *exc):
        self._stop.set()
        assert self._thread is not None
        self._thread.join()
        self.peak = max(self.peak, self.total())


def make_data(rows: int, features: int, chunk_rows: int, seed: int = 0):
    import dask.array as da
    from scipy.special import expit

    rng = da.random.default_rng(seed)
    beta = np.linspace(-0.5, 0.5, features)
    X = rng.standard_normal((rows, features), chunks=(chunk_rows, features))
    u = rng.random(rows, chunks=(chunk_rows,))
    y = (u < expit(0.2 + X @ beta)).astype(float)
    return X, y, np.concatenate([[0.2], beta])


def timed(fn, repeats: int, mem: PeakRSS):
    times, out = [], None
    with mem:
        for _ in range(repeats):
            t0 = time.perf_counter()
            out = fn()
            times.append(time.perf_counter() - t0)
    return statistics.median(times), times, out, (mem.peak - mem.base) / 2**30, mem.peak / 2**30


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rows", type=int, default=10_000_000)
    ap.add_argument("--features", type=int, default=20)
    ap.add_argument("--chunk-rows", type=int, default=500_000)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--peer-repeats", type=int, default=None,
                    help="repeats for dask-ml (default: --repeats)")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--out-of-core", action="store_true",
                    help="never materialise X: regenerate chunks on every pass")
    ap.add_argument("--skip-dask-ml", action="store_true")
    ap.add_argument("--scheduler", default=None, help="address of an existing scheduler")
    args = ap.parse_args()

    import os

    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(var, "1")  # one BLAS thread per single-threaded worker
    import dask
    from distributed import Client, LocalCluster, wait

    from mlekit.distributed import fit_regression
    from mlekit.regression import Regression

    if args.scheduler:
        cluster, client = None, Client(args.scheduler)
    else:
        cluster = LocalCluster(n_workers=args.workers, threads_per_worker=1, processes=True,
                               host="127.0.0.1", dashboard_address=None, silence_logs=40)
        client = Client(cluster)
    print(f"dask {dask.__version__}; cluster: {len(client.scheduler_info()['workers'])} "
          f"workers x 1 thread; {args.rows:,} x {args.features}, chunks of "
          f"{args.chunk_rows:,} rows; {'out of core' if args.out_of_core else 'persisted'}")
    X, y, truth = make_data(args.rows, args.features, args.chunk_rows)
    if not args.out_of_core:
        X, y = dask.persist(X, y)
        wait([X, y])
    mem = PeakRSS()
    print(f"load average before the fits: {os.getloadavg()}")
    print(f"RSS before fits (client + scheduler + workers): {mem.total() / 2**30:.2f} GB")

    def run_mlekit():
        return fit_regression(Regression(family="bernoulli"), X, y, null_model=False,
                              persist=not args.out_of_core, check=False)

    repeats = 1 if args.out_of_core else args.repeats
    t_ml, all_ml, est, extra_ml, peak_ml = timed(run_mlekit, repeats, mem)
    b_ml = np.concatenate([[est.intercept_], est.coef_])
    runs = ", ".join(f"{t:.2f}" for t in all_ml)
    print(f"mlekit newton        : median {t_ml:7.2f} s  (runs {runs})"
          f"  iterations {est.n_iter_}, passes {est.dask_passes_}; peak extra memory "
          f"{extra_ml:.2f} GB (peak total {peak_ml:.2f} GB); max |b - truth| "
          f"{np.max(np.abs(b_ml - truth)):.2e}; max SE {np.max(est.result_.bse):.2e}")
    if args.skip_dask_ml:
        client.close()
        if cluster is not None:
            cluster.close()
        return

    from dask_ml.linear_model import LogisticRegression as DaskLR

    for solver in ("newton", "lbfgs"):
        def run(solver=solver):
            return DaskLR(solver=solver, C=1e12, max_iter=100, tol=1e-8).fit(X, y)

        t, all_t, m, extra, peak = timed(run, args.peer_repeats or repeats, mem)
        b = np.concatenate([[m.intercept_], np.ravel(m.coef_)])
        runs = ", ".join(f"{v:.2f}" for v in all_t)
        print(f"dask-ml {solver:<12} : median {t:7.2f} s  (runs {runs})"
              f"  peak extra memory {extra:.2f} GB (peak total {peak:.2f} GB); "
              f"mlekit/dask-ml time ratio {t_ml / t:.3f} ({t / t_ml:.1f}x faster); "
              f"max |b_mlekit - b_daskml| {np.max(np.abs(b_ml - b)):.2e}")
    client.close()
    if cluster is not None:
        cluster.close()


if __name__ == "__main__":
    main()
