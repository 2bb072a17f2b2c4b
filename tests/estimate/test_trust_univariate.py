"""Univariate fits users can trust (issue #22, parts 2, 4 and 5).

* censored data whose likelihood has no maximum are refused (NoMaximumError), by name
  where the theory is simple, else after the fit (parameters running off with the
  likelihood still rising); never "converged";
* wrong shapes and dtypes are named DataErrors, not silently flattened or cast;
* data far from 0 (1e6 + N(0, 1), 1e9 + N(0, 1)) are fitted to the last digits: held
  against mpmath at 40-50 digits and against scipy.stats' own fits;
* extreme weights are rescaled, not overflowed.
"""

from __future__ import annotations

import warnings

import mpmath as mp
import numpy as np
import pytest
import scipy.stats as st
from scipy import optimize

import mlekit as mk
from mlekit.errors import DataError, NoMaximumError
from mlekit.estimate import BoundaryWarning

C = mk.Censored
INF = np.inf

# ----------------------------------------------------------------- censored: no maximum
ESCAPE = ["normal", "lognormal", "weibull", "gamma", "exponential", "laplace", "logistic",
          "cauchy", "gumbel", "studentt", "halfnormal", "rayleigh", "inversegaussian"]
CONCENTRATE = ["normal", "lognormal", "weibull", "gamma", "laplace", "logistic", "cauchy",
               "gumbel", "studentt", "inversegaussian"]


def test_issue_example_all_right_censored_weibull():
    with pytest.raises(NoMaximumError) as err:
        mk.fit(C([1, 2, 3], [INF] * 3), "weibull")
    msg = str(err.value)
    assert "all 3 observations are right-censored" in msg
    assert "MLE does not exist" in msg
    assert "at least one exact or left/interval-censored observation is needed" in msg


@pytest.mark.parametrize("family", ESCAPE)
def test_all_right_censored_is_refused(family):
    with pytest.raises(NoMaximumError, match="right-censored"):
        mk.fit(C([1.0, 2.0, 3.0], [INF] * 3), family)


@pytest.mark.parametrize("family", ESCAPE)
def test_all_left_censored_is_refused(family):
    with pytest.raises(NoMaximumError, match="left-censored"):
        mk.fit(C([-INF] * 3, [1.0, 2.0, 3.0]), family)


def test_beta_all_right_censored_is_refused():
    with pytest.raises(NoMaximumError, match="right-censored"):
        mk.fit(C([0.2, 0.5, 0.7], [INF] * 3), "beta")


@pytest.mark.parametrize("family", CONCENTRATE)
def test_intervals_with_a_common_point_are_refused(family):
    # (0.5, 2], (1, 3], (0.8, 2.5] and X > 0.9 share (1, 2]: a point mass there has
    # likelihood 1, which no member attains
    data = C([0.5, 1.0, 0.8, 0.9], [2.0, 3.0, 2.5, INF])
    with pytest.raises(NoMaximumError, match=r"containing the points of \(1, 2\]"):
        mk.fit(data, family)


@pytest.mark.parametrize("family", ["normal", "lognormal", "gamma", "weibull"])
def test_one_repeated_exact_value_inside_every_interval_is_refused(family):
    with pytest.raises(NoMaximumError, match=r"every exact observation equals 1\.5"):
        mk.fit(C([1.5, 1.5, 1.0, 0.5], [1.5, 1.5, 2.0, INF]), family)


def _censored_nll(dist, lo, hi):
    """−ℓ of censored data under a scipy distribution (independent of mlekit)."""
    ex = lo == hi
    r = np.isposinf(hi)
    le = np.isneginf(lo)
    iv = ~ex & ~r & ~le
    return -(np.sum(dist.logpdf(lo[ex])) + np.sum(dist.logsf(lo[r]))
             + np.sum(dist.logcdf(hi[le]))
             + np.sum(np.log(dist.cdf(hi[iv]) - dist.cdf(lo[iv]))))


def test_exponential_with_common_interval_point_has_an_mle():
    # Exponential cannot concentrate: intervals sharing a point still have a maximum
    lo, hi = np.array([1.0, 1.5]), np.array([2.0, 3.0])
    res = mk.fit(C(lo, hi), "exponential")
    ref = optimize.minimize_scalar(
        lambda lr: _censored_nll(st.expon(scale=np.exp(-lr)), lo, hi),
        bounds=(-5, 3), method="bounded", options={"xatol": 1e-12})
    assert res.converged
    assert res.params["rate"] == pytest.approx(np.exp(ref.x), rel=1e-6)


def test_weibull_all_right_censored_with_fixed_scale_has_an_mle():
    # -Σ l^k with l = 0.5, 0.5, 2 is maximised at 2^{2k} = 2: k = 1/2 (an interior MLE)
    res = mk.fit(C([0.5, 0.5, 2.0], [INF] * 3), "weibull", fixed={"scale": 1.0})
    assert res.converged
    assert res.params["shape"] == pytest.approx(0.5, rel=1e-6)
    assert res.llf == pytest.approx(-(2 * 0.5**0.5 + 2**0.5), rel=1e-10)


@pytest.mark.parametrize("family,fixed,moving", [
    ("normal", {"sigma": 1.0}, "mu → ∞"),
    ("poisson", None, "rate → ∞"),
    ("gamma", {"shape": 2.0}, "rate → 0"),
])
def test_runaway_after_the_fit_is_refused(family, fixed, moving):
    with pytest.raises(NoMaximumError, match=f"keeps increasing as {moving}"):
        mk.fit(C([1.0, 2.0, 3.0], [INF] * 3), family, fixed=fixed)


def test_lognormal_fixed_mu_all_left_censored_is_refused():
    # F(1) = 1/2 for every sigma and F(2), F(3) -> 1 as sigma -> 0: the supremum log(1/2)
    # is not attained
    with pytest.raises(NoMaximumError, match="sigma → 0"):
        mk.fit(C([-INF] * 3, [1.0, 2.0, 3.0]), "lognormal", fixed={"mu": 0.0})


def test_binomial_all_right_censored_is_a_boundary_estimate():
    # p = 1 belongs to [0, 1]: P(X > l) = 1 there, the MLE exists on the boundary
    with pytest.warns(BoundaryWarning, match="p = 1"):
        res = mk.fit(C([1.0, 2.0, 3.0], [INF] * 3), "binomial", fixed={"n": 5})
    assert res.params["p"] == 1.0
    assert res.llf == 0.0


def test_valid_censored_weibull_matches_an_independent_optimum():
    rng = np.random.default_rng(3)
    t = 2.0 * rng.weibull(1.5, 60)
    cut = 2.5
    lo, hi = np.minimum(t, cut), np.where(t > cut, INF, t)
    res = mk.fit(C(lo, hi), "weibull")
    assert res.converged
    ref = optimize.minimize(
        lambda p: _censored_nll(st.weibull_min(np.exp(p[0]), scale=np.exp(p[1])), lo, hi),
        [0.0, 0.5], method="Nelder-Mead", options={"xatol": 1e-10, "fatol": 1e-13,
                                                    "maxiter": 4000})
    assert -res.llf == pytest.approx(ref.fun, rel=1e-9)
    assert res.params["shape"] == pytest.approx(np.exp(ref.x[0]), rel=1e-5)
    assert res.params["scale"] == pytest.approx(np.exp(ref.x[1]), rel=1e-5)


# ----------------------------------------------------------------- shapes and dtypes
def test_two_column_array_is_refused_naming_the_shape():
    with pytest.raises(DataError, match=r"x has shape \(5, 2\): Normal is a univariate"):
        mk.fit(np.ones((5, 2)), "normal")
    with pytest.raises(DataError, match=r"shape \(2, 3, 1\)"):
        mk.fit(np.ones((2, 3, 1)), "gamma")


def test_one_column_is_the_observations():
    x = np.random.default_rng(0).normal(1.0, 2.0, 50)
    a, b = mk.fit(x[:, None], "normal"), mk.fit(x, "normal")
    assert a.params == b.params and a.llf == b.llf


def test_multivariate_families_still_take_rows():
    x = np.random.default_rng(1).normal(size=(40, 2))
    res = mk.fit(x, "multivariatenormal")
    np.testing.assert_allclose(res.params["mean"], x.mean(axis=0), rtol=1e-12)


def test_censored_endpoints_must_be_one_dimensional():
    with pytest.raises(DataError, match=r"Censored low has shape \(2, 2\)"):
        C(np.ones((2, 2)), np.ones((2, 2)))


@pytest.mark.parametrize("x,match", [
    (np.array([1 + 1j, 2, 3]), r"complex with a non-zero imaginary part at index 0"),
    (np.array(["1.0", "2.0", "3.5"]), r"holds text"),
    (np.array([1.0, "2", 3.0], dtype=object), r"x\[1\] is text"),
    (np.array([True, False, True]), r"boolean"),
    (np.array(["2020-01-01", "2020-02-01"], dtype="datetime64[D]"), r"dates or durations"),
    (np.array([1, 2], dtype="timedelta64[s]"), r"dates or durations"),
])
def test_unusable_dtypes_are_named(x, match):
    with pytest.raises(DataError, match=match):
        mk.fit(x, "normal")


def test_complex_with_zero_imaginary_parts_fits_the_real_parts():
    x = np.array([1.0, 2.0, 4.5])
    assert mk.fit(x + 0j, "normal").params == mk.fit(x, "normal").params


def test_booleans_fit_a_bernoulli():
    res = mk.fit(np.array([True, False, True, True]), "bernoulli")
    assert res.params["p"] == 0.75


def test_complex_weights_are_refused():
    with pytest.raises(DataError, match="weights is complex"):
        mk.fit([1.0, 2.0, 3.0], "normal", weights=[1, 1j, 1])


# ----------------------------------------------------------------- weights
@pytest.mark.parametrize("big", [1e308, 1e250, 1.7e308])
def test_extreme_equal_weights_equal_the_unit_weight_fit(big):
    x = [1.0, 2.0, 4.0]
    res = mk.fit(x, "normal", weights=[big] * 3)
    ref = mk.fit(x, "normal")
    assert res.params == ref.params
    assert res.llf == ref.llf and res.nobs == ref.nobs
    assert any("divided by their maximum" in n for n in res.notes)


def test_tiny_weights_stay_frequency_weights():
    # nobs = Σw = 3e-300: too few observations for two parameters (not rescaled)
    with pytest.raises(DataError, match="too few observations"):
        mk.fit([1.0, 2.0, 4.0], "normal", weights=[1e-300] * 3)


def test_extreme_unequal_weights_keep_their_ratios():
    x = np.array([1.0, 2.0, 4.0])
    res = mk.fit(x, "gamma", weights=[1e307, 2e307, 1e307])
    ref = mk.fit(x, "gamma", weights=[1.0, 2.0, 1.0])
    for k in ref.params:
        assert res.params[k] == pytest.approx(ref.params[k], rel=1e-14)


def test_issue_example_weights_1e308():
    res = mk.fit([1, 2], "normal", weights=[1e308, 1e308])
    assert res.params == {"mu": 1.5, "sigma": 0.5}


@pytest.mark.parametrize("w,match", [
    ([0.0, 0.0, 0.0], "weights are all zero"),
    ([1.0, -1.0, 1.0], r"weights must be >= 0.*index 1"),
    ([1.0, np.nan, 1.0], "non-finite value at index 1"),
    ([1.0, 1.0, np.inf], "non-finite value at index 2"),
    ([1.0, 1.0], r"one value per observation: got shape \(2,\), expected \(3,\)"),
])
def test_bad_weights_are_named(w, match):
    with pytest.raises(DataError, match=match):
        mk.fit([1.0, 2.0, 3.0], "normal", weights=w)


# ----------------------------------------------------------------- data far from 0
BASE = np.random.default_rng(2026).normal(size=200)


@pytest.fixture(autouse=True)
def _fifty_digits():
    """mpmath at 50 digits for each test here, restored after it (a global set at import
    would be whatever the last module to change it left when the test runs)."""
    with mp.workdps(50):
        yield


def _mp(x):
    return [mp.mpf(float(v)) for v in x]


def test_issue_example_gamma_far_from_zero_matches_mpmath():
    x = 1e9 + BASE
    res = mk.fit(x, "gamma")
    xs = _mp(x)
    n = len(xs)
    mean = mp.fsum(xs) / n
    s = mp.log(mean) - mp.fsum(mp.log(v) for v in xs) / n
    k = mp.findroot(lambda k: mp.log(k) - mp.digamma(k) - s, 1 / (2 * s))
    rate = k / mean
    llf = mp.fsum(k * mp.log(rate) - mp.loggamma(k) + (k - 1) * mp.log(v) - rate * v
                  for v in xs)
    assert 1e17 < k < 1e19  # the shape the issue names
    assert res.params["shape"] == pytest.approx(float(k), rel=1e-13)
    assert res.params["rate"] == pytest.approx(float(rate), rel=1e-13)
    assert res.llf == pytest.approx(float(llf), rel=1e-14)
    # standard errors: the inverse information n·[[ψ'(k), -1/r], [-1/r, k/r²]]
    tg = mp.polygamma(1, k)
    det = k * tg - 1
    assert res.bse["shape"] == pytest.approx(float(mp.sqrt(k / (n * det))), rel=1e-10)
    assert res.bse["rate"] == pytest.approx(float(mp.sqrt(rate**2 * tg / (n * det))),
                                            rel=1e-10)


def test_gamma_and_lognormal_fit_data_whose_spread_is_below_rounding():
    # 49,999 values 0.5 and one 0.5 + 1e-13: not all equal, so the MLE exists
    x = np.full(50_000, 0.5)
    x[0] = 0.5 + 1e-13
    n, delta = x.size, float(np.log(x[0] / 0.5))
    ln = mk.fit(x, "lognormal")
    assert ln.params["sigma"] == pytest.approx(delta * np.sqrt((n - 1) / n**2), rel=1e-9)
    ga = mk.fit(x, "gamma")
    # s = log x̄ − mean log x = Var(x/x̄)/2 + O(δ³) with relative deviations 0 and δ
    # (once), and log k − ψ(k) = 1/(2k) + O(1/k²): k = n² / (δ² (n − 1))
    d = x[0] / 0.5 - 1.0  # exact
    assert ga.params["shape"] == pytest.approx(n * n / (d * d * (n - 1)), rel=1e-9)
    weighted = mk.fit(x, "gamma", weights=np.ones(n))  # no support-check deferral
    assert weighted.params == ga.params


@pytest.mark.parametrize("offset", [1e6, 1e9])
def test_lognormal_far_from_zero_matches_mpmath(offset):
    x = offset + BASE
    res = mk.fit(x, "lognormal")
    logs = [mp.log(v) for v in _mp(x)]
    n = len(logs)
    mu = mp.fsum(logs) / n
    sigma = mp.sqrt(mp.fsum((v - mu) ** 2 for v in logs) / n)
    llf = -n * (mp.log(sigma) + mp.log(2 * mp.pi) / 2 + mp.mpf(1) / 2) - mp.fsum(logs)
    assert res.params["mu"] == pytest.approx(float(mu), rel=1e-15)
    assert res.params["sigma"] == pytest.approx(float(sigma), rel=1e-13)
    assert res.llf == pytest.approx(float(llf), rel=1e-14)


@pytest.mark.parametrize("offset", [1e6, 1e9])
def test_weibull_far_from_zero_matches_mpmath(offset):
    x = offset + BASE
    res = mk.fit(x, "weibull")
    xs = _mp(x)
    k, lam = mp.mpf(res.params["shape"]), mp.mpf(res.params["scale"])
    # the llf at its own parameters, and the profile score at k (zero at the MLE)
    llf = mp.fsum(mp.log(k / lam) + (k - 1) * mp.log(v / lam) - (v / lam) ** k for v in xs)
    top = max(xs)
    num = mp.fsum((v / top) ** k * mp.log(v / top) for v in xs)
    den = mp.fsum((v / top) ** k for v in xs)
    score = 1 / k + mp.fsum(mp.log(v / top) for v in xs) / len(xs) - num / den
    assert res.llf == pytest.approx(float(llf), rel=1e-13)
    assert abs(float(score * k)) < 1e-10


def _nll_mp(name, params, x):
    """−ℓ at 50 digits (independent of both mlekit and scipy)."""
    xs = _mp(x)
    p = {k: mp.mpf(float(v)) for k, v in params.items()}
    if name == "normal":
        mu, s = p["mu"], p["sigma"]
        terms = ((v - mu) ** 2 / (2 * s * s) + mp.log(s) + mp.log(2 * mp.pi) / 2 for v in xs)
    elif name == "lognormal":
        mu, s = p["mu"], p["sigma"]
        terms = ((mp.log(v) - mu) ** 2 / (2 * s * s) + mp.log(s * v) + mp.log(2 * mp.pi) / 2
                 for v in xs)
    elif name == "gamma":
        k, r = p["shape"], p["rate"]
        terms = (-(k * mp.log(r) - mp.loggamma(k) + (k - 1) * mp.log(v) - r * v) for v in xs)
    elif name == "weibull":
        k, lam = p["shape"], p["scale"]
        terms = (-(mp.log(k / lam) + (k - 1) * mp.log(v / lam) - (v / lam) ** k) for v in xs)
    else:
        r = p["rate"]
        terms = (-(mp.log(r) - r * v) for v in xs)
    return mp.fsum(terms)


SCIPY = {
    "normal": (st.norm, {}, lambda f: {"mu": f[0], "sigma": f[1]}),
    "lognormal": (st.lognorm, {"floc": 0}, lambda f: {"mu": np.log(f[2]), "sigma": f[0]}),
    "gamma": (st.gamma, {"floc": 0}, lambda f: {"shape": f[0], "rate": 1 / f[2]}),
    "weibull": (st.weibull_min, {"floc": 0}, lambda f: {"shape": f[0], "scale": f[2]}),
    "exponential": (st.expon, {"floc": 0}, lambda f: {"rate": 1 / f[1]}),
}
# parameters both fits determine to these digits (scipy's gamma and weibull fits lose
# theirs on offset data: only their likelihood is compared)
AGREE = {"normal": 1e-12, "exponential": 1e-12, "lognormal": 1e-6}


@pytest.mark.parametrize("offset", [1e6, 1e9])
@pytest.mark.parametrize("name", list(SCIPY))
def test_offset_fits_are_at_least_as_good_as_scipys(name, offset):
    x = offset + BASE
    res = mk.fit(x, name)
    ours = _nll_mp(name, res.params, x)
    dist, kw, to_params = SCIPY[name]
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        try:
            theirs_params = to_params(dist.fit(x, **kw))
        except Exception:  # scipy's gamma fit fails outright at 1e9 + N(0, 1)
            theirs_params = None
    assert mp.isfinite(ours)
    if theirs_params is None:
        return
    theirs = _nll_mp(name, theirs_params, x)
    assert ours <= theirs + 1e-9 * abs(theirs)
    if name in AGREE:
        for k, v in theirs_params.items():
            assert res.params[k] == pytest.approx(float(v), rel=AGREE[name])


def test_compare_refuses_two_columns():
    with pytest.raises(DataError, match=r"x has shape \(5, 2\)"):
        mk.compare(np.ones((5, 2)))


def test_weibull_zero_value_has_no_maximum_unless_shape_is_held_at_one():
    with pytest.raises(NoMaximumError, match=r"x\[0\] = 0 \(index 0\)"):
        mk.fit([0.0, 1.0, 2.0, 3.0], "weibull")
    res = mk.fit([0.0, 1.0, 2.0, 3.0], "weibull", fixed={"shape": 1.0})  # Exponential
    assert res.params["scale"] == pytest.approx(1.5, rel=1e-14)
