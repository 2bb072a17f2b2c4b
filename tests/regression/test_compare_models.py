"""Tests between models (#23 item 5): mk.lr_test, mk.vuong_test, mk.compare_models and
result_.wald_test with a restriction matrix.

References: R's lmtest::lrtest and pscl::vuong (tests/regression/data/r_compare:
make_fixtures.R wrote compare.csv and compare.json; R is not needed here), statsmodels
(GLM llf, OLS compare_lr_test, wald_test with a matrix, Logit/Probit loglikeobs).
"""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from scipy import stats

import mlekit as mk
from mlekit.errors import DataError, FormulaError, ParameterError, SingularMatrixError
from mlekit.regression._compare import data_fingerprint

HERE = Path(__file__).parent / "data" / "r_compare"
RTOL = 1e-6


@pytest.fixture(scope="module")
def data() -> pd.DataFrame:
    return pd.read_csv(HERE / "compare.csv")


@pytest.fixture(scope="module")
def ref() -> dict:
    return json.loads((HERE / "compare.json").read_text())


@pytest.fixture(scope="module")
def fits(data):
    f = mk.Regression.from_formula
    return {
        "p0": f("count ~ x1", data, family="poisson"),
        "p1": f("count ~ x1 + x2 + x3", data, family="poisson"),
        "b0": f("z ~ x1", data, family="bernoulli"),
        "b1": f("z ~ x1 + x2 + x3", data, family="bernoulli"),
        "logit": f("z ~ x1 + x2", data, family="bernoulli"),
        "probit": f("z ~ x1 + x2 + x3", data, family="bernoulli", link="probit"),
    }


# ---------------------------------------------------------------------- lr_test
@pytest.mark.parametrize("key, small, big", [("lrtest_poisson", "p0", "p1"),
                                             ("lrtest_logit", "b0", "b1")])
def test_lr_test_equals_lmtest(fits, ref, key, small, big):
    r = ref[key]
    t = mk.lr_test(fits[small], fits[big])
    assert t.df == r["df"] == 2
    assert (t.df_restricted, t.df_full) == (r["df_restricted"], r["df_full"])
    np.testing.assert_allclose([t.llf_restricted, t.llf_full],
                               [r["llf_restricted"], r["llf_full"]], rtol=1e-8)
    np.testing.assert_allclose(t.statistic, r["statistic"], rtol=RTOL)
    np.testing.assert_allclose(t.pvalue, r["pvalue"], rtol=RTOL)
    # results work as well as estimators; the repr says what was tested
    assert mk.lr_test(fits[small].result_, fits[big].result_) == t
    assert "chi2(2)" in repr(t) and "with 2 parameters" in repr(t)


def test_lr_test_equals_statsmodels(data):
    X = sm.add_constant(data[["x1", "x2", "x3"]])
    g0 = sm.GLM(data["count"], X[["const", "x1"]], family=sm.families.Poisson()).fit(tol=1e-12)
    g1 = sm.GLM(data["count"], X, family=sm.families.Poisson()).fit(tol=1e-12)
    t = mk.lr_test(mk.Regression("poisson").fit(data[["x1"]], data["count"]),
                   mk.Regression("poisson").fit(data[["x1", "x2", "x3"]], data["count"]))
    np.testing.assert_allclose(t.statistic, 2 * (g1.llf - g0.llf), rtol=RTOL)
    # Normal: sigma is a parameter of both (lrtest's logLik df), OLS's compare_lr_test
    o0 = sm.OLS(data["count"], X[["const", "x1"]]).fit()
    o1 = sm.OLS(data["count"], X).fit()
    lr, p, df = o1.compare_lr_test(o0)
    t = mk.lr_test(mk.LinearRegression().fit(data[["x1"]], data["count"]),
                   mk.LinearRegression().fit(data[["x1", "x2", "x3"]], data["count"]))
    assert (t.df, t.df_restricted, t.df_full) == (df, 3, 5)
    np.testing.assert_allclose([t.statistic, t.pvalue], [lr, p], rtol=RTOL)


def test_lr_test_fixed_nuisance_is_a_restriction(data):
    """A restricted model may fix a parameter the full model estimates (Normal sigma)."""
    X = data[["x1", "x2"]]
    full = mk.Regression("normal").fit(X, data["count"])
    sig = 1.5
    fixed = mk.Regression("normal", fixed={"sigma": sig}).fit(X, data["count"])
    t = mk.lr_test(fixed, full)
    assert t.df == 1
    # closed form: same coefficients (OLS); llf(sigma) = -n log sigma - n/2 log 2pi - RSS/2s^2
    resid = data["count"] - sm.OLS(data["count"], sm.add_constant(X)).fit().fittedvalues
    n, rss = len(resid), float(resid @ resid)
    ll = -n * np.log(sig) - n / 2 * np.log(2 * np.pi) - rss / (2 * sig**2)
    np.testing.assert_allclose(t.llf_restricted, ll, rtol=1e-9)
    with pytest.raises(ParameterError, match="full model holds sigma fixed"):
        mk.lr_test(full, mk.Regression("normal", fixed={"sigma": sig}).fit(
            data[["x1", "x2", "x3"]], data["count"]))


def test_lr_test_refuses_different_data(fits, data):
    short = mk.Regression.from_formula("count ~ x1 + x2 + x3", data.iloc[:100], family="poisson")
    with pytest.raises(DataError, match=r"different data: 150 rows .* vs 100 rows"):
        mk.lr_test(fits["p0"], short)
    shifted = data.assign(count=data["count"] + 1)  # same n, other y
    other = mk.Regression.from_formula("count ~ x1 + x2 + x3", shifted, family="poisson")
    with pytest.raises(DataError, match=r"fingerprints differ|null\) log-likelihoods differ"):
        mk.lr_test(fits["p0"], other)
    weighted = mk.Regression("poisson").fit(data[["x1", "x2", "x3"]], data["count"],
                                            sample_weight=np.full(150, 2.0))
    with pytest.raises(DataError, match=r"\(nobs 150\) vs 150 rows \(nobs 300\)"):
        mk.lr_test(fits["p0"], weighted)


def test_lr_test_refuses_by_fingerprint(data):
    """Where the fit keeps a data fingerprint, a different response is seen even across
    families (no null log-likelihood to compare)."""
    a = mk.Regression("poisson").fit(data[["x1"]], data["count"]).result_
    b = mk.Regression("poisson").fit(data[["x1", "x2"]], data["count"]).result_
    a.data_fingerprint = data_fingerprint(data["count"])
    b.data_fingerprint = data_fingerprint(data["count"])
    assert mk.lr_test(a, b).df == 1
    b.data_fingerprint = data_fingerprint(data["count"] + 1)
    with pytest.raises(DataError, match="fingerprints differ"):
        mk.lr_test(a, b)


def test_lr_test_refuses_non_nested(fits, data):
    f = mk.Regression.from_formula
    with pytest.raises(ParameterError, match=r"families differ \(Poisson vs Normal"):
        mk.lr_test(fits["p0"], mk.Regression("normal").fit(data[["x1", "x2"]], data["count"]))
    with pytest.raises(ParameterError, match=r"links differ \(logit vs probit\).*vuong_test"):
        mk.lr_test(fits["b0"], fits["probit"])
    other = f("count ~ x2 + x3", data, family="poisson")
    with pytest.raises(ParameterError, match=r"'mu' has coefficients the full .* \(x1\)"):
        mk.lr_test(fits["p0"], other)
    with pytest.raises(ParameterError, match=r"has coefficients .*x2, x3.*swap|subset"):
        mk.lr_test(fits["p1"], fits["p0"])
    with pytest.raises(ParameterError, match="nothing is restricted"):
        mk.lr_test(fits["p1"], fits["p1"])
    ridge = mk.Regression("poisson", alpha_l2=1.0).fit(data[["x1", "x2", "x3"]], data["count"])
    with pytest.raises(ParameterError, match=r"penalised .*alpha_l2=0"):
        mk.lr_test(fits["p0"], ridge)
    lasso = mk.Regression("poisson", alpha_l1=0.1).fit(data[["x1", "x2", "x3"]], data["count"])
    with pytest.raises(ParameterError, match="penalised"):
        mk.lr_test(fits["p0"], lasso)
    with pytest.raises(ParameterError, match=r"not fitted: call fit first"):
        mk.lr_test(mk.Regression("poisson"), fits["p1"])


def test_lr_test_per_parameter_blocks(data):
    """Nesting is by coefficient names per parameter: sigma ~ x1 contains sigma ~ 1."""
    f = mk.Regression.from_formula
    const = f("count ~ x1 + x2", data, family="normal")
    hetero = f({"mu": "count ~ x1 + x2", "sigma": "~ x1"}, data, family="normal")
    t = mk.lr_test(const, hetero)
    assert t.df == 1
    np.testing.assert_allclose(t.statistic, 2 * (hetero.result_.llf - const.result_.llf))
    other = f({"mu": "count ~ x1", "sigma": "~ x2"}, data, family="normal")
    with pytest.raises(ParameterError, match=r"'mu' has coefficients .*\(x2\)"):
        mk.lr_test(const, other)


# ---------------------------------------------------------------------- vuong_test
def test_vuong_equals_pscl(fits, data, ref):
    r = ref["vuong_logit_probit"]
    t = mk.vuong_test(fits["logit"], fits["probit"], data)
    assert (t.nobs, t.k1, t.k2, t.n_dropped) == (r["n"], r["k1"], r["k2"], 0)
    np.testing.assert_allclose([t.statistic, t.statistic_aic, t.statistic_bic],
                               r["statistic"], rtol=RTOL)
    np.testing.assert_allclose([t.pvalue, t.pvalue_aic, t.pvalue_bic], r["pvalue"], rtol=RTOL)
    np.testing.assert_allclose(r["printed_statistic"], r["statistic"], rtol=1e-12)
    assert t.favours == "model 2" and t.statistic_bic > 0
    # swapping the models flips every statistic and keeps the p-values
    s = mk.vuong_test(fits["probit"], fits["logit"], data)
    np.testing.assert_allclose([s.statistic, s.statistic_aic, s.statistic_bic],
                               [-t.statistic, -t.statistic_aic, -t.statistic_bic], rtol=1e-12)
    np.testing.assert_allclose([s.pvalue, s.pvalue_bic], [t.pvalue, t.pvalue_bic], rtol=1e-12)
    assert "positive favours model 1" in repr(t)


def test_vuong_on_arrays_equals_statsmodels_rows(data):
    """Array fits with different designs (X, X2, y); per-row log-likelihoods from
    statsmodels' Logit / Probit, Vuong's z from its definition."""
    X1, X2, y = data[["x1", "x2"]].to_numpy(), data[["x2", "x3"]].to_numpy(), data["z"]
    m1 = mk.Regression("bernoulli").fit(X1, y)
    m2 = mk.Regression("bernoulli", link="probit").fit(X2, y)
    t = mk.vuong_test(m1, m2, X1, y, X2=X2)
    s1 = sm.Logit(y, sm.add_constant(X1)).fit(disp=0, tol=1e-12)
    s2 = sm.Probit(y, sm.add_constant(X2)).fit(disp=0, tol=1e-12)
    m = s1.model.loglikeobs(s1.params) - s2.model.loglikeobs(s2.params)
    z = m.sum() / (m.std(ddof=1) * np.sqrt(m.size))
    np.testing.assert_allclose(t.statistic, z, rtol=RTOL)
    np.testing.assert_allclose(t.pvalue, stats.norm.sf(abs(z)), rtol=RTOL)
    assert t.statistic_aic == t.statistic  # k1 = k2


def test_vuong_refusals(fits, data):
    with pytest.raises(ParameterError, match="fitted Regression estimator"):
        mk.vuong_test(fits["logit"].result_, fits["probit"], data)
    flipped = data.assign(z=1 - data["z"])
    with pytest.raises(DataError, match="not the rows model 1 was fitted to"):
        mk.vuong_test(fits["logit"], fits["probit"], flipped)
    X = data[["x1", "x2"]]
    with pytest.raises(ParameterError, match="y is needed"):
        mk.vuong_test(mk.Regression("bernoulli").fit(X, data["z"]), fits["probit"], X)
    w = mk.Regression("bernoulli").fit(X, data["z"], sample_weight=np.full(150, 2.0))
    with pytest.raises(ParameterError, match="sample weights"):
        mk.vuong_test(w, fits["probit"], data)
    same = mk.Regression.from_formula("z ~ x1 + x2", data, family="bernoulli")
    with pytest.raises(ParameterError, match="same model"):
        mk.vuong_test(fits["logit"], same, data)


# ---------------------------------------------------------------------- compare_models
def test_compare_models_table(fits, data):
    p23 = mk.Regression.from_formula("count ~ x2 + x3", data, family="poisson")
    terms = {"small": {"x1"}, "big": {"x1", "x2", "x3"}, "other": {"x2", "x3"}}
    models = {"small": fits["p0"], "big": fits["p1"], "other": p23}
    table = mk.compare_models(list(models.values()), names=list(models))
    assert list(table.columns) == ["llf", "df", "AIC", "BIC", "nobs", "LR", "LR df", "LR p"]
    assert list(table["AIC"]) == sorted(table["AIC"])
    X = sm.add_constant(data[["x1", "x2", "x3"]])
    for name, cols in terms.items():
        g = sm.GLM(data["count"], X[["const", *sorted(cols)]],
                   family=sm.families.Poisson()).fit(tol=1e-12)
        k = len(cols) + 1
        np.testing.assert_allclose(table.loc[name, ["llf", "AIC", "BIC"]].to_numpy(float),
                                   [g.llf, g.aic, -2 * g.llf + k * np.log(150)], rtol=1e-8)
        assert table.loc[name, "df"] == k and table.loc[name, "nobs"] == 150
    # the LR column: against the row above where one is nested in the other, else NaN
    order = list(table.index)
    assert np.isnan(table.loc[order[0], "LR"])
    for above, name in itertools.pairwise(order):
        a, b = sorted((above, name), key=lambda m: len(terms[m]))
        if terms[a] <= terms[b]:
            lr = mk.lr_test(models[a], models[b])
            np.testing.assert_allclose(table.loc[name, ["LR", "LR df", "LR p"]].to_numpy(float),
                                       [lr.statistic, lr.df, lr.pvalue], rtol=1e-12)
        else:
            assert np.isnan(table.loc[name, ["LR", "LR df", "LR p"]].to_numpy(float)).all()
    # default names: the formulas (with family and link where they collide)
    t2 = mk.compare_models([fits["b1"], fits["probit"]], lr=False)
    assert set(t2.index) == {"z ~ x1 + x2 + x3 (Bernoulli, logit)",
                             "z ~ x1 + x2 + x3 (Bernoulli, probit)"}
    assert "LR" not in t2.columns


def test_compare_models_refusals(fits, data):
    short = mk.Regression.from_formula("count ~ x1", data.iloc[:100], family="poisson")
    with pytest.raises(DataError, match="different data"):
        mk.compare_models([fits["p0"], short])
    with pytest.raises(ParameterError, match="at least two"):
        mk.compare_models([fits["p0"]])
    with pytest.raises(ParameterError, match="not unique"):
        mk.compare_models([fits["p0"], fits["p1"]], names=["a", "a"])


# ---------------------------------------------------------------------- wald_test(R)
def test_wald_matrix_equals_statsmodels(fits, data):
    res = fits["p1"].result_
    X = sm.add_constant(data[["x1", "x2", "x3"]])
    g = sm.GLM(data["count"], X, family=sm.families.Poisson()).fit(tol=1e-12)
    R = np.array([[0.0, 0, 1, 0], [0, 1, -1, 0]])
    q = np.array([0.0, 0.1])
    ours = res.wald_test(R, q=q)
    theirs = g.wald_test((R, q), use_f=False, scalar=True)
    np.testing.assert_allclose([ours.statistic, ours.pvalue],
                               [theirs.statistic, theirs.pvalue], rtol=RTOL)
    assert ours.df == 2 and ours.restrictions == "x2 = 0, x1 - x2 = 0.1"
    text = res.wald_test("x2 = 0, x1 - x2 = 0.1")
    np.testing.assert_allclose(text.statistic, ours.statistic, rtol=1e-12)
    one = res.wald_test([0, 0, 0, 2.0], q=0.4)  # one row, scalar q
    np.testing.assert_allclose(one.statistic, (2 * res.params["x3"] - 0.4) ** 2
                               / (4 * res.bse["x3"] ** 2), rtol=1e-10)


def test_wald_matrix_over_every_parameter(data):
    """R with a column per estimated quantity reaches log(sigma): closed form z^2."""
    res = mk.Regression("normal", dispersion="ml").fit(data[["x1"]], data["count"]).result_
    assert res.param_names == ["Intercept", "x1", "log(sigma)"]
    t = res.wald_test([[0, 0, 1.0]], q=[0.5])
    V = res.cov_params()
    np.testing.assert_allclose(t.statistic, (res.theta[2] - 0.5) ** 2 / V[2, 2], rtol=1e-10)
    assert t.restrictions == "log(sigma) = 0.5"


def test_wald_matrix_refusals(fits):
    res = fits["p1"].result_
    with pytest.raises(ParameterError, match=r"4 columns \(the mean coefficients: Intercept, "
                                             r"x1, x2, x3\)"):
        res.wald_test(np.ones((1, 3)))
    with pytest.raises(ParameterError, match="q has 3 values for 2 restrictions"):
        res.wald_test(np.eye(4)[2:], q=[0, 0, 0])
    with pytest.raises(DataError, match=r"R\[0, 3\] = nan"):
        res.wald_test([[0, 1, 0, np.nan]])
    with pytest.raises(ParameterError, match="numeric matrix"):
        res.wald_test({"x1": 1})
    with pytest.raises(ParameterError, match="q is for a restriction matrix"):
        res.wald_test("x1 = 0", q=1)
    with pytest.raises(FormulaError, match=r"choose from: Intercept, x1, x2, x3"):
        res.wald_test("x9 = 0")
    with pytest.raises(FormulaError, match="not independent"):
        res.wald_test([[0, 1, 0, 0], [0, 2, 0, 0]])
    assert issubclass(SingularMatrixError, mk.errors.MlekitError)


def test_data_fingerprint():
    y = np.arange(5.0)
    base = data_fingerprint(y)
    assert base == data_fingerprint(list(range(5)))
    assert base != data_fingerprint(y[::-1]) != data_fingerprint(y, np.ones(5))
    assert data_fingerprint(y, aux={"trials": np.full(5, 3)}) != \
        data_fingerprint(y, aux={"trials": np.full(5, 4)})
    assert data_fingerprint(y, aux={"note": "text"}) == base  # (non-numeric aux: ignored)


def test_vuong_poisson_against_zero_inflated_equals_pscl():
    """pscl::vuong(glm poisson, zeroinfl(y ~ x1 + x2 | 1)) on the combinators' data
    (data/r_compare/make_vuong_zip.R): the non-nested test the models issue enables."""
    here = Path(__file__).parent
    ref = json.loads((here / "data" / "r_compare" / "vuong_zip.json").read_text())
    d = pd.read_csv(here.parent / "families" / "data" / "r_combinators" / "data.csv")
    m1 = mk.Regression(family="poisson").fit(d[["x1", "x2"]], d["y"])
    m2 = mk.Regression(family="zeroinflated(poisson)").fit(d[["x1", "x2"]], d["y"])
    assert m1.result_.llf == pytest.approx(ref["llf_poisson"], rel=1e-10)
    assert m2.result_.llf == pytest.approx(ref["llf_zip"], rel=1e-8)
    v = mk.vuong_test(m1, m2, d[["x1", "x2"]], d["y"])
    np.testing.assert_allclose([v.statistic, v.statistic_aic, v.statistic_bic],
                               ref["statistic"], rtol=1e-6)
    np.testing.assert_allclose([v.pvalue, v.pvalue_aic, v.pvalue_bic], ref["pvalue"],
                               rtol=1e-5)
