"""#24: ``nobs`` counts rows, so it is an ``int`` unless fractional weights make it a sum."""

from __future__ import annotations

import numpy as np
import pytest

import mlekit as mk

X = np.random.default_rng(24).normal(3.0, 2.0, 37)


def test_fit_nobs_is_an_int_without_weights():
    res = mk.fit(X, "normal")
    assert type(res.nobs) is int and res.nobs == 37
    assert repr(res.nobs) == "37"
    # BIC still uses log n
    assert res.bic == pytest.approx(2 * np.log(37) - 2 * res.llf, rel=1e-12)


def test_fit_nobs_with_whole_and_fractional_weights():
    w = np.arange(37) % 3 + 1.0  # frequency weights stored as floats: they count rows
    res = mk.fit(X, "normal", weights=w)
    assert type(res.nobs) is int and res.nobs == int(w.sum()) == 73
    half = mk.fit(X, "normal", weights=np.full(37, 0.5))
    assert type(half.nobs) is float and half.nobs == pytest.approx(18.5)


def test_fit_nobs_of_censored_data_is_an_int():
    data = mk.estimate.Censored.from_indicator(np.abs(X) + 0.1, np.arange(37) % 4 == 0)
    res = mk.fit(data, "weibull")
    assert type(res.nobs) is int and res.nobs == 37


def test_regression_nobs_is_an_int():
    rng = np.random.default_rng(1)
    Xd = rng.normal(size=(30, 2))
    y = Xd @ [1.0, -0.5] + rng.normal(size=30)
    res = mk.LinearRegression().fit(Xd, y).result_
    assert type(res.nobs) is int and res.nobs == 30
    assert res.bic == pytest.approx(-2 * res.llf + res.df_model * np.log(30), rel=1e-12)
    w = np.where(np.arange(30) % 2 == 0, 2.0, 1.0)
    rw = mk.LinearRegression().fit(Xd, y, sample_weight=w).result_
    assert type(rw.nobs) is int and rw.nobs == 45
    rf = mk.LinearRegression().fit(Xd, y, sample_weight=np.full(30, 0.25)).result_
    assert type(rf.nobs) is float and rf.nobs == pytest.approx(7.5)
