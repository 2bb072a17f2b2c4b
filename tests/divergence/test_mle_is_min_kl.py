"""Maximum likelihood = minimum KL(p_hat || p_theta): decomposition and profiles."""

import math

import numpy as np
import pytest
from scipy import stats

import mlekit as mk
from mlekit.divergence import kl_decomposition, kl_profile
from mlekit.errors import DataError, ParameterError

RNG = np.random.default_rng(20261128)


def test_bernoulli_decomposition_by_hand():
    d = kl_decomposition([0, 1, 1, 1], mk.Bernoulli(0.5))
    h = -(0.25 * math.log(0.25) + 0.75 * math.log(0.75))
    assert d.mean_nll == pytest.approx(math.log(2), abs=1e-15)
    assert d.data_entropy == pytest.approx(h, abs=1e-15)
    assert d.kl == pytest.approx(math.log(2) - h, abs=1e-15)
    assert d.method == "plug-in" and d.n == 4
    assert abs(d.identity_gap) < 1e-15


def test_discrete_identity_holds_exactly_for_categorical():
    x = RNG.integers(0, 4, size=500).astype(float)
    model = mk.Categorical([0.1, 0.2, 0.3, 0.4])
    d = kl_decomposition(x, model)
    assert d.mean_nll == pytest.approx(-np.mean(model.logpdf(x)), abs=1e-14)
    freqs = np.bincount(x.astype(int), minlength=4) / x.size
    assert d.data_entropy == pytest.approx(stats.entropy(freqs), abs=1e-14)
    assert d.kl == pytest.approx(stats.entropy(freqs, [0.1, 0.2, 0.3, 0.4]), abs=1e-14)
    assert abs(d.identity_gap) < 1e-14
    assert d.cross_entropy == d.mean_nll


def test_decomposition_infinite_when_model_excludes_data():
    d = kl_decomposition([0, 1, 1], mk.Bernoulli(1.0))
    assert d.kl == math.inf and d.mean_nll == math.inf


def test_weights_define_the_empirical_distribution():
    a = kl_decomposition([0, 1], mk.Bernoulli(0.3), weights=[1, 3])
    b = kl_decomposition([0, 1, 1, 1], mk.Bernoulli(0.3))
    assert a.kl == pytest.approx(b.kl, abs=1e-15)


def test_bernoulli_argmin_is_the_sample_mean():
    x = (RNG.random(137) < 0.37).astype(float)
    prof = kl_profile(x, mk.Bernoulli, "p", grid=np.linspace(0.01, 0.99, 99))
    assert prof.mle["p"] == pytest.approx(x.mean(), abs=1e-15)
    assert abs(prof.argmin - x.mean()) <= 0.01  # grid spacing
    assert prof.argmin_refined == pytest.approx(x.mean(), abs=1e-6)
    # mean NLL = H(p_hat) + KL along the whole grid
    assert np.allclose(prof.mean_nll, prof.data_entropy + prof.kl, atol=1e-14, rtol=0)
    assert np.all(prof.kl >= -1e-15)


def test_default_grid_contains_the_mle_and_finds_it():
    x = (RNG.random(80) < 0.6).astype(float)
    prof = kl_profile(x, "bernoulli")
    assert prof.param == "p" and prof.argmin == prof.mle["p"] == x.mean()
    assert prof.min_kl == pytest.approx(0.0, abs=1e-15)  # p_hat is a Bernoulli itself


def test_poisson_argmin_is_the_sample_mean():
    poisson = pytest.importorskip("mlekit.families.poisson").Poisson
    x = RNG.poisson(3.3, size=400).astype(float)
    prof = kl_profile(x, poisson, "rate", grid=np.linspace(2.5, 4.5, 81))
    assert prof.argmin_refined == pytest.approx(x.mean(), rel=1e-6)
    assert abs(prof.argmin - x.mean()) <= 0.025
    assert np.allclose(prof.mean_nll, prof.data_entropy + prof.kl, atol=1e-13, rtol=0)


def test_normal_mu_profile_continuous_data():
    x = RNG.normal(1.5, 2.0, size=400)
    prof = kl_profile(x, mk.Normal, "mu")
    assert prof.method.startswith("knn")
    assert prof.profiled == ("sigma",)
    assert prof.argmin == prof.mle["mu"] == pytest.approx(x.mean(), abs=1e-12)
    assert prof.argmin_refined == pytest.approx(x.mean(), abs=1e-6)
    # profiled sigma at each mu is the conditional MLE sqrt(mean((x - mu)^2))
    for mu, s in zip(prof.grid[::20], prof.params["sigma"][::20], strict=True):
        assert s == pytest.approx(np.sqrt(np.mean((x - mu) ** 2)), rel=1e-12)
    # KL estimate at the MLE is small and its uncertainty is reported
    j = int(np.argmin(prof.kl))
    assert abs(prof.kl[j]) < 4 * prof.kl_error[j] + 0.05
    assert prof.data_entropy_error > 0


def test_normal_sigma_with_mu_held_at_mle():
    x = RNG.normal(-1.0, 0.5, size=300)
    prof = kl_profile(x, mk.Normal, "sigma", profile=False)
    assert prof.profiled == ()
    assert np.all(prof.params["mu"] == pytest.approx(x.mean()))
    assert prof.argmin_refined == pytest.approx(x.std(), rel=1e-6)


def test_continuous_decomposition_close_to_truth():
    x = RNG.normal(0.0, 1.0, size=4000)
    d = kl_decomposition(x, mk.Normal(1.0, 2.0))
    truth = math.log(2) + 2 / 8 - 0.5
    assert abs(d.kl - truth) < 4 * d.kl_error + 0.02
    assert d.kl_error > 0 and d.mean_nll_error > 0


def test_path_of_vector_parameters():
    x = [0, 1, 2, 2, 1, 2]
    path = [{"p": [1 / 3, 1 / 3, 1 / 3]}, {"p": [1 / 6, 1 / 3, 1 / 2]}, {"p": [0.1, 0.2, 0.7]}]
    prof = kl_profile(x, "categorical", path=path)
    assert prof.argmin == 1.0 and prof.kl[1] == pytest.approx(0.0, abs=1e-15)
    d = prof.to_dict()
    assert d["kl"][1] == pytest.approx(0.0, abs=1e-15) and len(d["grid"]) == 3
    with pytest.raises(ParameterError, match="path"):
        kl_profile(x, "categorical", "p")


def test_errors():
    with pytest.raises(DataError, match="empty"):
        kl_decomposition([], mk.Bernoulli(0.5))
    with pytest.raises(ParameterError, match="batch"):
        kl_decomposition([0, 1], mk.Bernoulli([0.2, 0.5]))
    with pytest.raises(DataError, match="repeated"):
        kl_decomposition([1.0, 1.0, 1.0, 1.0, 2.0], mk.Normal(0, 1), k=1)


def test_summary_and_repr():
    prof = kl_profile([0, 1, 1], mk.Bernoulli, "p", grid=[0.2, 0.5, 2 / 3, 0.9])
    assert "KL" in prof.summary().to_text() and "argmin" in repr(prof)
    assert "H(p_hat)" in kl_decomposition([0, 1, 1], mk.Bernoulli(0.5)).summary().to_text()
