"""Group A continuous families against scipy.stats (the reference) and their own contracts.

LogNormal, HalfNormal, Exponential, Gamma, Weibull, Beta, Laplace, StudentT,
Cauchy, Logistic, Gumbel: densities, CDFs, quantiles, moments and entropies
equal scipy's under the documented parameter mapping; the specialised MLEs
are never worse than ``scipy.stats.<dist>.fit`` (NLL <= scipy's + 1e-9 |NLL|);
fixed parameters, weights, degenerate data and closed-form KLs.
"""

from __future__ import annotations

import itertools
import warnings

import numpy as np
import pytest
from scipy import integrate, optimize, stats

import mlekit.families as F
from mlekit.errors import DataError, NotImplementedForFamily, ParameterError

# family -> (frozen scipy member from mlekit params, scipy dist, fit kwargs, fit tuple -> params)
SCIPY = {
    "lognormal": (lambda p: stats.lognorm(p["sigma"], 0, np.exp(p["mu"])), stats.lognorm,
                  {"floc": 0}, lambda t: {"mu": np.log(t[2]), "sigma": t[0]}),
    "halfnormal": (lambda p: stats.halfnorm(0, p["sigma"]), stats.halfnorm, {"floc": 0},
                   lambda t: {"sigma": t[1]}),
    "exponential": (lambda p: stats.expon(0, 1 / p["rate"]), stats.expon, {"floc": 0},
                    lambda t: {"rate": 1 / t[1]}),
    "gamma": (lambda p: stats.gamma(p["shape"], 0, 1 / p["rate"]), stats.gamma, {"floc": 0},
              lambda t: {"shape": t[0], "rate": 1 / t[2]}),
    "weibull": (lambda p: stats.weibull_min(p["shape"], 0, p["scale"]), stats.weibull_min,
                {"floc": 0}, lambda t: {"shape": t[0], "scale": t[2]}),
    "beta": (lambda p: stats.beta(p["alpha"], p["beta"]), stats.beta, {"floc": 0, "fscale": 1},
             lambda t: {"alpha": t[0], "beta": t[1]}),
    "laplace": (lambda p: stats.laplace(p["mu"], p["b"]), stats.laplace, {},
                lambda t: {"mu": t[0], "b": t[1]}),
    "studentt": (lambda p: stats.t(p["nu"], p["mu"], p["sigma"]), stats.t, {},
                 lambda t: {"nu": t[0], "mu": t[1], "sigma": t[2]}),
    "cauchy": (lambda p: stats.cauchy(p["mu"], p["sigma"]), stats.cauchy, {},
               lambda t: {"mu": t[0], "sigma": t[1]}),
    "logistic": (lambda p: stats.logistic(p["mu"], p["s"]), stats.logistic, {},
                 lambda t: {"mu": t[0], "s": t[1]}),
    "gumbel": (lambda p: stats.gumbel_r(p["mu"], p["beta"]), stats.gumbel_r, {},
               lambda t: {"mu": t[0], "beta": t[1]}),
}
GROUP_A = sorted(SCIPY)

# other members than example_params, to exercise shapes < 1, heavy tails etc.
OTHER = {
    "lognormal": {"mu": -1.2, "sigma": 1.8},
    "halfnormal": {"sigma": 0.2},
    "exponential": {"rate": 0.05},
    "gamma": {"shape": 0.4, "rate": 3.0},
    "weibull": {"shape": 0.6, "scale": 0.3},
    "beta": {"alpha": 0.5, "beta": 0.8},
    "laplace": {"mu": 3.0, "b": 0.1},
    "studentt": {"nu": 1.5, "mu": -2.0, "sigma": 0.3},
    "cauchy": {"mu": 10.0, "sigma": 4.0},
    "logistic": {"mu": -3.0, "s": 2.5},
    "gumbel": {"mu": -1.0, "beta": 0.3},
}


def member_params(name, which):
    fam = F.FAMILIES[name]
    raw = fam.example_params if which == "example" else OTHER[name]
    return fam, {k: np.asarray(v, float) for k, v in raw.items()}


def nll(fam, x, p):
    return float(-np.sum(fam.logpdf(x, **{k: np.asarray(v, float) for k, v in p.items()})))


@pytest.mark.parametrize("which", ["example", "other"])
@pytest.mark.parametrize("name", GROUP_A)
def test_numerics_equal_scipy(name, which):
    fam, p = member_params(name, which)
    ref = SCIPY[name][0](p)
    x = fam.sample((200,), np.random.default_rng(11), **p)
    np.testing.assert_allclose(fam.logpdf(x, **p), ref.logpdf(x), rtol=1e-11, atol=1e-12)
    np.testing.assert_allclose(fam.cdf(x, **p), ref.cdf(x), rtol=1e-10, atol=1e-14)
    np.testing.assert_allclose(fam.logsf(x, **p), ref.logsf(x), rtol=1e-9, atol=1e-12)
    q = np.array([1e-6, 0.01, 0.3, 0.5, 0.77, 0.99])
    np.testing.assert_allclose(fam.ppf(q, **p), ref.ppf(q), rtol=1e-9, atol=1e-12)
    assert float(fam.entropy(**p)) == pytest.approx(float(ref.entropy()), rel=1e-10, abs=1e-12)
    if name == "cauchy" or (name == "studentt" and p["nu"] <= 2):
        return
    assert float(fam.mean(**p)) == pytest.approx(ref.mean(), rel=1e-11, abs=1e-12)
    assert float(fam.var(**p)) == pytest.approx(ref.var(), rel=1e-10)


@pytest.mark.parametrize("name", GROUP_A)
def test_logpdf_outside_support_and_extremes(name):
    fam, p = member_params(name, "example")
    lo = {"beta": [-0.5, 1.5], "lognormal": [-1.0, 0.0]}.get(name, [-1.0])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        if fam.support.name != "Real":
            assert np.all(fam.logpdf(np.array(lo), **p) == -np.inf)
        ext = fam.logpdf(np.array([-1e150, -1e6, 1e6, 1e150]), **p)
    assert not np.any(np.isnan(ext))
    assert np.all(ext < 0)


def test_stable_extremes_match_scipy():
    z = np.array([-1000.0, -50.0, 50.0, 1000.0])
    np.testing.assert_allclose(F.Logistic.logpdf(z, mu=0.0, s=1.0),
                               stats.logistic.logpdf(z), rtol=1e-13)
    np.testing.assert_allclose(F.Cauchy.logsf(np.array([1e12]), mu=0.0, sigma=1.0),
                               stats.cauchy.logsf(1e12), rtol=1e-10)
    np.testing.assert_allclose(F.StudentT.logpdf(z, nu=1e9, mu=0.0, sigma=1.0),
                               stats.t.logpdf(z, 1e9), rtol=1e-12)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        g = F.Gumbel.logpdf(np.array([-1e4, 1e4]), mu=0.0, beta=1.0)
    assert g[0] == -np.inf and g[1] == pytest.approx(-1e4)


# ------------------------------------------------------------------ MLE vs scipy
@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("name", GROUP_A)
def test_mle_never_worse_than_scipy(name, seed):
    fam, p = member_params(name, "example" if seed != 2 else "other")
    n = 150 if name in ("studentt", "cauchy", "logistic", "gumbel") else 400
    x = fam.sample((n,), np.random.default_rng(100 + seed), **p)
    _, dist, kw, back = SCIPY[name]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = back(dist.fit(x, **kw))
    est = fam.mle(x)
    ours, theirs = nll(fam, x, est), nll(fam, x, ref)
    assert ours <= theirs + 1e-9 * abs(theirs), (est, ref, ours - theirs)


@pytest.mark.parametrize("name", ["gamma", "weibull", "beta", "studentt", "cauchy", "logistic",
                                  "gumbel", "lognormal", "laplace"])
def test_mle_at_a_stationary_point_of_the_likelihood(name):
    """Score equations hold at the estimate (|mean score| tiny), so it is not a stopped search."""
    fam, p = member_params(name, "other")
    x = fam.sample((500,), np.random.default_rng(5), **p)
    est = fam.mle(x)
    sc = fam.score(x, **{k: np.asarray(v) for k, v in est.items()})
    for k, v in sc.items():
        if name == "laplace" and k == "mu":
            continue  # the median: a kink, not a zero of the score
        assert abs(float(np.mean(v))) < 1e-7, k


@pytest.mark.parametrize("name,fixed", [
    ("gamma", {"rate": 2.0}), ("gamma", {"shape": 3.0}),
    ("weibull", {"scale": 1.5}), ("weibull", {"shape": 2.5}),
    ("beta", {"alpha": 1.5}), ("beta", {"beta": 4.0}),
    ("studentt", {"nu": 3.0}), ("studentt", {"mu": 0.0}), ("studentt", {"nu": 5.0, "sigma": 1.0}),
    ("cauchy", {"mu": -0.5}), ("cauchy", {"sigma": 2.0}),
    ("logistic", {"mu": 0.0}), ("logistic", {"s": 1.0}),
    ("gumbel", {"mu": 0.5}), ("gumbel", {"beta": 1.0}),
    ("lognormal", {"mu": 0.0}), ("lognormal", {"sigma": 1.0}),
    ("laplace", {"mu": 0.0}), ("laplace", {"b": 2.0}),
])
def test_fixed_parameters_match_direct_maximisation(name, fixed):
    fam, p = member_params(name, "example")
    x = fam.sample((300,), np.random.default_rng(21), **p)
    est = fam.mle(x, fixed=fixed)
    for k, v in fixed.items():
        assert est[k] == v
    free = [n for n in fam.param_names if n not in fixed]
    pos = [fam.parameter(n).domain.name != "Real" for n in free]

    def f(t):
        q = dict(fixed)
        for n, ti, lg in zip(free, t, pos, strict=True):
            q[n] = np.exp(ti) if lg else ti
        return nll(fam, x, q)

    t0 = [np.log(est[n]) if lg else est[n] for n, lg in zip(free, pos, strict=True)]
    best = optimize.minimize(f, np.array(t0) + 0.05, method="Nelder-Mead",
                             options={"xatol": 1e-10, "fatol": 1e-12, "maxiter": 4000})
    assert nll(fam, x, est) <= best.fun + 1e-9 * abs(best.fun)


@pytest.mark.parametrize("name", GROUP_A)
def test_weighted_mle_equals_repeated_data(name):
    fam, p = member_params(name, "example")
    x = fam.sample((80,), np.random.default_rng(31), **p)
    w = np.random.default_rng(32).integers(1, 4, size=x.size).astype(float)
    a = fam.mle(x, weights=w)
    b = fam.mle(np.repeat(x, w.astype(int)))
    for k in fam.param_names:
        assert a[k] == pytest.approx(b[k], rel=1e-8, abs=1e-12), k


@pytest.mark.parametrize("name", ["gamma", "weibull", "beta", "lognormal", "logistic", "gumbel",
                                  "laplace", "studentt", "cauchy", "halfnormal", "exponential"])
def test_degenerate_data_raise_data_error(name):
    value = {"beta": 0.3}.get(name, 0.0 if name in ("halfnormal", "exponential") else 2.0)
    x = np.full(10, value)
    with pytest.raises(DataError, match=r"(?i)equal|MLE|all observations"):
        F.FAMILIES[name].mle(x)


def test_cauchy_half_tied_data_has_no_mle():
    x = np.array([1.0, 1.0, 1.0, 1.0, 2.0, 5.0, -3.0])
    with pytest.raises(DataError, match="unbounded"):
        F.Cauchy.mle(x)


def test_data_on_boundaries_rejected():
    with pytest.raises(DataError, match="strictly between 0 and 1"):
        F.Beta.mle(np.array([0.0, 0.2, 0.5]))
    with pytest.raises(DataError, match="> 0"):
        F.Gamma.mle(np.array([0.0, 1.0, 2.0]))


def test_fixed_validation_names_parameter():
    with pytest.raises(ParameterError, match="shape"):
        F.Gamma.mle(np.array([1.0, 2.0]), fixed={"shape": -1.0})
    with pytest.raises(ParameterError, match="no parameter 'scale'"):
        F.Gamma.mle(np.array([1.0, 2.0]), fixed={"scale": 1.0})


def test_parameter_errors_name_parameter_and_index():
    with pytest.raises(ParameterError, match=r"rate.*index 2"):
        F.Gamma(shape=1.0, rate=[1.0, 2.0, -3.0])
    with pytest.raises(ParameterError, match=r"nu.*index 1"):
        F.StudentT(nu=[3.0, 0.0], mu=0.0, sigma=1.0)
    with pytest.raises(ParameterError, match=r"alpha"):
        F.Beta(alpha=np.nan, beta=1.0)


def test_undefined_moments_raise():
    with pytest.raises(NotImplementedForFamily, match="no mean"):
        F.Cauchy(0, 1).mean  # noqa: B018
    with pytest.raises(NotImplementedForFamily, match="nu <= 1"):
        F.StudentT(nu=0.8, mu=0.0, sigma=1.0).mean  # noqa: B018
    assert F.StudentT(nu=1.5, mu=0.0, sigma=1.0).var == np.inf


def test_large_samples_recover_parameters_fast_paths():
    """The subsample-start paths (n > 100 000) of Weibull, StudentT, Gumbel, Logistic."""
    rng = np.random.default_rng(41)
    cases = {"weibull": {"shape": 0.8, "scale": 3.0}, "studentt": {"nu": 3.0, "mu": 1.0,
             "sigma": 2.0}, "gumbel": {"mu": 2.0, "beta": 0.5}, "logistic": {"mu": 1.0, "s": 2.0}}
    for name, p in cases.items():
        fam = F.FAMILIES[name]
        pp = {k: np.asarray(v) for k, v in p.items()}
        x = fam.sample((150_000,), rng, **pp)
        est = fam.mle(x)
        se = np.sqrt(np.diag(np.linalg.inv(fam.fisher_information(**pp))) / x.size)
        for i, k in enumerate(fam.param_names):
            assert abs(est[k] - p[k]) < 5 * se[i], (name, k)
        sc = fam.score(x, **{k: np.asarray(v) for k, v in est.items()})
        assert all(abs(float(np.mean(v))) < 1e-8 for v in sc.values()), name


# ------------------------------------------------------------------ KL
def kl_quad(pf, pp, qf, qp, lo=-np.inf, hi=np.inf):
    def integrand(t):
        lp = float(pf.logpdf(np.asarray(t), **pp))
        if np.exp(lp) == 0.0:
            return 0.0
        return float(np.exp(lp) * (lp - float(qf.logpdf(np.asarray(t), **qp))))

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return integrate.quad(integrand, lo, hi, epsabs=1e-13, epsrel=1e-11, limit=500)[0]


KL_CASES = [
    ("lognormal", {"mu": 0.2, "sigma": 0.7}, "lognormal", {"mu": -0.3, "sigma": 1.1}, 0, np.inf),
    ("halfnormal", {"sigma": 0.7}, "halfnormal", {"sigma": 1.9}, 0, np.inf),
    ("exponential", {"rate": 0.7}, "exponential", {"rate": 2.0}, 0, np.inf),
    ("gamma", {"shape": 2.5, "rate": 1.5}, "gamma", {"shape": 0.8, "rate": 0.6}, 0, np.inf),
    ("exponential", {"rate": 0.7}, "gamma", {"shape": 2.0, "rate": 1.3}, 0, np.inf),
    ("gamma", {"shape": 2.5, "rate": 1.5}, "exponential", {"rate": 0.4}, 0, np.inf),
    ("beta", {"alpha": 2.0, "beta": 3.5}, "beta", {"alpha": 0.7, "beta": 1.2}, 0, 1),
    ("laplace", {"mu": -0.4, "b": 1.3}, "laplace", {"mu": 0.9, "b": 0.6}, -np.inf, np.inf),
    ("gumbel", {"mu": 1.0, "beta": 2.0}, "gumbel", {"mu": -0.5, "beta": 1.2}, -np.inf, np.inf),
    ("weibull", {"shape": 1.7, "scale": 2.0}, "weibull", {"shape": 0.9, "scale": 3.1}, 0, np.inf),
    ("cauchy", {"mu": -1.0, "sigma": 0.7}, "cauchy", {"mu": 1.5, "sigma": 2.2}, -np.inf, np.inf),
]


@pytest.mark.parametrize("pn,pp,qn,qp,lo,hi", KL_CASES,
                         ids=[f"{c[0]}-{c[2]}" for c in KL_CASES])
def test_closed_form_kl_matches_quadrature(pn, pp, qn, qp, lo, hi):
    pf, qf = F.FAMILIES[pn], F.FAMILIES[qn]
    fn = F.lookup_kl(pf, qf)
    assert fn is not None
    pp = {k: np.asarray(v, float) for k, v in pp.items()}
    qp = {k: np.asarray(v, float) for k, v in qp.items()}
    value = float(fn(pp, qp))
    if pn == "laplace":  # a kink at each location: split the integral there
        pieces = sorted([-np.inf, float(pp["mu"]), float(qp["mu"]), np.inf])
        ref = sum(kl_quad(pf, pp, qf, qp, a, b) for a, b in itertools.pairwise(pieces))
    else:
        ref = kl_quad(pf, pp, qf, qp, lo, hi)
    assert value == pytest.approx(ref, rel=1e-8, abs=1e-10)
    assert value > 0
    same = float(fn(pp, pp)) if pn == qn else 0.0
    assert same == pytest.approx(0.0, abs=1e-12)


def test_kl_batches_broadcast():
    fn = F.lookup_kl(F.Gamma, F.Gamma)
    p = {"shape": np.array([1.0, 2.0, 3.0]), "rate": np.array(1.0)}
    q = {"shape": np.array(2.0), "rate": np.array([0.5, 1.0, 2.0])}
    out = fn(p, q)
    assert out.shape == (3,)
    assert out[1] == pytest.approx(0.0, abs=1e-14)


def test_distribution_objects_and_registry_names():
    d = F.get_family("gamma")(shape=2.0, rate=4.0)
    assert d.mean == pytest.approx(0.5) and d.var == pytest.approx(0.125)
    assert repr(d) == "Gamma(shape=2, rate=4)"
    assert F.get_family("t") is F.StudentT and F.get_family("weibull_min") is F.Weibull
    assert F.parse_distribution("studentt(4, 0, 1)").params["nu"] == 4.0
    s = F.Weibull(shape=[1.0, 2.0], scale=1.0).sample((5,), rng=0)
    assert s.shape == (5, 2)
