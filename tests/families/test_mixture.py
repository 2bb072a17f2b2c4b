"""``mk.Mixture``: finite mixtures fitted by EM from seeded starts, then Newton.

Held against independent computations: scipy's densities and quadrature (mass, moments),
finite differences (score, Hessian, observed information), mixtools ``normalmixEM`` from
20 seeded starts (R fixture, tests/families/data/r_mixture/make_fixtures.R), scikit-learn's
``GaussianMixture``, a direct scipy optimisation and a hand-written Poisson EM.
"""

from __future__ import annotations

import json
import math
import pickle
import warnings
from pathlib import Path

import numpy as np
import pytest
from scipy import integrate, optimize, stats

import mlekit as mk
from mlekit.errors import (
    ConvergenceWarning,
    DataError,
    NoMaximumError,
    NotImplementedForFamily,
    ParameterError,
)

DATA = Path(__file__).parent / "data" / "r_mixture" / "mixtools_normal2.json"

N2 = dict(weights=[0.3, 0.7], mu_1=-1.0, sigma_1=0.8, mu_2=2.0, sigma_2=1.3)
NG = dict(weights=[0.4, 0.6], mu_1=-0.5, sigma_1=1.0, shape_2=3.0, rate_2=1.5)
P3 = dict(weights=[0.2, 0.5, 0.3], rate_1=0.7, rate_2=4.0, rate_3=11.0)

CASES = {
    "normal-k2": (lambda: mk.Mixture(mk.Normal, k=2), N2),
    "normal-gamma": (lambda: mk.Mixture([mk.Normal, mk.Gamma]), NG),
    "poisson-k3": (lambda: mk.Mixture(mk.Poisson, k=3), P3),
}


def _draw(n, w, comps, rng):
    """n draws of a mixture, given component samplers."""
    z = rng.choice(len(w), size=n, p=w)
    out = np.empty(n)
    for j, c in enumerate(comps):
        m = z == j
        out[m] = c(m.sum())
    return out


# ---------------------------------------------------------------------- the density
def test_names_parameters_and_density_against_scipy():
    mix = mk.Mixture(mk.Normal, k=2)
    assert mix.param_names == ("weights", "mu_1", "sigma_1", "mu_2", "sigma_2")
    assert mix.name == "mixture(normal, k=2)" and mix is mk.Mixture(mk.Normal, k=2)
    d = mix(**N2)
    x = np.linspace(-6, 8, 41)
    ref = np.log(0.3 * stats.norm.pdf(x, -1, 0.8) + 0.7 * stats.norm.pdf(x, 2, 1.3))
    np.testing.assert_allclose(d.logpdf(x), ref, rtol=1e-13)
    np.testing.assert_allclose(d.cdf(x), 0.3 * stats.norm.cdf(x, -1, 0.8)
                               + 0.7 * stats.norm.cdf(x, 2, 1.3), rtol=1e-13, atol=1e-300)
    cdf = 0.3 * stats.norm.cdf(x, -1, 0.8) + 0.7 * stats.norm.cdf(x, 2, 1.3)
    sf = 0.3 * stats.norm.sf(x, -1, 0.8) + 0.7 * stats.norm.sf(x, 2, 1.3)
    np.testing.assert_allclose(d.logsf(x), np.where(cdf < 0.5, np.log1p(-cdf), np.log(sf)),
                               rtol=1e-12)
    q = np.array([1e-6, 0.01, 0.3, 0.5, 0.9, 0.999])
    np.testing.assert_allclose(d.cdf(d.ppf(q)), q, rtol=1e-10)
    # far in the tail the log-sum-exp stays finite where the densities underflow
    tail = np.logaddexp(np.log(0.3) + stats.norm.logpdf(-60, -1, 0.8),
                        np.log(0.7) + stats.norm.logpdf(-60, 2, 1.3))
    assert float(d.logpdf(-60.0)) == pytest.approx(tail, rel=1e-14)


@pytest.mark.parametrize("case", list(CASES))
def test_total_mass_mean_and_variance(case):
    make, params = CASES[case]
    fam = make()
    d = fam(**params)
    if fam.discrete:
        k = np.arange(0, 200)
        p = d.pmf(k)
        mass, m1, m2 = p.sum(), (k * p).sum(), (k * k * p).sum()
    else:
        def mom(j):
            return integrate.quad(lambda t: t ** j * float(d.pdf(t)), -np.inf, np.inf,
                                  epsabs=1e-13, epsrel=1e-12, limit=200)[0]
        mass, m1, m2 = mom(0), mom(1), mom(2)
    assert mass == pytest.approx(1.0, abs=1e-9)
    assert float(d.mean) == pytest.approx(m1, rel=1e-8, abs=1e-9)
    assert float(d.var) == pytest.approx(m2 - m1 ** 2, rel=1e-8)


def test_counts_quantile_is_the_smallest_with_cdf_at_least_q():
    d = mk.Mixture(mk.Poisson, k=3)(**P3)
    q = np.array([0.01, 0.2, 0.5, 0.77, 0.95, 0.999])
    m = d.ppf(q)
    assert np.all(d.cdf(m) >= q) and np.all(d.cdf(m - 1) < q)


@pytest.mark.parametrize("case", list(CASES))
def test_score_and_hessian_against_finite_differences(case):
    make, params = CASES[case]
    fam = make()
    x = np.array([0.0, 1.0, 3.0, 7.0]) if fam.discrete else np.array([-2.0, 0.3, 1.1, 4.0])
    p0 = {k: np.asarray(v, float) for k, v in params.items()}

    def bump(name, i, h):
        p = {k: v.copy() for k, v in p0.items()}
        if name == "weights":
            p[name][i] += h          # the weights as free coordinates (the ambient score)
        else:
            p[name] = p[name] + h
        return p

    coords = [("weights", i) for i in range(fam.k)] + \
        [(n, None) for n in fam.param_names if n != "weights"]
    s = fam.score(x, **p0)
    h = fam.hessian(x, **p0)
    eps = 1e-6

    def get(d, name, i):
        v = np.asarray(d[name])
        return v[..., i] if i is not None else v

    for a, ia in coords:
        fd = (fam.logpdf(x, **bump(a, ia, eps)) - fam.logpdf(x, **bump(a, ia, -eps))) / (2 * eps)
        np.testing.assert_allclose(get(s, a, ia), fd, rtol=1e-6, atol=1e-8)
        for b, ib in coords:
            if (a, b) not in h:
                continue
            sp, sm = fam.score(x, **bump(b, ib, eps)), fam.score(x, **bump(b, ib, -eps))
            fdh = (get(sp, a, ia) - get(sm, a, ia)) / (2 * eps)
            v = np.asarray(h[(a, b)])
            if b == "weights":
                v = v[..., ia, ib]
            elif a == "weights":
                v = v[..., ia]
            np.testing.assert_allclose(v, fdh, rtol=1e-5, atol=1e-7, err_msg=f"{a}{ia} {b}{ib}")
    n = len(fam.estimable_names)
    assert len(h) == n * (n + 1) // 2


def test_sampler_matches_the_density():
    d = mk.Mixture([mk.Normal, mk.Gamma])(**NG)
    draws = d.sample(10_000, rng=11)
    assert stats.kstest(draws, lambda t: d.cdf(t)).pvalue > 1e-3
    c = mk.Mixture(mk.Poisson, k=3)(**P3).sample(10_000, rng=12)
    k = np.arange(0, 30)
    expected = 10_000 * mk.Mixture(mk.Poisson, k=3)(**P3).pmf(k)
    observed = np.bincount(c.astype(int), minlength=30)[:30]
    keep = expected > 5
    chi2 = float(np.sum((observed[keep] - expected[keep]) ** 2 / expected[keep]))
    assert stats.chi2.sf(chi2, keep.sum() - 1) > 1e-3


# ---------------------------------------------------------------------- fitting
def _two_normals(n, seed):
    rng = np.random.default_rng(seed)
    return _draw(n, [0.4, 0.6], [lambda m: rng.normal(-2, 1, m), lambda m: rng.normal(2, 0.7, m)],
                 rng)


def test_recovers_a_known_truth_within_4_se_and_orders_by_mean():
    y = _two_normals(2000, 5)
    res = mk.Mixture(mk.Normal, k=2).fit(y, n_starts=10, rng=0)
    truth = {"mu_1": -2.0, "sigma_1": 1.0, "mu_2": 2.0, "sigma_2": 0.7}
    for k, v in truth.items():
        assert abs(res.params[k] - v) < 4 * res.bse[k], k
    w = np.asarray(res.params["weights"])
    assert w.sum() == pytest.approx(1.0, abs=1e-12)
    assert abs(w[0] - 0.4) < 4 * res.bse["weights"][0]
    assert res.params["mu_1"] < res.params["mu_2"]           # the ordering rule
    assert res.method.startswith("EM + Newton (start ") and res.converged
    assert "EM iterations" in res.method and res.nit > 0


def test_standard_errors_are_the_observed_information():
    """SEs against a finite-difference Hessian of the NLL in (w1, mu1, s1, mu2, s2)."""
    y = _two_normals(400, 8)
    res = mk.Mixture(mk.Normal, k=2).fit(y, n_starts=5, rng=1)
    p = res.params

    def nll(t):
        w1, m1, s1, m2, s2 = t
        return -np.sum(np.log(w1 * stats.norm.pdf(y, m1, s1)
                              + (1 - w1) * stats.norm.pdf(y, m2, s2)))

    t0 = np.array([p["weights"][0], p["mu_1"], p["sigma_1"], p["mu_2"], p["sigma_2"]])
    h = np.empty((5, 5))
    e = 1e-4 * np.maximum(1, np.abs(t0))
    for i in range(5):
        for j in range(5):
            ei, ej = np.eye(5)[i] * e[i], np.eye(5)[j] * e[j]
            h[i, j] = (nll(t0 + ei + ej) - nll(t0 + ei - ej) - nll(t0 - ei + ej)
                       + nll(t0 - ei - ej)) / (4 * e[i] * e[j])
    se = np.sqrt(np.diag(np.linalg.inv(h)))
    got = [res.bse["weights"][0], res.bse["mu_1"], res.bse["sigma_1"], res.bse["mu_2"],
           res.bse["sigma_2"]]
    np.testing.assert_allclose(got, se, rtol=2e-3)
    assert res.bse["weights"][1] == pytest.approx(res.bse["weights"][0], rel=1e-6)


def test_ordering_rule_only_within_a_family():
    rng = np.random.default_rng(2)
    # Normal + Gamma: the Normal sits to the right, and keeps its place (first) anyway
    y = _draw(1500, [0.5, 0.5], [lambda m: rng.normal(8, 1, m), lambda m: rng.gamma(2, 1, m)],
              rng)
    res = mk.Mixture([mk.Normal, mk.Gamma]).fit(y, n_starts=6, rng=0)
    assert res.params["mu_1"] == pytest.approx(8, abs=0.2)
    assert res.params["shape_2"] / res.params["rate_2"] == pytest.approx(2, abs=0.3)
    fam = mk.Mixture(mk.Normal, k=2)
    swapped = fam._ordered({"weights": np.array([0.7, 0.3]), "mu_1": 2.0, "sigma_1": 1.3,
                            "mu_2": -1.0, "sigma_2": 0.8})
    assert swapped["mu_1"] == -1.0 and swapped["sigma_1"] == 0.8
    np.testing.assert_array_equal(swapped["weights"], [0.3, 0.7])


def test_fixed_parameters_are_held_and_not_reordered():
    y = _two_normals(600, 9)
    res = mk.Mixture(mk.Normal, k=2).fit(y, fixed={"sigma_2": 1.0}, n_starts=4, rng=0)
    assert res.params["sigma_2"] == 1.0 and "sigma_2" in res.fixed
    free = mk.Mixture(mk.Normal, k=2).fit(y, n_starts=4, rng=0)
    assert res.llf <= free.llf + 1e-9


def test_seeds_and_start_counts():
    y = _two_normals(500, 10)
    fam = mk.Mixture(mk.Normal, k=2)
    a = fam.fit(y, n_starts=3, rng=0)
    b = fam.fit(y, n_starts=3, rng=np.random.default_rng(0))
    c = fam.fit(y, n_starts=1, rng=7)
    assert a.llf == b.llf and a.method == b.method
    assert c.llf == pytest.approx(a.llf, rel=1e-10)
    assert "of 1," in c.method
    with pytest.raises(ParameterError, match="n_starts"):
        fam.fit(y, n_starts=0)
    with pytest.raises(ParameterError, match="rng"):
        fam.fit(y, rng="seed")


def test_degenerate_repeated_point_has_no_maximum():
    """One value repeated far away: a component collapses onto it (sigma -> 0, the
    likelihood -> inf) from every start: a NoMaximumError, never a fit at sigma ~ 0."""
    rng = np.random.default_rng(3)
    y = np.concatenate([rng.normal(0, 1, 200), np.full(5, 8.0)])
    with pytest.raises(NoMaximumError, match="collapsed a component"):
        mk.Mixture(mk.Normal, k=2).fit(y, n_starts=10, rng=0)


def test_degenerate_starts_are_discarded_with_a_warning():
    rng = np.random.default_rng(3)
    y = np.concatenate([rng.normal(0, 1, 150), rng.normal(6, 1, 150), np.full(3, 20.0)])
    with pytest.warns(ConvergenceWarning, match="collapsed a component onto a point"):
        res = mk.Mixture(mk.Normal, k=2).fit(y, n_starts=10, rng=0)
    assert min(res.params["sigma_1"], res.params["sigma_2"]) > 0.5
    assert "discarded as degenerate" in res.message


def test_too_many_components_for_the_data():
    rng = np.random.default_rng(4)
    y = rng.poisson(3.0, 800).astype(float)                  # one Poisson, not two
    with pytest.raises(NoMaximumError, match="do not support 2 components"):
        mk.Mixture(mk.Poisson, k=2).fit(y, n_starts=4, rng=0)
    with pytest.raises(DataError, match="distinct values"):
        mk.Mixture(mk.Normal, k=2).fit([1.0, 2.0, 2.0, 3.0, 3.0, 1.0])


# ---------------------------------------------------------------------- references
@pytest.fixture(scope="module")
def mixtools():
    with DATA.open(encoding="utf-8") as fh:
        return json.load(fh)["datasets"]


@pytest.mark.parametrize("name", ["separated", "overlapping"])
def test_llf_at_least_the_best_of_20_mixtools_starts(mixtools, name):
    x = np.array(mixtools[name]["x"])
    best = max(s["loglik"] for s in mixtools[name]["starts"])
    res = mk.Mixture(mk.Normal, k=2).fit(x, n_starts=10, rng=0)
    assert res.llf >= best - 1e-10 * abs(best)
    top = max(mixtools[name]["starts"], key=lambda s: s["loglik"])
    o = np.argsort(top["mu"])
    np.testing.assert_allclose([res.params["mu_1"], res.params["mu_2"]],
                               np.asarray(top["mu"])[o], atol=2e-4)
    np.testing.assert_allclose(res.params["weights"], np.asarray(top["lambda"])[o], atol=2e-4)


@pytest.fixture(scope="module")
def separated_fit(mixtools):
    x = np.array(mixtools["separated"]["x"])
    return x, mk.Mixture(mk.Normal, k=2).fit(x, n_starts=10, rng=0)


def test_against_sklearn_gaussian_mixture(separated_fit):
    from sklearn.mixture import GaussianMixture

    x, res = separated_fit
    gm = GaussianMixture(n_components=2, covariance_type="full", n_init=20, tol=1e-10,
                         reg_covar=0, max_iter=5000, random_state=0,
                         init_params="k-means++").fit(x[:, None])   # (its k-means init: 3x slower)
    llf_sk = gm.score(x[:, None]) * x.size
    assert res.llf >= llf_sk - 1e-8 * abs(llf_sk)
    o = np.argsort(gm.means_.ravel())
    np.testing.assert_allclose(res.params["weights"], gm.weights_[o], atol=1e-4)
    np.testing.assert_allclose([res.params["mu_1"], res.params["mu_2"]],
                               gm.means_.ravel()[o], atol=1e-4)
    np.testing.assert_allclose([res.params["sigma_1"], res.params["sigma_2"]],
                               np.sqrt(gm.covariances_.ravel()[o]), atol=1e-4)


def test_against_a_direct_scipy_optimisation(separated_fit):
    x, res = separated_fit

    def nll(t):
        w1 = 1 / (1 + np.exp(-t[0]))
        return -np.sum(np.logaddexp(np.log(w1) + stats.norm.logpdf(x, t[1], np.exp(t[2])),
                                    np.log1p(-w1) + stats.norm.logpdf(x, t[3], np.exp(t[4]))))

    best = optimize.minimize(nll, [0, -1, 0, 1, 0], method="BFGS", options={"gtol": 1e-9})
    assert res.llf >= -best.fun - 1e-8 * abs(best.fun)
    lo = 1 if best.x[1] < best.x[3] else 3
    assert res.params["mu_1"] == pytest.approx(best.x[lo], abs=1e-4)
    assert res.params["sigma_1"] == pytest.approx(np.exp(best.x[lo + 1]), abs=1e-4)


def test_poisson_mixture_against_a_hand_written_em():
    rng = np.random.default_rng(6)
    y = _draw(1000, [0.35, 0.65], [lambda m: rng.poisson(1.0, m), lambda m: rng.poisson(6.0, m)],
              rng)
    res = mk.Mixture(mk.Poisson, k=2).fit(y, n_starts=5, rng=0)
    v, c = np.unique(y, return_counts=True)        # EM on the distinct values and counts
    lgam = np.array([math.lgamma(t + 1) for t in v])[:, None]
    w, lam = np.array([0.5, 0.5]), np.array([0.5, 8.0])
    for _ in range(3000):
        lp = np.log(w) + v[:, None] * np.log(lam) - lam - lgam
        r = c[:, None] * np.exp(lp - np.logaddexp.reduce(lp, axis=1)[:, None])
        w = r.sum(axis=0) / c.sum()
        lam = (r * v[:, None]).sum(axis=0) / r.sum(axis=0)
    lp = np.log(w) + v[:, None] * np.log(lam) - lam - lgam
    llf = float(c @ np.logaddexp.reduce(lp, axis=1))
    assert res.llf >= llf - 1e-9 * abs(llf)
    np.testing.assert_allclose([res.params["rate_1"], res.params["rate_2"]], lam, rtol=1e-5)
    np.testing.assert_allclose(res.params["weights"], w, atol=1e-6)


# ---------------------------------------------------------------------- refusals, plumbing
@pytest.mark.parametrize("make, match", [
    (lambda: mk.Mixture(mk.Normal, k=1), "k must be from 2"),
    (lambda: mk.Mixture(mk.Normal, k=True), "whole number"),
    (lambda: mk.Mixture(mk.Normal, k=2.0), "whole number"),
    (lambda: mk.Mixture(mk.Normal), "needs the number of components"),
    (lambda: mk.Mixture([mk.Normal]), "2 to 50 components"),
    (lambda: mk.Mixture([mk.Normal, mk.Normal], k=2), "not both"),
    (lambda: mk.Mixture([mk.Normal, mk.Poisson]), "continuous .* and count"),
    (lambda: mk.Mixture(mk.MultivariateNormal, k=2), "multivariate"),
    (lambda: mk.Mixture(mk.Bernoulli, k=2), "class labels"),
    (lambda: mk.Mixture(mk.Binomial, k=2), "known, not estimated"),
    (lambda: mk.Mixture(mk.Uniform, k=2), "support"),
    (lambda: mk.Mixture(mk.Tweedie, k=2), "point masses"),
    (lambda: mk.Mixture([mk.Mixture(mk.Normal, k=2), mk.Normal]), "multivariate"),
    (lambda: mk.Mixture(3, k=2), "takes a family"),
])
def test_refusals_are_named(make, match):
    with pytest.raises(ParameterError, match=match):
        make()


def test_weights_must_be_a_probability_vector():
    with pytest.raises(ParameterError, match="sum to 1"):
        mk.Mixture(mk.Normal, k=2)(weights=[0.5, 0.6], mu_1=0, sigma_1=1, mu_2=1, sigma_2=1)


def test_pickling_keeps_the_instance():
    for fam in (mk.Mixture(mk.Normal, k=2), mk.Mixture([mk.Normal, mk.Gamma]),
                mk.Mixture(mk.Truncated(mk.Normal, low=0.0), k=2)):
        assert pickle.loads(pickle.dumps(fam)) is fam
    d = mk.Mixture(mk.Normal, k=2)(**N2)
    d2 = pickle.loads(pickle.dumps(d))
    assert d2 == d


def test_specs_build_mixtures():
    assert mk.get_family("mixture(normal, k=2)") is mk.Mixture(mk.Normal, k=2)
    assert mk.get_family("Mixture(normal, gamma)") is mk.Mixture([mk.Normal, mk.Gamma])
    assert mk.get_family("mixture([poisson, poisson, poisson])") is mk.Mixture(mk.Poisson, k=3)
    fam = mk.Mixture(mk.Normal, k=3)
    assert mk.get_family(fam.name) is fam
    d = mk.parse_distribution("mixture(normal, k=2)(weights=[0.3, 0.7], mu_1=-1, sigma_1=0.8, "
                              "mu_2=2, sigma_2=1.3)")
    assert float(d.mean) == pytest.approx(0.3 * -1 + 0.7 * 2)


def test_derive_gives_the_mixture_nll():
    mix = mk.Mixture(mk.Normal, k=2)
    assert mk.derive(mix).loss_name == "two-component Normal mixture NLL"
    assert mix.has_symbolic_density


def test_regression_refuses_by_name():
    """Not this round: the weights are a vector parameter, which the engine refuses."""
    with pytest.raises(NotImplementedForFamily, match=r"mk\.fit"):
        mk.Regression(family=mk.Mixture(mk.Normal, k=2)).fit(np.arange(20.0)[:, None],
                                                             np.arange(20.0))


def test_kl_falls_back_to_the_exact_sum():
    d = mk.Mixture(mk.Poisson, k=3)(**P3)
    q = mk.Poisson(rate=float(d.mean))
    res = mk.kl(d, q)
    k = np.arange(0, 400)
    p = np.exp(d.logpmf(k))
    ref = float(np.sum(np.where(p > 0, p * (d.logpmf(k) - stats.poisson.logpmf(k, q.rate)), 0)))
    assert float(res.value) == pytest.approx(ref, rel=1e-10)
    assert res.method == "exact"


def test_mk_fit_with_default_starts_matches_family_fit():
    y = _two_normals(300, 12)
    fam = mk.Mixture(mk.Normal, k=2)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        a = mk.fit(y, fam)
    b = fam.fit(y, n_starts=10, rng=0)
    assert a.llf == b.llf


def test_mk_fit_passes_the_mixture_options_and_refuses_them_elsewhere():
    rng = np.random.default_rng(0)
    y = np.r_[rng.normal(0, 1, 150), rng.normal(5, 1, 150)]
    mix = mk.Mixture(mk.Normal, k=2)
    a = mk.fit(y, mix, n_starts=4, rng=3)
    b = mix.fit(y, n_starts=4, rng=3)
    assert a.llf == pytest.approx(b.llf, rel=1e-12)
    assert "of 4" in a.method
    with pytest.raises(mk.errors.ParameterError, match="takes no option"):
        mk.fit(y, "normal", n_starts=3)
    with pytest.raises(mk.errors.NotImplementedForFamily, match="local maxima"):
        mk.Regression(family=mix).fit(y[:, None], y)
