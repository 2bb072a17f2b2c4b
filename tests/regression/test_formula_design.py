"""Formula designs built by mlekit (no formulaic, no eval) against statsmodels/patsy.

Coefficients of every formula construct are held against ``smf.ols``/``smf.glm`` on
the same data; prediction re-applies levels and transforms; missing columns, unseen
levels and NaN give named DataErrors; and neither formulaic nor ``eval`` ever sees
the user's text.
"""

from __future__ import annotations

import builtins
import sys

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
import statsmodels.formula.api as smf

import mlekit as mk
from mlekit.errors import DataError, FormulaError
from mlekit.grammar import parse_model_formula
from mlekit.regression._formula import FormulaDesign


@pytest.fixture(scope="module")
def df() -> pd.DataFrame:
    rng = np.random.default_rng(7)
    n = 300
    d = pd.DataFrame({"x1": rng.normal(size=n), "x2": rng.uniform(1, 3, size=n),
                      "a": rng.choice(["p", "q", "r"], n), "b": rng.choice(["u", "v"], n),
                      "k": rng.choice([1, 2, 3], n), "flag": rng.random(n) < 0.4})
    d["y"] = (1 + d.x1 - 0.5 * d.x2 + (d.a == "q") + 0.3 * (d.b == "v") * d.x1
              + 0.2 * d.k + rng.normal(size=n))
    d["c"] = rng.poisson(np.exp(0.2 + 0.3 * d.x1 + 0.4 * (d.a == "r")))
    return d


def _ours_vs_ref(ours: pd.Series, ref: pd.Series, rename=None) -> float:
    ref = ref.rename(rename) if rename else ref
    assert sorted(ours.index) == sorted(ref.index), (list(ours.index), list(ref.index))
    return float(np.max(np.abs(ours[ref.index].to_numpy() - ref.to_numpy())))


OLS_CASES = [
    ("y ~ x1 + x2", None),
    ("y ~ C(a)", None),
    ("y ~ a + b", None),
    ("y ~ C(a, ref='r') + x1", "y ~ C(a, Treatment('r')) + x1"),
    ("y ~ C(a, Treatment('q')) + x1", "y ~ C(a, Treatment('q')) + x1"),
    ("y ~ C(k, ref=2)", "y ~ C(k, Treatment(2))"),
    ("y ~ C(k)", None),
    ("y ~ a*b", None),
    ("y ~ a:b", None),
    ("y ~ x1:a", None),
    ("y ~ x1*a", None),
    ("y ~ (x1 + a + b)**2", None),
    ("y ~ a*x1*b", None),
    ("y ~ a/b", None),
    ("y ~ x1 + a - 1", None),
    ("y ~ 0 + a:b", None),
    ("y ~ -1 + x1 + x2", None),
    ("y ~ I(x1**2) + log(x2)", "y ~ I(x1**2) + np.log(x2)"),
    ("y ~ exp(x1 / 3) + sqrt(x2) + abs(x1)", "y ~ np.exp(x1 / 3) + np.sqrt(x2) + np.abs(x1)"),
    ("y ~ I((x1 + 1) * x2 - 2 / x2)", None),
    ("y ~ flag + x1", None),
    ("log(x2) ~ x1", "np.log(x2) ~ x1"),
]


def _canon(name: str) -> str:
    """patsy's spelling -> ours (canonical display)."""
    for a, b in (("np.log", "log"), ("np.exp", "exp"), ("np.sqrt", "sqrt"), ("np.abs", "abs"),
                 ("x1**2", "x1 ** 2"), ("(x1 + 1) * x2 - 2 / x2", "(x1 + 1) * x2 - 2 / x2")):
        name = name.replace(a, b)
    for lvl in ("'r'", "'q'", "2"):
        name = name.replace(f"Treatment({lvl})", f"ref={lvl}")
    return name


@pytest.mark.parametrize("formula, ref_formula", OLS_CASES)
def test_ols_coefficients_match_statsmodels(df, formula, ref_formula):
    ref = smf.ols(ref_formula or formula, df).fit()
    m = mk.Regression.from_formula(formula, df)
    assert _ours_vs_ref(m.result_.params, ref.params, _canon) < 1e-9
    np.testing.assert_allclose(m.predict(df.iloc[::7]), ref.predict(df.iloc[::7]), atol=1e-9)


@pytest.mark.parametrize("formula", ["c ~ x1 + C(a)", "c ~ x1*b + C(a, ref='r')",
                                     "c ~ x1:a + b"])
def test_poisson_glm_matches_statsmodels(df, formula):
    ref = smf.glm(formula.replace("ref='r'", "Treatment('r')"), df,
                  family=sm.families.Poisson()).fit(tol=1e-13)
    m = mk.Regression.from_formula(formula, df, family="poisson")
    assert _ours_vs_ref(m.result_.params, ref.params, _canon) < 1e-7
    np.testing.assert_allclose(m.result_.bse[ref.params.index.map(_canon)].to_numpy(),
                               ref.bse.to_numpy(), rtol=1e-6)
    np.testing.assert_allclose(m.predict(df.head(9)), ref.predict(df.head(9)), rtol=1e-8)


def test_poly_is_orthonormal_and_spans_the_raw_powers(df):
    m = mk.Regression.from_formula("y ~ poly(x1, 3)", df)
    Z = m.model_spec_.matrix(df).to_numpy()
    assert list(m.model_spec_.names) == ["poly(x1, 3)[1]", "poly(x1, 3)[2]", "poly(x1, 3)[3]"]
    np.testing.assert_allclose(Z.T @ Z, np.eye(3), atol=1e-12)      # R's poly: orthonormal
    np.testing.assert_allclose(Z.sum(axis=0), 0.0, atol=1e-12)       # and orthogonal to 1
    raw = smf.ols("y ~ x1 + I(x1**2) + I(x1**3)", df).fit()
    np.testing.assert_allclose(m.predict(df), raw.fittedvalues, atol=1e-9)
    new = pd.DataFrame({"x1": [-0.5, 0.0, 2.5]})                       # the learned basis
    np.testing.assert_allclose(m.predict(new), raw.predict(new), atol=1e-9)


def test_center_and_scale_are_learned_once(df):
    plain = mk.Regression.from_formula("y ~ x1", df)
    cen = mk.Regression.from_formula("y ~ center(x1)", df)
    sca = mk.Regression.from_formula("y ~ scale(x1)", df)
    b = plain.result_.params["x1"]
    assert cen.result_.params["center(x1)"] == pytest.approx(b, rel=1e-10)
    assert sca.result_.params["scale(x1)"] == pytest.approx(b * df.x1.std(ddof=1), rel=1e-10)
    new = pd.DataFrame({"x1": [0.3, 1.7]})   # one new point is not re-centred on itself
    np.testing.assert_allclose(cen.predict(new), plain.predict(new), rtol=1e-10)
    np.testing.assert_allclose(sca.predict(new), plain.predict(new), rtol=1e-10)


def test_backtick_names_and_categorical_dtype(df):
    d = df.rename(columns={"x1": "my col"}).copy()
    d["a"] = pd.Categorical(d["a"], categories=["r", "q", "p"])
    m = mk.Regression.from_formula("y ~ `my col` + a", d)
    assert list(m.result_.params.index) == ["Intercept", "`my col`", "a[T.q]", "a[T.p]"]
    ref = smf.ols("y ~ x1 + C(a, Treatment('r'))", df).fit()
    assert m.result_.params["`my col`"] == pytest.approx(ref.params["x1"], rel=1e-10)


def test_predict_errors_are_named(df):
    m = mk.Regression.from_formula("y ~ x1 + C(a) + log(x2)", df)
    with pytest.raises(DataError, match=r"column 'x2'.*did you mean"):
        m.predict(df.drop(columns="x2").rename(columns={"b": "x22"}))
    new = df.head(5).copy()
    new.loc[new.index[3], "a"] = "zz"
    with pytest.raises(DataError, match=r"column 'a' has the level 'zz' at row 3.*not seen"):
        m.predict(new)
    new = df.head(5).copy()
    new.loc[new.index[2], "x1"] = np.nan
    with pytest.raises(DataError, match=r"column 'x1' has a missing value .* at row 2"):
        m.predict(new)
    new = df.head(5).copy()
    new.loc[new.index[1], "x2"] = -1.0
    with pytest.raises(DataError, match=r"'log\(x2\)' is nan at row 1 \(x2 = -1\)"):
        m.predict(new)


def test_fit_errors_are_named(df):
    d = df.copy()
    d.loc[4, "x2"] = np.nan
    with pytest.raises(DataError, match=r"column 'x2' has a missing value .* at row 4"):
        mk.Regression.from_formula("y ~ x1 + x2", d)
    d = df.copy()
    d.loc[6, "a"] = None
    with pytest.raises(DataError, match=r"column 'a' has a missing value .* at row 6"):
        mk.Regression.from_formula("y ~ C(a)", d)
    d = df.copy()
    d.loc[8, "y"] = np.nan
    with pytest.raises(DataError, match=r"column 'y' has a missing value .* at row 8"):
        mk.Regression.from_formula("y ~ x1", d)
    with pytest.raises(DataError, match=r"column 'x3'.*did you mean 'x[12]'"):
        mk.Regression.from_formula("y ~ x3", df)
    with pytest.raises(DataError, match=r"reference level 'zz' is not a level of column 'a'"):
        mk.Regression.from_formula("y ~ C(a, ref='zz')", df)
    with pytest.raises(DataError, match=r"column 'a' is not numeric.*C\(a\)"):
        mk.Regression.from_formula("y ~ I(a + 1)", df)
    with pytest.raises(DataError, match=r"log\(x1\)"):
        mk.Regression.from_formula("y ~ log(x1)", df)


def test_cli_formula_matches_api(df, tmp_path, capsys):
    import json

    from mlekit.cli import main

    path = tmp_path / "d.csv"
    df.to_csv(path, index=False)
    code = main(["regress", str(path), "--formula", "y ~ x1 * b + C(a, ref='r')", "--json"])
    out, err = capsys.readouterr()
    assert code == 0, err
    rows = json.loads(out)["rows"]
    m = mk.Regression.from_formula("y ~ x1 * b + C(a, ref='r')", df)
    for name, b in m.result_.params.items():
        assert rows[name]["coef"] == pytest.approx(b, rel=1e-9)
    code = main(["regress", str(path), "--formula", "y ~ x1 + xx9"])
    _, err = capsys.readouterr()
    assert code == 2 and "no column 'xx9'" in err and len(err.strip().split("\n")) == 1


def test_dask_formula_levels_from_first_partition(df, tmp_path):
    pytest.importorskip("dask.dataframe")
    from mlekit.distributed import fit_regression_from_parquet

    df.iloc[:150].to_parquet(tmp_path / "part0.parquet")
    df.iloc[150:].to_parquet(tmp_path / "part1.parquet")
    est = fit_regression_from_parquet(str(tmp_path / "*.parquet"),
                                      formula="c ~ x1 + C(a) + I(x2 ** 2)",
                                      family="poisson", progress=False)
    mem = mk.Regression.from_formula("c ~ x1 + C(a) + I(x2 ** 2)", df, family="poisson")
    np.testing.assert_allclose(est.result_.params.to_numpy(), mem.result_.params.to_numpy(),
                               rtol=1e-7)
    np.testing.assert_allclose(est.predict(df.head(4)), mem.predict(df.head(4)), rtol=1e-7)
    bad = df.iloc[150:].copy()
    bad.loc[bad.index[5], "a"] = "late"
    (tmp_path / "part1.parquet").unlink()
    bad.to_parquet(tmp_path / "part1.parquet")
    with pytest.raises(DataError, match=r"column 'a' has the level 'late'.*not seen"):
        fit_regression_from_parquet(str(tmp_path / "*.parquet"), formula="c ~ x1 + C(a)",
                                    family="poisson", progress=False)


def test_formulaic_and_eval_never_see_user_text(df, tmp_path, monkeypatch):
    """Record every call into formulaic/patsy entry points and every eval/exec during
    legitimate fits (API, predict, CLI, Dask): formulaic gets nothing, and no eval'd
    string contains a piece of the user's formula."""
    import formulaic

    calls: list[tuple[str, tuple]] = []

    def recorder(name, orig):
        def wrapped(*args, **kwargs):
            calls.append((name, args + tuple(kwargs.values())))
            return orig(*args, **kwargs)
        return wrapped

    monkeypatch.setattr(formulaic, "model_matrix", recorder("model_matrix",
                                                            formulaic.model_matrix))
    monkeypatch.setattr(formulaic.Formula, "__new__",
                        recorder("Formula", formulaic.Formula.__new__))
    if "patsy" in sys.modules:
        import patsy

        monkeypatch.setattr(patsy, "dmatrices", recorder("dmatrices", patsy.dmatrices))
    evals: list[str] = []
    orig_eval, orig_exec = builtins.eval, builtins.exec

    def rec_eval(src, *a, **k):
        evals.append(str(src))
        return orig_eval(src, *a, **k)

    def rec_exec(src, *a, **k):
        evals.append(str(src))
        return orig_exec(src, *a, **k)

    monkeypatch.setattr(builtins, "eval", rec_eval)
    monkeypatch.setattr(builtins, "exec", rec_exec)
    formula = "c ~ x1 * b + C(a, ref='r') + I(x2 ** 2) + log(x2) + poly(k, 2)"
    m = mk.Regression.from_formula(formula, df, family="poisson")
    m.predict(df.head(3))
    from mlekit.cli import main

    path = tmp_path / "d.csv"
    df.to_csv(path, index=False)
    assert main(["regress", str(path), "--formula", formula, "--family", "poisson",
                 "--quiet"]) == 0
    pytest.importorskip("dask.dataframe")
    from mlekit.distributed import fit_regression_from_parquet

    df.to_parquet(tmp_path / "d.parquet")
    fit_regression_from_parquet(str(tmp_path / "d.parquet"), formula=formula,
                                family="poisson", progress=False)
    assert calls == []
    pieces = ["x1 * b", "C(a", "I(x2", "log(x2)", "poly(k", "ref="]
    assert not [s for s in evals if any(p in s for p in pieces)]


def test_design_has_no_python_to_evaluate():
    f = parse_model_formula("y ~ a*b + log(x)")
    d = FormulaDesign.fit(f, pd.DataFrame({"y": [1.0, 2, 3, 4], "x": [1.0, 2, 3, 5],
                                           "a": list("ppqq"), "b": list("uvuv")}))
    assert d.names == ["a[T.q]", "b[T.v]", "log(x)", "a[T.q]:b[T.v]"]
    with pytest.raises(FormulaError):
        parse_model_formula("y ~ a.b")


def test_intercept_only_and_label_response_are_named(df):
    with pytest.raises(FormulaError, match="has no regressors"):
        mk.Regression.from_formula("y ~ 1", df)
    with pytest.raises(DataError, match="response column 'a' holds labels"):
        mk.Regression.from_formula("a ~ x1", df)
    m = mk.Regression.from_formula("b ~ x1", df.assign(b=(df.b == "v").astype(int)),
                                   family="bernoulli")
    ref = smf.glm("b ~ x1", df.assign(b=(df.b == "v").astype(int)),
                  family=sm.families.Binomial()).fit(tol=1e-13)
    assert _ours_vs_ref(m.result_.params, ref.params) < 1e-7


def test_fixed_family_estimators_take_formulas_too():
    """LinearRegression / LogisticRegression.from_formula use their own family (their
    __init__ has no ``family``) and refuse another one by name."""
    import mlekit as mk
    from mlekit.errors import ParameterError

    df = mk.datasets.load("anes96")
    logit = mk.LogisticRegression.from_formula("vote ~ PID + selfLR", df)
    plain = mk.LogisticRegression().fit(df[["PID", "selfLR"]], df["vote"])
    np.testing.assert_allclose(logit.result_.params.to_numpy(),
                               plain.result_.params.to_numpy(), rtol=1e-10)
    ols = mk.LinearRegression.from_formula("vote ~ PID", df)
    assert ols.family == "normal"
    with pytest.raises(ParameterError, match=r"Regression\.from_formula"):
        mk.LogisticRegression.from_formula("vote ~ PID", df, family="poisson")
