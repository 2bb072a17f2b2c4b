"""kl / entropy / cross_entropy on the spine families: closed form vs exact, quad, MC."""

import math

import numpy as np
import pytest
from scipy import stats

import mlekit as mk
from mlekit.divergence import DivergenceResult, cross_entropy, entropy, kl
from mlekit.errors import NotImplementedForFamily, ParameterError, UnknownNameError

KL_01_12 = math.log(2.0) + 2.0 / 8.0 - 0.5  # KL(N(0,1) || N(1,2)) = log 2 + 2/8 - 1/2


def test_normal_closed_form_exact_value():
    r = kl(mk.Normal(0, 1), mk.Normal(1, 2))
    assert r.method == "closed form"
    assert r.error == 0.0
    assert abs(float(r) - KL_01_12) < 1e-12


def test_normal_quad_agrees_to_1e8():
    r = kl(mk.Normal(0, 1), mk.Normal(1, 2), method="quad")
    assert r.method == "quad"
    assert abs(float(r) - KL_01_12) < 1e-8
    assert 0 <= r.error < 1e-8
    assert r.n_evaluations > 0


def test_normal_mc_within_4_se():
    r = kl(mk.Normal(0, 1), mk.Normal(1, 2), method="mc", n_samples=200_000, seed=7)
    assert r.method == "mc" and r.seed == 7 and r.n_samples == 200_000
    assert r.error > 0
    assert abs(float(r) - KL_01_12) < 4 * r.error


def test_mc_is_reproducible_with_seed_and_reports_a_seed_without_one():
    a = kl(mk.Normal(0, 1), mk.Normal(1, 2), method="mc", n_samples=1000, seed=3)
    b = kl(mk.Normal(0, 1), mk.Normal(1, 2), method="mc", n_samples=1000, seed=3)
    assert float(a) == float(b)
    c = kl(mk.Normal(0, 1), mk.Normal(1, 2), method="mc", n_samples=1000)
    d = kl(mk.Normal(0, 1), mk.Normal(1, 2), method="mc", n_samples=1000, seed=c.seed)
    assert float(c) == float(d)


def test_argument_order_matters():
    pq = float(kl(mk.Normal(0, 1), mk.Normal(1, 2)))
    qp = float(kl(mk.Normal(1, 2), mk.Normal(0, 1)))
    assert abs(qp - (math.log(0.5) + (4 + 1) / 2 - 0.5)) < 1e-12
    assert pq != qp


@pytest.mark.parametrize("a,b", [(0.1, 0.2), (0.5, 0.5), (0.9, 0.3), (0.0, 0.4), (1.0, 0.7),
                                 (1e-12, 0.5)])
def test_bernoulli_closed_form_vs_exact_sum(a, b):
    p, q = mk.Bernoulli(a), mk.Bernoulli(b)
    cf, ex = kl(p, q), kl(p, q, method="exact")
    assert cf.method == "closed form" and ex.method == "exact"
    direct = sum(pa * (math.log(pa) - math.log(qa))
                 for pa, qa in [(a, b), (1 - a, 1 - b)] if pa > 0)
    assert abs(float(cf) - direct) < 1e-14
    assert abs(float(ex) - direct) < 1e-14


def test_categorical_closed_form_vs_exact_sum_and_scipy():
    a, b = np.array([0.2, 0.3, 0.5]), np.array([0.1, 0.6, 0.3])
    cf = kl(mk.Categorical(a), mk.Categorical(b))
    ex = kl(mk.Categorical(a), mk.Categorical(b), method="exact")
    ref = stats.entropy(a, b)
    assert abs(float(cf) - ref) < 1e-14 and abs(float(ex) - ref) < 1e-14


def test_logits_members_are_exact():
    p = mk.Bernoulli(logits=-800.0)
    q = mk.Bernoulli(logits=800.0)
    r = kl(p, q, method="exact")  # p puts all mass on 0, q gives 0 exp(-800) mass: KL = 800
    assert abs(float(r) - 800.0) < 1e-9


@pytest.mark.parametrize("method", ["auto", "exact", "mc"])
def test_infinite_when_q_has_zero_mass_bernoulli(method):
    r = kl(mk.Bernoulli(0.3), mk.Bernoulli(0.0), method=method, n_samples=2000, seed=0)
    assert float(r) == math.inf
    assert not np.isnan(r.value)


def test_infinite_categorical_zero_class_and_zero_where_p_is_zero():
    assert float(kl(mk.Categorical([0.5, 0.5, 0.0]), mk.Categorical([0.5, 0.0, 0.5]))) == math.inf
    assert float(kl(mk.Categorical([0.5, 0.0, 0.5]), mk.Categorical([0.5, 0.5, 0.0]),
                    method="exact")) == math.inf
    r = kl(mk.Categorical([0.5, 0.5, 0.0]), mk.Categorical([0.25, 0.25, 0.5]), method="exact")
    assert abs(float(r) - math.log(2)) < 1e-15


def test_infinite_between_discrete_and_continuous():
    for p, q in [(mk.Bernoulli(0.3), mk.Normal(0, 1)), (mk.Normal(0, 1), mk.Bernoulli(0.3))]:
        r = kl(p, q)
        assert float(r) == math.inf and r.notes
        assert float(cross_entropy(p, q)) == math.inf


def test_batches_broadcast_and_match_members():
    p = mk.Normal(mu=np.array([0.0, 1.0, -2.0]), sigma=np.array([1.0, 2.0, 0.5]))
    q = mk.Normal(mu=0.5, sigma=np.array([[1.0], [3.0]]))
    r = kl(p, q)
    assert r.shape == (2, 3)
    rq = kl(p, q, method="quad")
    assert np.allclose(r.value, rq.value, atol=1e-8, rtol=0)
    for i in range(2):
        for j in range(3):
            single = kl(p[j], mk.Normal(0.5, [1.0, 3.0][i]))
            assert float(single) == pytest.approx(r.value[i, j], abs=1e-15)
    mc = kl(p, q, method="mc", n_samples=50_000, seed=1)
    assert np.all(np.abs(mc.value - r.value) < 4 * mc.error + 1e-12)


def test_bernoulli_batch_exact_and_mixed_infinite():
    p = mk.Bernoulli([0.1, 0.5, 1.0, 0.3])
    q = mk.Bernoulli([0.2, 0.0, 1.0, 0.3])
    cf, ex = kl(p, q), kl(p, q, method="exact")
    assert np.array_equal(np.isinf(cf.value), [False, True, False, False])
    assert np.allclose(cf.value, ex.value, atol=1e-15)
    assert cf.value[3] == 0.0


def test_float_of_a_batch_is_an_error_and_array_works():
    r = kl(mk.Normal([0.0, 1.0], 1.0), mk.Normal(0.0, 1.0))
    with pytest.raises(TypeError, match="batch"):
        float(r)
    assert np.allclose(np.asarray(r), [0.0, 0.5])
    assert float(r[1]) == pytest.approx(0.5)


def test_repr_names_method_and_error():
    s = repr(kl(mk.Normal(0, 1), mk.Normal(1, 2), method="quad"))
    assert "quad" in s and "error" in s and "KL(p || q)" in s


def test_to_dict_and_summary():
    r = kl(mk.Normal(0, 1), mk.Normal(1, 2))
    d = r.to_dict()
    assert d["method"] == "closed form" and d["value"] == pytest.approx(KL_01_12)
    assert "closed form" in r.summary().to_text()


def test_unknown_method_suggests_a_name():
    with pytest.raises(UnknownNameError, match="did you mean 'quad'"):
        kl(mk.Normal(0, 1), mk.Normal(1, 2), method="quadd")


@pytest.mark.parametrize("alias,expected", [("closed_form", "closed form"),
                                            ("Monte-Carlo", "mc"), ("quadrature", "quad")])
def test_method_aliases(alias, expected):
    assert kl(mk.Normal(0, 1), mk.Normal(1, 2), method=alias, n_samples=100,
              seed=0).method == expected


def test_forced_methods_that_do_not_apply():
    with pytest.raises(NotImplementedForFamily, match="continuous"):
        kl(mk.Normal(0, 1), mk.Normal(1, 2), method="exact")
    with pytest.raises(NotImplementedForFamily, match="discrete"):
        kl(mk.Bernoulli(0.2), mk.Bernoulli(0.3), method="quad")


def test_spec_strings_are_accepted():
    r = kl("normal(mu=0, sigma=1)", "normal(1, 2)")
    assert abs(float(r) - KL_01_12) < 1e-12
    with pytest.raises(ParameterError):
        kl(3.0, mk.Normal(0, 1))


def test_mismatched_shapes():
    with pytest.raises(ParameterError, match="do not broadcast"):
        kl(mk.Normal([0.0, 1.0], 1.0), mk.Normal([0.0, 1.0, 2.0], 1.0))
    with pytest.raises(ParameterError, match="classes"):
        kl(mk.Categorical([0.5, 0.5]), mk.Categorical([0.2, 0.3, 0.5]))


def test_unnormalised_probability_vector_is_rejected():
    with pytest.raises(ParameterError, match="sum to 1"):
        kl(mk.Categorical([0.2, 0.2]), mk.Categorical([0.5, 0.5]))


# ------------------------------------------------------------------ entropy / cross-entropy
def test_entropy_methods_agree_normal():
    p = mk.Normal(0.3, 1.7)
    ref = stats.norm(0.3, 1.7).entropy()
    assert abs(float(entropy(p)) - ref) < 1e-14
    assert abs(float(entropy(p, method="quad")) - ref) < 1e-8
    mc = entropy(p, method="mc", n_samples=100_000, seed=2)
    assert abs(float(mc) - ref) < 4 * mc.error


def test_entropy_discrete_exact():
    h = float(entropy(mk.Bernoulli(0.5), method="exact"))
    assert h == pytest.approx(math.log(2), abs=1e-15)
    p = [0.1, 0.2, 0.7]
    assert float(entropy(mk.Categorical(p), method="exact")) == pytest.approx(
        stats.entropy(p), abs=1e-15)


def test_cross_entropy_is_entropy_plus_kl():
    p, q = mk.Normal(0, 1), mk.Normal(1, 2)
    h = cross_entropy(p, q)
    assert h.method == "closed form"
    assert float(h) == pytest.approx(float(entropy(p)) + KL_01_12, abs=1e-14)
    hq = cross_entropy(p, q, method="quad")
    assert abs(float(hq) - float(h)) < 1e-8
    b = cross_entropy(mk.Bernoulli(0.3), mk.Bernoulli(0.6), method="exact")
    assert float(b) == pytest.approx(-(0.3 * math.log(0.6) + 0.7 * math.log(0.4)), abs=1e-15)


def test_result_is_a_dataclass_value():
    r = DivergenceResult(np.array([1.0, 2.0]), "quad", np.array([0.1, 0.2]))
    assert r.shape == (2,) and len(r) == 2
