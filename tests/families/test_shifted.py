"""mk.Shifted(F): the three-parameter (threshold) Weibull, Gamma and log-normal, held
against scipy's fits and closed forms, and its non-existence cases named."""

from __future__ import annotations

import pickle
import warnings

import numpy as np
import pytest
from scipy import stats

import mlekit as mk
from mlekit.errors import NoMaximumError, NotImplementedForFamily, NumericalWarning, ParameterError

W3 = mk.Shifted(mk.Weibull)


def test_shift_of_every_function():
    d = W3(loc=10.0, shape=2.0, scale=3.0)
    b = mk.Weibull(shape=2.0, scale=3.0)
    z = np.array([0.1, 1.0, 2.5, 7.0])
    np.testing.assert_allclose(d.logpdf(10.0 + z), b.logpdf(z), rtol=1e-14)
    np.testing.assert_allclose(d.cdf(10.0 + z), b.cdf(z), rtol=1e-14)
    np.testing.assert_allclose(d.logsf(10.0 + z), b.logsf(z), rtol=1e-14)
    np.testing.assert_allclose(d.ppf([0.1, 0.5, 0.9]), 10.0 + b.ppf([0.1, 0.5, 0.9]),
                               rtol=1e-14)
    assert float(d.mean) == pytest.approx(10.0 + float(b.mean), rel=1e-14)
    assert float(d.var) == pytest.approx(float(b.var), rel=1e-14)
    assert float(d.logpdf(9.5)) == -np.inf and float(d.cdf(9.5)) == 0.0
    x = d.sample(20_000, rng=np.random.default_rng(0))
    assert x.min() > 10.0
    assert stats.kstest(x, lambda v: d.cdf(v)).pvalue > 1e-3


def test_symbolic_score_and_hessian_match_finite_differences():
    p = {"loc": 1.0, "shape": 2.5, "scale": 2.0}
    x = np.array([1.3, 2.0, 3.7, 6.0])
    s, h = W3.score(x, **p), W3.hessian(x, **p)
    names = list(W3.param_names)
    eps = 1e-6
    for a in names:
        up, dn = dict(p), dict(p)
        up[a] += eps
        dn[a] -= eps
        fd = (W3.logpdf(x, **up) - W3.logpdf(x, **dn)) / (2 * eps)
        np.testing.assert_allclose(s[a], fd, rtol=1e-6, atol=1e-8)
        for b in names[names.index(a):]:
            fd2 = (W3.score(x, **up)[b] - W3.score(x, **dn)[b]) / (2 * eps)
            np.testing.assert_allclose(h[(a, b)], fd2, rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("family, scipy_dist, sample", [
    (mk.Weibull, stats.weibull_min, lambda r: 5.0 + 3.0 * r.weibull(3.0, 600)),
    (mk.Gamma, stats.gamma, lambda r: 1.0 + r.gamma(4.0, 2.0, 600)),
    (mk.LogNormal, stats.lognorm, lambda r: 3.0 + r.lognormal(1.0, 0.4, 600)),
])
def test_fit_at_least_as_good_as_scipy(family, scipy_dist, sample):
    x = sample(np.random.default_rng(11))
    res = mk.fit(x, mk.Shifted(family))
    ref = scipy_dist.fit(x)
    ll_scipy = float(np.sum(scipy_dist.logpdf(x, *ref)))
    assert res.llf >= ll_scipy - 1e-9 * abs(ll_scipy)
    assert res.params["loc"] == pytest.approx(ref[-2], abs=2e-3 * np.ptp(x))
    assert np.all(np.isfinite(list(res.bse.values())))  # shape > 2 / log-normal: regular
    # standard errors: the inverse of the finite-difference Hessian of the log-likelihood
    names = list(res.params)
    th = np.array([res.params[k] for k in names])

    def ll(t):
        return float(np.sum(mk.Shifted(family).logpdf(x, **dict(zip(names, t, strict=True)))))

    H = np.zeros((3, 3))
    e = 1e-4 * np.maximum(np.abs(th), 1.0)
    for i in range(3):
        for j in range(3):
            tpp, tpm, tmp, tmm = (th.copy() for _ in range(4))
            tpp[i] += e[i]; tpp[j] += e[j]  # noqa: E702
            tpm[i] += e[i]; tpm[j] -= e[j]  # noqa: E702
            tmp[i] -= e[i]; tmp[j] += e[j]  # noqa: E702
            tmm[i] -= e[i]; tmm[j] -= e[j]  # noqa: E702
            H[i, j] = (ll(tpp) - ll(tpm) - ll(tmp) + ll(tmm)) / (4 * e[i] * e[j])
    se = np.sqrt(np.diag(np.linalg.inv(-H)))
    np.testing.assert_allclose([res.bse[k] for k in names], se, rtol=2e-3)


def test_unbounded_weibull_is_named_with_the_constrained_fit():
    x = 2.0 + np.random.default_rng(3).weibull(0.7, 300)
    with pytest.raises(NoMaximumError, match=r"without bound.*fixed=\{'loc'"):
        mk.fit(x, W3)
    held = mk.fit(x, W3, fixed={"loc": 1.9})  # the constrained fit it offers
    assert held.params["shape"] < 1 and np.isfinite(held.llf)


def test_exponential_threshold_is_an_edge_not_a_stationary_point():
    x = 2.0 + np.random.default_rng(4).exponential(1.0, 200)
    with pytest.raises(NoMaximumError, match="largest at the edge"):
        mk.fit(x, mk.Shifted(mk.Exponential))


def test_shape_between_1_and_2_is_not_regular():
    x = 5.0 + 2.0 * np.random.default_rng(0).weibull(1.5, 400)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        res = mk.fit(x, W3)
    assert 1.0 < res.params["shape"] < 2.0
    assert any(issubclass(w.category, NumericalWarning) and "not regular" in str(w.message)
               for w in caught)
    assert all(np.isnan(v) for v in res.bse.values())


def test_refusals_and_spec():
    with pytest.raises(ParameterError, match="positive half-line"):
        mk.Shifted(mk.Normal)
    with pytest.raises(ParameterError, match="counts"):
        mk.Shifted(mk.Poisson)
    with pytest.raises(NoMaximumError, match="all data values are equal"):
        mk.fit(np.full(10, 3.0), W3)
    assert mk.get_family("shifted(weibull)") is W3
    assert pickle.loads(pickle.dumps(W3)) is W3
    rng = np.random.default_rng(1)
    X = rng.standard_normal((100, 1))
    y = 1.0 + rng.weibull(2.0, 100)
    with pytest.raises(NotImplementedForFamily, match="loc"):
        mk.Regression(family=W3).fit(X, y)
    res = mk.Regression(family=W3, fixed={"loc": 0.5}).fit(X, y).result_
    assert res.converged


def test_derive_substitutes_the_shift():
    d = mk.derive(W3)
    assert "loc" in d.to_latex() or "gamma" in d.to_latex()
