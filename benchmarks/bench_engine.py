"""The generic regression engine against the fast paths, statsmodels and R's VGAM.

Not a test. Run from the project root:

    .venv/bin/python benchmarks/bench_engine.py [--rows 1000000] [--weibull-rows 100000]
                                                [--repeats 3]

Three measurements, peers on the same data in the same run, medians of ``repeats`` runs:

1. Poisson-log regression, ``rows x 20``: the hand-written fast path
   (``engine="fast"``) against the generic engine (``engine="generic"``, derived from
   the Poisson family file). Issue #20 asks for the generic path within 2x.
2. Weibull regression with scale and shape both depending on x, ``weibull_rows x 10``:
   mlekit's generic engine against statsmodels' ``GenericLikelihoodModel`` on the same
   NLL (its default Newton with numerical derivatives; BFGS is also shown). Issue #20
   asks for at least 20x.

   Where ``Rscript`` is on PATH (with VGAM), the same data go through R's
   ``vglm(t ~ ., weibullR(zero = NULL))``, timed inside R around the ``vglm`` call alone
   (``system.time``: no R start-up, no CSV reading); issue #20 asks mlekit to be faster.
   Without ``Rscript`` (or VGAM) the comparison is skipped with a message.
3. Extra memory of a two-parameter generic model (Normal with ``mu`` and ``sigma`` both
   on x, ``rows x 20``): the ``tracemalloc`` peak during a fit, above what was allocated
   before it, as a fraction of ``X``'s bytes (issue #20 asks <= 25 %). Measured on a
   second fit in the process, so that one-time lazy imports (scikit-learn, scipy.stats,
   pandas: ~70 MB, independent of the data) are not counted; NumPy reports its array
   buffers to ``tracemalloc``, so the arrays of the fit (and of its worker threads)
   are.

Each prints the log-likelihoods, which must agree.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import tempfile
import time
import tracemalloc

import numpy as np

import mlekit as mk


def _median(fn, repeats: int) -> tuple[float, object]:
    times, out = [], None
    for _ in range(repeats):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), out


def poisson(rows: int, repeats: int) -> None:
    rng = np.random.default_rng(0)
    X = rng.normal(size=(rows, 20)) / np.sqrt(20)
    y = rng.poisson(np.exp(0.5 + X @ rng.normal(scale=0.5, size=20))).astype(float)
    t_fast, f = _median(lambda: mk.Regression("poisson", engine="fast").fit(X, y), repeats)
    t_gen, g = _median(lambda: mk.Regression("poisson", engine="generic").fit(X, y), repeats)
    print(f"Poisson-log {rows} x 20: fast {t_fast:.3f} s, generic {t_gen:.3f} s, "
          f"generic / fast = {t_gen / t_fast:.2f}x; llf {f.result_.llf:.6f} vs "
          f"{g.result_.llf:.6f}")


def weibull(rows: int, repeats: int) -> None:
    from scipy.special import gammaln  # noqa: F401  (statsmodels imports scipy anyway)
    from statsmodels.base.model import GenericLikelihoodModel

    rng = np.random.default_rng(1)
    X = rng.normal(size=(rows, 10)) / np.sqrt(10)
    b_scale, b_shape = rng.normal(scale=0.3, size=10), rng.normal(scale=0.2, size=10)
    scale = np.exp(1.0 + X @ b_scale)
    shape = np.exp(0.5 + X @ b_shape)
    t = scale * rng.weibull(shape)

    def ours():
        return mk.Regression("weibull").fit(X, t, designs={"shape": "X"})

    D = np.column_stack([np.ones(rows), X])
    k = D.shape[1]

    class WeibullGLM(GenericLikelihoodModel):
        def loglike(self, params):
            lam = np.exp(D @ params[:k])
            c = np.exp(D @ params[k:])
            z = t / lam
            return float(np.sum(np.log(c) - np.log(lam) + (c - 1) * np.log(z) - z**c))

    start = np.zeros(2 * k)
    start[0] = np.log(np.mean(t))

    def theirs(method):
        return WeibullGLM(t, D).fit(start_params=start, method=method, maxiter=500, disp=0)

    t_mk, m = _median(ours, repeats)
    t_nm, r_nm = _median(lambda: theirs("newton"), 1)
    t_bf, r_bf = _median(lambda: theirs("bfgs"), 1)
    print(f"Weibull, scale and shape on x, {rows} x 10: mlekit {t_mk:.3f} s; statsmodels "
          f"GenericLikelihoodModel newton {t_nm:.2f} s ({t_nm / t_mk:.0f}x), bfgs "
          f"{t_bf:.2f} s ({t_bf / t_mk:.0f}x); llf {m.result_.llf:.6f} vs newton "
          f"{r_nm.llf:.6f}, bfgs {r_bf.llf:.6f}")
    vgam = _vgam_weibull(X, t, repeats)
    if vgam is None:
        return
    t_r, llf_r = vgam
    print(f"  R VGAM vglm(weibullR(zero = NULL)), same data: {t_r:.3f} s (median of "
          f"{repeats}, timed in R around vglm only): VGAM / mlekit = {t_r / t_mk:.1f}x; "
          f"llf {llf_r:.6f} vs mlekit {m.result_.llf:.6f} (relative difference "
          f"{abs(llf_r - m.result_.llf) / abs(m.result_.llf):.1e})")


_VGAM_SCRIPT = r"""
suppressMessages(library(VGAM))
args <- commandArgs(trailingOnly = TRUE)
d <- read.csv(args[1])
repeats <- as.integer(args[2])
times <- numeric(repeats)
for (i in seq_len(repeats)) {
  times[i] <- system.time(
    fit <- vglm(t ~ ., weibullR(lscale = "loglink", lshape = "loglink", zero = NULL),
                data = d))[["elapsed"]]
}
cat(sprintf("%.6f %.10f
", median(times), logLik(fit)))
"""


def _vgam_weibull(X: np.ndarray, t: np.ndarray, repeats: int) -> tuple[float, float] | None:
    """(median seconds of ``vglm`` inside R, R's llf) on the same data, or None (skipped,
    with a message) when ``Rscript`` or VGAM is absent or R fails."""
    rscript = shutil.which("Rscript")
    if rscript is None:
        print("  R VGAM: skipped (Rscript is not on PATH)")
        return None
    with tempfile.TemporaryDirectory() as tmp:
        csv = os.path.join(tmp, "weibull.csv")
        script = os.path.join(tmp, "weibull.R")
        header = ",".join(["t"] + [f"x{j + 1}" for j in range(X.shape[1])])
        np.savetxt(csv, np.column_stack([t, X]), delimiter=",", header=header, comments="",
                   fmt="%.17g")
        with open(script, "w") as fh:
            fh.write(_VGAM_SCRIPT)
        try:
            out = subprocess.run([rscript, script, csv, str(repeats)], capture_output=True,
                                 text=True, timeout=3600, check=False)
        except (OSError, subprocess.TimeoutExpired) as exc:
            print(f"  R VGAM: skipped (Rscript failed: {exc})")
            return None
    if out.returncode != 0:
        last = (out.stderr.strip().splitlines() or ["no message"])[-1]
        print(f"  R VGAM: skipped (R exited with status {out.returncode}: {last})")
        return None
    seconds, llf = (float(v) for v in out.stdout.split()[-2:])
    return seconds, llf


def memory(rows: int) -> None:
    """Extra memory of a fit of Normal regression with mu and sigma on x (see above)."""
    rng = np.random.default_rng(2)
    X = rng.normal(size=(rows, 20)) / np.sqrt(20)
    y = (1.0 + X @ rng.normal(scale=0.3, size=20)
         + np.exp(0.2 + X @ rng.normal(scale=0.2, size=20)) * rng.standard_normal(rows))

    def fit():
        return mk.Regression("normal", engine="generic").fit(X, y, designs={"sigma": "X"})

    fit()  # the one-time lazy imports and the worker threads' buffers
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    res = fit()
    peak = tracemalloc.get_traced_memory()[1] - before
    tracemalloc.stop()
    print(f"Memory, Normal with mu and sigma on x, {rows} x 20 (generic engine): peak "
          f"{peak / 1e6:.1f} MB above the data during a fit = {peak / X.nbytes:.1%} of X "
          f"({X.nbytes / 1e6:.0f} MB; y is {y.nbytes / X.nbytes:.0%} of X); "
          f"llf {res.result_.llf:.6f}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--weibull-rows", type=int, default=100_000)
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    poisson(args.rows, args.repeats)
    weibull(args.weibull_rows, args.repeats)
    memory(args.rows)


if __name__ == "__main__":
    main()
