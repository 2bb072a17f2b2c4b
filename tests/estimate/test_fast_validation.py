"""Large data take a min/max shortcut through validation: errors must stay as precise."""

from __future__ import annotations

import numpy as np
import pytest

import mlekit.estimate._data as data_mod
from mlekit.errors import DataError, SupportError
from mlekit.estimate import fit
from mlekit.estimate._data import distinct_at_least, prepare
from mlekit.families import FAMILIES

N = 50_000


@pytest.mark.parametrize("bad,kind", [(np.nan, "NaN"), (np.inf, "infinite"), (-np.inf, "infinite")])
def test_non_finite_value_in_large_data_is_named_with_its_index(bad, kind):
    x = np.random.default_rng(0).normal(size=N)
    x[31_337] = bad
    with pytest.raises(SupportError, match=rf"{kind} value at index 31337"):
        fit(x, "normal")


@pytest.mark.parametrize("family,value", [("gamma", 0.0), ("gamma", -1.0), ("beta", 1.0),
                                          ("poisson", 2.5), ("exponential", -3.0)])
def test_out_of_support_value_in_large_data_is_named_with_its_index(family, value):
    x = np.random.default_rng(1).uniform(0.1, 0.9, N)
    if family == "poisson":
        x = np.floor(x * 10)
    x[4_321] = value
    with pytest.raises(SupportError, match="index 4321"):
        fit(x, family)


def test_all_equal_large_data_is_reported():
    with pytest.raises(DataError, match="all data values are equal"):
        fit(np.full(N, 3.0), "normal")


def test_two_values_are_enough_for_two_parameters_on_large_data():
    x = np.zeros(N)
    x[-1] = 1.0
    res = fit(x, "normal")
    assert res.params["mu"] == pytest.approx(1.0 / N)


def test_weighted_large_data_count_only_positive_weights():
    x = np.arange(N, dtype=float)
    w = np.zeros(N)
    w[7] = 3.0
    with pytest.raises(DataError, match="all data values are equal"):
        fit(x, "normal", weights=w)


@pytest.mark.parametrize("values,m,expected", [
    ([1.0, 1.0, 1.0], 3, 1), ([1.0, 2.0, 1.0], 3, 2), ([1.0, 2.0, 3.0, 3.0], 3, 3),
    ([1.0, 2.0, 3.0, 4.0], 2, 2), ([[1.0, 2.0], [1.0, 2.0], [1.0, 3.0]], 5, 2), ([], 2, 0),
])
def test_distinct_at_least_counts_up_to_m(values, m, expected):
    arr = np.array(values, float).reshape(len(values), -1) if values else np.empty((0,))
    assert distinct_at_least(arr, m) == expected


# ---- families whose MLE proves the data valid (mle_checks_support): fit leaves the
# support check of large data to it, and checks elementwise only when the MLE fails
DEFERRING = {
    "gamma": (lambda rng: rng.gamma(2.5, 0.6, N), [np.nan, np.inf, -np.inf, 0.0, -1.0]),
    "normal": (lambda rng: rng.normal(1.0, 2.0, N), [np.nan, np.inf, -np.inf]),
    "lognormal": (lambda rng: np.exp(rng.normal(0.5, 0.8, N)), [np.nan, np.inf, 0.0, -2.0]),
    "beta": (lambda rng: rng.beta(2.0, 5.0, N), [np.nan, -np.inf, 0.0, 1.0, 1.5, -0.5]),
}
CASES = [(f, v, i) for f, (_, bad) in DEFERRING.items() for v in bad for i in (0, 4_321, N - 1)]


def _message(exc_info) -> str:
    return f"{exc_info.type.__name__}: {exc_info.value}"


@pytest.mark.parametrize("family", sorted(DEFERRING))
def test_deferring_families_skip_the_range_pass(family, monkeypatch):
    fam = FAMILIES[family]
    assert fam.mle_checks_support
    x = DEFERRING[family][0](np.random.default_rng(2))
    with monkeypatch.context() as m:
        m.setattr(fam, "mle_checks_support", False)
        assert not prepare(x, fam, defer_support=True).support_deferred
        expected = fit(x, family)

    def no_range(*args, **kwargs):
        raise AssertionError("the min/max pass ran")

    monkeypatch.setattr(data_mod, "_range_if_valid", no_range)
    assert prepare(x, fam, defer_support=True).support_deferred
    res = fit(x, family)
    assert (res.params, res.bse, res.llf) == (expected.params, expected.bse, expected.llf)
    with pytest.raises(AssertionError, match="min/max"):  # not deferred for the generic path
        fit(x, family, method="generic")


@pytest.mark.parametrize("family,bad,index", CASES)
def test_deferred_check_names_the_first_bad_index(family, bad, index):
    x = DEFERRING[family][0](np.random.default_rng(3))
    x[index] = bad
    if index + 1 < N:
        x[index + 1] = bad  # a second one after it: the first is named
    with pytest.raises(SupportError, match=rf"index {index}\b") as deferred:
        fit(x, family)
    with pytest.raises(SupportError) as checked:  # the same error as the checked path
        fit(x, family, method="generic")
    assert _message(deferred) == _message(checked)


@pytest.mark.parametrize("family", sorted(DEFERRING))
def test_equal_first_and_last_values_take_the_usual_path(family):
    x = np.full(N, 0.5)
    with pytest.raises(DataError, match="all data values are equal"):
        fit(x, family)
    x[N // 2] = 0.25
    assert not prepare(x, FAMILIES[family], defer_support=True).support_deferred
    x[-2] = np.nan
    with pytest.raises(SupportError, match=rf"NaN value at index {N - 2}"):
        fit(x, family)


# (Gamma and LogNormal now fit such data: their MLE exists, shape ~ 1e30 / sigma ~ 1e-15,
# see tests/estimate/test_trust_univariate.py; issue #22 part 5)
@pytest.mark.parametrize("family", ["beta"])
def test_mle_error_on_valid_data_comes_through(family):
    # valid data whose first and last values differ, with a spread below rounding: the
    # MLE raises, the deferred check finds every value valid, the MLE's error stands
    x = np.full(N, 0.5)
    x[0] = 0.5 + 1e-13
    assert prepare(x, FAMILIES[family], defer_support=True).support_deferred
    with pytest.raises(DataError) as deferred:
        fit(x, family)
    with pytest.raises(DataError) as checked:  # unit weights: not deferred
        fit(x, family, weights=np.ones(N))
    assert not isinstance(deferred.value, SupportError)
    assert _message(deferred) == _message(checked)


def test_deferral_is_off_with_weights_or_fixed_parameters():
    x = DEFERRING["gamma"][0](np.random.default_rng(4))
    fam = FAMILIES["gamma"]
    assert not prepare(x, fam, weights=np.ones(N), defer_support=True).support_deferred
    assert not prepare(x, fam, fixed={"shape": 2.0}, defer_support=True).support_deferred
    assert not prepare(x[:100], fam, defer_support=True).support_deferred  # small data
    assert not prepare(x, fam).support_deferred
    x[5] = -1.0
    with pytest.raises(SupportError, match="index 5"):
        fit(x, "gamma", weights=np.ones(N))
    with pytest.raises(SupportError, match="index 5"):
        fit(x, "gamma", fixed={"shape": 2.0})
