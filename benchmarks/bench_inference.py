"""Inference benchmarks of issue #23: the bootstrap, profile intervals, the CV path.

Not a test. Run from the project root:

    .venv/bin/python benchmarks/bench_inference.py [--cases bootstrap,profile,cv]
                                                   [--size small|full] [--repeats 3]

Peers run on the same data in the same run; times are medians of ``repeats`` runs and
the ratios are printed. The machine may be shared: compare ratios, not seconds. Like
``benchmarks/run.py``, the script drops ``OPENBLAS_CORETYPE`` / ``OPENBLAS_L2_SIZE``
for its own process (re-executing itself once) and prints the BLAS kernel that ran.

1. **bootstrap** — 999 case-bootstrap refits of a logistic regression at 1e4 x 10
   (``Regression("bernoulli").conf_int(X, y, method="bootstrap", n_boot=999)``, which
   refits the replicates many at once: ``mlekit.regression._replicates``) against a
   loop of statsmodels fits on the *same* resamples (the replicate seeds are
   ``SeedSequence(rng).spawn(999)``, as mlekit's): ``sm.Logit(...).fit()`` and
   ``sm.GLM(..., Binomial()).fit()`` (IRLS). Issue #23 asks for at least 5x the faster
   of the two. Also shown: mlekit refitting one replicate at a time through the whole
   pipeline (``batch=False``), and how far the percentile intervals of mlekit and the
   statsmodels loop are apart (the same replicates: ~1e-7).
2. **profile** — profile-likelihood intervals of every coefficient of a logistic
   regression (1e4 x 10): the restricted refits ("Newton solves") per bound, counted;
   issue #23 asks for at most 20. Also the Newton iterations per refit.
3. **cv** — ``RegressionCV("bernoulli", l1_ratio=0)`` with 5-fold CV over 10 alphas at
   1e5 x 50 against scikit-learn's ``LogisticRegressionCV`` on the same folds and the
   same grid (``Cs = 1 / (n_train * alphas)``, folds of equal size); issue #23 asks for
   at most 1.5x its time. scikit-learn is run at its default ``tol=1e-4`` and at
   ``tol=1e-8`` (mlekit's convergence is to a relative gradient of 1e-8); the chosen
   alpha and the largest coefficient difference are printed.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
import warnings

import numpy as np

SIZES = {
    "tiny": {"boot_rows": 200, "boot_cols": 2, "n_boot": 10, "profile_rows": 200,
             "profile_cols": 2, "cv_rows": 400, "cv_cols": 3},
    "small": {"boot_rows": 2_000, "boot_cols": 5, "n_boot": 199, "profile_rows": 2_000,
              "profile_cols": 10,
              "cv_rows": 5_000, "cv_cols": 10},
    "full": {"boot_rows": 10_000, "boot_cols": 10, "n_boot": 999, "profile_rows": 10_000,
             "profile_cols": 10,
             "cv_rows": 100_000, "cv_cols": 50},
}
CASES = ["bootstrap", "profile", "cv"]


def _median(fn, repeats: int):
    times, out = [], None
    for _ in range(repeats):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), out


def _logistic(rows: int, cols: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(rows, cols))
    beta = np.linspace(-0.5, 0.5, cols)
    y = (rng.random(rows) < 1.0 / (1.0 + np.exp(-(0.3 + X @ beta)))).astype(float)
    return X, y


def blas_kernel() -> str:
    try:
        from threadpoolctl import threadpool_info

        info = [i for i in threadpool_info() if i.get("user_api") == "blas"]
        return ", ".join(f"{i['internal_api']} {i.get('architecture')} "
                         f"({i['num_threads']} threads)" for i in info) or "unknown"
    except ImportError:  # pragma: no cover
        return "unknown"


# ---------------------------------------------------------------------- 1. bootstrap
def case_bootstrap(size: dict, repeats: int) -> dict:
    import statsmodels.api as sm

    import mlekit as mk
    from mlekit.regression._intervals import bootstrap_conf_int

    n, p, B = size["boot_rows"], size["boot_cols"], size["n_boot"]
    X, y = _logistic(n, p)
    m = mk.Regression("bernoulli").fit(X, y)
    seed = 12345

    t_mk, ci_mk = _median(lambda: m.conf_int(X, y, method="bootstrap", n_boot=B, rng=seed),
                          repeats)
    t_one, ci_one = _median(lambda: bootstrap_conf_int(m, X, y, n_boot=B, rng=seed,
                                                       batch=False), 1)
    takes = [np.random.default_rng(s).integers(0, n, size=n)
             for s in np.random.SeedSequence(seed).spawn(B)]
    Xc = sm.add_constant(X)

    def sm_loop(kind: str) -> np.ndarray:
        reps = []
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for t in takes:
                if kind == "Logit":
                    r = sm.Logit(y[t], Xc[t]).fit(disp=0)
                else:
                    r = sm.GLM(y[t], Xc[t], family=sm.families.Binomial()).fit()
                reps.append(r.params)
        return np.array(reps)

    peer_repeats = max(1, min(repeats, 3))
    t_logit, reps_logit = _median(lambda: sm_loop("Logit"), peer_repeats)
    t_glm, reps_glm = _median(lambda: sm_loop("GLM"), peer_repeats)
    gap = 0.0
    for reps in (reps_logit, reps_glm):
        lo, hi = np.quantile(reps, 0.025, axis=0), np.quantile(reps, 0.975, axis=0)
        gap = max(gap, np.max(np.abs(ci_mk[:, 0] - lo)), np.max(np.abs(ci_mk[:, 1] - hi)))
    gap_one = np.max(np.abs(ci_mk - ci_one))
    best_peer = min(t_logit, t_glm)
    print(f"\n[bootstrap] logistic regression, {n} x {p}, {B} case-bootstrap refits")
    print(f"  mlekit conf_int(method='bootstrap') : {t_mk:8.2f} s  ({1e3 * t_mk / B:.2f} ms "
          "per refit, many at once)")
    print(f"  mlekit, one pipeline fit per refit  : {t_one:8.2f} s  (batch=False, 1 run)")
    print(f"  statsmodels Logit().fit() loop      : {t_logit:8.2f} s")
    print(f"  statsmodels GLM(Binomial).fit() loop: {t_glm:8.2f} s")
    print(f"  speed-up over the faster statsmodels loop: {best_peer / t_mk:.1f}x "
          "(target >= 5x)")
    print(f"  percentile interval ends, mlekit vs the statsmodels loop: max |diff| = "
          f"{gap:.1e}; batched vs one-at-a-time: {gap_one:.1e}")
    return {"speedup": best_peer / t_mk, "gap_statsmodels": gap, "gap_one_at_a_time": gap_one}


# ---------------------------------------------------------------------- 2. profile
def case_profile(size: dict, repeats: int) -> dict:
    import mlekit as mk
    from mlekit.regression import _intervals

    n, p = size["profile_rows"], size["profile_cols"]
    X, y = _logistic(n, p, seed=1)
    m = mk.Regression("bernoulli").fit(X, y)
    made: list = []
    original = _intervals._restricted_estimator

    def counting(est):
        sub = original(est)
        made.append(sub)
        return sub

    _intervals._restricted_estimator = counting
    try:
        t, ci = _median(lambda: (made.clear(), m.conf_int(X, y, method="profile"))[1],
                        repeats)
    finally:
        _intervals._restricted_estimator = original
    bounds = 2 * (p + 1)
    refits = len(made) - 1  # (one refit at the estimate checks the data)
    iters = [s.n_iter_ for s in made if hasattr(s, "n_iter_")]
    wald = m.result_.conf_int()
    print(f"\n[profile] logistic regression, {n} x {p}: profile intervals of {p + 1} "
          f"coefficients ({bounds} bounds)")
    print(f"  time {t:.2f} s; restricted refits (Newton solves) per bound: "
          f"{refits / bounds:.1f} (target <= 20)")
    print(f"  Newton iterations per refit: median {statistics.median(iters):.0f}, "
          f"max {max(iters)}")
    print(f"  largest |profile - Wald| end: {np.max(np.abs(np.asarray(ci) - wald)):.2e}")
    return {"refits_per_bound": refits / bounds, "max_newton_iterations": max(iters)}


# ---------------------------------------------------------------------- 3. cv
def case_cv(size: dict, repeats: int) -> dict:
    from sklearn.linear_model import LogisticRegressionCV
    from sklearn.model_selection import KFold

    import mlekit as mk

    n, p = size["cv_rows"], size["cv_cols"]
    X, y = _logistic(n, p, seed=2)
    folds = KFold(5)
    n_train = n - n // 5
    t_mk, cv_mk = _median(lambda: mk.RegressionCV("bernoulli", l1_ratio=0.0, n_alphas=10,
                                                  cv=folds).fit(X, y), repeats)
    alphas = cv_mk.alphas_
    Cs = 1.0 / (n_train * alphas)
    print(f"\n[cv] ridge logistic regression, {n} x {p}, 5 folds x 10 alphas")
    print(f"  mlekit RegressionCV                 : {t_mk:8.2f} s  (alpha_ = {cv_mk.alpha_:.4g})")
    out = {"alpha_mlekit": cv_mk.alpha_}
    for tol in (1e-4, 1e-8):
        def sk(tol=tol):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                return LogisticRegressionCV(Cs=Cs, cv=folds, tol=tol, max_iter=1000,
                                            scoring="neg_log_loss").fit(X, y)
        t_sk, m_sk = _median(sk, repeats)
        C = float(m_sk.C_[0])
        alpha_sk = 1.0 / (n_train * C)
        # sklearn refits all rows at the same C (mlekit at the same per-row alpha): the
        # coefficients are compared at sklearn's penalty, sum NLL + |beta|^2 / (2C)
        same = mk.Regression("bernoulli", alpha_l2=1.0 / C).fit(X, y)
        diff = np.max(np.abs(m_sk.coef_[0] - same.coef_))
        print(f"  sklearn LogisticRegressionCV tol={tol:g}: {t_sk:8.2f} s  (alpha = "
              f"{alpha_sk:.4g}); mlekit / sklearn = {t_mk / t_sk:.2f} (target <= 1.5); "
              f"max |coef diff| at its C: {diff:.1e}")
        out[f"alpha_sklearn_{tol:g}"], out[f"coef_diff_{tol:g}"] = alpha_sk, diff
        out[f"ratio_{tol:g}"] = t_mk / t_sk
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--cases", default=",".join(CASES))
    ap.add_argument("--size", choices=sorted(SIZES), default="full")
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    if any(k in os.environ for k in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")):
        env = {k: v for k, v in os.environ.items()
               if k not in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")}
        os.execve(sys.executable, [sys.executable, *sys.argv], env)
    cases = [c.strip() for c in args.cases.split(",") if c.strip()]
    unknown = set(cases) - set(CASES)
    if unknown:
        ap.error(f"unknown case(s) {sorted(unknown)}; choose from {CASES}")
    import numpy  # noqa: F401  (BLAS loaded before it is named)

    print(f"BLAS: {blas_kernel()}; size {args.size}; medians of {args.repeats} runs; "
          f"load average {os.getloadavg()[0]:.1f}")
    for c in cases:
        {"bootstrap": case_bootstrap, "profile": case_profile, "cv": case_cv}[c](
            SIZES[args.size], args.repeats)


if __name__ == "__main__":
    main()
