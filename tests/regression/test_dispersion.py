"""Dispersion conventions of regression inference (issue #23, item 1).

For a family with a dispersion φ (Normal σ², Gamma 1/shape, inverse Gaussian 1/λ) the
default ``dispersion="pearson"`` must reproduce R's ``summary.glm`` and statsmodels' GLM
(scale = Pearson χ²/(n − p), t tests on n − p degrees of freedom) and, for Normal-identity,
R's ``lm`` / statsmodels' OLS exactly; ``dispersion="ml"`` keeps maximum-likelihood
inference (z tests). The R values come from ``data/r_inference/make_fixtures.R`` (R 4.2.2;
R is not needed here); all comparisons are to 1e-6 relative unless stated.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from scipy import stats

import mlekit as mk
from mlekit.errors import MlekitError, ParameterError

DATA = Path(__file__).parent / "data" / "r_inference"
LONGLEY_X = ["GNPDEFL", "GNP", "UNEMP", "ARMED", "POP", "YEAR"]


def _json(name: str) -> dict:
    return json.loads((DATA / name).read_text())


@pytest.fixture(scope="module")
def longley():
    d = pd.read_csv(DATA / "longley.csv")
    return d[LONGLEY_X].astype(float), d["TOTEMP"].astype(float)


@pytest.fixture(scope="module")
def glm_data():
    return pd.read_csv(DATA / "glm.csv")


def _close(a, b, rtol=1e-6):
    np.testing.assert_allclose(np.asarray(a, float), np.asarray(b, float), rtol=rtol, atol=0)


# ---------------------------------------------------------------------- OLS = lm
def test_longley_default_is_ols_as_r_lm(longley):
    X, y = longley
    r = _json("longley.json")
    res = mk.LinearRegression().fit(X, y).result_
    assert res.dispersion == "pearson" and res.use_t and res.df_resid == r["df_resid"] == 9
    _close(res.params, r["coef"])
    _close(res.bse, r["bse"])
    _close(res.tvalues, r["tvalues"])
    _close(res.pvalues, r["pvalues"])
    ci = res.conf_int(0.95)
    _close(ci["lower"], r["conf_int_lower"])
    _close(ci["upper"], r["conf_int_upper"])
    assert np.sqrt(res.scale) == pytest.approx(r["sigma"], rel=1e-9)
    # llf / AIC / BIC use the ML estimates (as R's logLik.lm)
    assert res.llf == pytest.approx(r["loglik"], rel=1e-9)
    assert res.aic == pytest.approx(r["aic"], rel=1e-9)
    assert res.bic == pytest.approx(r["bic"], rel=1e-9)


def test_longley_matches_statsmodels_ols(longley):
    X, y = longley
    ref = sm.OLS(y, sm.add_constant(X)).fit()
    res = mk.Regression("normal").fit(X, y).result_
    _close(res.bse, ref.bse)
    _close(res.pvalues, ref.pvalues)
    _close(res.conf_int(0.9), ref.conf_int(0.1))
    assert res.scale == pytest.approx(ref.scale, rel=1e-9)


def test_ml_convention_keeps_ml_inference(longley):
    X, y = longley
    n, p = 16, 7
    ols = mk.LinearRegression().fit(X, y).result_
    ml = mk.LinearRegression(dispersion="ml").fit(X, y).result_
    assert ml.dispersion == "ml" and not ml.use_t
    sigma_ml = ml.nuisance["sigma"]
    assert ml.scale == pytest.approx(sigma_ml**2, rel=1e-12)
    # ML: divisor n, z tests; the estimates and the llf are the same
    _close(ml.bse, np.asarray(ols.bse) * np.sqrt((n - p) / n), rtol=1e-9)
    z = np.asarray(ml.params) / np.asarray(ml.bse)
    _close(ml.pvalues, 2 * stats.norm.sf(np.abs(z)), rtol=1e-9)
    q = stats.norm.ppf(0.975)
    _close(np.asarray(ml.conf_int())[:, 1], np.asarray(ml.params) + q * np.asarray(ml.bse),
           rtol=1e-12)
    assert ml.llf == ols.llf and ml.aic == ols.aic
    _close(ml.params, ols.params, rtol=1e-12)


# ---------------------------------------------------------------------- GLMs = summary.glm
GLMS = {  # fixture name: (response, family, link, information matching R's IRLS weights)
    "gamma_log": ("y_gamma", "gamma", "log", "expected"),
    "gamma_inverse": ("y_gamma", "gamma", "inverse", "observed"),  # canonical: same
    "invgauss": ("y_ig", "inverse_gaussian", "inverse_squared", "observed"),  # canonical
    "invgauss_log": ("y_ig", "inverse_gaussian", "log", "expected"),
}
SM_FAMILY = {
    "gamma_log": lambda: sm.families.Gamma(sm.families.links.Log()),
    "gamma_inverse": lambda: sm.families.Gamma(),
    "invgauss": lambda: sm.families.InverseGaussian(),
    "invgauss_log": lambda: sm.families.InverseGaussian(sm.families.links.Log()),
}


def _glm_fit(glm_data, name, **kw):
    col, fam, link, info = GLMS[name]
    kw.setdefault("information", info)
    return mk.Regression(fam, link=link, tol=1e-12, **kw).fit(glm_data[["x1", "x2"]],
                                                             glm_data[col]).result_


@pytest.mark.parametrize("name", list(GLMS))
def test_glm_pearson_matches_r_summary_glm(glm_data, name):
    r = _json("glm.json")[name]
    res = _glm_fit(glm_data, name)
    assert res.dispersion == "pearson" and res.df_resid == r["df_resid"] == 37
    _close(res.params, r["coef"])
    _close(res.bse, r["bse"])
    _close(res.tvalues, r["tvalues"])
    _close(res.pvalues, r["pvalues"])
    assert res.scale == pytest.approx(r["dispersion"], rel=1e-6)
    assert res.deviance == pytest.approx(r["deviance"], rel=1e-6)
    assert "Pearson dispersion" in res.inference and "t(37) tests" in res.inference


@pytest.mark.parametrize("name", list(GLMS))
def test_glm_pearson_matches_statsmodels_default_scale(glm_data, name):
    col = GLMS[name][0]
    exog = sm.add_constant(glm_data[["x1", "x2"]])
    start = _json("glm.json")[name]["coef"]  # (statsmodels' own start fails for invgauss)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = sm.GLM(glm_data[col], exog, family=SM_FAMILY[name]()).fit(
            tol=1e-13, start_params=start)
        ref_t = sm.GLM(glm_data[col], exog, family=SM_FAMILY[name]()).fit(
            tol=1e-13, start_params=start, use_t=True)
    res = _glm_fit(glm_data, name)
    _close(res.bse, ref.bse)
    _close(res.tvalues, ref.tvalues)
    _close(res.pvalues, ref_t.pvalues)
    _close(res.conf_int(), ref_t.conf_int())
    assert res.scale == pytest.approx(ref.scale, rel=1e-6)


@pytest.mark.parametrize("name", ["gamma_log", "invgauss"])
def test_glm_ml_convention_is_statsmodels_at_the_ml_scale(glm_data, name):
    """``dispersion="ml"``: the same unit-dispersion covariance at φ̂_ML (1/shape, 1/λ)."""
    col = GLMS[name][0]
    res = _glm_fit(glm_data, name, dispersion="ml")
    assert res.dispersion == "ml" and not res.use_t
    phi_ml = 1.0 / next(iter(res.nuisance.values()))
    assert res.scale == pytest.approx(phi_ml, rel=1e-12)
    exog = sm.add_constant(glm_data[["x1", "x2"]])
    ref = sm.GLM(glm_data[col], exog, family=SM_FAMILY[name]()).fit(
        tol=1e-13, scale=phi_ml, start_params=_json("glm.json")[name]["coef"])
    _close(res.bse, ref.bse)
    _close(res.pvalues, ref.pvalues)  # z tests
    pearson = _glm_fit(glm_data, name)
    assert pearson.llf == res.llf and pearson.aic == res.aic  # llf: always the ML fit
    _close(np.asarray(pearson.bse) / np.asarray(res.bse),
           np.sqrt(pearson.scale / res.scale) * np.ones(3), rtol=1e-6)


def test_observed_information_differs_off_the_canonical_link(glm_data):
    """Gamma-log: R's summary.glm uses the expected information; the default observed one
    gives other standard errors (stated in the Inference line)."""
    r = _json("glm.json")["gamma_log"]
    res = _glm_fit(glm_data, "gamma_log", information="observed")
    assert res.information_kind == "observed" and "observed information" in res.inference
    assert np.max(np.abs(np.asarray(res.bse) / r["bse"] - 1)) > 1e-3


# ---------------------------------------------------------------------- where it is not defined
@pytest.mark.parametrize("kw", [
    {"family": "poisson"},
    {"family": "normal", "fixed": {"sigma": 2.0}},
    {"family": "normal", "heteroscedastic": True},
    {"family": "normal", "alpha_l2": 1.0},
    {"family": "gamma", "fixed": {"shape": 2.0}},
])
def test_default_falls_back_to_ml_and_explicit_pearson_is_refused(glm_data, kw):
    X = glm_data[["x1", "x2"]]
    y = glm_data["y_gamma"] if kw["family"] != "poisson" else np.round(glm_data["y_gamma"])
    res = mk.Regression(**kw).fit(X, y).result_
    assert res.dispersion == "ml" and not res.use_t
    with pytest.raises(ParameterError, match="dispersion='pearson' is not defined") as e:
        mk.Regression(dispersion="pearson", **kw).fit(X, y)
    assert "dispersion='ml'" in str(e.value)


def test_pearson_refused_for_a_modelled_dispersion(glm_data):
    X, y = glm_data[["x1", "x2"]], glm_data["y_gamma"]
    res = mk.Regression("gamma", link="log", tol=1e-10).fit(X, y, designs={"shape": ["x1"]})
    assert res.result_.dispersion == "ml"
    with pytest.raises(ParameterError, match="'shape' has a design of its own"):
        mk.Regression("gamma", link="log", dispersion="pearson").fit(
            X, y, designs={"shape": ["x1"]})


@pytest.mark.parametrize("bad", ["pearsn", 2, "ML"])
def test_unknown_dispersion_is_named(glm_data, bad):
    with pytest.raises(MlekitError, match="dispersion"):
        mk.Regression(dispersion=bad).fit(glm_data[["x1"]], glm_data["y_gamma"])


# ---------------------------------------------------------------------- the summary
def test_summary_states_the_convention_and_does_not_test_log_sigma(longley):
    X, y = longley
    res = mk.LinearRegression().fit(X, y).result_
    text = str(res.summary())
    line = next(t for t in text.splitlines() if t.startswith("Inference:"))
    assert line == (f"Inference: Pearson dispersion (φ̂ = {res.scale:.4g}, 9 df), observed "
                    "information, t(9) tests")
    assert "P>|t|" in text and "P>|z|" not in text
    row = next(t for t in text.splitlines() if t.startswith("log(sigma)"))
    assert len(row.split()) == 5  # name, coef, std err, low, high: no t, no p
    sigma_ml = res.nuisance["sigma"]
    assert f"sigma = {sigma_ml:.6g} (ML" in text and "not tested" in text
    assert f"sigma = {np.sqrt(res.scale):.6g})" in text  # the Pearson σ̂ too
    coefs = res.coefs["sigma"]
    assert np.isnan(coefs["t"].iloc[0]) and np.isnan(coefs["P>|t|"].iloc[0])
    ml = str(mk.LinearRegression(dispersion="ml").fit(X, y).result_.summary())
    assert "Inference: ML dispersion" in ml and "z tests" in ml and "P>|z|" in ml


def test_summary_of_a_family_without_dispersion_says_z_tests():
    rand = mk.datasets.load("randhie")
    res = mk.Regression("poisson").fit(rand[["lncoins", "idp"]], rand["mdvis"]).result_
    assert res.dispersion == "ml" and res.scale is None
    assert "Inference: maximum likelihood, observed information, z tests" in str(res)


# ---------------------------------------------------------------------- the README
def test_readme_subsection_prints_what_it_shows():
    """README "Which standard errors": its ```python block prints the block under it."""
    import contextlib
    import io
    import re

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    title = "### Which standard errors: R's, statsmodels' or pure maximum likelihood"
    start = readme.index(title)
    ends = [readme.find(h, start + len(title)) for h in ("\n## ", "\n### ")]
    section = readme[start:min(e for e in ends if e > 0)]
    (code, expected), = re.findall(r"```python\n(.*?)```\n```\n(.*?)```", section,
                                   flags=re.DOTALL)
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(code, "README", "exec"), {"mk": mk})  # our own README, not user text
    assert out.getvalue() == expected


# ---------------------------------------------------------------------- Dask: the same stage
@pytest.mark.parametrize("family, link", [("gamma", "log"), ("normal", None)])
def test_dask_backend_gives_the_in_memory_pearson_inference(family, link):
    da = pytest.importorskip("dask.array")
    from mlekit.distributed import fit_regression

    rng = np.random.default_rng(5)
    n = 600
    X = rng.normal(size=(n, 2))
    y = rng.gamma(2.0, np.exp(0.5 + 0.3 * X[:, 0]) / 2.0)
    w = rng.integers(1, 4, n).astype(float)
    mem = mk.Regression(family, link=link, tol=1e-12).fit(X, y, sample_weight=w).result_
    dsk = fit_regression(mk.Regression(family, link=link, tol=1e-12),
                         da.from_array(X, chunks=200), da.from_array(y, chunks=200),
                         sample_weight=da.from_array(w, chunks=200)).result_
    assert dsk.dispersion == mem.dispersion == "pearson"
    assert dsk.scale == pytest.approx(mem.scale, rel=1e-9)
    _close(dsk.bse, mem.bse, rtol=1e-8)
    _close(dsk.pvalues, mem.pvalues, rtol=1e-7)
    if family == "normal":  # Newton on Dask, least squares in memory: the same R²
        assert dsk.rsquared == pytest.approx(mem.rsquared, rel=1e-9)
        assert dsk.fvalue == pytest.approx(mem.fvalue, rel=1e-8)
