"""``benchmarks/bench_models.py`` (issue #21's model benchmarks) runs every case at a tiny
size, and the two fits of each case agree (nothing here is timed: the figures come from
``python benchmarks/bench_models.py --size full``). Also holds the mixture's EM speed-ups
(component-major E-step, starts screened on a stratified subsample above ``_SCREEN``
distinct values, Newton stopped at rounding level) to the fits of the code before them."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import numpy as np
import pytest
from scipy import stats

import mlekit as mk
from mlekit.families.combinators import _mixture

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def bench():
    path = ROOT / "benchmarks" / "bench_models.py"
    spec = importlib.util.spec_from_file_location("mlekit_bench_models", path)
    mod = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = mod
    spec.loader.exec_module(mod)
    return mod


@pytest.mark.parametrize("case", ["zip", "ordinal", "tweedie"])
def test_regression_cases_agree_with_their_peers(bench, case, capsys):
    out = bench.run_case(case, "tiny", repeats=1, peer_repeats=1)
    assert out["case"] == case and out["mlekit_time"] > 0 and out["peer_time"] > 0
    assert out["ratio"] == pytest.approx(out["peer_time"] / out["mlekit_time"])
    # the same maximum: statsmodels' Newton / BFGS and scikit-learn's Newton-Cholesky
    assert abs(out["llf_diff"]) <= 1e-8 * abs(out["llf_peer"])
    assert out["max_coef_diff"] < 1e-5
    text = capsys.readouterr().out
    assert "ratio peer / mlekit" in text and "target" in text


def test_mixture_case_reaches_at_least_the_peers_llf(bench):
    out = bench.run_case("mixture", "tiny", repeats=1, peer_repeats=1)
    assert out["llf_mlekit"] >= out["llf_peer"] - 1e-9 * abs(out["llf_peer"])
    assert out["max_coef_diff"] < 0.2  # (GaussianMixture stops at tol 1e-3: not exact)


def test_tweedie_sampler_has_the_tweedie_moments(bench):
    rng = np.random.default_rng(0)
    mu = np.full(200_000, 2.0)
    y = bench.tweedie_sample(rng, mu, 1.5, 1.5)
    assert np.mean(y == 0) == pytest.approx(np.exp(-(2.0 ** 0.5) / (1.5 * 0.5)), abs=3e-3)
    assert np.mean(y) == pytest.approx(2.0, rel=1e-2)
    assert np.var(y) == pytest.approx(1.5 * 2.0 ** 1.5, rel=3e-2)


def test_driver_refuses_an_unknown_case(bench):
    with pytest.raises(SystemExit):
        bench.main(["--cases", "zip,nonesuch", "--size", "tiny"])


# ------------------------------------------------------------ the mixture's EM speed-ups
def _two_normals(n: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    m1 = int(0.35 * n)
    return rng.permutation(np.r_[rng.normal(0.0, 1.0, m1), rng.normal(3.0, 0.7, n - m1)])


# llf of mk.fit(x, mk.Mixture(mk.Normal, k=2)) (defaults) by the code before the speed-ups
# (commit 224ca20), and the same for a Poisson mixture
BEFORE = {3000: -5231.658328462674}
BEFORE_POISSON = -10902.581330555093


@pytest.mark.parametrize("n,seed", [(3000, 5)])
@pytest.mark.parametrize("screen", [False, True])
def test_mixture_fit_unchanged_by_the_speed_ups(n, seed, screen, monkeypatch):
    if screen:  # force the subsample screening of the starts (used above 20,000 values)
        monkeypatch.setattr(_mixture, "_SCREEN", 1500)
    x = _two_normals(n, seed)
    res = mk.fit(x, mk.Mixture(mk.Normal, k=2))
    assert res.llf == pytest.approx(BEFORE[n], rel=1e-10, abs=0)
    # the maximum itself, independently: scipy's density sums to the llf, and the llf
    # does not rise along any coordinate (central differences of the scipy sum)
    p = res.params

    def llf(w1, m1, s1, m2, s2):
        return float(np.sum(np.log(w1 * stats.norm.pdf(x, m1, s1)
                                   + (1 - w1) * stats.norm.pdf(x, m2, s2))))

    th = np.array([p["weights"][0], p["mu_1"], p["sigma_1"], p["mu_2"], p["sigma_2"]])
    assert llf(*th) == pytest.approx(res.llf, rel=1e-12)
    for i in range(th.size):
        e = np.zeros(th.size)
        e[i] = 1e-5
        assert abs(llf(*(th + e)) - llf(*(th - e))) / 2e-5 < 1e-3


def test_poisson_mixture_fit_unchanged_by_the_speed_ups():
    rng = np.random.default_rng(7)
    y = np.r_[rng.poisson(2, 1500), rng.poisson(9, 2500)]
    res = mk.fit(y, mk.Mixture(mk.Poisson, k=2))
    assert res.llf == pytest.approx(BEFORE_POISSON, rel=1e-10, abs=0)


def test_em_terms_equal_the_family_parts():
    fit = _mixture._Fit(mk.Mixture(mk.Normal, k=2), np.linspace(-3.0, 6.0, 101),
                        np.ones(101), None, {})
    w = np.array([0.3, 0.7])
    th = [{"mu": 0.0, "sigma": 1.0}, {"mu": 3.0, "sigma": 0.5}]
    a, lp = fit.em_terms(w, th)
    a_ref, lp_ref = fit.loglik_terms(w, th)
    np.testing.assert_allclose(a, a_ref.T, rtol=1e-14)
    np.testing.assert_allclose(lp, lp_ref, rtol=1e-14)
    # a zero weight drops its component, as in the family's own sum
    a0, lp0 = fit.em_terms(np.array([0.0, 1.0]), th)
    assert np.all(a0[0] == -np.inf)
    np.testing.assert_allclose(lp0, stats.norm.logpdf(fit.vals, 3.0, 0.5), rtol=1e-13)


def test_screening_subsample_is_stratified():
    vals = np.arange(100_000, dtype=float)
    fit = _mixture._Fit(mk.Mixture(mk.Normal, k=2), vals, np.ones(vals.size), None, {})
    sub = fit.subsample(np.random.default_rng(0))
    assert sub.total == _mixture._SCREEN
    # one draw per stratum of 5 values: every quantile of the data is represented
    assert np.max(np.diff(sub.vals)) <= 2 * vals.size / _mixture._SCREEN


# ------------------------------------------------ the ordinal existence check's screen
def _ordinal_data(n: int = 10_000, seed: int = 22) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, 4)) / 2
    eta = X @ np.array([0.5, -0.3, 0.8, 0.1]) + rng.logistic(size=n)
    return X, np.searchsorted(np.array([-1.0, 0.0, 0.7, 1.5]), eta).astype(float)


def test_ordinal_fit_unchanged_by_the_existence_screen():
    from mlekit.families.ordinal import OrdinalModel

    X, y = _ordinal_data()
    called = []
    real = OrdinalModel._screen_clean

    def spy(self, Z, c):
        called.append(real(self, Z, c))
        return called[-1]

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(OrdinalModel, "_screen_clean", spy)
        res = mk.Regression(family="ordinal", link="logit").fit(X, y).result_
    assert called and all(called)  # the subsample proved the data clean: no full LP
    # llf of the same fit by the code before the screen (commit 224ca20)
    assert res.llf == pytest.approx(-15424.122196834976, rel=1e-10, abs=0)


def test_ordinal_screen_never_clears_separated_data():
    from mlekit.errors import NoMaximumError
    from mlekit.families.ordinal import OrdinalModel

    X, _ = _ordinal_data()
    y = np.searchsorted(np.array([-0.5, 0.0, 0.3, 0.6]), X[:, 0]).astype(float)  # by x0
    model = OrdinalModel.__new__(OrdinalModel)
    model.n_classes = 5
    Z = X / np.max(np.abs(X), axis=0)
    assert not model._screen_clean(Z, y.astype(np.intp))
    with pytest.raises(NoMaximumError, match="'x0'"):
        mk.Regression(family="ordinal").fit(X, y)


# ------------------------------------------- Tweedie: the fixed-power dispersion fit
def _tweedie_data() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(3)
    n = 3000
    mu = np.exp(0.2 + 0.5 * rng.standard_normal(n))
    counts = rng.poisson(mu ** 0.5 / (1.3 * 0.5))
    y = np.zeros(n)
    pos = counts > 0
    y[pos] = rng.gamma(counts[pos] * 1.0, 1.3 * 0.5 * mu[pos] ** 0.5)
    return y, rng.integers(0, 3, n).astype(float)


# (phi, llf) of Tweedie.mle by the code before the one-pass phi Newton (commit 224ca20)
TWEEDIE_BEFORE = {1.5: (1.4601923703787327, -5199.320145211653),
                  1.3: (1.1070975226711384, -5763.419989009589)}


@pytest.mark.parametrize("power,weighted", [(1.5, False), (1.3, True)])
def test_tweedie_fixed_power_fit_unchanged(power, weighted):
    y, w = _tweedie_data()
    w = w if weighted else None
    est = mk.Tweedie.mle(y, weights=w, fixed={"power": power})
    phi, llf = TWEEDIE_BEFORE[power]
    assert est["phi"] == pytest.approx(phi, rel=1e-10)
    assert est.details["llf"] == pytest.approx(llf, rel=1e-10)
    # independently: the llf is the sum of logpdf (Loader's form), and the phi-score of
    # the general derivative code vanishes there
    ww = np.ones_like(y) if w is None else w
    lp = mk.Tweedie.logpdf(y, mu=est["mu"], phi=est["phi"], power=power)
    assert float(np.sum(ww * lp)) == pytest.approx(est.details["llf"], rel=1e-12)
    g = mk.Tweedie.score(y, mu=est["mu"], phi=est["phi"], power=power)["phi"]
    assert abs(float(np.sum(ww * g))) * est["phi"] < 1e-8 * y.size
