"""Arguments of a frozen Distribution's methods (issue #22, part 4).

The rule (documented in ``Distribution``'s docstring): NaN in, NaN out; a value off the
support is not an error (logpdf −inf, cdf 0/1); a probability outside [0, 1] given to
ppf/isf is a DataError naming the index; complex (non-zero imaginary part), text, dates
and, for continuous families, booleans are a DataError; ``sample`` checks ``size`` and
``rng`` before anything is allocated. Values are held against scipy.stats.
"""

from __future__ import annotations

import datetime

import numpy as np
import pytest
import scipy.stats as st

import mlekit as mk
from mlekit.errors import DataError, ParameterError

# (mlekit member, the same scipy distribution)
MEMBERS = {
    "normal": (mk.Normal(mu=0.5, sigma=2.0), st.norm(0.5, 2.0)),
    "lognormal": (mk.LogNormal(mu=0.3, sigma=0.6), st.lognorm(0.6, scale=np.exp(0.3))),
    "gamma": (mk.Gamma(shape=2.5, rate=1.5), st.gamma(2.5, scale=1 / 1.5)),
    "weibull": (mk.Weibull(shape=1.7, scale=2.0), st.weibull_min(1.7, scale=2.0)),
    "exponential": (mk.Exponential(rate=1.5), st.expon(scale=1 / 1.5)),
}
X = np.array([-np.inf, -1.0, 0.0, 0.3, 1.0, 2.5, 40.0, np.inf, np.nan])
Q = np.array([0.0, 1e-12, 0.25, 0.5, 0.9, 1.0 - 1e-12, 1.0, np.nan])


@pytest.mark.parametrize("name", list(MEMBERS))
@pytest.mark.parametrize("method", ["logpdf", "pdf", "cdf", "sf", "logsf", "logcdf"])
def test_x_methods_match_scipy_including_off_support_inf_and_nan(name, method):
    d, ref = MEMBERS[name]
    got = getattr(d, method)(X)
    with np.errstate(all="ignore"):
        want = getattr(ref, method)(X[1:-2])  # scipy's gamma/weibull logpdf(inf) is NaN
    assert np.isnan(got[-1])  # NaN in, NaN out
    np.testing.assert_allclose(got[1:-2], want, rtol=1e-12, atol=0)
    # the limits every distribution shares, at x = -inf and +inf
    limits = {"logpdf": (-np.inf, -np.inf), "pdf": (0, 0), "cdf": (0, 1), "sf": (1, 0),
              "logsf": (0, -np.inf), "logcdf": (-np.inf, 0)}[method]
    assert (got[0], got[-2]) == limits


@pytest.mark.parametrize("name", list(MEMBERS))
@pytest.mark.parametrize("method", ["ppf", "isf"])
def test_q_methods_match_scipy_and_pass_nan(name, method):
    d, ref = MEMBERS[name]
    got = getattr(d, method)(Q)
    want = getattr(ref, method)(Q)
    assert np.isnan(got[-1])
    # isf falls back to ppf(1 - q) where the family has no own isf: q resolved to ~1e-16
    np.testing.assert_allclose(got[:-1], want[:-1], rtol=1e-12 if method == "ppf" else 1e-3)


@pytest.mark.parametrize("name", list(MEMBERS))
@pytest.mark.parametrize("method", ["ppf", "isf"])
@pytest.mark.parametrize("bad", [1.5, -0.1, np.inf, -np.inf, 1.0 + 1e-15])
def test_probability_outside_unit_interval_is_named(name, method, bad):
    d, _ = MEMBERS[name]
    with pytest.raises(DataError, match=rf"{method}: q must be a probability in \[0, 1\]; "
                                        r"q\[2\] = "):
        getattr(d, method)([0.1, 0.5, bad, 0.2])
    with pytest.raises(DataError, match=r"q = "):
        getattr(d, method)(bad)


def test_issue_example_ppf_above_one():
    with pytest.raises(DataError, match=r"Normal.ppf: .*q = 1.5 is not"):
        mk.Normal(0, 1).ppf(1.5)


@pytest.mark.parametrize("name,x", [
    ("normal", [-40.0, -5.0, 0.0, 8.0, 40.0]),
    ("lognormal", [1e-30, 1e-3, 1.0, 1e3, 1e30]),
    ("weibull", [1e-200, 1e-8, 1.0, 10.0, 60.0]),
    ("exponential", [1e-300, 1e-9, 1.0, 20.0, 700.0]),
])
def test_logcdf_is_exact_in_both_tails(name, x):
    d, ref = MEMBERS[name]
    np.testing.assert_allclose(d.logcdf(x), ref.logcdf(x), rtol=1e-12)


@pytest.mark.parametrize("x,match", [
    ([1.0 + 2.0j, 3.0], r"complex with a non-zero imaginary part at index 0"),
    (np.array([1.0, 2.0, 3.0 - 1e-300j]), r"at index 2"),
    (np.array(["1.5", "2"]), r"x must be numeric: it holds text \(dtype <U3; x\[0\] = '1.5'\)"),
    (np.array(["1.5", "abc"]), r"x\[1\] = 'abc'"),
    (np.array([1.0, "a"], dtype=object), r"x must be numeric: x\[1\] is text \('a'\)"),
    (None, r"x is None"),
    (np.array([True, False]), r"boolean"),
    (np.array(["2020-01-01"], dtype="datetime64[D]"), r"dates or durations"),
    (np.array([1.0, datetime.date(2020, 1, 1)], dtype=object), r"x\[1\] is a date"),
    ([[1.0, 2.0], [3.0]], r"must be numeric \(a rectangular array of numbers\)"),
])
@pytest.mark.parametrize("method", ["logpdf", "cdf", "logsf", "nll"])
def test_unusable_x_is_a_named_data_error(x, match, method):
    with pytest.raises(DataError, match=match):
        getattr(mk.Normal(0, 1), method)(x)


def test_complex_with_zero_imaginary_parts_is_the_real_value():
    d = mk.Normal(0.5, 2.0)
    z = np.array([1.0 + 0j, -2.0 + 0j])
    np.testing.assert_array_equal(d.logpdf(z), d.logpdf([1.0, -2.0]))


def test_booleans_are_fine_for_a_discrete_family():
    d = mk.Bernoulli(p=0.25)
    np.testing.assert_allclose(d.logpmf(np.array([True, False])), np.log([0.25, 0.75]))


@pytest.mark.parametrize("size,match", [
    (-3, r"size must be >= 0; got -3"),
    ((2, -1), r"size must be >= 0; got \(2, -1\)"),
    (2.5, r"non-negative integer or a tuple of them; got 2.5 \(float\)"),
    ((2, 1.5), r"got \(2, 1.5\) \(float\)"),
    (True, r"\(bool\)"),
    ("3", r"\(str\)"),
    (10**10, r"asks for 1e\+10 values, more than the limit"),
    ((100_000, 100_000), r"asks for 1e\+10 values"),
])
def test_bad_sample_size_is_a_named_parameter_error(size, match):
    with pytest.raises(ParameterError, match=match):
        mk.Normal(0, 1).sample(size, rng=0)


def test_sample_limit_counts_the_batch():
    d = mk.Normal(mu=np.zeros(1000), sigma=1.0)
    with pytest.raises(ParameterError, match=r"asks for 1e\+10 values"):
        d.sample(10**7, rng=0)


@pytest.mark.parametrize("rng", ["abc", -1, 1.5])
def test_bad_rng_is_a_named_parameter_error(rng):
    with pytest.raises(ParameterError, match=r"rng must be None, a non-negative integer seed"):
        mk.Normal(0, 1).sample(3, rng=rng)


def test_valid_sizes_and_rngs():
    d = mk.Normal(0, 1)
    assert d.sample(0, rng=0).shape == (0,)
    assert d.sample((2, 3), rng=0).shape == (2, 3)
    assert d.sample(np.int64(4), rng=0).shape == (4,)
    assert d.sample(rng=0).shape == ()
    a = d.sample(5, rng=np.random.default_rng(7))
    np.testing.assert_array_equal(a, np.random.default_rng(7).normal(0, 1, 5))


@pytest.mark.parametrize("q", [1e-300, 1e-200, 1e-20, 0.3, 1 - 1e-16])
def test_beta_ppf_deep_tails_invert_the_cdf(q):
    """betaincinv gives up at q = 1e-300 (NaN); the tail asymptote takes over and the
    quantile still inverts the CDF, checked with mpmath's regularized incomplete beta."""
    import mpmath as mp

    import mlekit as mk

    x = float(mk.Beta(2.0, 3.5).ppf(q))
    with mp.workdps(40):
        back = float(mp.betainc(2, 3.5, 0, x, regularized=True))
    assert back == pytest.approx(q, rel=1e-9)
