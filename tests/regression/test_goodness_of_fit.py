"""Goodness of fit that fits the family (issue #23, item 2).

Normal-identity (least squares): ``rsquared``, ``rsquared_adj``, ``fvalue``, ``f_pvalue``
equal R's ``summary.lm`` (fixtures from ``data/r_inference/make_fixtures.R``) and
statsmodels' OLS/WLS, to 1e-6 relative. Weights are frequency weights: the coefficients
and R² equal ``lm(weights = w)``; the degrees of freedom, standard errors, adjusted R² and
F equal ``lm`` on the rows repeated ``w`` times. McFadden's pseudo-R² is reported for
discrete families only.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

import mlekit as mk

DATA = Path(__file__).parent / "data" / "r_inference"
LONGLEY_X = ["GNPDEFL", "GNP", "UNEMP", "ARMED", "POP", "YEAR"]


def _json(name: str) -> dict:
    return json.loads((DATA / name).read_text())


def _close(a, b, rtol=1e-6):
    np.testing.assert_allclose(np.asarray(a, float), np.asarray(b, float), rtol=rtol, atol=0)


@pytest.fixture(scope="module")
def glm_data():
    d = pd.read_csv(DATA / "glm.csv")
    d["ly"] = np.log(d["y_gamma"])
    return d


def test_longley_rsquared_and_f_match_r_summary_lm():
    d = pd.read_csv(DATA / "longley.csv")
    X, y = d[LONGLEY_X].astype(float), d["TOTEMP"].astype(float)
    r = _json("longley.json")
    res = mk.LinearRegression().fit(X, y).result_
    assert res.rsquared == pytest.approx(r["rsquared"], rel=1e-6)
    assert res.rsquared_adj == pytest.approx(r["rsquared_adj"], rel=1e-6)
    assert res.fvalue == pytest.approx(r["fvalue"], rel=1e-6)
    assert res.f_pvalue == pytest.approx(r["f_pvalue"], rel=1e-6)
    ref = sm.OLS(y, sm.add_constant(X)).fit()
    assert res.rsquared == pytest.approx(ref.rsquared, rel=1e-9)
    assert res.rsquared_adj == pytest.approx(ref.rsquared_adj, rel=1e-9)
    assert res.fvalue == pytest.approx(ref.fvalue, rel=1e-8)
    assert res.f_pvalue == pytest.approx(ref.f_pvalue, rel=1e-6)
    # the convention does not change the fit's R² / F
    ml = mk.LinearRegression(dispersion="ml").fit(X, y).result_
    assert ml.rsquared == res.rsquared and ml.fvalue == res.fvalue
    text = str(res.summary())
    assert "R²" in text and "Adj. R²" in text and "F(6, 9)" in text
    assert "Pseudo R²" not in text and res.prsquared is None


def test_weights_as_lm(glm_data):
    r = _json("weighted.json")
    X, y, w = glm_data[["x1", "x2"]], glm_data["ly"], glm_data["w"].to_numpy(float)
    res = mk.LinearRegression().fit(X, y, sample_weight=w).result_
    lw, lr = r["lm_weights"], r["lm_replicated"]
    _close(res.params, lw["coef"])
    assert res.rsquared == pytest.approx(lw["rsquared"], rel=1e-6)
    assert res.rsquared == pytest.approx(lr["rsquared"], rel=1e-6)
    # frequency weights: the replicated rows' degrees of freedom
    assert res.df_resid == lr["df_resid"]
    _close(res.bse, lr["bse"])
    _close(res.pvalues, lr["pvalues"])
    assert res.rsquared_adj == pytest.approx(lr["rsquared_adj"], rel=1e-6)
    assert res.fvalue == pytest.approx(lr["fvalue"], rel=1e-6)
    assert res.f_pvalue == pytest.approx(lr["f_pvalue"], rel=1e-6)
    ref = sm.WLS(y, sm.add_constant(X), weights=w).fit()
    assert res.rsquared == pytest.approx(ref.rsquared, rel=1e-9)
    # a zero weight drops the row
    w0 = w.copy()
    w0[0] = 0.0
    a = mk.LinearRegression().fit(X, y, sample_weight=w0).result_
    b = mk.LinearRegression().fit(X.iloc[1:], y.iloc[1:], sample_weight=w[1:]).result_
    assert a.rsquared == pytest.approx(b.rsquared, rel=1e-12)
    assert a.fvalue == pytest.approx(b.fvalue, rel=1e-12)


def test_without_intercept_rsquared_is_uncentred(glm_data):
    X, y = glm_data[["x1", "x2"]], glm_data["ly"]
    res = mk.LinearRegression(fit_intercept=False).fit(X, y).result_
    ref = sm.OLS(y, X).fit()  # no constant: statsmodels' R² is uncentred, as R's lm
    assert res.rsquared == pytest.approx(ref.rsquared, rel=1e-9)
    assert res.rsquared_adj == pytest.approx(ref.rsquared_adj, rel=1e-9)
    assert res.fvalue == pytest.approx(ref.fvalue, rel=1e-8)
    assert res._ls("df_num") == 2
    _close(res.bse, ref.bse, rtol=1e-9)


@pytest.mark.parametrize("kw", [{"family": "normal", "link": "log"}, {"family": "gamma"},
                                {"family": "normal", "alpha_l2": 1.0}])
def test_no_rsquared_nor_pseudo_rsquared_off_least_squares(glm_data, kw):
    res = mk.Regression(**kw).fit(glm_data[["x1", "x2"]], glm_data["y_gamma"]).result_
    assert res.rsquared is None and res.fvalue is None and res.f_pvalue is None
    assert res.prsquared is None  # continuous: McFadden's ratio depends on y's units
    assert "R²" not in str(res.summary())


def test_pseudo_rsquared_for_discrete_families_named_mcfadden():
    anes = mk.datasets.load("anes96")
    X, y = anes[["PID", "selfLR"]], anes["vote"]
    res = mk.LogisticRegression().fit(X, y).result_
    ref = sm.Logit(y, sm.add_constant(X)).fit(disp=0, tol=1e-12)
    assert res.prsquared == pytest.approx(ref.prsquared, rel=1e-8)
    assert res.rsquared is None
    assert "Pseudo R² (McFadden)" in str(res.summary())
