"""Ordinal (cumulative link) regression: Regression(family="ordinal", link=...).

Reference values: R 4.2.2 ``MASS::polr`` 7.3-58.2 and ``ordinal::clm`` 2022.11-16 on the
committed data (``data/r_ordinal``: ``make_data.py`` writes the CSV, ``make_fixtures.R``
the JSON), and statsmodels' ``OrderedModel`` in the same tests.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import mlekit as mk
from mlekit.errors import DataError, NoMaximumError, ParameterError
from mlekit.families.ordinal import OrdinalModel
from mlekit.links import get_link

DATA = Path(__file__).parent / "data" / "r_ordinal"
REF = json.loads((DATA / "reference.json").read_text())
DF = pd.read_csv(DATA / "ordinal.csv")
X = DF[["x1", "x2", "x3"]]
LINKS = {"logistic": "logit", "probit": "probit", "cloglog": "cloglog"}


def _fit(link: str) -> mk.Regression:
    return mk.Regression.from_formula("y ~ x1 + x2 + x3", data=DF, family="ordinal", link=link)


def _estimates(res) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    k = 3
    theta = np.asarray(res.theta, float)
    se = np.sqrt(np.diag(np.asarray(res.cov_params(), float)))
    return theta[:k], theta[k:], se


@pytest.mark.parametrize("method", ["logistic", "probit", "cloglog"])
def test_agrees_with_polr(method):
    ref = REF[f"polr_{method}"]
    res = _fit(LINKS[method]).result_
    beta, zeta, se = _estimates(res)
    assert res.llf == pytest.approx(ref["loglik"], rel=1e-8)
    np.testing.assert_allclose(beta, ref["coef"], rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(zeta, ref["zeta"], rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(se, ref["se"], rtol=2e-4)  # (polr's Hessian is numerical)
    assert res.converged


@pytest.mark.parametrize("link", ["logit", "probit"])
def test_agrees_with_clm(link):
    ref = REF[f"clm_{link}"]
    res = _fit(link).result_
    beta, zeta, se = _estimates(res)
    assert res.llf == pytest.approx(ref["loglik"], rel=1e-10)
    np.testing.assert_allclose(beta, ref["coef"], rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(zeta, ref["zeta"], rtol=1e-6, atol=1e-8)
    # clm orders its covariance thresholds first
    np.testing.assert_allclose(np.r_[se[3:], se[:3]], ref["se"], rtol=1e-5)


def test_agrees_with_statsmodels_ordered_model():
    from statsmodels.miscmodels.ordinal_model import OrderedModel

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        sm = OrderedModel(DF["y"], X, distr="logit").fit(method="bfgs", disp=False,
                                                          gtol=1e-10, maxiter=2000)
    res = _fit("logit").result_
    beta, zeta, _ = _estimates(res)
    cuts = sm.model.transform_threshold_params(sm.params)[1:-1]
    np.testing.assert_allclose(beta, sm.params[:3], rtol=1e-5)
    np.testing.assert_allclose(zeta, cuts, rtol=1e-5, atol=1e-7)
    assert res.llf == pytest.approx(sm.llf, rel=1e-9)


def test_row_model_derivatives_match_finite_differences():
    rng = np.random.default_rng(1)
    for link in ("logit", "probit", "cloglog"):
        m = OrdinalModel(mk.Ordinal, get_link(link), n_classes=4)
        n = 30
        y = rng.integers(0, 4, n).astype(float)
        eta = np.column_stack([rng.normal(size=n), np.tile([-1.0, 0.2, 1.5], (n, 1))])
        _, g, h = m.rows(y, eta, {}, order=2)
        eps = 1e-6
        for j in range(4):
            e = np.zeros(4)
            e[j] = eps
            up = m.rows(y, eta + e, {}, order=1)
            dn = m.rows(y, eta - e, {}, order=1)
            np.testing.assert_allclose(g[:, j], (up[0] - dn[0]) / (2 * eps), rtol=1e-6,
                                       atol=1e-8)
            np.testing.assert_allclose(h[:, :, j], (up[1] - dn[1]) / (2 * eps), rtol=1e-5,
                                       atol=1e-7)


def test_far_tail_rows_keep_their_digits():
    m = OrdinalModel(mk.Ordinal, get_link("logit"), n_classes=3)
    y = np.array([0.0, 2.0])
    eta = np.array([[60.0, -1.0, 1.0], [-60.0, -1.0, 1.0]])  # both rows ~e^-59 likely
    nll, g, _ = m.rows(y, eta, {}, order=1)
    np.testing.assert_allclose(nll, [61.0, 61.0], rtol=1e-12)
    assert np.all(np.isfinite(g))


def test_ordered_categorical_keeps_its_order_and_predicts_labels():
    levels = ["none", "some", "many", "most", "all"]
    df = DF.assign(y=pd.Categorical(np.array(levels)[DF["y"]], categories=levels,
                                    ordered=True))
    m = mk.Regression.from_formula("y ~ x1 + x2 + x3", data=df, family="ordinal")
    assert list(m.classes_) == levels
    np.testing.assert_allclose(m.result_.llf, REF["polr_logistic"]["loglik"], rtol=1e-8)
    p = m.predict_proba(df.head(5))
    assert p.shape == (5, 5)
    np.testing.assert_allclose(p.sum(axis=1), 1.0, rtol=1e-12)
    assert set(m.predict(df.head(20))) <= set(levels)
    np.testing.assert_allclose(np.exp(m.predict_log_proba(df.head(5))), p, rtol=1e-12)


def test_no_intercept_is_estimated():
    m = _fit("logit")
    assert list(m.result_.params.index) == ["x1", "x2", "x3"]
    assert m.intercept_ == 0.0
    assert "theta_1" in str(m.result_.summary())


def test_separation_has_no_maximum():
    x = np.r_[np.linspace(-2, -1, 20), np.linspace(1, 2, 20)][:, None]
    y = np.r_[np.zeros(20), np.ones(10), 2 * np.ones(10)]
    with pytest.raises(NoMaximumError, match="separated"):
        mk.Regression(family="ordinal").fit(x, y)
    y2 = y.copy()
    y2[[0, 25]] = y2[[25, 0]]  # two rows swapped: the classes overlap, the MLE exists
    assert mk.Regression(family="ordinal").fit(x, y2).result_.converged


def test_refusals():
    with pytest.raises(DataError, match="unordered Categorical"):
        mk.Regression(family="ordinal").fit(X, pd.Categorical(DF["y"].astype(str)))
    with pytest.raises(DataError, match="text labels have no order"):
        mk.Regression(family="ordinal").fit(X, DF["y"].astype(str).to_numpy())
    cat = pd.Categorical(DF["y"], categories=[0, 1, 2, 3, 4, 5], ordered=True)
    with pytest.raises(DataError, match="no observation"):
        mk.Regression(family="ordinal").fit(X, cat)
    with pytest.raises(DataError, match="only one class"):
        mk.Regression(family="ordinal").fit(X, np.zeros(len(X)))
    with pytest.raises(ParameterError):
        mk.Regression(family="ordinal", link="log").fit(X, DF["y"])


def test_univariate_family():
    d = mk.Ordinal(theta=[-1.0, 0.5, 2.0])
    np.testing.assert_allclose(d.pmf([0, 1, 2, 3]).sum(), 1.0, rtol=1e-14)
    res = mk.fit(DF["y"], "ordinal")
    counts = np.bincount(DF["y"])
    np.testing.assert_allclose(res.params["theta"],
                               np.log(np.cumsum(counts)[:-1] / (len(DF) - np.cumsum(counts)[:-1])),
                               rtol=1e-12)
    # the delta-method standard errors equal those of an ordinal regression on a pure-noise
    # column at beta = 0 (the same thresholds): checked through the observed information
    m = OrdinalModel(mk.Ordinal, get_link("logit"), n_classes=5)
    th = np.asarray(res.params["theta"], float)
    eta = np.column_stack([np.zeros(len(DF)), np.tile(th, (len(DF), 1))])
    _, _, h = m.rows(DF["y"].to_numpy(float), eta, {}, order=2)
    info = h.sum(axis=0)[1:, 1:]
    np.testing.assert_allclose(res.bse["theta"], np.sqrt(np.diag(np.linalg.inv(info))),
                               rtol=1e-10)
    with pytest.raises(ParameterError, match="increasing"):
        mk.Ordinal(theta=[1.0, 0.0])


def test_cli_regress_ordinal_gives_polr(capsys):
    from mlekit.cli import main

    assert main(["regress", str(DATA / "ordinal.csv"), "--formula", "y ~ x1 + x2 + x3",
                 "-F", "ordinal", "--link", "probit", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    ref = REF["polr_probit"]
    np.testing.assert_allclose([out["params"][k] for k in ("x1", "x2", "x3")], ref["coef"],
                               rtol=1e-5)
    np.testing.assert_allclose([out["params"][f"theta_{j}"] for j in range(1, 5)],
                               ref["zeta"], rtol=1e-5, atol=1e-7)
    assert out["llf"] == pytest.approx(ref["loglik"], rel=1e-8)
