"""k-NN estimators from samples, countable sums with tail bounds, cross-family closed forms."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

import mlekit as mk
from mlekit.divergence import entropy, kl, knn_entropy, knn_kl
from mlekit.errors import DataError

KL_01_12 = math.log(2.0) + 2.0 / 8.0 - 0.5


# ------------------------------------------------------------------ k-NN
def test_knn_kl_converges_to_closed_form_1d():
    rng = np.random.default_rng(11)
    errs = []
    for n in (500, 5_000, 50_000):
        r = knn_kl(rng.normal(0, 1, n), rng.normal(1, 2, n), k=5)
        assert r.method == "knn" and r.error > 0
        errs.append(abs(float(r) - KL_01_12))
    assert errs[-1] < 0.02
    assert errs[-1] < errs[0]


def test_knn_kl_multivariate_gaussians():
    rng = np.random.default_rng(5)
    cov = np.array([[1.0, 0.6], [0.6, 2.0]])
    x = rng.multivariate_normal([0.0, 0.0], cov, size=30_000)
    y = rng.multivariate_normal([0.5, -0.5], np.eye(2), size=30_000)
    # KL(N(0, S) || N(m, I)) = 0.5 (tr S + m'm - 2 - log det S)
    truth = 0.5 * (np.trace(cov) + 0.5 - 2.0 - np.log(np.linalg.det(cov)))
    r = knn_kl(x, y, k=5)
    small = knn_kl(x[:1000], y[:1000], k=5)
    assert abs(float(r) - truth) < 0.05  # k-NN bias shrinks slowly in d > 1
    assert abs(float(r) - truth) < abs(float(small) - truth) + 0.01


def test_knn_entropy_converges():
    rng = np.random.default_rng(2)
    truth = 0.5 * math.log(2 * math.pi * math.e * 4.0)
    r = knn_entropy(rng.normal(0, 2, 40_000), k=3)
    assert abs(float(r) - truth) < 0.03
    x3 = rng.normal(size=(20_000, 3))
    r3 = knn_entropy(x3, k=3)
    assert abs(float(r3) - 1.5 * math.log(2 * math.pi * math.e)) < 0.06


def test_knn_errors():
    with pytest.raises(DataError, match="dimension"):
        knn_kl(np.zeros((10, 2)) + np.arange(10)[:, None], np.arange(10.0))
    with pytest.raises(DataError, match="repeated"):
        knn_entropy([1.0, 1.0, 2.0, 3.0], k=1)
    with pytest.raises(DataError, match="non-finite"):
        knn_entropy([1.0, np.nan, 2.0])
    with pytest.raises(DataError, match="needs more than k"):
        knn_entropy([1.0, 2.0], k=3)


# ------------------------------------------------------------------ countable sums
def test_countable_sum_with_tail_bound_matches_closed_form():
    poisson = mk.FAMILIES.get("poisson")
    if poisson is None:
        pytest.skip("Poisson not registered")
    p, q = poisson(rate=[0.5, 7.0, 300.0]), poisson(rate=4.0)
    cf = kl(p, q)
    ex = kl(p, q, method="exact", rtol=1e-12)
    assert ex.method == "exact"
    assert np.allclose(cf.value, ex.value, rtol=1e-10, atol=1e-12)
    assert np.all(ex.error <= 1e-10 * np.maximum(1.0, ex.value))
    h = entropy(poisson(rate=7.0), method="exact")
    ref = stats.poisson(7.0).entropy()
    assert float(h) == pytest.approx(float(ref), abs=1e-10)


def test_countable_vs_bounded_support_is_infinite():
    poisson, binomial = mk.FAMILIES.get("poisson"), mk.FAMILIES.get("binomial")
    if poisson is None or binomial is None:
        pytest.skip("Poisson/Binomial not registered")
    r = kl(poisson(rate=2.0), binomial(n=10, p=0.2))
    assert float(r) == math.inf
    # the other way round is finite: Binomial's support lies inside Poisson's
    fin = kl(binomial(n=10, p=0.2), poisson(rate=2.0))
    ref = sum(stats.binom.pmf(k, 10, 0.2) * (stats.binom.logpmf(k, 10, 0.2)
                                            - stats.poisson.logpmf(k, 2.0)) for k in range(11))
    assert float(fin) == pytest.approx(ref, abs=1e-12)


def test_fallback_batches_loop_per_member():
    # no closed form is forced: quadrature over a batch, member by member
    p = mk.Normal(mu=[0.0, 1.0, 2.0], sigma=[1.0, 0.5, 2.0])
    q = mk.Normal(0.0, 1.0)
    r = kl(p, q, method="quad")
    assert r.shape == (3,) and r.error.shape == (3,)
    assert np.allclose(r.value, kl(p, q).value, atol=1e-9)
    e = entropy(p, method="quad")
    assert np.allclose(e.value, stats.norm(0, [1.0, 0.5, 2.0]).entropy(), atol=1e-9)


# ------------------------------------------------------------------ cross-family closed forms
def _fam(name):
    fam = mk.FAMILIES.get(name)
    if fam is None:
        pytest.skip(f"{name} not registered")
    return fam


def test_gamma_vs_normal_generic_formula():
    gamma = _fam("gamma")
    p = gamma(**gamma.example_params)
    q = mk.Normal(1.0, 2.0)
    cf = kl(p, q)
    assert cf.method == "closed form"
    assert float(cf) == pytest.approx(float(kl(p, q, method="quad")), abs=1e-8)


def test_laplace_vs_normal_and_normal_vs_laplace():
    laplace = _fam("laplace")
    loc, scale = laplace.param_names
    lp = laplace(**{loc: 0.3, scale: 1.5})
    n = mk.Normal(-0.2, 1.1)
    for p, q in [(lp, n), (n, lp)]:
        cf = kl(p, q)
        assert cf.method == "closed form"
        assert float(cf) == pytest.approx(float(kl(p, q, method="quad")), abs=1e-8)
    # Normal || Laplace by hand at mu = m: E|X - m| = sigma sqrt(2/pi)
    n0, l0 = mk.Normal(0.0, 1.0), laplace(**{loc: 0.0, scale: 1.0})
    by_hand = -0.5 * math.log(2 * math.pi * math.e) + math.log(2.0) + math.sqrt(2 / math.pi)
    assert float(kl(n0, l0)) == pytest.approx(by_hand, abs=1e-14)


def test_cauchy_vs_normal_is_infinite():
    cauchy = _fam("cauchy")
    assert float(kl(cauchy(**cauchy.example_params), mk.Normal(0, 1))) == math.inf


def test_support_mismatch_continuous_is_infinite():
    expo = _fam("exponential")
    r = kl(mk.Normal(0, 1), expo(**expo.example_params))
    assert float(r) == math.inf
    r2 = kl(mk.Normal(0, 1), expo(**expo.example_params), method="quad")
    assert float(r2) == math.inf and r2.notes
