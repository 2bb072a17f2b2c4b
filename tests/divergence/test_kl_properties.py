"""Properties with hypothesis: KL >= 0, KL(p||p) = 0, additivity over independent products,
cross-entropy = entropy + KL."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import mlekit as mk
from mlekit.divergence import cross_entropy, entropy, kl

mus = st.floats(-50, 50, allow_nan=False)
sigmas = st.floats(1e-3, 1e3, allow_nan=False)
probs = st.floats(0.0, 1.0, allow_nan=False)


@st.composite
def simplex(draw, k=None):
    k = draw(st.integers(2, 6)) if k is None else k
    w = np.array(draw(st.lists(st.floats(0.0, 10.0), min_size=k, max_size=k)))
    w = np.where(w < 1e-50, 0.0, w)  # avoid products that underflow to 0 in the test
    if w.sum() <= 0:
        w[0] = 1.0
    return w / w.sum()


@given(mus, sigmas, mus, sigmas)
def test_normal_kl_nonnegative_and_zero_on_itself(m1, s1, m2, s2):
    p, q = mk.Normal(m1, s1), mk.Normal(m2, s2)
    assert float(kl(p, q)) >= 0.0
    assert float(kl(p, p)) == 0.0


@given(probs, probs)
def test_bernoulli_kl_nonnegative_never_nan(a, b):
    v = float(kl(mk.Bernoulli(a), mk.Bernoulli(b)))
    assert v >= 0.0 and not np.isnan(v)
    assert float(kl(mk.Bernoulli(a), mk.Bernoulli(a))) == 0.0
    ex = float(kl(mk.Bernoulli(a), mk.Bernoulli(b), method="exact"))
    assert (np.isinf(v) and np.isinf(ex)) or abs(v - ex) <= 1e-12 * max(1.0, v)


@given(st.integers(2, 5).flatmap(lambda k: st.tuples(simplex(k), simplex(k))))
def test_categorical_kl_nonnegative_and_self_zero(pq):
    p, q = mk.Categorical(pq[0]), mk.Categorical(pq[1])
    assert float(kl(p, q)) >= 0.0
    assert abs(float(kl(p, p))) <= 1e-15


@given(st.integers(2, 4).flatmap(lambda k: st.tuples(simplex(k), simplex(k))),
       st.integers(2, 4).flatmap(lambda k: st.tuples(simplex(k), simplex(k))))
def test_additivity_for_independent_products(a, b):
    """KL of the product of independent components = the sum over the batch of components.

    The product of two independent categoricals is a categorical over pairs with
    probabilities outer(p1, p2).
    """
    (p1, q1), (p2, q2) = a, b
    joint = kl(mk.Categorical(np.outer(p1, p2).ravel()), mk.Categorical(np.outer(q1, q2).ravel()))
    parts = float(kl(mk.Categorical(p1), mk.Categorical(q1))) + float(
        kl(mk.Categorical(p2), mk.Categorical(q2)))
    if np.isinf(parts):
        assert np.isinf(float(joint))
    else:
        assert abs(float(joint) - parts) <= 1e-12 * max(1.0, parts)


@given(st.lists(st.tuples(mus, sigmas, mus, sigmas), min_size=1, max_size=5))
def test_additivity_normal_batch_vs_product(rows):
    """The batch of Normal KLs summed equals the KL of the product measure, which (being an
    expectation of a sum of independent log-ratios) is the sum — checked against the
    per-member values and, when MultivariateNormal exists, its diagonal closed form."""
    m1, s1, m2, s2 = (np.array(c) for c in zip(*rows, strict=True))
    batch = kl(mk.Normal(m1, s1), mk.Normal(m2, s2))
    members = [float(kl(mk.Normal(a, b), mk.Normal(c, d))) for a, b, c, d in rows]
    assert np.allclose(batch.value, members, rtol=1e-14, atol=0)
    if "multivariatenormal" in mk.FAMILIES:
        mvn = mk.FAMILIES["multivariatenormal"]
        names = mvn.param_names
        pj = mvn(**{names[0]: m1, names[1]: np.diag(s1**2)})
        qj = mvn(**{names[0]: m2, names[1]: np.diag(s2**2)})
        total = float(np.sum(batch.value))
        assert abs(float(kl(pj, qj)) - total) <= 1e-8 * max(1.0, total)


@given(mus, st.floats(0.05, 20), mus, st.floats(0.05, 20))
def test_cross_entropy_equals_entropy_plus_kl_normal(m1, s1, m2, s2):
    p, q = mk.Normal(m1, s1), mk.Normal(m2, s2)
    h = float(cross_entropy(p, q))
    assert abs(h - (float(entropy(p)) + float(kl(p, q)))) <= 1e-12 * max(1.0, abs(h))


@given(st.integers(2, 5).flatmap(lambda k: st.tuples(simplex(k), simplex(k))))
def test_cross_entropy_equals_entropy_plus_kl_categorical_exact(pq):
    p, q = mk.Categorical(pq[0]), mk.Categorical(pq[1])
    h = float(cross_entropy(p, q, method="exact"))
    d = float(kl(p, q, method="exact"))
    e = float(entropy(p, method="exact"))
    if np.isinf(d):
        assert np.isinf(h)
    else:
        assert abs(h - (e + d)) <= 1e-12 * max(1.0, abs(h))


def test_categorical_kl_is_never_negative_and_keeps_its_digits_near_equality():
    """The case hypothesis found (p, q summing to 1 only up to rounding: the plain
    Σ p log(p/q) gave -6e-37), and nearly equal vectors, whose KL ~ 1e-12 the plain sum got
    wrong by orders of magnitude: against 50-digit mpmath on the normalised vectors."""
    import mpmath as mp

    p = mk.Categorical([1.0, 0.0, 1.17549435e-38])
    q = mk.Categorical([1.0, 0.0, 2.29941587e-17])
    assert float(kl(p, q)) == pytest.approx(2.29941587e-17, rel=1e-6)
    rng = np.random.default_rng(11)
    for _ in range(50):
        a = rng.dirichlet(np.full(4, 0.7))
        b = a * np.exp(rng.normal(0.0, 1e-6, 4))
        b /= b.sum()
        with mp.workdps(50):
            A, B = [mp.mpf(v) for v in a], [mp.mpf(v) for v in b]
            sa, sb = mp.fsum(A), mp.fsum(B)
            ref = float(mp.fsum(x / sa * mp.log((x / sa) / (y / sb))
                                for x, y in zip(A, B, strict=True)))
        assert float(kl(mk.Categorical(a), mk.Categorical(b))) == pytest.approx(ref, rel=1e-6)
