"""Profile-likelihood intervals of regression coefficients (issue #23 item 4).

Reference values: ``MASS::confint`` (profile) on R 4.2 glm fits, from
``data/r_profile/make_fixtures.R`` (output ``fixtures.json``). R interpolates a spline
through its profile, hence the 1e-4 tolerance on the ends.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from scipy import stats

import mlekit as mk
from mlekit.errors import DataError, NumericalWarning, ParameterError
from mlekit.regression._intervals import _one_end

HERE = Path(__file__).parent / "data" / "r_profile"
DATA = pd.read_csv(HERE / "glm_data.csv")
FIX = json.loads((HERE / "fixtures.json").read_text())
X = DATA[["x1", "x2"]]


@pytest.mark.parametrize("family, column, key, level", [
    ("poisson", "count", "poisson", 0.95),
    ("poisson", "count", "poisson_90", 0.90),
    ("bernoulli", "yes", "logistic", 0.95),
])
def test_profile_equals_mass_confint(family, column, key, level):
    m = mk.Regression(family).fit(X, DATA[column])
    ci = m.conf_int(X, DATA[column], level=level, method="profile")
    assert list(ci.columns) == ["lower", "upper"]
    assert list(ci.index) == ["Intercept", "x1", "x2"]
    ref = np.column_stack([FIX[key]["lower"], FIX[key]["upper"]])
    np.testing.assert_allclose(ci.to_numpy(), ref, atol=1e-4, rtol=0)


def test_profile_ends_solve_the_likelihood_ratio_equation():
    """At each end, the statsmodels GLM refit with beta_j held there (by an offset) has
    2 (llf_hat - llf_p) = chi2_1(0.95): an independent check of the definition."""
    y = DATA["count"].to_numpy()
    m = mk.Regression("poisson").fit(X, y)
    ci = m.conf_int(X, y)
    D = sm.add_constant(X.to_numpy())
    llf_hat = sm.GLM(y, D, family=sm.families.Poisson()).fit().llf
    assert m.result_.llf == pytest.approx(llf_hat, abs=1e-9)
    target = stats.chi2.ppf(0.95, 1)
    for j in range(3):
        for b in ci.iloc[j]:
            rest = np.delete(D, j, axis=1)
            llf_p = sm.GLM(y, rest, family=sm.families.Poisson(),
                           offset=b * D[:, j]).fit().llf
            assert 2 * (llf_hat - llf_p) == pytest.approx(target, abs=1e-6)


def test_profile_normal_is_the_likelihood_interval_with_sigma_profiled():
    """Normal-identity: l_p(b) = -n/2 log(RSS(b)/n) + const, so the ends solve
    n log(RSS(b) / RSS_hat) = chi2_1(level) (a closed-form check, numpy least squares)."""
    y = DATA["y"].to_numpy()
    m = mk.LinearRegression().fit(X, y)
    ci = m.conf_int(X, y, level=0.9)
    D = np.column_stack([np.ones(len(y)), X.to_numpy()])
    rss_hat = np.linalg.lstsq(D, y, rcond=None)[1][0]
    for j in range(3):
        for b in ci.iloc[j]:
            rest = np.delete(D, j, axis=1)
            rss = np.linalg.lstsq(rest, y - b * D[:, j], rcond=None)[1][0]
            assert len(y) * np.log(rss / rss_hat) == pytest.approx(stats.chi2.ppf(0.9, 1),
                                                                    abs=1e-6)


def test_wald_method_and_result_refusal():
    m = mk.Regression("poisson").fit(X, DATA["count"])
    pd.testing.assert_frame_equal(m.conf_int(X, DATA["count"], method="wald"),
                                  m.result_.conf_int())
    with pytest.raises(ParameterError, match="on the fitted estimator"):
        m.result_.conf_int(method="profile")
    with pytest.raises(ParameterError, match="'profile', 'wald' or 'bootstrap'"):
        m.conf_int(X, DATA["count"], method="bootstrap-ish")
    with pytest.raises(ParameterError, match="level"):
        m.conf_int(X, DATA["count"], level=1.5)


def test_profile_refuses_other_data_and_priors():
    m = mk.Regression("poisson").fit(X, DATA["count"])
    with pytest.raises(DataError, match="fitted to"):
        m.conf_int(X, DATA["count"][::-1].to_numpy())
    r = mk.Regression("poisson", alpha_l2=1.0).fit(X, DATA["count"])
    with pytest.raises(ParameterError, match="prior"):
        r.conf_int(X, DATA["count"])


def test_unbounded_profile_gives_an_infinite_end():
    """A signed root that levels off below z (a flat likelihood) is never bracketed: the
    end is infinite; a linear one is found exactly."""
    z = 1.959963984540054
    assert _one_end(lambda b: 1.5 * np.tanh(b), 0.0, 1.0, 1.0, z) == np.inf
    assert _one_end(lambda b: 1.5 * np.tanh(b), 0.0, -1.0, 1.0, z) == -np.inf
    assert _one_end(lambda b: 2.0 * b, 0.0, 1.0, 0.3, z) == pytest.approx(z / 2, abs=1e-9)


def test_unbounded_profile_warns_by_name(monkeypatch):
    import mlekit.regression._intervals as iv

    m = mk.Regression("poisson").fit(X, DATA["count"])
    monkeypatch.setattr(iv, "_one_end", lambda r, b0, side, w, z: side * np.inf)
    with pytest.warns(NumericalWarning, match="does not reach"):
        ci = m.conf_int(X, DATA["count"])
    assert np.all(np.isinf(ci.to_numpy()))
