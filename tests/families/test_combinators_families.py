"""ZeroInflated, Hurdle and Truncated over several base families: the pmf/density is
normalised, the closed-form mean and variance equal numeric sums, the analytic score and
Hessian equal finite differences of the log-density, the sampler matches the density, the
fit recovers known parameters, and bad input or data without an MLE get named errors."""

from __future__ import annotations

import copy
import pickle

import numpy as np
import pytest
from scipy import integrate, stats

import mlekit as mk
from mlekit.errors import NoMaximumError, ParameterError, SupportError

CASES = [
    ("zi-poisson", lambda: mk.ZeroInflated(mk.Poisson), {"pi": 0.3, "rate": 2.5}),
    ("zi-negbin", lambda: mk.ZeroInflated(mk.NegativeBinomial),
     {"pi": 0.25, "mu": 3.0, "alpha": 0.7}),
    ("zi-geometric", lambda: mk.ZeroInflated(mk.Geometric), {"pi": 0.2, "p": 0.35}),
    ("hurdle-poisson", lambda: mk.Hurdle(mk.Poisson), {"pi": 0.4, "rate": 1.7}),
    ("hurdle-negbin", lambda: mk.Hurdle(mk.NegativeBinomial),
     {"pi": 0.35, "mu": 2.0, "alpha": 1.3}),
    ("ztp", lambda: mk.Truncated(mk.Poisson, low=1), {"rate": 1.3}),
    ("trunc-negbin", lambda: mk.Truncated(mk.NegativeBinomial, low=2, high=12),
     {"mu": 4.0, "alpha": 0.5}),
    ("trunc-normal", lambda: mk.Truncated(mk.Normal, low=0.0), {"mu": 0.5, "sigma": 1.5}),
    ("trunc-normal-2", lambda: mk.Truncated(mk.Normal, low=-1.0, high=2.5),
     {"mu": 3.0, "sigma": 0.8}),
    ("trunc-gamma", lambda: mk.Truncated(mk.Gamma, high=3.0), {"shape": 2.0, "rate": 0.7}),
]
IDS = [c[0] for c in CASES]


def _grid(fam):
    lo, hi = fam.support.edges
    return np.arange(lo, min(hi, 400.0) + 1.0)


@pytest.mark.parametrize(("label", "make", "params"), CASES, ids=IDS)
def test_mass_mean_and_variance(label, make, params):
    fam = make()
    d = fam(**params)
    if fam.discrete:
        k = _grid(fam)
        p = d.pmf(k)
        assert p.sum() == pytest.approx(1.0, abs=1e-12)
        m = np.sum(k * p)
        v = np.sum((k - m) ** 2 * p)
    else:
        lo, hi = fam.support.edges
        mass = integrate.quad(lambda t: float(d.pdf(t)), lo, hi, epsabs=1e-13)[0]
        assert mass == pytest.approx(1.0, abs=1e-10)
        m = integrate.quad(lambda t: t * float(d.pdf(t)), lo, hi, epsabs=1e-13)[0]
        v = integrate.quad(lambda t: (t - m) ** 2 * float(d.pdf(t)), lo, hi, epsabs=1e-13)[0]
    assert float(d.mean) == pytest.approx(m, rel=1e-9)
    assert float(d.var) == pytest.approx(v, rel=1e-8)


@pytest.mark.parametrize(("label", "make", "params"), CASES, ids=IDS)
def test_score_and_hessian_match_finite_differences(label, make, params):
    fam = make()
    if fam.discrete:
        xs = _grid(fam)[:12]
    else:
        lo, hi = fam.support.edges
        xs = np.linspace(lo + 0.05, min(hi, lo + 6.0) - 0.05, 9)
    names = fam.estimable_names
    score = fam.score(xs, **params)
    hess = fam.hessian(xs, **params)
    for a in names:
        eps = 1e-6 * max(1.0, abs(params[a]))
        up, dn = dict(params), dict(params)
        up[a] += eps
        dn[a] -= eps
        fd = (fam.logpdf(xs, **up) - fam.logpdf(xs, **dn)) / (2 * eps)
        np.testing.assert_allclose(score[a], fd, rtol=1e-6, atol=1e-7)
        su, sd = fam.score(xs, **up), fam.score(xs, **dn)
        for b in names:
            key = (a, b) if names.index(a) <= names.index(b) else (b, a)
            np.testing.assert_allclose(hess[key], (su[b] - sd[b]) / (2 * eps), rtol=1e-5,
                                       atol=1e-6)


@pytest.mark.parametrize(("label", "make", "params"), CASES, ids=IDS)
def test_sampler_matches_density(label, make, params):
    fam = make()
    d = fam(**params)
    draws = d.sample(10_000, rng=12345)
    assert np.all(fam.support.contains(draws))
    if fam.discrete:
        k = _grid(fam)
        p = d.pmf(k)
        keep = p * draws.size >= 5                # cells with enough expected counts
        obs = np.array([np.sum(draws == v) for v in k[keep]], float)
        exp = p[keep] * draws.size
        obs = np.append(obs, draws.size - obs.sum())
        exp = np.append(exp, draws.size - exp.sum())
        stat = np.sum((obs - exp) ** 2 / np.maximum(exp, 1e-12))
        assert stats.chi2.sf(stat, obs.size - 1) > 1e-3
    else:
        assert stats.kstest(draws, lambda t: d.cdf(t)).pvalue > 1e-3


@pytest.mark.parametrize(("label", "make", "params"), CASES, ids=IDS)
def test_fit_recovers_parameters(label, make, params):
    fam = make()
    x = fam(**params).sample(3000, rng=7)
    res = mk.fit(x, fam)
    assert res.converged
    for name, value in params.items():
        assert abs(res.params[name] - value) < 4.5 * res.bse[name], name
    # the MLE: no nearby point has a higher log-likelihood
    for name in params:
        for h in (-1e-3, 1e-3):
            moved = {**res.params, name: res.params[name] * (1 + h)}
            assert fam(**moved).logpdf(x).sum() <= res.llf + 1e-9


def test_cdf_ppf_logsf_agree():
    for _, make, params in CASES:
        fam = make()
        d = fam(**params)
        q = np.array([0.05, 0.3, 0.5, 0.8, 0.97])
        xq = d.ppf(q)
        assert np.all(d.cdf(xq) >= q - 1e-9)
        if fam.discrete:
            lo = fam.support.edges[0]
            below = np.maximum(xq - 1, lo - 1)
            assert np.all(d.cdf(below) < q + 1e-9)
            k = _grid(fam)[:20]
            np.testing.assert_allclose(d.cdf(k), np.cumsum(d.pmf(_grid(fam)))[:20], atol=1e-12)
            np.testing.assert_allclose(np.exp(d.logsf(k)), 1 - d.cdf(k), atol=1e-12)
        else:
            np.testing.assert_allclose(d.cdf(xq), q, atol=1e-9)
            np.testing.assert_allclose(np.exp(d.logsf(xq)), 1 - q, atol=1e-9)


def test_zero_inflated_poisson_fit_matches_statsmodels():
    from statsmodels.discrete.count_model import ZeroInflatedPoisson

    x = mk.ZeroInflated(mk.Poisson)(pi=0.3, rate=2.5).sample(800, rng=3)
    res = mk.fit(x, mk.ZeroInflated(mk.Poisson))
    one = np.ones((x.size, 1))
    sm = ZeroInflatedPoisson(x, one, exog_infl=one).fit(
        start_params=[0.0, 1.0], method="newton", disp=0, maxiter=100)
    assert res.llf == pytest.approx(sm.llf, rel=1e-10)
    assert res.params["pi"] == pytest.approx(1 / (1 + np.exp(-sm.params[0])), rel=1e-6)
    assert res.params["rate"] == pytest.approx(np.exp(sm.params[1]), rel=1e-6)


def test_log_space_is_stable_at_the_extremes():
    zip_ = mk.ZeroInflated(mk.Poisson)
    # f(0) = e^-800 underflows: P(0) = pi exactly, P(800) = (1 - pi) f(800)
    d = zip_(pi=1e-300, rate=800.0)
    assert float(d.logpmf(0)) == pytest.approx(np.logaddexp(np.log(1e-300), -800.0), rel=1e-14)
    assert np.isfinite(float(d.logpmf(800)))
    hurdle = mk.Hurdle(mk.Poisson)(pi=0.5, rate=1e-12)   # 1 - F(0) = 1e-12 (logsf, not log1p)
    assert float(hurdle.logpmf(1)) == pytest.approx(np.log(0.5), abs=1e-9)
    tn = mk.Truncated(mk.Normal, low=40.0)(mu=0.0, sigma=1.0)   # a range far in the tail
    ref = stats.truncnorm.logpdf(40.5, 40.0, np.inf)
    assert float(tn.logpdf(40.5)) == pytest.approx(ref, rel=1e-10)


def test_named_errors():
    with pytest.raises(ParameterError, match="Normal is continuous"):
        mk.ZeroInflated(mk.Normal)
    with pytest.raises(ParameterError, match="Gamma is continuous"):
        mk.Hurdle(mk.Gamma)
    with pytest.raises(ParameterError, match="multivariate"):
        mk.ZeroInflated(mk.MultivariateNormal)
    with pytest.raises(ParameterError, match="multivariate"):
        mk.Truncated(mk.Dirichlet, low=0.1)
    with pytest.raises(ParameterError, match=r"low .* must be below high"):
        mk.Truncated(mk.Normal, low=2.0, high=1.0)
    with pytest.raises(ParameterError, match="nothing is truncated"):
        mk.Truncated(mk.Poisson, low=0)
    with pytest.raises(SupportError, match="found 0 at index 2"):
        mk.fit([1.0, 2.0, 0.0, 3.0], mk.Truncated(mk.Poisson, low=1))
    with pytest.raises(SupportError, match=r"found 3\.5 at index 1"):
        mk.fit([0.5, 3.5, 1.0], mk.Truncated(mk.Normal, low=0.0, high=3.0))


def test_no_maximum_is_named():
    zip_, hp = mk.ZeroInflated(mk.Poisson), mk.Hurdle(mk.Poisson)
    with pytest.raises(NoMaximumError, match="no zeros"):
        mk.fit([1.0, 2.0, 3.0, 2.0], zip_)
    with pytest.raises(NoMaximumError, match="no zeros"):
        mk.fit([1.0, 2.0, 3.0, 2.0], hp)
    with pytest.raises(NoMaximumError):
        mk.fit([0.0, 0.0, 0.0, 0.0], zip_)
    with pytest.raises(NoMaximumError):
        mk.fit([0.0, 0.0, 0.0, 0.0], hp)
    with pytest.raises(NoMaximumError, match="every positive count is 1"):
        mk.fit([0.0, 1.0, 1.0, 0.0, 1.0], hp)
    # one zero where Poisson(4) predicts ~9 in 500: no zero inflation, pi -> 0
    x = np.r_[0.0, mk.Poisson(rate=4.0).sample(2000, rng=1)]
    x = np.r_[0.0, x[x > 0][:499]]
    with pytest.raises(NoMaximumError, match="pi = 0"):
        mk.fit(x, zip_)
    with pytest.raises(NoMaximumError, match="every observation equals 1"):
        mk.fit([1.0, 1.0, 1.0], mk.Truncated(mk.Poisson, low=1))


def test_regression_no_maximum_is_named():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(100, 2))
    y = rng.poisson(np.exp(1 + 0.3 * X[:, 0])) + 1.0
    with pytest.raises(NoMaximumError, match="pi"):
        mk.Regression(family=mk.ZeroInflated(mk.Poisson)).fit(X, y, designs={"pi": X[:, :1]})
    with pytest.raises(NoMaximumError):
        mk.Regression(family=mk.ZeroInflated(mk.Poisson)).fit(X, np.zeros(100))


def test_one_instance_per_construction_and_pickling():
    zip_ = mk.ZeroInflated(mk.Poisson)
    assert mk.ZeroInflated("poisson") is zip_
    assert pickle.loads(pickle.dumps(zip_)) is zip_
    assert copy.deepcopy(zip_) is zip_
    tn = mk.Truncated(mk.Normal, low=0)
    assert pickle.loads(pickle.dumps(tn)) is mk.Truncated(mk.Normal, low=0.0)
    assert (zip_.name, zip_.title) == ("zeroinflated(poisson)", "ZeroInflated(Poisson)")
    assert mk.Hurdle(mk.NegativeBinomial).param_names == ("pi", "mu", "alpha")


def test_truncated_normal_regression_against_scipy():
    from scipy import optimize

    rng = np.random.default_rng(5)
    x = rng.normal(size=300)
    mu = 0.5 + 0.8 * x
    y = stats.truncnorm.rvs(-mu / 1.2, np.inf, loc=mu, scale=1.2, random_state=rng)
    res = mk.Regression(family=mk.Truncated(mk.Normal, low=0.0)).fit(x[:, None], y).result_

    def nll(t):
        m = t[0] + t[1] * x
        s = np.exp(t[2])
        return -np.sum(stats.truncnorm.logpdf(y, -m / s, np.inf, loc=m, scale=s))

    opt = optimize.minimize(nll, [0.3, 0.5, 0.0], method="BFGS", options={"gtol": 1e-9})
    assert res.converged
    assert res.llf == pytest.approx(-opt.fun, rel=1e-9)
    np.testing.assert_allclose(res.theta, opt.x, atol=2e-5)


def test_fitted_regression_pickles_and_clones():
    from sklearn.base import clone

    rng = np.random.default_rng(3)
    X = rng.normal(size=(200, 1))
    zip_ = mk.ZeroInflated(mk.Poisson)
    y = zip_(pi=0.3, rate=np.exp(1 + 0.5 * X[:, 0])).sample(rng=4)
    m = mk.Regression(family=zip_).fit(X, y)
    back = pickle.loads(pickle.dumps(m))
    np.testing.assert_array_equal(back.predict(X[:3]), m.predict(X[:3]))
    # the prediction is the zero-inflated mean (1 - pi) rate
    d = m.predict_distribution(X[:3])
    np.testing.assert_allclose(m.predict(X[:3]), (1 - d.params["pi"]) * d.params["rate"])
    assert clone(m).family is zip_


def test_derive_and_kl_of_a_combinator():
    zip_ = mk.ZeroInflated(mk.Poisson)
    assert mk.derive(zip_).loss_name == "zero-inflated Poisson NLL"  # #21: derive works
    # kl works by the exact sum over the support
    p, q = zip_(pi=0.3, rate=2.0), zip_(pi=0.1, rate=2.5)
    k = np.arange(0.0, 200.0)
    exact = np.sum(p.pmf(k) * (p.logpmf(k) - q.logpmf(k)))
    assert float(mk.kl(p, q).value) == pytest.approx(exact, rel=1e-10)
