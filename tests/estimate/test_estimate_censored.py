"""Censored data: agrees with the uncensored fit when nothing is censored, and with a direct
numerical maximisation of the censored likelihood (scipy.stats) otherwise."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import optimize, stats

from mlekit.errors import DataError, NotImplementedForFamily, SupportError
from mlekit.estimate import Censored, fit
from mlekit.estimate._loglik import log_cdf, log_interval
from mlekit.families import FAMILIES, Normal

RNG = np.random.default_rng(7)
T = RNG.normal(5.0, 2.0, size=90)


def _direct_normal(lo, hi, w=None):
    """Maximise the censored normal log-likelihood with scipy.stats and Nelder-Mead."""
    w = np.ones(lo.size) if w is None else w
    ex, r, left = lo == hi, np.isposinf(hi), np.isneginf(lo)
    iv = ~ex & ~r & ~left

    def nll(th):
        mu, s = th[0], np.exp(th[1])
        d = stats.norm(mu, s)
        ll = np.sum(w[ex] * d.logpdf(lo[ex])) + np.sum(w[r] * d.logsf(lo[r]))
        ll += np.sum(w[left] * d.logcdf(hi[left]))
        ll += np.sum(w[iv] * np.log(d.cdf(hi[iv]) - d.cdf(lo[iv])))
        return -ll

    res = optimize.minimize(nll, [np.mean(lo[np.isfinite(lo)]), 0.5], method="Nelder-Mead",
                            options={"xatol": 1e-10, "fatol": 1e-13, "maxiter": 20000})
    hess = _fd_hessian(nll, res.x)
    return res.x[0], np.exp(res.x[1]), -res.fun, hess


def _fd_hessian(f, x, h=1e-4):
    n = x.size
    out = np.zeros((n, n))
    for i in range(n):
        for j in range(n):
            e_i, e_j = np.eye(n)[i] * h, np.eye(n)[j] * h
            out[i, j] = (f(x + e_i + e_j) - f(x + e_i - e_j) - f(x - e_i + e_j)
                         + f(x - e_i - e_j)) / (4 * h * h)
    return out


def test_nothing_censored_equals_uncensored_fit():
    w = RNG.integers(1, 4, size=T.size).astype(float)
    for weights in (None, w):
        a = fit(Censored(T, T), "normal", weights=weights)
        b = fit(T, "normal", weights=weights)
        assert a.method == b.method == "closed form"
        assert a.llf == b.llf
        for k in b.params:
            assert a.params[k] == b.params[k]
            assert a.bse[k] == b.bse[k]
        assert not a.censored


def test_right_censored_normal_matches_direct_maximisation():
    c = T > 6.0
    data = Censored.from_indicator(np.where(c, 6.0, T), censored=c)
    assert data.right.sum() == c.sum() and data.exact.sum() == (~c).sum()
    res = fit(data, "normal")
    assert res.method.startswith("generic") and res.converged and res.censored
    mu, s, llf, _ = _direct_normal(data.low, data.high)
    assert res.params["mu"] == pytest.approx(mu, rel=1e-6)
    assert res.params["sigma"] == pytest.approx(s, rel=1e-6)
    assert res.llf == pytest.approx(llf, rel=1e-10)
    # censoring loses information: wider than the uncensored fit's standard errors
    assert res.bse["sigma"] > fit(T, "normal").bse["sigma"]


def test_left_right_and_interval_censoring_together():
    lo, hi = T.copy(), T.copy()
    lo[:10] = -np.inf                      # left-censored: X <= T
    hi[10:20] = np.inf                     # right-censored: X > T
    lo[20:35] = np.floor(T[20:35])         # interval-censored: floor(T) < X <= floor(T) + 1
    hi[20:35] = lo[20:35] + 1.0
    data = Censored(lo, hi)
    assert (data.left.sum(), data.right.sum(), data.interval.sum()) == (10, 10, 15)
    w = np.random.default_rng(1).integers(1, 3, size=T.size).astype(float)
    res = fit(data, Normal, weights=w)
    mu, s, llf, hess = _direct_normal(lo, hi, w)
    assert res.params["mu"] == pytest.approx(mu, rel=1e-6)
    assert res.params["sigma"] == pytest.approx(s, rel=1e-6)
    assert res.llf == pytest.approx(llf, rel=1e-10)
    # standard errors: direct Hessian in (mu, log sigma), delta method to sigma
    cov = np.linalg.inv(hess)
    assert res.bse["mu"] == pytest.approx(np.sqrt(cov[0, 0]), rel=1e-3)
    assert res.bse["sigma"] == pytest.approx(s * np.sqrt(cov[1, 1]), rel=1e-3)
    # profile intervals work on censored data too, and contain the estimate
    ci = res.conf_int(method="profile")
    assert ci["mu"][0] < res.params["mu"] < ci["mu"][1]


@pytest.mark.skipif("exponential" not in FAMILIES, reason="Exponential not registered yet")
def test_censored_exponential_closed_form_check():
    # right-censored exponential: rate_hat = (#events) / (total time), a classical closed form
    fam = FAMILIES["exponential"]
    t = np.random.default_rng(3).exponential(2.0, size=200)
    c = t > 3.0
    data = Censored.from_indicator(np.minimum(t, 3.0), c)
    res = fit(data, fam)
    rate = (~c).sum() / np.minimum(t, 3.0).sum()
    assert res.params["rate"] == pytest.approx(rate, rel=1e-7)
    assert res.bse["rate"] == pytest.approx(rate / np.sqrt((~c).sum()), rel=1e-4)


def test_censored_validation_errors():
    with pytest.raises(DataError, match="low must be <= high"):
        Censored([1.0, 3.0], [2.0, 2.0])
    with pytest.raises(DataError, match="must match"):
        Censored([1.0], [1.0, 2.0])
    with pytest.raises(DataError, match="no information"):
        Censored([None, 1.0], [None, 1.0])
    with pytest.raises(DataError, match="side"):
        Censored.from_indicator([1.0], [True], side="middle")
    with pytest.raises(SupportError, match="index 1"):
        fit(Censored([0.0, 2.0, 1.0], [0.0, 2.0, np.inf]), "bernoulli")
    with pytest.raises(DataError, match="empty"):
        fit(Censored([], []), "normal")
    data = Censored.from_indicator(T, T > 6.0)
    with pytest.raises(NotImplementedForFamily, match="censored"):
        fit(data, "normal", method="closed form")
    assert "right" in repr(data)


def test_stable_tail_probabilities():
    p = {"mu": np.asarray(0.0), "sigma": np.asarray(1.0)}
    x = np.array([-30.0, -5.0, 0.0, 5.0, 40.0])
    np.testing.assert_allclose(log_cdf(Normal, x, p), stats.norm.logcdf(x), rtol=1e-12)
    lo, hi = np.array([30.0, -31.0, -1.0]), np.array([31.0, -30.0, 1.0])
    s30, s31 = stats.norm.logsf(30.0), stats.norm.logsf(31.0)
    expect = [s30 + np.log1p(-np.exp(s31 - s30)),
              stats.norm.logcdf(-30.0) + np.log1p(-np.exp(stats.norm.logcdf(-31)
                                                          - stats.norm.logcdf(-30))),
              np.log(stats.norm.cdf(1) - stats.norm.cdf(-1))]
    got = log_interval(Normal, lo, hi, p)
    assert np.all(np.isfinite(got))
    np.testing.assert_allclose(got, expect, rtol=1e-10)
