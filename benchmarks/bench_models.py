"""The models of issue #21 against their peers, in one run, on the same generated data.

Not a test. Run from the project root::

    .venv/bin/python benchmarks/bench_models.py --size full                 # the figures
    .venv/bin/python benchmarks/bench_models.py --size small --cases ordinal,tweedie
    .venv/bin/python benchmarks/bench_models.py --size full --cases zip --peer-repeats 1

Four cases (``--cases zip,ordinal,mixture,tweedie``), each against its peer:

* ``zip`` — zero-inflated Poisson regression, ``n x 10`` (the inflation probability on an
  intercept, statsmodels' default ``exog_infl``): ``mk.Regression(family=
  mk.ZeroInflated(mk.Poisson))`` vs statsmodels ``ZeroInflatedPoisson(...).fit(method=
  "newton")`` (its analytic Hessian). Target: mlekit at least 10x faster.
* ``ordinal`` — cumulative-logit regression, ``n x 10``, 5 ordered classes:
  ``mk.Regression(family="ordinal", link="logit")`` vs statsmodels ``OrderedModel(distr=
  "logit").fit(method="bfgs")`` (its analytic score; its default Nelder-Mead does not
  reach the optimum). Target: at least 10x faster.
* ``mixture`` — a two-normal mixture on n points: ``mk.fit(x, mk.Mixture(mk.Normal, k=2))``
  (its defaults: 10 seeded EM starts and a Newton polish) vs scikit-learn
  ``GaussianMixture(2)`` (its defaults: one k-means start, tol 1e-3). Target: at least as
  fast, at a log-likelihood at least GaussianMixture's.
* ``tweedie`` — Tweedie regression at fixed power 1.5 with a log link, ``n x 20``:
  ``mk.Regression("tweedie", fixed={"power": 1.5})`` (the mean's coefficients *and* the
  dispersion by maximum likelihood, with standard errors) vs scikit-learn
  ``TweedieRegressor(power=1.5, alpha=0, solver="newton-cholesky", link="log")`` (the mean's
  coefficients only, no dispersion). Target: mlekit's time at most 2x the peer's.

Every case: the same arrays for both; a warm-up fit of mlekit; then ``--repeats`` rounds,
each timing one mlekit fit and (for the first ``--peer-repeats`` rounds) one peer fit, both
of the whole ``fit`` call; the *medians* are printed with the ratio peer / mlekit (> 1:
mlekit is faster) and the agreement of the two fits: the log-likelihood difference
(mlekit − peer; > 0 means mlekit found the higher maximum) and the largest difference of
matching coefficients. Each case runs in its own subprocess with ``OPENBLAS_CORETYPE`` and
``OPENBLAS_L2_SIZE`` removed from its environment (so OpenBLAS picks its kernel for this
CPU); the BLAS that ran is printed. The machine may be shared: quote the load average.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import statistics
import sys
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))  # (_harness.py beside this script)
from _harness import blas_info, print_blas, run_cases

CASES = ["zip", "ordinal", "mixture", "tweedie"]
#: (rows, columns) per case and size; the mixture has no columns
SIZES: dict[str, dict[str, tuple[int, int]]] = {
    "tiny": {"zip": (1_000, 3), "ordinal": (1_000, 3), "mixture": (1_000, 0),
             "tweedie": (1_000, 3)},
    "small": {"zip": (100_000, 10), "ordinal": (20_000, 10), "mixture": (100_000, 0),
              "tweedie": (100_000, 20)},
    "full": {"zip": (1_000_000, 10), "ordinal": (100_000, 10), "mixture": (1_000_000, 0),
             "tweedie": (1_000_000, 20)},
}
#: the issue's target for each case: (text, test on the ratio peer time / mlekit time)
TARGETS: dict[str, tuple[str, Callable[[float], bool]]] = {
    "zip": ("mlekit >= 10x faster", lambda r: r >= 10.0),
    "ordinal": ("mlekit >= 10x faster", lambda r: r >= 10.0),
    "mixture": ("mlekit at least as fast, llf >= peer's", lambda r: r >= 1.0),
    "tweedie": ("mlekit time <= 2x peer's", lambda r: r >= 0.5),
}


# ---------------------------------------------------------------------------- helpers
def race(ours: Callable[[], Any], peer: Callable[[], Any], repeats: int,
         peer_repeats: int) -> dict[str, Any]:
    """Time ``ours`` ``repeats`` times and ``peer`` ``min(repeats, peer_repeats)`` times,
    alternating (after one untimed warm-up of ``ours`` when ``repeats > 1``): medians and
    the last result of each."""
    t_ours: list[float] = []
    t_peer: list[float] = []
    out_ours = out_peer = None
    if repeats > 1:
        out_ours = ours()
    for i in range(repeats):
        gc.collect()
        t0 = time.perf_counter()
        out_ours = ours()
        t_ours.append(time.perf_counter() - t0)
        if i < max(1, peer_repeats):
            gc.collect()
            t0 = time.perf_counter()
            out_peer = peer()
            t_peer.append(time.perf_counter() - t0)
    return {"mlekit": statistics.median(t_ours), "peer": statistics.median(t_peer),
            "mlekit_times": t_ours, "peer_times": t_peer, "ours": out_ours,
            "theirs": out_peer}


def report(case: str, title: str, peer_name: str, r: dict[str, Any], llf_mk: float,
           llf_peer: float, dcoef: float, note: str = "") -> dict[str, Any]:
    """Print one case's lines; return its JSON-able summary."""
    ratio = r["peer"] / r["mlekit"]
    text, ok = TARGETS[case]
    met = ok(ratio) and (case != "mixture" or llf_mk >= llf_peer - 1e-9 * abs(llf_peer))
    n_mk, n_peer = len(r["mlekit_times"]), len(r["peer_times"])
    print(f"\n== {title}")
    print(f"  {'mlekit':<42s} {r['mlekit']:9.3f} s  (median of {n_mk})")
    print(f"  {peer_name:<42s} {r['peer']:9.3f} s  (median of {n_peer}"
          + (", --peer-repeats" if n_peer < n_mk else "") + ")")
    print(f"  ratio peer / mlekit = {ratio:.2f}   target: {text}   "
          f"{'MET' if met else 'NOT MET'}")
    print(f"  agreement: llf mlekit {llf_mk:.10g}, peer {llf_peer:.10g}, difference "
          f"{llf_mk - llf_peer:+.3g}; max |coefficient difference| {dcoef:.3g}")
    if note:
        print(f"  {note}")
    return {"case": case, "title": title, "peer": peer_name, "mlekit_time": r["mlekit"],
            "peer_time": r["peer"], "mlekit_times": r["mlekit_times"],
            "peer_times": r["peer_times"], "ratio": ratio, "target": text, "met": bool(met),
            "llf_mlekit": llf_mk, "llf_peer": llf_peer, "llf_diff": llf_mk - llf_peer,
            "max_coef_diff": dcoef}


def _design(rng: np.random.Generator, n: int, p: int) -> tuple[np.ndarray, np.ndarray]:
    X = rng.standard_normal((n, p)) / np.sqrt(p)
    return X, rng.normal(scale=0.5, size=p)


# ---------------------------------------------------------------------------- cases
def case_zip(n: int, p: int, repeats: int, peer_repeats: int) -> dict[str, Any]:
    """ZIP: P(0) = pi + (1 - pi) e^{-lambda}, log lambda = 0.5 + x'b, logit pi = -0.85."""
    import statsmodels.api as sm
    from statsmodels.discrete.count_model import ZeroInflatedPoisson

    import mlekit as mk

    rng = np.random.default_rng(21)
    X, b = _design(rng, n, p)
    lam = np.exp(0.5 + X @ b)
    y = np.where(rng.random(n) < 0.3, 0.0, rng.poisson(lam).astype(float))
    Xc = sm.add_constant(X, prepend=True)  # built once, outside the timing
    family = mk.ZeroInflated(mk.Poisson)

    def ours():
        return mk.Regression(family=family).fit(X, y).result_

    def peer():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return ZeroInflatedPoisson(y, Xc).fit(method="newton", maxiter=100, disp=0)

    r = race(ours, peer, repeats, peer_repeats)
    res, sm_res = r["ours"], r["theirs"]
    c = res.coefs
    mine = np.r_[c["pi"]["coef"], c["rate"]["coef"]]  # statsmodels: inflate_const, const, x
    dcoef = float(np.max(np.abs(mine - np.asarray(sm_res.params, float))))
    return report("zip", f"zero-inflated Poisson regression, n = {n:,}, p = {p} (pi on an "
                  "intercept)", "statsmodels ZeroInflatedPoisson newton", r, res.llf,
                  float(sm_res.llf), dcoef)


def case_ordinal(n: int, p: int, repeats: int, peer_repeats: int) -> dict[str, Any]:
    """Cumulative logit, 5 classes: P(Y <= j) = expit(theta_j - x'b)."""
    from statsmodels.miscmodels.ordinal_model import OrderedModel

    import mlekit as mk

    rng = np.random.default_rng(22)
    X, b = _design(rng, n, p)
    cuts = np.array([-1.0, 0.0, 0.7, 1.5])
    y = np.searchsorted(cuts, X @ b + rng.logistic(size=n)).astype(float)

    def ours():
        return mk.Regression(family="ordinal", link="logit").fit(X, y).result_

    def peer():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return OrderedModel(y, X, distr="logit").fit(method="bfgs", disp=False,
                                                          gtol=1e-8, maxiter=2000)

    r = race(ours, peer, repeats, peer_repeats)
    res, sm_res = r["ours"], r["theirs"]
    c = res.coefs
    mine = np.r_[c["eta"]["coef"], [float(c[f"theta_{j}"]["coef"].iloc[0])
                                    for j in range(1, 5)]]
    params = np.asarray(sm_res.params, float)
    theirs = np.r_[params[:p], sm_res.model.transform_threshold_params(params)[1:-1]]
    dcoef = float(np.max(np.abs(mine - theirs)))
    return report("ordinal", f"ordinal (cumulative logit) regression, n = {n:,}, p = {p}, "
                  "5 classes", "statsmodels OrderedModel bfgs", r, res.llf,
                  float(sm_res.llf), dcoef)


def case_mixture(n: int, _p: int, repeats: int, peer_repeats: int) -> dict[str, Any]:
    """0.35 N(0, 1) + 0.65 N(3, 0.7^2)."""
    from sklearn.mixture import GaussianMixture

    import mlekit as mk

    rng = np.random.default_rng(23)
    m1 = int(0.35 * n)
    x = rng.permutation(np.r_[rng.normal(0.0, 1.0, m1), rng.normal(3.0, 0.7, n - m1)])
    x2 = x[:, None]  # scikit-learn's (n, 1) layout, built outside the timing
    family = mk.Mixture(mk.Normal, k=2)

    def ours():
        return mk.fit(x, family)

    def peer():
        return GaussianMixture(2, random_state=0).fit(x2)

    r = race(ours, peer, repeats, peer_repeats)
    res, gm = r["ours"], r["theirs"]
    llf_peer = float(gm.score(x2)) * n
    order = np.argsort(gm.means_.ravel())
    theirs = np.r_[gm.weights_[order], gm.means_.ravel()[order],
                   np.sqrt(gm.covariances_.ravel()[order])]
    pr = res.params
    mine = np.r_[np.asarray(pr["weights"], float), pr["mu_1"], pr["mu_2"], pr["sigma_1"],
                 pr["sigma_2"]]
    dcoef = float(np.max(np.abs(mine - theirs)))
    return report("mixture", f"two-normal mixture, n = {n:,}", "sklearn GaussianMixture", r,
                  float(res.llf), llf_peer, dcoef,
                  note=f"mlekit: {res.method}; GaussianMixture: {gm.n_iter_} EM iterations "
                       "(tol 1e-3, one k-means start)")


def tweedie_sample(rng: np.random.Generator, mu: np.ndarray, phi: float,
                   power: float) -> np.ndarray:
    """Compound Poisson-Gamma draws: N ~ Poisson(mu^(2-p) / (phi (2-p))), Y | N ~
    Gamma(N (2-p)/(p-1), scale phi (p-1) mu^(p-1)), so E Y = mu, Var Y = phi mu^p."""
    lam = mu ** (2 - power) / (phi * (2 - power))
    shape = (2 - power) / (power - 1)
    scale = phi * (power - 1) * mu ** (power - 1)
    counts = rng.poisson(lam)
    y = np.zeros(mu.shape)
    pos = counts > 0
    y[pos] = rng.gamma(shape * counts[pos], scale[pos])
    return y


def case_tweedie(n: int, p: int, repeats: int, peer_repeats: int) -> dict[str, Any]:
    """Tweedie(mu, phi = 1.3, power = 1.5), log mu = 0.3 + x'b."""
    from sklearn.linear_model import TweedieRegressor

    import mlekit as mk

    rng = np.random.default_rng(24)
    X, b = _design(rng, n, p)
    y = tweedie_sample(rng, np.exp(0.3 + X @ b), 1.3, 1.5)

    def ours():
        return mk.Regression("tweedie", fixed={"power": 1.5}).fit(X, y).result_

    def peer():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return TweedieRegressor(power=1.5, alpha=0.0, solver="newton-cholesky",
                                    link="log", tol=1e-8, max_iter=1000).fit(X, y)

    r = race(ours, peer, repeats, peer_repeats)
    res, sk = r["ours"], r["theirs"]
    c = res.coefs
    mine = np.asarray(c["mu"]["coef"], float)
    theirs = np.r_[sk.intercept_, sk.coef_]
    dcoef = float(np.max(np.abs(mine - theirs)))
    # scikit-learn has no dispersion: its llf is the Tweedie llf at its mean with mlekit's phi
    phi = float(np.exp(c["phi"]["coef"].iloc[0]))
    llf_peer = float(np.sum(mk.Tweedie.logpdf(y, mu=np.exp(X @ sk.coef_ + sk.intercept_),
                                              phi=phi, power=1.5)))
    return report("tweedie", f"Tweedie regression, power 1.5 fixed, log link, n = {n:,}, "
                  f"p = {p}", "sklearn TweedieRegressor newton-cholesky", r, res.llf,
                  llf_peer, dcoef,
                  note=f"mlekit also estimates phi = {phi:.6g} (true 1.3) and standard errors; "
                       "the peer's llf is taken at its mean with mlekit's phi")


RUNNERS: dict[str, Callable[[int, int, int, int], dict[str, Any]]] = {
    "zip": case_zip, "ordinal": case_ordinal, "mixture": case_mixture, "tweedie": case_tweedie}


def run_case(case: str, size: str, repeats: int, peer_repeats: int) -> dict[str, Any]:
    """One case in this process (the smoke test calls this)."""
    n, p = SIZES[size][case]
    return RUNNERS[case](n, p, repeats, peer_repeats)


# ---------------------------------------------------------------------------- driver
def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--cases", default=",".join(CASES),
                    help=f"comma-separated subset of {','.join(CASES)}")
    ap.add_argument("--size", choices=list(SIZES), default="full")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--peer-repeats", type=int, default=None,
                    help="time the peer only this many times (statsmodels' ZIP at 1e6 rows "
                         "takes minutes); default: --repeats")
    ap.add_argument("--child", help=argparse.SUPPRESS)  # internal: one case, JSON out
    args = ap.parse_args(argv)
    if args.repeats < 1:
        ap.error("--repeats must be at least 1")
    peer_repeats = args.repeats if args.peer_repeats is None else args.peer_repeats
    if peer_repeats < 1:
        ap.error("--peer-repeats must be at least 1")
    if args.child:
        out = run_case(args.child, args.size, args.repeats, peer_repeats)
        out["blas"] = blas_info()
        print("@@JSON@@" + json.dumps(out))
        return 0
    cases = [c.strip() for c in args.cases.split(",") if c.strip()]
    unknown = sorted(set(cases) - set(CASES))
    if unknown:
        ap.error(f"unknown case(s) {unknown}; choose from {','.join(CASES)}")
    print(f"mlekit model benchmarks (#21), size = {args.size}, repeats = {args.repeats}, "
          f"peer repeats = {min(peer_repeats, args.repeats)}, python "
          f"{platform.python_version()}, {os.cpu_count()} CPUs, load average "
          f"{os.getloadavg()[0]:.1f} at start")
    if peer_repeats < args.repeats:
        print(f"(--peer-repeats {peer_repeats}: each peer is timed {peer_repeats} time(s), "
              "mlekit every round)")
    ran, failed = run_cases(__file__, cases, lambda case: [
        "--size", args.size, "--repeats", str(args.repeats), "--peer-repeats",
        str(peer_repeats), "--child", case])
    results = [ran[c] for c in cases if c in ran]
    if results:
        print_blas(results[0]["blas"])
        print("\nsummary: " + "; ".join(
            f"{r['case']} {r['ratio']:.2f} ({'met' if r['met'] else 'NOT met'})"
            for r in results))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
