"""mlekit against its peers, in one run, on the same generated data.

Not a test. Run from the project root::

    .venv/bin/python benchmarks/run.py --size full            # the measured tables
    .venv/bin/python benchmarks/run.py --size tiny            # seconds: proves every case runs
    .venv/bin/python benchmarks/run.py --size small --cases logistic,ols --repeats 5

Each case runs in its own subprocess (so one contender's memory does not count against
the next). Inside a case every contender sees the same arrays; the contenders are run
alternately, ``--repeats`` times each, and the *median* wall time of the fit alone is
reported, with the ratio to mlekit's time (``> 1``: mlekit is faster). Peak extra
memory is measured in a separate, untimed run of each contender under ``tracemalloc``
(NumPy registers its buffers with it; BLAS work space is not seen). Quality columns:

* ``rel grad`` — ``||∇f(θ̂)||₂ / ||∇f(0)||₂`` for the *same* NLL ``f`` of every
  contender (computed here, not by the contender),
* ``max |Δθ|`` — largest coefficient difference from mlekit's,
* ``NLL`` — the negative log-likelihood at the contender's estimate (minus mlekit's
  for the univariate fits, so ``> 0`` means mlekit found the better optimum).

Results are also written as JSON to ``bench-results/`` (gitignored). The runner
removes ``OPENBLAS_CORETYPE`` and ``OPENBLAS_L2_SIZE`` from the environment of its
case subprocesses (so OpenBLAS picks its kernel for this CPU) and prints which BLAS
kernel ran. The machine may be shared: medians and ratios are what to compare.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import statistics
import subprocess
import sys
import time
import tracemalloc
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))  # (_harness.py beside this script)
from _harness import blas_info, child_env, print_blas, run_cases

ROOT = Path(__file__).resolve().parent.parent
SIZES: dict[str, dict[str, Any]] = {
    # glm: (n, p); ols: (n, p); uni: n; kl: n pairs; growth_n / growth_p: sweeps
    "tiny": dict(glm=(2_000, 5), ols=(2_000, 5), uni=2_000, kl=10_000, repeats=1,
                 growth_n=[1_000, 4_000], growth_p=[(4_000, 5), (4_000, 10)]),
    "small": dict(glm=(100_000, 20), ols=(100_000, 20), uni=100_000, kl=1_000_000, repeats=3,
                  growth_n=[10_000, 100_000], growth_p=[(20_000, 10), (20_000, 50)]),
    "full": dict(glm=(1_000_000, 50), ols=(1_000_000, 50), uni=1_000_000, kl=10_000_000,
                 repeats=3, growth_n=[10_000, 100_000, 1_000_000, 3_000_000, 10_000_000],
                 growth_p=[(100_000, 10), (100_000, 50), (100_000, 200), (100_000, 500)]),
}
CASES = ["logistic", "poisson", "ols", "univariate", "kl", "derive", "growth"]


# ---------------------------------------------------------------------------- helpers
def peak_memory(fn: Callable[[], Any]) -> float:
    """Peak bytes allocated (traced by tracemalloc) while ``fn`` runs, above the start."""
    gc.collect()
    tracemalloc.start()
    tracemalloc.reset_peak()
    base = tracemalloc.get_traced_memory()[0]
    try:
        fn()
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    return float(peak - base)


SKIP: list[str] = []  # contender-name substrings to leave out (--skip)


def race(contenders: dict[str, Callable[[], Any]], repeats: int,
         memory: bool = True) -> dict[str, dict[str, Any]]:
    """Run the contenders alternately ``repeats`` times; medians, last results, peak memory."""
    contenders = {k: v for i, (k, v) in enumerate(contenders.items())
                  if i == 0 or not any(s.lower() in k.lower() for s in SKIP)}
    times: dict[str, list[float]] = {k: [] for k in contenders}
    out: dict[str, Any] = {}
    if repeats > 1:  # warm-up (imports, page faults, caches); skipped for the smoke test
        for name, fn in contenders.items():
            out[name] = fn()
    for _ in range(repeats):
        for name, fn in contenders.items():
            gc.collect()
            t0 = time.perf_counter()
            out[name] = fn()
            times[name].append(time.perf_counter() - t0)
    res = {}
    for name, fn in contenders.items():
        res[name] = {"time": statistics.median(times[name]), "times": times[name],
                     "value": out[name]}
        if memory:
            res[name]["mem"] = peak_memory(fn)
    return res


def fmt_t(t: float) -> str:
    return f"{t * 1e3:9.1f} ms" if t < 1 else f"{t:9.3f} s "


def fmt_mb(b: float | None) -> str:
    return "       -" if b is None else f"{b / 2**20:8.1f}"


def table(title: str, rows: list[dict[str, Any]], ref: str, extra: list[str]) -> str:
    t_ref = next(r["time"] for r in rows if r["name"] == ref)
    head = f"{'contender':<40s} {'median':>12s} {'x mlekit':>9s} {'peak MB':>8s}"
    head += "".join(f" {e:>12s}" for e in extra)
    lines = [f"\n== {title}", head, "-" * len(head)]
    for r in rows:
        line = (f"{r['name']:<40s} {fmt_t(r['time']):>12s} {r['time'] / t_ref:9.2f} "
                f"{fmt_mb(r.get('mem'))}")
        for e in extra:
            v = r.get(e)
            line += f" {v:12.3g}" if isinstance(v, float) else f" {v!s:>12s}"
        lines.append(line)
    return "\n".join(lines)


# ---------------------------------------------------------------------------- GLM data
def glm_data(kind: str, n: int, p: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Standard-normal X (n, p); y from a logistic / Poisson model with intercept 0.2."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, p))
    beta = rng.normal(scale=1.0 / np.sqrt(p), size=p)
    eta = X @ beta + 0.2
    if kind == "logistic":
        y = (rng.random(n) < 1.0 / (1.0 + np.exp(-eta))).astype(float)
    elif kind == "poisson":
        y = rng.poisson(np.exp(0.3 * eta)).astype(float)
    else:
        y = eta + rng.standard_normal(n)
    return X, y


def glm_quality(kind: str, X: np.ndarray, y: np.ndarray, theta: np.ndarray) -> dict[str, float]:
    """NLL, gradient and the relative gradient norm at theta = (intercept, coef...)."""
    from scipy.special import gammaln

    def fg(th):
        f, g0, g = 0.0, 0.0, np.zeros(X.shape[1])
        for s in range(0, X.shape[0], 65536):
            Xc, yc = X[s:s + 65536], y[s:s + 65536]
            eta = Xc @ th[1:] + th[0]
            if kind == "logistic":
                f += float(np.sum(np.logaddexp(0.0, eta) - yc * eta))
                r = 1.0 / (1.0 + np.exp(-eta)) - yc
            else:
                mu = np.exp(eta)
                f += float(np.sum(mu - yc * eta + gammaln(yc + 1.0)))
                r = mu - yc
            g0 += float(np.sum(r))
            g += Xc.T @ r
        return f, np.r_[g0, g]

    f, g = fg(theta)
    _, gz = fg(np.zeros_like(theta))
    return {"nll": f, "rel grad": float(np.linalg.norm(g) / np.linalg.norm(gz))}


def case_glm(kind: str, size: dict[str, Any], repeats: int) -> dict[str, Any]:
    from mlekit.regression import Regression

    n, p = size["glm"]
    X, y = glm_data(kind, n, p)
    tight = 1e-10
    c: dict[str, Callable[[], np.ndarray]] = {}
    fam = "bernoulli" if kind == "logistic" else "poisson"

    def mk():
        m = Regression(family=fam).fit(X, y)
        return np.r_[m.intercept_, m.coef_]

    c["mlekit Regression"] = mk
    from sklearn import linear_model as sk

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if kind == "logistic":
            for solver in ("newton-cholesky", "lbfgs"):
                def skfit(solver=solver):
                    with warnings.catch_warnings():
                        warnings.simplefilter("ignore")
                        m = sk.LogisticRegression(C=np.inf, solver=solver, tol=tight,
                                                  max_iter=1000).fit(X, y)
                    return np.r_[m.intercept_, m.coef_.ravel()]
                c[f"sklearn LogisticRegression {solver}"] = skfit
        else:
            for solver in ("newton-cholesky", "lbfgs"):
                def skpois(solver=solver):
                    with warnings.catch_warnings():
                        warnings.simplefilter("ignore")
                        m = sk.PoissonRegressor(alpha=0.0, solver=solver, tol=tight,
                                                max_iter=1000).fit(X, y)
                    return np.r_[m.intercept_, m.coef_]
                c[f"sklearn PoissonRegressor {solver}"] = skpois
    try:
        import statsmodels.api as sm

        Xc = sm.add_constant(X, prepend=True)  # built once, outside the timing

        def smfit():
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                mod = sm.Logit(y, Xc) if kind == "logistic" else sm.Poisson(y, Xc)
                return np.asarray(mod.fit(method="newton", disp=0, tol=1e-12,
                                          maxiter=100).params)
        c["statsmodels " + ("Logit" if kind == "logistic" else "Poisson") + " newton"] = smfit
    except ImportError:
        pass
    try:
        from glum import GeneralizedLinearRegressor

        def glumfit():
            m = GeneralizedLinearRegressor(
                family="binomial" if kind == "logistic" else "poisson", alpha=0.0,
                gradient_tol=1e-8, max_iter=1000).fit(X, y)
            return np.r_[m.intercept_, m.coef_]
        c["glum"] = glumfit
    except ImportError:
        print("glum not installed: skipped")
    res = race(c, repeats)
    ref = res["mlekit Regression"]["value"]
    rows = []
    for name, r in res.items():
        q = glm_quality(kind, X, y, r["value"])
        rows.append({"name": name, "time": r["time"], "times": r["times"], "mem": r["mem"],
                     **q, "max |dθ|": float(np.max(np.abs(r["value"] - ref)))})
    nll0 = rows[0]["nll"]
    for r in rows:
        r["NLL - mlekit"] = r["nll"] - nll0
    x_mb = X.nbytes / 2**20
    title = (f"{kind} regression, n = {n:,}, p = {p} (X = {x_mb:.0f} MB; target: mlekit "
             f"<= 0.4x fastest peer, rel grad <= 1e-8, extra memory <= {0.1 * x_mb:.0f} MB)")
    print(table(title, rows, "mlekit Regression", ["rel grad", "max |dθ|", "NLL - mlekit"]))
    peers = [r["time"] for r in rows[1:]]
    if peers:
        print(f"mlekit / fastest peer = {rows[0]['time'] / min(peers):.2f}")
    return {"title": title, "rows": rows, "X_bytes": X.nbytes}


# ---------------------------------------------------------------------------- OLS
def case_ols(size: dict[str, Any], repeats: int) -> dict[str, Any]:
    from mlekit.regression import LinearRegression

    n, p = size["ols"]
    X, y = glm_data("ols", n, p)
    Xc = np.column_stack([np.ones(n), X])
    c: dict[str, Callable[[], np.ndarray]] = {}

    def mk():
        m = LinearRegression().fit(X, y)
        return np.r_[m.intercept_, m.coef_]

    c["mlekit LinearRegression"] = mk
    c["numpy lstsq (design prebuilt)"] = lambda: np.linalg.lstsq(Xc, y, rcond=None)[0]
    from sklearn.linear_model import LinearRegression as SkLR

    def skfit():
        m = SkLR().fit(X, y)
        return np.r_[m.intercept_, m.coef_]
    c["sklearn LinearRegression"] = skfit
    try:
        import statsmodels.api as sm

        c["statsmodels OLS (pinv)"] = lambda: np.asarray(sm.OLS(y, Xc).fit().params)
    except ImportError:
        pass
    res = race(c, repeats)
    ref = res["mlekit LinearRegression"]["value"]
    rows = []
    for name, r in res.items():
        resid = y - Xc @ r["value"]
        g = Xc.T @ resid
        g0 = Xc.T @ y
        rows.append({"name": name, "time": r["time"], "times": r["times"], "mem": r["mem"],
                     "rel grad": float(np.linalg.norm(g) / np.linalg.norm(g0)),
                     "max |dθ|": float(np.max(np.abs(r["value"] - ref))),
                     "RSS": float(resid @ resid)})
    title = f"linear regression (Gaussian MLE), n = {n:,}, p = {p}"
    print(table(title, rows, "mlekit LinearRegression", ["rel grad", "max |dθ|", "RSS"]))
    digits = longley_digits()
    print("Longley (NIST StRD, condition number ~ 5e9): correct significant digits, "
          "worst coefficient: " + ", ".join(f"{k} {v:.1f}" for k, v in digits.items()))
    return {"title": title, "rows": rows, "longley_digits": digits}


LONGLEY_CERT = np.array([-3482258.63459582, 15.0618722713733, -0.358191792925910e-01,
                         -2.02022980381683, -1.03322686717359, -0.511041056535807e-01,
                         1829.15146461355])


def longley_digits() -> dict[str, float]:
    import statsmodels.api as sm
    from sklearn.linear_model import LinearRegression as SkLR

    from mlekit.regression import LinearRegression

    d = sm.datasets.longley.load_pandas()
    X, y = d.exog.to_numpy(float), d.endog.to_numpy(float)
    Xc = np.column_stack([np.ones(len(y)), X])
    m = LinearRegression().fit(X, y)
    s = SkLR().fit(X, y)
    est = {"mlekit": np.r_[m.intercept_, m.coef_],
           "numpy lstsq": np.linalg.lstsq(Xc, y, rcond=None)[0],
           "sklearn": np.r_[s.intercept_, s.coef_],
           "statsmodels": np.asarray(sm.OLS(y, Xc).fit().params),
           "plain Cholesky (normal eq.)": np.linalg.solve(Xc.T @ Xc, Xc.T @ y)}
    out = {}
    for k, b in est.items():
        rel = np.max(np.abs(b - LONGLEY_CERT) / np.abs(LONGLEY_CERT))
        out[k] = float(-np.log10(max(rel, 1e-16)))
    return out


# ---------------------------------------------------------------------------- univariate
def case_univariate(size: dict[str, Any], repeats: int) -> dict[str, Any]:
    from scipy import stats

    from mlekit.estimate import fit

    n = size["uni"]
    rng = np.random.default_rng(1)
    specs = [  # (mlekit family, scipy dist, data, scipy fit kwargs, mlekit->scipy params)
        ("gamma", stats.gamma, rng.gamma(2.5, 1 / 1.7, n), {"floc": 0},
         lambda p: dict(a=p["shape"], scale=1 / p["rate"])),
        ("weibull", stats.weibull_min, 2.0 * rng.weibull(1.7, n), {"floc": 0},
         lambda p: dict(c=p["shape"], scale=p["scale"])),
        ("beta", stats.beta, rng.beta(2.0, 5.0, n), {"floc": 0, "fscale": 1},
         lambda p: dict(a=p["alpha"], b=p["beta"])),
        ("studentt", stats.t, 1.0 + 2.0 * rng.standard_t(4.0, n), {},
         lambda p: dict(df=p["nu"], loc=p["mu"], scale=p["sigma"])),
        ("lognormal", stats.lognorm, np.exp(rng.normal(0.5, 0.8, n)), {"floc": 0},
         lambda p: dict(s=p["sigma"], scale=np.exp(p["mu"]))),
        ("normal", stats.norm, rng.normal(1.0, 2.0, n), {},
         lambda p: dict(loc=p["mu"], scale=p["sigma"])),
    ]
    out = []
    print(f"\n== univariate fits, n = {n:,} (scipy.stats.<dist>.fit, loc fixed at 0 where "
          "mlekit has none); NLL diff = NLL(scipy) - NLL(mlekit): > 0 means mlekit is better")
    head = (f"{'family':<12s} {'mlekit':>12s} {'scipy':>12s} {'scipy/mlekit':>12s} "
            f"{'NLL diff':>12s} {'mlekit method':<20s}")
    print(head + "\n" + "-" * len(head))
    for fam, dist, x, kw, conv in specs:
        holder: dict[str, Any] = {}

        def mk(x=x, fam=fam, holder=holder):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                r = fit(x, fam)
            holder["r"] = r
            return r

        def sp(x=x, dist=dist, kw=kw):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                return dist.fit(x, **kw)

        res = race({"mlekit": mk, "scipy": sp}, repeats, memory=False)
        r = holder["r"]
        params = {k: float(np.asarray(v)) for k, v in r.params.items()}
        sargs = conv(params)
        nll_mk = -float(np.sum(dist.logpdf(x, **sargs)))
        nll_sp = -float(np.sum(dist.logpdf(x, *res["scipy"]["value"])))
        row = {"name": fam, "mlekit": res["mlekit"]["time"], "scipy": res["scipy"]["time"],
               "ratio": res["scipy"]["time"] / res["mlekit"]["time"],
               "nll diff": nll_sp - nll_mk, "method": str(r.method)}
        out.append(row)
        print(f"{fam:<12s} {fmt_t(row['mlekit']):>12s} {fmt_t(row['scipy']):>12s} "
              f"{row['ratio']:12.2f} {row['nll diff']:12.3g} {row['method']:<20s}")
    return {"rows": out}


# ---------------------------------------------------------------------------- KL
def case_kl(size: dict[str, Any], repeats: int) -> dict[str, Any]:
    import mlekit as mkit
    from mlekit.divergence import kl

    n = size["kl"]
    rng = np.random.default_rng(0)
    mu1, mu2 = rng.normal(size=n), rng.normal(size=n)
    s1, s2 = rng.uniform(0.5, 2.0, n), rng.uniform(0.5, 2.0, n)
    p, q = mkit.Normal(mu1, s1), mkit.Normal(mu2, s2)
    c: dict[str, Callable[[], Any]] = {"mlekit kl(p, q)": lambda: np.asarray(kl(p, q).value)}
    try:
        import torch
        from torch.distributions import Normal, kl_divergence

        tp = Normal(*(torch.from_numpy(a) for a in (mu1, s1)))
        tq = Normal(*(torch.from_numpy(a) for a in (mu2, s2)))
        c[f"torch {torch.__version__} kl_divergence"] = lambda: kl_divergence(tp, tq).numpy()
    except ImportError:
        print("torch not installed: KL peer skipped")
    res = race(c, repeats)
    ref = res["mlekit kl(p, q)"]["value"]
    rows = [{"name": k, "time": r["time"], "times": r["times"], "mem": r["mem"],
             "max |diff|": float(np.max(np.abs(r["value"] - ref)))} for k, r in res.items()]
    title = (f"batched KL(Normal || Normal), {n:,} pairs, float64 "
             "(details: benchmarks/bench_kl_normal.py)")
    print(table(title, rows, "mlekit kl(p, q)", ["max |diff|"]))
    return {"title": title, "rows": rows}


# ---------------------------------------------------------------------------- derive
def case_derive(size: dict[str, Any], repeats: int) -> dict[str, Any]:
    from mlekit.derive import derive

    fams = ["normal", "bernoulli", "gamma"] if size is not SIZES["tiny"] else ["normal"]
    rows = []
    print(f"\n== derive: cold = fresh interpreter incl. import mlekit + sympy "
          f"(median of {repeats}), warm = same call again in-process")
    for fam in fams:
        code = ("import time; t0 = time.perf_counter(); import mlekit; "
                f"from mlekit.derive import derive; s = str(derive('{fam}')); "
                "print(time.perf_counter() - t0)")
        cold = []
        for _ in range(max(repeats, 1)):
            r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                               check=True, env=child_env())
            cold.append(float(r.stdout.strip().splitlines()[-1]))
        derive(fam)
        warm = []
        for _ in range(max(repeats, 3)):
            t0 = time.perf_counter()
            str(derive(fam))
            warm.append(time.perf_counter() - t0)
        row = {"name": fam, "cold": statistics.median(cold), "warm": statistics.median(warm)}
        rows.append(row)
        print(f"derive('{fam}'): cold {fmt_t(row['cold'])}, warm {fmt_t(row['warm'])}")
    return {"rows": rows}


# ---------------------------------------------------------------------------- growth
def case_growth(size: dict[str, Any], repeats: int) -> dict[str, Any]:
    """Time of a logistic fit against n (p fixed) and against p (n fixed)."""
    from mlekit.regression import Regression

    def one(n, p):
        X, y = glm_data("logistic", n, p)
        times = []
        for _ in range(max(repeats, 1)):
            t0 = time.perf_counter()
            Regression(family="bernoulli").fit(X, y)
            times.append(time.perf_counter() - t0)
        return statistics.median(times)

    p0 = size["glm"][1]
    rows_n = []
    print(f"\n== cost growth, logistic regression (mlekit), p = {p0}: time vs n")
    for n in size["growth_n"]:
        t = one(n, p0)
        rows_n.append({"n": n, "p": p0, "time": t})
        print(f"  n = {n:>10,}  {fmt_t(t)}  ({t / n * 1e9:7.1f} ns per row)")
    rows_p = []
    print("== cost growth: time vs p")
    for n, p in size["growth_p"]:
        t = one(n, p)
        rows_p.append({"n": n, "p": p, "time": t})
        print(f"  n = {n:>10,}, p = {p:>4d}  {fmt_t(t)}  "
              f"({t / (n * p * p) * 1e9:7.3f} ns per n·p²)")
    return {"vs_n": rows_n, "vs_p": rows_p}


# ---------------------------------------------------------------------------- driver
def run_case(name: str, size_name: str, repeats: int) -> dict[str, Any]:
    size = SIZES[size_name]
    if name in ("logistic", "poisson"):
        return case_glm(name, size, repeats)
    fn = {"ols": case_ols, "univariate": case_univariate, "kl": case_kl,
          "derive": case_derive, "growth": case_growth}[name]
    return fn(size, repeats)


def _jsonable(o: Any) -> Any:
    if isinstance(o, dict):
        return {str(k): _jsonable(v) for k, v in o.items()}
    if isinstance(o, (list, tuple)):
        return [_jsonable(v) for v in o]
    if isinstance(o, (np.floating, np.integer)):
        return o.item()
    if isinstance(o, np.ndarray):
        return o.tolist()
    return o


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size", choices=list(SIZES), default="full")
    ap.add_argument("--cases", default=",".join(CASES),
                    help=f"comma-separated subset of {','.join(CASES)}")
    ap.add_argument("--repeats", type=int, default=None)
    ap.add_argument("--out", default=str(ROOT / "bench-results"))
    ap.add_argument("--skip", default="",
                    help="comma-separated contender-name substrings to leave out "
                         "(e.g. statsmodels, whose Poisson GLM needs ~9 GB at full size)")
    ap.add_argument("--child", help=argparse.SUPPRESS)  # internal: run one case, print JSON
    args = ap.parse_args(argv)
    repeats = args.repeats if args.repeats is not None else SIZES[args.size]["repeats"]
    SKIP[:] = [k.strip() for k in args.skip.split(",") if k.strip()]
    if args.child:
        result = run_case(args.child, args.size, repeats)
        result["blas"] = blas_info()
        print("@@JSON@@" + json.dumps(_jsonable(result)))
        return 0
    cases = [c.strip() for c in args.cases.split(",") if c.strip()]
    unknown = set(cases) - set(CASES)
    if unknown:
        ap.error(f"unknown case(s) {sorted(unknown)}; choose from {CASES}")
    print(f"mlekit benchmarks, size = {args.size}, repeats = {repeats}, "
          f"python {platform.python_version()}, {os.cpu_count()} CPUs, "
          f"load average {os.getloadavg()[0]:.1f} at start")
    results: dict[str, Any] = {"size": args.size, "repeats": repeats,
                               "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
    ran, failed = run_cases(__file__, cases, lambda case: [
        "--size", args.size, "--repeats", str(repeats), "--skip", args.skip, "--child", case])
    results.update(ran)
    blas = next((results[c]["blas"] for c in cases if c in results), blas_info())
    print_blas(blas)
    results["blas"] = blas
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"bench-{args.size}-{time.strftime('%Y%m%d-%H%M%S')}.json"
    path.write_text(json.dumps(results, indent=1))
    print(f"results written to {path}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
