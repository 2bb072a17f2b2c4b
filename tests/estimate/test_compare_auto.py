"""compare(x, "auto"): the rule for whole numbers, tried/skipped families, and lists
(issue #24 item 3).

The rule (``auto_rule``): whole numbers get the count families, and the continuous ones
too when wide (IQR >= 20 and >= 20 distinct values), because then a density at k is the
probability of the unit cell around k. The tests hold that premise against the cell
probabilities F(k + 1/2) - F(k - 1/2) from scipy, on data where it holds (Nile) and where
it fails (doctor visits).
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

import mlekit as mk
from mlekit.errors import ParameterError, UnknownNameError
from mlekit.estimate.compare import (
    WIDE_DISTINCT,
    WIDE_IQR,
    auto_families,
    auto_rule,
    compare,
    split_families,
)
from mlekit.families import FAMILIES


@pytest.fixture(scope="module")
def nile() -> np.ndarray:
    return mk.datasets.load("nile")["volume"].to_numpy(dtype=float)


@pytest.fixture(scope="module")
def visits() -> np.ndarray:
    return mk.datasets.load("randhie")["mdvis"].to_numpy(dtype=float)


@pytest.fixture(scope="module")
def nile_auto(nile):
    return compare(nile, "auto")


# ----------------------------------------------------------------------------- the rule
def test_rule_on_nile_and_visits(nile, visits):
    r = auto_rule(nile)
    q1, q3 = np.percentile(nile, [25, 75])
    assert q3 - q1 == 234.0 and np.unique(nile).size == 85
    assert r.whole and r.discrete and r.continuous
    assert "IQR 234 >= 20" in r.text and "85 distinct values >= 20" in r.text
    v = auto_rule(visits)
    assert v.whole and v.discrete and not v.continuous
    assert "IQR 4 < 20" in v.text and "count families only" in v.text
    c = auto_rule(nile + 0.5)
    assert not c.whole and not c.discrete and c.continuous


def test_rule_thresholds_are_inclusive():
    # IQR by numpy's default (linear) percentiles, as auto_rule computes it
    wide = np.arange(0.0, 4 * WIDE_IQR + 1)  # 0..80: IQR 40, 81 values
    assert auto_rule(wide).continuous
    edge = np.arange(0.0, 2 * WIDE_IQR + 1)  # 0..40: IQR exactly 20, 41 values
    assert np.subtract(*np.percentile(edge, [75, 25])) == WIDE_IQR
    assert auto_rule(edge).continuous
    narrow = np.arange(0.0, 2 * WIDE_IQR - 1)  # 0..38: IQR 19
    assert not auto_rule(narrow).continuous
    few = np.repeat(15.0 * np.arange(WIDE_DISTINCT - 1), 3)  # 19 values, IQR 150
    assert not auto_rule(few).continuous and auto_rule(few).discrete
    assert np.subtract(*np.percentile(few, [75, 25])) == 150
    enough = np.repeat(15.0 * np.arange(WIDE_DISTINCT), 3)
    assert auto_rule(enough).continuous


def test_premise_density_is_cell_probability_on_nile_not_on_visits(nile, nile_auto, visits):
    """The justification of the rule, held against scipy: on the Nile the Gamma's
    log-density sum equals the sum of log P(k - 1/2 < X <= k + 1/2) to 0.01; on doctor
    visits the Exponential's does not (by far), which is why they stay counts."""
    g = nile_auto.fits["gamma"].params
    d = stats.gamma(g["shape"], scale=1 / g["rate"])
    cells = np.sum(np.log(d.cdf(nile + 0.5) - d.cdf(nile - 0.5)))
    assert nile_auto.fits["gamma"].llf == pytest.approx(np.sum(d.logpdf(nile)), rel=1e-9)
    assert abs(cells - nile_auto.fits["gamma"].llf) < 0.01
    e = stats.expon(scale=visits.mean())  # the Exponential MLE
    dens = np.sum(e.logpdf(visits))
    cells = np.sum(np.log(e.cdf(visits + 0.5) - e.cdf(np.maximum(visits - 0.5, 0))))
    assert dens - cells > 100


# --------------------------------------------------------------------- auto on real data
def test_nile_ranks_continuous_families_with_the_count_ones(nile, nile_auto):
    t = nile_auto.table
    assert {"normal", "gamma", "lognormal", "negativebinomial", "poisson"} <= set(t.index)
    assert not FAMILIES[t.index[1]].discrete or not FAMILIES[t.index[0]].discrete
    # the README's Normal: closed form mu = mean, sigma = ddof-0 sd
    n, s = nile.size, nile.std()
    llf = -n / 2 * np.log(2 * np.pi * s**2) - n / 2
    assert t.loc["normal", "llf"] == pytest.approx(llf, rel=1e-10)
    assert t.loc["normal", "AIC"] == pytest.approx(4 - 2 * llf, rel=1e-10)
    # Negative Binomial and Gamma tie (a Gamma-mixed Poisson with mean 919 ~ the Gamma)
    assert abs(t.loc["gamma", "AIC"] - t.loc["negativebinomial", "AIC"]) < 0.1
    assert nile_auto.rule.startswith("whole numbers, wide")


def test_visits_rank_count_families_first(visits):
    res = compare(visits, "auto")
    assert list(res.table.index) == ["negativebinomial", "geometric", "poisson"]
    assert res.tried == ["geometric", "negativebinomial", "poisson"]
    assert res.skipped["normal"].startswith("continuous; narrow whole numbers are counts")
    nb = res.fits["negativebinomial"].params
    # NB2 with mean mu: the mean is the MLE of mu (score equation in mu)
    assert nb["mu"] == pytest.approx(visits.mean(), rel=1e-6)


def test_tried_and_skipped_cover_the_registry(nile, nile_auto):
    res = nile_auto
    assert set(res.tried) | set(res.skipped) == set(FAMILIES)
    assert not set(res.tried) & set(res.skipped)
    assert set(res.tried) == set(res.table.index) | set(res.failed)
    assert res.tried == [n for n in FAMILIES if n in res.tried]  # registry order
    assert res.tried == [f.name for f in auto_families(nile)]
    sk = res.skipped
    assert sk["dirichlet"] == sk["multivariatenormal"] == "multivariate (vector observations)"
    assert sk["categorical"].startswith("class labels") and sk["ordinal"].startswith("class")
    assert sk["binomial"] == "needs a known n (fit it by name with fixed={'n': value})"
    assert sk["beta"] == "support 0 < value < 1 (UnitInterval) does not hold x[0] = 1120"
    assert sk["bernoulli"].startswith("support value in {0, 1}")
    notes = res.summary().notes
    assert any(n.startswith("Rule: whole numbers, wide") for n in notes)
    assert "Tried: normal, cauchy" in "\n".join(notes)
    skipped = next(n for n in notes if n.startswith("Skipped: "))
    assert "dirichlet, multivariatenormal: multivariate" in skipped


def test_non_integer_data_skip_count_families():
    x = np.random.default_rng(1).gamma(3.0, 2.0, size=80)
    res = compare(x, "auto")
    assert all(not FAMILIES[n].discrete for n in res.tried)
    assert res.skipped["poisson"] == "a count family; the data are not all whole numbers"
    assert res.rule == "not all whole numbers: continuous families"


def test_fixed_brings_in_a_family_that_needs_a_known_parameter():
    x = np.random.default_rng(2).binomial(10, 0.3, size=60).astype(float)
    res = compare(x, "auto", fixed={"binomial": {"n": 10}})
    assert "binomial" in res.tried and "binomial" not in res.skipped
    assert res.fits["binomial"].params["p"] == pytest.approx(x.mean() / 10, rel=1e-8)


# ----------------------------------------------------------------------------- lists
def test_comma_separated_list_equals_the_python_list(nile):
    a = compare(nile, "gamma, weibull,lognormal")
    b = compare(nile, ["gamma", "weibull", "lognormal"])
    assert list(a.table.index) == list(b.table.index)
    np.testing.assert_array_equal(a.table["AIC"].to_numpy(), b.table["AIC"].to_numpy())
    assert a.tried == ["gamma", "weibull", "lognormal"] and a.skipped == {}
    assert a.rule == "the families named"
    assert "Skipped" not in "\n".join(a.summary().notes)
    ref = stats.lognorm.fit(nile, floc=0)
    assert a.table.loc["lognormal", "llf"] == pytest.approx(
        np.sum(stats.lognorm.logpdf(nile, *ref)), rel=1e-7)
    assert compare(nile, "gamma,Gamma").tried == ["gamma"]  # duplicates fitted once


def test_list_errors_name_the_bad_entry(nile):
    with pytest.raises(UnknownNameError, match=r"'weibul'; did you mean 'weibull'"):
        compare(nile, "gamma,weibul,lognormal")
    with pytest.raises(ParameterError, match="entry 2 is empty"):
        compare(nile, "gamma,,lognormal")
    with pytest.raises(ParameterError, match="families is empty"):
        compare(nile, [])


def test_split_families_keeps_commas_inside_parentheses():
    assert split_families("gamma") == ["gamma"]
    assert split_families(" gamma , weibull ") == ["gamma", "weibull"]
    assert split_families("truncated(normal, low=0), zeroinflated(poisson)") == [
        "truncated(normal, low=0)", "zeroinflated(poisson)"]


def test_mixing_kinds_in_a_list_still_warns(nile):
    with pytest.warns(UserWarning, match="not on the same scale"):
        compare(nile, "normal,poisson")
