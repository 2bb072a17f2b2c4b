"""A formula per parameter: ``Regression.from_formula({"mu": "y ~ …", "sigma": "~ …"})``.

Held against

* the array API on the same designs (``fit(X, y, designs={"sigma": Z})``, the designs
  built here by hand with pandas): llf and every coefficient identical;
* R's VGAM 1.1.7 and statsmodels' ``BetaModel`` (the fixtures of ``data/r_vgam``, written
  there as formulas): llf to 1e-8 relative, coefficients to 1e-6 relative;
* statsmodels' ``BetaModel.from_formula(..., exog_precision_formula=...)`` run here, with a
  categorical term in the precision formula;
* predictions on new frames computed by hand (learned centring, learned levels);
* every refusal named in issue #20 (unknown parameter, response misplaced or missing,
  fixed parameter with a formula, ``~ 0``, unseen level / missing column naming the
  parameter).
"""

from __future__ import annotations

import json
import pickle
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import special, stats

import mlekit as mk
from mlekit.errors import DataError, FormulaError, NotImplementedForFamily, ParameterError

DATA = Path(__file__).parent / "data" / "r_vgam"


@pytest.fixture(scope="module")
def df() -> pd.DataFrame:
    rng = np.random.default_rng(20)
    n = 300
    d = pd.DataFrame({"x1": rng.normal(size=n), "x2": rng.normal(size=n),
                      "g": rng.choice(["a", "b", "c"], n)})
    shift = d["g"].map({"a": 0.0, "b": 0.4, "c": -0.3}).to_numpy()
    sd = np.exp(0.1 + 0.4 * d["x1"] + 0.5 * shift)
    d["y"] = 1.0 + 0.8 * d["x1"] - 0.5 * d["x2"] + shift + sd * rng.normal(size=n)
    return d


def _dummies(g: pd.Series, full: bool = False) -> pd.DataFrame:
    levels = sorted(g.unique())
    use = levels if full else levels[1:]
    fmt = "C(g)[{}]" if full else "C(g)[T.{}]"
    return pd.DataFrame({fmt.format(v): (g == v).astype(float) for v in use}, index=g.index)


def _same_fit(a: mk.Regression, b: mk.Regression) -> None:
    ra, rb = a.result_, b.result_
    assert ra.llf == pytest.approx(rb.llf, rel=1e-12, abs=0)
    assert set(ra.coefs) == set(rb.coefs)
    for k in ra.coefs:
        assert list(ra.coefs[k].index) == list(rb.coefs[k].index)
        np.testing.assert_allclose(ra.coefs[k]["coef"], rb.coefs[k]["coef"], rtol=1e-10,
                                   atol=1e-12)
        np.testing.assert_allclose(ra.coefs[k]["std err"], rb.coefs[k]["std err"],
                                   rtol=1e-8)


# ---------------------------------------------------------------------- the array API
def test_equals_array_api_with_the_same_designs(df):
    m = mk.Regression.from_formula({"mu": "y ~ x1 + x2 + C(g)", "sigma": "~ x1 + C(g)"},
                                   df, family="normal")
    X = pd.concat([df[["x1", "x2"]], _dummies(df["g"])], axis=1)
    Z = pd.concat([df[["x1"]], _dummies(df["g"])], axis=1)
    ref = mk.Regression("normal").fit(X, df["y"], designs={"sigma": Z})
    _same_fit(m, ref)
    assert list(m.result_.coefs["sigma"].index) == ["Intercept", "x1", "C(g)[T.b]",
                                                     "C(g)[T.c]"]
    assert m.formula_ == {"mu": "y ~ x1 + x2 + C(g)", "sigma": "~ x1 + C(g)"}
    # the summary has one block per parameter
    heads = [name for name, vals in m.result_.summary().rows if vals is None]
    assert [h.split()[0] for h in heads] == ["mu", "sigma"]


def test_acceptance_example_labels(df):
    m = mk.Regression.from_formula({"mu": "y ~ x1 + x2", "sigma": "~ x1"}, data=df,
                                   family="normal")
    assert list(m.result_.coefs["sigma"].index) == ["Intercept", "x1"]
    assert list(m.result_.coefs["mu"].index) == ["Intercept", "x1", "x2"]
    ref = mk.Regression("normal").fit(df[["x1", "x2"]], df["y"], designs={"sigma": ["x1"]})
    _same_fit(m, ref)
    # a raw frame whose columns happen to be the mean's design columns is still raw data:
    # sigma's design is rebuilt from it
    new = df[["x1", "x2"]].head(4)
    np.testing.assert_array_equal(m.predict_distribution(new).params["sigma"],
                                  ref.predict_distribution(new, designs={"sigma": ["x1"]})
                                  .params["sigma"])


def test_formulas_that_differ_in_their_intercept(df):
    """sigma without an intercept (one level per group): the intercepts become columns."""
    m = mk.Regression.from_formula({"mu": "y ~ x1", "sigma": "~ 0 + C(g)"}, df)
    assert m.fit_intercept is False
    X = pd.concat([pd.DataFrame({"Intercept": 1.0}, index=df.index), df[["x1"]]], axis=1)
    ref = mk.Regression("normal", fit_intercept=False).fit(
        X, df["y"], designs={"sigma": _dummies(df["g"], full=True)})
    _same_fit(m, ref)
    assert list(m.result_.coefs["sigma"].index) == ["C(g)[a]", "C(g)[b]", "C(g)[c]"]
    # and a constant mean with a modelled sigma
    m1 = mk.Regression.from_formula({"mu": "y ~ 1", "sigma": "~ x1"}, df)
    Z = pd.concat([pd.DataFrame({"Intercept": 1.0}, index=df.index), df[["x1"]]], axis=1)
    ref1 = mk.Regression("normal", fit_intercept=False).fit(
        pd.DataFrame({"Intercept": 1.0}, index=df.index), df["y"], designs={"sigma": Z})
    _same_fit(m1, ref1)
    np.testing.assert_allclose(m1.predict(df.head(4)), m1.result_.coefs["mu"]["coef"].iloc[0])


def test_location_only_dict_is_the_plain_formula(df):
    """No other parameter modelled: the same fit as the string formula (fast path)."""
    a = mk.Regression.from_formula({"mu": "y ~ x1 + C(g)", "sigma": "~ 1"}, df)
    b = mk.Regression.from_formula("y ~ x1 + C(g)", df)
    assert a.result_.method == b.result_.method
    assert a.result_.llf == b.result_.llf
    np.testing.assert_array_equal(a.result_.params, b.result_.params)
    np.testing.assert_array_equal(a.predict(df.head(5)), b.predict(df.head(5)))


# ---------------------------------------------------------------------- independent fits
_FIXTURES = ["normal", "gamma", "negativebinomial", "weibull", "beta", "gamma_full",
             "statsmodels_betamodel"]


@pytest.mark.parametrize("name", _FIXTURES)
def test_r_vgam_and_statsmodels_fixtures_as_formulas(name):
    d = json.loads((DATA / f"{name}.json").read_text())
    data = pd.read_csv(DATA / d["data"])
    loc, *others = list(d["designs"])

    def rhs(p):
        return " + ".join(c for c in d["designs"][p] if c != "Intercept") or "1"

    formulas = {loc: f"{d['response']} ~ {rhs(loc)}", **{p: f"~ {rhs(p)}" for p in others}}
    m = mk.Regression.from_formula(formulas, data, family=d["family"], link=d["links"])
    r = m.result_
    assert r.converged
    assert abs(r.llf - d["loglik"]) <= 1e-8 * abs(d["loglik"])
    for p, terms in d["coef"].items():
        assert list(r.coefs[p].index) == list(terms)
        for t, v in terms.items():
            assert abs(r.coefs[p].loc[t, "coef"] - v) <= 1e-6 * abs(v), (p, t)


def test_statsmodels_betamodel_with_a_categorical_precision_formula():
    from statsmodels.othermod.betareg import BetaModel

    data = pd.read_csv(DATA / "beta.csv")
    data["g"] = np.array(["u", "v", "w"])[np.arange(len(data)) % 3]
    sm = BetaModel.from_formula("y ~ x1 + x2", data, exog_precision_formula="~ x1 + C(g)")
    res = sm.fit(method="newton", maxiter=100, tol=1e-14, disp=False)
    assert res.mle_retvals["converged"]
    m = mk.Regression.from_formula({"mean": "y ~ x1 + x2", "precision": "~ x1 + C(g)"},
                                   data, family="beta")
    r = m.result_
    assert abs(r.llf - res.llf) <= 1e-8 * abs(res.llf)
    # patsy puts the categorical term before x1 in the precision design
    order = ["Intercept", "C(g)[T.v]", "C(g)[T.w]", "x1"]
    ours = np.concatenate([r.coefs["mean"]["coef"], r.coefs["precision"]["coef"][order]])
    np.testing.assert_allclose(ours, np.asarray(res.params), rtol=1e-6)
    assert list(r.coefs["precision"].index) == ["Intercept", "x1", "C(g)[T.v]", "C(g)[T.w]"]


# ---------------------------------------------------------------------- prediction
def test_predict_on_new_frames_by_hand(df):
    m = mk.Regression.from_formula({"mu": "y ~ x1 + log(x2 + 10) + C(g)",
                                    "sigma": "~ center(x1) + C(g, ref='b')"}, df)
    new = pd.DataFrame({"x1": [0.3, -1.2, 2.0, 0.0], "x2": [0.5, -0.1, 1.5, 0.0],
                        "g": ["c", "a", "b", "c"], "unused": ["p", "q", "r", "s"]})
    bm, bs = m.result_.coefs["mu"]["coef"], m.result_.coefs["sigma"]["coef"]
    mu = (bm["Intercept"] + bm["x1"] * new.x1 + bm["log(x2 + 10)"] * np.log(new.x2 + 10)
          + bm["C(g)[T.b]"] * (new.g == "b") + bm["C(g)[T.c]"] * (new.g == "c")).to_numpy()
    centre = df["x1"].mean()  # learned on the fitting frame, not on the new one
    log_sigma = (bs["Intercept"] + bs["center(x1)"] * (new.x1 - centre)
                 + bs["C(g, ref='b')[T.a]"] * (new.g == "a")
                 + bs["C(g, ref='b')[T.c]"] * (new.g == "c")).to_numpy()
    sigma = np.exp(log_sigma)
    np.testing.assert_allclose(m.predict(new), mu, rtol=1e-12)
    np.testing.assert_allclose(m.predict_mean(new), mu, rtol=1e-12)
    dist = m.predict_distribution(new)
    np.testing.assert_allclose(dist.params["mu"], mu, rtol=1e-12)
    np.testing.assert_allclose(dist.params["sigma"], sigma, rtol=1e-12)
    y = np.array([1.0, -0.5, 3.0, 0.2])
    expect = float(np.mean(stats.norm.logpdf(y, mu, sigma)))
    assert m.score(new, y) == pytest.approx(expect, rel=1e-12)
    # a pickled model rebuilds the same designs
    again = pickle.loads(pickle.dumps(m))
    np.testing.assert_array_equal(again.predict_distribution(new).params["sigma"], sigma)


def test_gamma_mean_parametrisation_prediction():
    data = pd.read_csv(DATA / "gamma.csv")
    m = mk.Regression.from_formula({"mean": "y ~ x1 + x2", "shape": "~ x1"}, data,
                                   family="gamma")
    new = data.head(6)
    bm, bk = m.result_.coefs["mean"]["coef"], m.result_.coefs["shape"]["coef"]
    mean = np.exp(bm["Intercept"] + bm["x1"] * new.x1 + bm["x2"] * new.x2).to_numpy()
    shape = np.exp(bk["Intercept"] + bk["x1"] * new.x1).to_numpy()
    np.testing.assert_allclose(m.predict(new), mean, rtol=1e-12)
    expect = np.mean(stats.gamma.logpdf(new.y, a=shape, scale=mean / shape))
    assert m.score(new, new.y) == pytest.approx(expect, rel=1e-10)


def test_beta_prediction_matches_scipy():
    data = pd.read_csv(DATA / "beta.csv")
    m = mk.Regression.from_formula({"mean": "y ~ x1 + x2", "precision": "~ x1"}, data,
                                   family="beta")
    new = data.tail(5)
    bm, bp = m.result_.coefs["mean"]["coef"], m.result_.coefs["precision"]["coef"]
    mu = special.expit(bm["Intercept"] + bm["x1"] * new.x1 + bm["x2"] * new.x2).to_numpy()
    phi = np.exp(bp["Intercept"] + bp["x1"] * new.x1).to_numpy()
    np.testing.assert_allclose(m.predict(new), mu, rtol=1e-12)
    expect = np.mean(stats.beta.logpdf(new.y, mu * phi, (1 - mu) * phi))
    assert m.score(new, new.y) == pytest.approx(expect, rel=1e-10)


def test_prediction_errors_name_the_parameter(df):
    m = mk.Regression.from_formula({"mu": "y ~ x1", "sigma": "~ C(g)"}, df)
    bad = df.head(4).assign(g=["a", "zz", "b", "c"])
    with pytest.raises(DataError, match=r"formula of 'sigma'.*level 'zz' at row 1"):
        m.predict(bad)
    with pytest.raises(DataError, match=r"formula of 'sigma'.*column 'g'"):
        m.predict_distribution(df[["x1", "x2"]].head(3).assign(z=1.0))
    with pytest.raises(DataError, match=r"formula of 'mu'.*column 'x1'"):
        m.score(df[["g"]].head(3), [1.0, 2.0, 3.0])
    with pytest.raises(ParameterError, match="pass the data frame alone"):
        m.predict(df.head(3), designs={"sigma": np.ones((3, 2))})


# ---------------------------------------------------------------------- refusals
_ERRORS = [
    ("no-response", {"mu": "~ x1", "sigma": "~ x1"}, {}, FormulaError,
     r"formula of 'mu'.*has no response.*'y ~ x1'"),
    ("response-elsewhere", {"mu": "y ~ x1", "sigma": "y ~ x1"}, {}, FormulaError,
     r"formula of 'sigma'.*has a response.*only the formula of the location.*'mu'.*'~ x1'"),
    ("no-location", {"sigma": "~ x1"}, {}, FormulaError,
     r"no formula for 'mu'.*carries the response"),
    ("unknown", {"mu": "y ~ x1", "tau": "~ x1"}, {}, ParameterError,
     r"unknown parameter 'tau'.*choose from: mu, sigma"),
    ("typo", {"mu": "y ~ x1", "sgima": "~ x1"}, {}, ParameterError,
     r"'sgima'; did you mean 'sigma'"),
    ("fixed", {"mu": "y ~ x1", "sigma": "~ x1"}, {"fixed": {"sigma": 1.0}}, ParameterError,
     r"'sigma' is fixed.*drop the formula or the fixed value"),
    ("zero", {"mu": "y ~ x1", "sigma": "~ 0"}, {}, FormulaError,
     r"formula of 'sigma'.*neither columns nor an intercept.*'~ 1'"),
    ("minus-one", {"mu": "y ~ x1", "sigma": "~ -1"}, {}, FormulaError,
     r"formula of 'sigma'.*neither columns nor an intercept"),
    ("location-zero", {"mu": "y ~ 0", "sigma": "~ x1"}, {}, FormulaError,
     r"formula of 'mu'.*neither columns nor an intercept"),
    ("all-constant", {"mu": "y ~ 1", "sigma": "~ 1"}, {}, FormulaError,
     r"no regressors besides the intercepts.*mk\.fit"),
    ("missing-column", {"mu": "y ~ x1", "sigma": "~ qq"}, {}, DataError,
     r"formula of 'sigma'.*column 'qq'"),
    ("empty", {"mu": "y ~ x1", "sigma": "  "}, {}, FormulaError,
     r"formula of parameter 'sigma' is empty"),
    ("not-text", {"mu": "y ~ x1", "sigma": 3}, {}, FormulaError,
     r"formula of parameter 'sigma' must be a string"),
    ("two-tildes", {"mu": "y ~ x1", "sigma": "~ x1 ~ x2"}, {}, FormulaError,
     r"parameter 'sigma'.*exactly one '~'.*column 6"),
    ("empty-dict", {}, {}, FormulaError, r"non-empty dict"),
    ("penalty-mixed-intercepts", {"mu": "y ~ x1 - 1", "sigma": "~ x1"}, {"alpha_l2": 1.0},
     ParameterError, r"penalise the intercept"),
]


@pytest.mark.parametrize(("formulas", "kw", "exc", "pattern"),
                         [pytest.param(f, k, e, p, id=i) for i, f, k, e, p in _ERRORS])
def test_refusals_are_named(df, formulas, kw, exc, pattern):
    with pytest.raises(exc, match=pattern):
        mk.Regression.from_formula(formulas, df, family="normal", **kw)


def test_refusals_for_other_families(df):
    gdf = df.assign(y=np.exp(df["y"] / 4))
    with pytest.raises(FormulaError, match=r"no formula for 'mean'"):
        mk.Regression.from_formula({"shape": "~ x1"}, gdf, family="gamma")
    # Categorical has one (vector) parameter: one formula only
    with pytest.raises(ParameterError, match=r"unknown parameter 'q'"):
        mk.Regression.from_formula({"p": "g ~ x1", "q": "~ x1"}, df, family="categorical")
    # Uniform's ends move the support: refused by the engine, saying why
    with pytest.raises(NotImplementedForFamily, match=r"Uniform cannot be regressed on low"):
        mk.Regression.from_formula({"low": "y ~ x1"}, df, family="uniform")
    # a classifier keeps its labels through the dict form
    m = mk.Regression.from_formula({"p": "g ~ x1"}, df, family="categorical")
    assert list(m.classes_) == ["a", "b", "c"]
