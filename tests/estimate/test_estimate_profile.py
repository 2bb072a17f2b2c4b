"""Profile-likelihood intervals against their closed forms, and boundary behaviour."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from scipy import optimize, stats

from mlekit.errors import NotImplementedForFamily
from mlekit.estimate import BoundaryWarning, fit
from mlekit.families import FAMILIES

X = np.random.default_rng(11).normal(3.0, 1.5, size=40)
CRIT = stats.chi2.ppf(0.95, 1)


def test_normal_profile_interval_closed_forms():
    res = fit(X, "normal")
    ci = res.conf_int(method="profile")
    n, m, s = X.size, X.mean(), X.std()
    # mu: profile LR = n log(1 + (mu - m)^2 / s^2)
    half = s * np.sqrt(np.expm1(CRIT / n))
    assert ci["mu"][0] == pytest.approx(m - half, rel=1e-9)
    assert ci["mu"][1] == pytest.approx(m + half, rel=1e-9)

    # sigma: profile LR = n (r - 1 - log r), r = s^2 / sigma^2
    def lr(sig):
        r = s**2 / sig**2
        return n * (r - 1 - np.log(r)) - CRIT

    lo = optimize.brentq(lr, s / 10, s, xtol=1e-14)
    hi = optimize.brentq(lr, s, s * 10, xtol=1e-14)
    assert ci["sigma"][0] == pytest.approx(lo, rel=1e-9)
    assert ci["sigma"][1] == pytest.approx(hi, rel=1e-9)
    # asymmetric, and close to Wald for this n
    wald = res.conf_int()
    assert ci["sigma"][1] - res.params["sigma"] > res.params["sigma"] - ci["sigma"][0]
    assert abs(wald["mu"][0] - ci["mu"][0]) < 0.1 * res.bse["mu"]


def test_generic_path_profile_matches_closed_form():
    a = fit(X, "normal").conf_int(0.9, method="profile")
    b = fit(X, "normal", method="generic").conf_int(0.9, method="profile")
    for k in a:
        np.testing.assert_allclose(a[k], b[k], rtol=1e-7)


def test_bernoulli_boundary_profile_interval():
    x = np.zeros(25)
    with pytest.warns(BoundaryWarning):
        res = fit(x, "bernoulli")
    lo, hi = res.conf_int(method="profile")["p"]
    assert lo == 0.0
    # LR(p) = -2 n log(1 - p)
    assert hi == pytest.approx(1 - np.exp(-CRIT / (2 * x.size)), rel=1e-9)
    with pytest.warns(BoundaryWarning):
        res1 = fit(np.ones(25), "bernoulli")
    lo1, hi1 = res1.conf_int(method="profile")["p"]
    assert hi1 == 1.0 and lo1 == pytest.approx(np.exp(-CRIT / 50), rel=1e-9)


def test_profile_fixed_and_vector_parameters():
    res = fit(X, "normal", fixed={"sigma": 1.5})
    ci = res.conf_int(method="profile")
    assert ci["sigma"] == (1.5, 1.5)
    half = 1.5 * np.sqrt(CRIT / X.size)  # known sigma: exactly the Wald interval
    assert ci["mu"][0] == pytest.approx(X.mean() - half, rel=1e-9)
    with pytest.raises(NotImplementedForFamily, match="vector parameter"):
        fit(np.array([0.0, 1.0, 2.0, 2.0]), "categorical").conf_int(method="profile")


@pytest.mark.skipif("binomial" not in FAMILIES, reason="Binomial not registered yet")
def test_binomial_p_hat_zero_is_reported_and_profiled():
    x = np.zeros(8)
    with warnings.catch_warnings(record=True) as rec:
        warnings.simplefilter("always")
        res = fit(x, "binomial", fixed={"n": 10})
    assert any(issubclass(w.category, BoundaryWarning) for w in rec)
    assert res.params["p"] == 0.0 and res.at_boundary
    hi = res.conf_int(method="profile")["p"][1]
    assert hi == pytest.approx(1 - np.exp(-CRIT / (2 * 80)), rel=1e-8)
