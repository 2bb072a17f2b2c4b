"""Kaplan–Meier and Turnbull estimates against R ``survival::survfit`` (3.5.3) values
committed in tests/report/data (made by make_fixtures.R there) and hand computations."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from mlekit.errors import DataError
from mlekit.estimate._nonparametric import kaplan_meier, turnbull

DATA = Path(__file__).resolve().parents[1] / "report" / "data"


def test_kaplan_meier_by_hand():
    # times 1, 2, 2+, 3, 4+: S = 4/5, then 4/5 * 3/4 (one event of 4 at risk at 2),
    # then 3/5 * 1/2 (2 at risk at 3)
    km = kaplan_meier([1, 2, 2, 3, 4], [True, True, False, True, False])
    np.testing.assert_allclose(km.points, [1, 2, 3])
    np.testing.assert_allclose(1 - km.cdf, [0.8, 0.6, 0.3])
    np.testing.assert_allclose(km([0.5, 1, 2.5, 10]), [0, 0.2, 0.4, 0.7])
    assert km.quantile(0.5) == 3.0 and np.isnan(km.quantile(0.9))


def test_kaplan_meier_matches_r_survfit():
    d = pd.read_csv(DATA / "km_right.csv")
    ref = pd.read_csv(DATA / "km_right_survfit.csv")
    km = kaplan_meier(d["time"], d["event"].astype(bool))
    np.testing.assert_allclose(1 - km(ref["time"].to_numpy()), ref["surv"], rtol=1e-12)


def test_weights_are_repeats():
    t, e = np.array([1.0, 2.0, 3.0, 4.0]), np.array([True, False, True, True])
    w = np.array([2, 1, 3, 1])
    a = kaplan_meier(t, e, weights=w)
    b = kaplan_meier(np.repeat(t, w), np.repeat(e, w))
    np.testing.assert_allclose(a.cdf, b.cdf)


def test_turnbull_on_right_censored_data_is_kaplan_meier():
    d = pd.read_csv(DATA / "km_right.csv")
    t, e = d["time"].to_numpy(float), d["event"].to_numpy(bool)
    tb = turnbull(t, np.where(e, t, np.inf))
    km = kaplan_meier(t, e)
    grid = np.linspace(0, 20, 401)
    np.testing.assert_allclose(tb(grid), km(grid), atol=1e-7)


def test_turnbull_matches_r_survfit_interval2():
    d = pd.read_csv(DATA / "turnbull_interval.csv")
    ref = pd.read_csv(DATA / "turnbull_survfit.csv")
    tb = turnbull(d["low"], d["high"])
    # R reports each innermost interval at its midpoint; we put its mass at the right
    # end: the levels of F and where they are reached agree
    levels_r = np.unique(np.round(1 - ref["surv"].to_numpy(), 8))
    levels = np.unique(np.round(tb.cdf, 8))
    np.testing.assert_allclose(levels[levels > 0], levels_r, atol=1e-7)
    np.testing.assert_allclose(tb([4.0, 5.6, 5.8, 6.0, 8.0, 10.0, 12.0]),
                               [0.15, 0.4, 0.65, 0.65, 0.8, 0.85, 1.0], atol=1e-7)


def test_turnbull_mass_beyond_right_censoring_and_left_censoring():
    # two exact values, one left-censored at 1, one right-censored at 3
    tb = turnbull([-np.inf, 1.0, 2.0, 3.0], [1.0, 1.0, 2.0, np.inf])
    np.testing.assert_allclose(tb.points, [1, 2])
    np.testing.assert_allclose(tb.cdf, [0.5, 0.75])  # 1/4 of the mass beyond 3


def test_bad_input_is_named():
    with pytest.raises(DataError, match="index 1"):
        kaplan_meier([1.0, np.nan], [True, True])
    with pytest.raises(DataError, match="weights"):
        turnbull([1.0], [2.0], weights=[-1.0])
