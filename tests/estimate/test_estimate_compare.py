"""compare(): ranking, KS and Anderson-Darling against scipy, bootstrap, family selection."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from mlekit._utils.tables import ResultsTable
from mlekit.errors import DataError
from mlekit.estimate import CompareResult, anderson_darling, compare, fit
from mlekit.families import FAMILIES

X = np.random.default_rng(5).normal(2.0, 1.0, size=150)


def test_anderson_darling_matches_scipy():
    # scipy.stats.anderson fits the normal with the ddof=1 standard deviation
    xs = np.sort(X)
    d = stats.norm(X.mean(), X.std(ddof=1))
    a2 = anderson_darling(xs, d.logcdf(xs), d.logsf(xs))
    assert a2 == pytest.approx(stats.anderson(X, dist="norm", method="interpolate").statistic,
                               rel=1e-10)


def test_compare_ranks_by_aic_with_correct_statistics():
    names = [n for n in ("normal", "cauchy", "laplace", "logistic") if n in FAMILIES]
    res = compare(X, names)
    assert isinstance(res, CompareResult)
    t = res.table
    assert list(t["AIC"]) == sorted(t["AIC"])
    assert set(t.index) == set(names)
    assert t["dAIC"].iloc[0] == 0.0
    for col in ("k", "llf", "AIC", "BIC", "dAIC", "KS", "AD", "method", "converged"):
        assert col in t.columns
    ref = fit(X, "normal")
    row = t.loc["normal"]
    assert row["llf"] == pytest.approx(ref.llf, rel=1e-12)
    assert row["BIC"] == pytest.approx(ref.bic, rel=1e-12)
    ks = stats.kstest(X, stats.norm(ref.params["mu"], ref.params["sigma"]).cdf).statistic
    assert row["KS"] == pytest.approx(ks, rel=1e-12)
    d = stats.norm(ref.params["mu"], ref.params["sigma"])
    xs = np.sort(X)
    assert row["AD"] == pytest.approx(anderson_darling(xs, d.logcdf(xs), d.logsf(xs)), rel=1e-9)
    assert res.best.family.name == t.index[0]
    table = res.summary()
    assert isinstance(table, ResultsTable) and len(table.rows) == len(names)
    assert "<table" in res._repr_html_() and "Family comparison" in repr(res)


def test_bootstrap_p_value_is_seeded_and_sensible():
    a = compare(X, ["normal"], bootstrap=40, rng=1)
    b = compare(X, ["normal"], bootstrap=40, rng=1)
    p = a.table.loc["normal", "p_boot"]
    assert p == b.table.loc["normal", "p_boot"]
    assert 1 / 41 <= p <= 1.0
    assert p > 0.05  # the data are normal
    if "exponential" in FAMILIES:
        y = np.random.default_rng(2).uniform(0.5, 1.0, size=200)
        c = compare(y, ["exponential"], bootstrap=30, rng=0)
        assert c.table.loc["exponential", "p_boot"] <= 1 / 31 + 1e-12  # clearly not exponential


def test_auto_selects_univariate_families_whose_support_fits():
    res = compare(X, "auto")
    for name in list(res.table.index) + list(res.failed):
        fam = FAMILIES[name]
        assert not fam.discrete and fam.event_ndim == 0
        fam.check_data(X)  # support contains the data
    assert "normal" in res.table.index
    assert "bernoulli" not in res.table.index and "categorical" not in res.table.index
    positive = np.abs(X) + 0.1
    pos = compare(positive, "auto")
    assert len(pos.table) >= len(res.table)
    counts = np.random.default_rng(0).poisson(3.0, size=100).astype(float)
    disc = compare(counts, "auto")
    assert all(FAMILIES[n].discrete for n in disc.table.index)
    binary = (np.random.default_rng(0).random(50) < 0.4).astype(float)
    assert "bernoulli" in compare(binary, "auto").table.index


def test_mixing_discrete_and_continuous_warns_and_failures_are_recorded():
    binary = (np.random.default_rng(0).random(50) < 0.4).astype(float)
    with pytest.warns(UserWarning, match="not on the same scale"):
        res = compare(binary, ["bernoulli", "normal"])
    assert set(res.table.index) == {"bernoulli", "normal"}
    with pytest.raises(DataError, match="no family could be fitted"):
        compare(np.full(5, 2.0), ["normal"])
    with pytest.warns(UserWarning, match="not on the same scale"):
        res = compare(np.array([0.0, 1.0, 2.5, 2.5]), ["normal", "bernoulli"])
    assert list(res.table.index) == ["normal"]
    assert "bernoulli" in res.failed and "Binary" in res.failed["bernoulli"]
    assert "not fitted" in res.summary().to_text()
