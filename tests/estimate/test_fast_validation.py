"""Large data take a min/max shortcut through validation: errors must stay as precise."""

from __future__ import annotations

import numpy as np
import pytest

from mlekit.errors import DataError, SupportError
from mlekit.estimate import fit
from mlekit.estimate._data import distinct_at_least

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
