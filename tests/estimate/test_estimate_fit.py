"""The spine of the MLE engine: closed form vs generic path, standard errors, weights, errors."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import mlekit as mk
from mlekit._utils.tables import ResultsTable
from mlekit.errors import ConvergenceWarning, DataError, ParameterError, SupportError
from mlekit.estimate import BoundaryWarning, FitResult, fit
from mlekit.families.categorical import CategoricalFamily

RNG = np.random.default_rng(20261128)
XN = RNG.normal(1.5, 2.5, size=137)
XB = (RNG.random(91) < 0.35).astype(float)
XC = RNG.choice(4, size=120, p=[0.1, 0.2, 0.3, 0.4]).astype(float)
DATA = {"normal": XN, "bernoulli": XB, "categorical": XC}


# ----------------------------------------------------------------------- Normal closed form
def test_normal_closed_form_is_mean_and_ddof0_std():
    res = mk.Normal.fit(XN)
    assert isinstance(res, FitResult)
    assert res.method == "closed form" and res.converged
    assert res.params["mu"] == pytest.approx(XN.mean(), abs=1e-12)
    assert res.params["sigma"] == pytest.approx(XN.std(ddof=0), abs=1e-12)
    n = XN.size
    assert abs(res.bse["mu"] - XN.std() / np.sqrt(n)) <= 1e-12
    assert res.bse["sigma"] == pytest.approx(XN.std() / np.sqrt(2 * n), rel=1e-12)
    assert res.nobs == n
    llf = np.sum(-0.5 * ((XN - XN.mean()) / XN.std()) ** 2 - np.log(XN.std())
                 - 0.5 * np.log(2 * np.pi))
    assert res.llf == pytest.approx(llf, rel=1e-13)
    assert res.aic == pytest.approx(4 - 2 * llf)
    assert res.bic == pytest.approx(2 * np.log(n) - 2 * llf)
    assert res.param_names == ["mu", "sigma"]
    assert res.cov.shape == (2, 2) and abs(res.cov[0, 1]) < 1e-14


def test_expected_information_matches_closed_form():
    res = fit(XN, "normal", information="expected")
    assert res.information.startswith("expected")
    s, n = XN.std(), XN.size
    np.testing.assert_allclose(res.cov, np.diag([s**2 / n, s**2 / (2 * n)]), rtol=1e-12)


def test_distribution_nllf_and_conf_int():
    res = fit(XN, mk.Normal)
    d = res.distribution
    assert d.family is mk.Normal and d.mu == res.params["mu"]
    assert res.nllf() == pytest.approx(-res.llf)
    p = {"mu": 1.0, "sigma": 2.0}
    assert res.nllf(p) == pytest.approx(-np.sum(mk.Normal(**p).logpdf(XN)), rel=1e-13)
    assert res.nllf({"mu": 1.0}) == pytest.approx(
        -np.sum(mk.Normal(1.0, res.params["sigma"]).logpdf(XN)), rel=1e-13)
    ci = res.conf_int(0.9)
    z = 1.6448536269514722
    assert ci["mu"][0] == pytest.approx(res.params["mu"] - z * res.bse["mu"], rel=1e-12)
    assert ci["sigma"][1] == pytest.approx(res.params["sigma"] + z * res.bse["sigma"], rel=1e-12)
    with pytest.raises(ParameterError):
        res.conf_int(1.5)
    with pytest.raises(ParameterError, match="'wald', 'profile' or 'bootstrap'"):
        res.conf_int(method="jackknife")  # (bootstrap is a method now: test_bootstrap.py)


def test_summary_and_reprs():
    res = fit(XN, "normal")
    table = res.summary()
    assert isinstance(table, ResultsTable)
    info = dict(table.info)
    for key in ("Family", "Method", "Observations", "Log-likelihood", "AIC", "BIC", "Converged"):
        assert key in info
    assert info["Method"] == "closed form" and info["Observations"] == XN.size
    assert table.columns[:2] == ["estimate", "std err"]
    assert [r[0] for r in table.rows] == ["mu", "sigma"]
    assert "<table" in res._repr_html_()
    assert "Normal(mu=" in repr(res) and "closed form" in repr(res)
    assert "mu" in str(res)
    d = res.to_dict()
    import json

    assert json.loads(json.dumps(d))["params"]["mu"] == pytest.approx(res.params["mu"])
    assert d["method"] == "closed form" and d["family"] == "normal"


# ----------------------------------------------------------------------- closed vs generic
@pytest.mark.parametrize("name", ["normal", "bernoulli", "categorical"])
def test_closed_form_and_generic_agree(name):
    x = DATA[name]
    closed = fit(x, name)
    generic = fit(x, name, method="generic")
    assert closed.method == "closed form"
    assert generic.method.startswith("generic (")
    assert generic.converged
    for k in closed.params:
        np.testing.assert_allclose(generic.params[k], closed.params[k], rtol=1e-6, atol=1e-8)
        np.testing.assert_allclose(generic.bse[k], closed.bse[k], rtol=1e-5, atol=1e-8)
    # the closed form is the maximum: the generic path cannot beat it
    assert generic.nllf() >= closed.nllf() - 1e-9 * abs(closed.nllf())
    assert closed.llf == pytest.approx(generic.llf, rel=1e-10)
    assert closed.df_model == generic.df_model


def test_method_closed_form_forced_and_unknown_method():
    assert fit(XB, "bernoulli", method="closed form").method == "closed form"
    with pytest.raises(ParameterError, match="unknown fit method"):
        fit(XB, "bernoulli", method="magic")


def test_bernoulli_and_categorical_bse_closed_forms():
    rb = fit(XB, "bernoulli")
    p, n = XB.mean(), XB.size
    assert rb.params["p"] == pytest.approx(p, abs=1e-15)
    assert rb.bse["p"] == pytest.approx(np.sqrt(p * (1 - p) / n), rel=1e-12)
    rc = fit(XC, "categorical")
    pc = np.bincount(XC.astype(int), minlength=4) / XC.size
    np.testing.assert_allclose(rc.params["p"], pc, atol=1e-15)
    np.testing.assert_allclose(rc.bse["p"], np.sqrt(pc * (1 - pc) / XC.size), rtol=1e-12)
    assert rc.param_names == ["p[0]", "p[1]", "p[2]", "p[3]"]
    assert rc.df_model == 3
    assert rc.aic == pytest.approx(6 - 2 * np.sum(np.log(pc[XC.astype(int)])))


class _CategoricalNoClosedForms(CategoricalFamily):
    """Categorical with its closed forms hidden: exercises the numerical-information path."""

    name = "categorical_test_only"
    mle_covariance = None

    def mle(self, x, weights=None, fixed=None, k=None):
        return None


def test_generic_categorical_numerical_information_matches_multinomial():
    fam = _CategoricalNoClosedForms()
    res = fit(XC, fam)
    assert res.method.startswith("generic")
    assert res.information.startswith("observed (numerical")
    pc = np.bincount(XC.astype(int), minlength=4) / XC.size
    np.testing.assert_allclose(res.params["p"], pc, atol=1e-7)
    np.testing.assert_allclose(res.cov, (np.diag(pc) - np.outer(pc, pc)) / XC.size,
                               rtol=1e-5, atol=1e-9)


# ----------------------------------------------------------------------- weights
@pytest.mark.parametrize("name", ["normal", "bernoulli", "categorical"])
@pytest.mark.parametrize("method", ["auto", "generic"])
def test_weights_equal_repeated_data(name, method):
    x = DATA[name][:40]
    w = np.random.default_rng(3).integers(0, 4, size=x.size)
    w[0] = 1
    rep = np.repeat(x, w)
    a = fit(x, name, weights=w.astype(float), method=method)
    b = fit(rep, name, method=method)
    assert a.nobs == b.nobs == w.sum()
    assert a.llf == pytest.approx(b.llf, rel=1e-9)
    for k in a.params:
        np.testing.assert_allclose(a.params[k], b.params[k], rtol=1e-7, atol=1e-9)
        np.testing.assert_allclose(a.bse[k], b.bse[k], rtol=1e-5, atol=1e-9)


@pytest.mark.parametrize(("weights", "match"), [
    ([1.0, -1.0, 1.0], "index 1"),
    ([1.0, np.nan, 1.0], "index 1"),
    ([1.0, 1.0], "one value per observation"),
    ([0.0, 0.0, 0.0], "all zero"),
])
def test_bad_weights(weights, match):
    with pytest.raises(DataError, match=match):
        fit([0.1, 0.5, 0.9], "normal", weights=weights)


# ----------------------------------------------------------------------- data errors
def test_data_errors_name_the_problem():
    with pytest.raises(SupportError, match="NaN value at index 2"):
        fit([1.0, 2.0, np.nan, 3.0], "normal")
    with pytest.raises(SupportError, match="infinite value at index 0"):
        fit([np.inf, 2.0, 3.0], "normal")
    with pytest.raises(DataError, match="empty"):
        fit([], "normal")
    with pytest.raises(SupportError, match="index 3"):
        fit([0, 1, 1, 2], "bernoulli")
    with pytest.raises(SupportError, match="index 1"):
        fit([0, 1.5, 1], "categorical")
    with pytest.raises(DataError, match="too few observations"):
        fit([1.0], "normal")
    with pytest.raises(DataError, match="all data values are equal"):
        fit([2.0, 2.0, 2.0], "normal")
    with pytest.raises(DataError, match="does not exist"):
        fit([2.0, 2.0], "normal", fixed={"mu": 2.0})  # sigma_hat = 0
    with pytest.raises(mk.errors.UnknownNameError, match="did you mean 'normal'"):
        fit([1.0, 2.0], "normall")


def test_fixed_parameter_has_no_standard_error():
    res = fit(XN, "normal", fixed={"mu": 1.0})
    assert res.params["mu"] == 1.0 and np.isnan(res.bse["mu"])
    assert res.param_names == ["sigma"] and res.df_model == 1
    assert res.params["sigma"] == pytest.approx(np.sqrt(np.mean((XN - 1.0) ** 2)), rel=1e-13)
    gen = fit(XN, "normal", fixed={"mu": 1.0}, method="generic")
    assert gen.params["sigma"] == pytest.approx(res.params["sigma"], rel=1e-8)
    assert gen.bse["sigma"] == pytest.approx(res.bse["sigma"], rel=1e-6)
    assert res.conf_int()["mu"] == (1.0, 1.0)
    assert dict((r[0], r[1][1]) for r in res.summary().rows)["mu"] == "fixed"
    with pytest.raises(ParameterError, match="no parameter"):
        fit(XN, "normal", fixed={"rate": 1.0})
    with pytest.raises(ParameterError, match="sigma"):
        fit(XN, "normal", fixed={"sigma": -1.0})


def test_boundary_estimate_warns_and_flags():
    with pytest.warns(BoundaryWarning, match="p = 0"):
        res = fit([0.0, 0.0, 0.0, 0.0], "bernoulli")
    assert res.params["p"] == 0.0 and res.at_boundary == ("p = 0",)
    assert np.isnan(res.bse["p"]) and res.llf == 0.0


def test_convergence_warning_when_the_generic_path_stops_early():
    with pytest.warns(ConvergenceWarning, match="did not converge"):
        res = fit(XN * 1000 + 5e4, "normal", method="generic", maxiter=1,
                  start={"mu": 0.0, "sigma": 0.1})
    assert not res.converged


# ----------------------------------------------------------------------- property
@given(st.lists(st.floats(-100, 100, allow_nan=False), min_size=3, max_size=40),
       st.floats(-1, 1), st.floats(-1, 1))
def test_mle_beats_nearby_parameters(xs, dmu, dlogs):
    x = np.asarray(xs)
    if np.unique(x).size < 2 or x.std() < 1e-6:
        return
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        res = fit(x, "normal", method="generic")
    near = {"mu": res.params["mu"] + dmu * res.bse["mu"],
            "sigma": res.params["sigma"] * np.exp(0.1 * dlogs)}
    assert res.llf >= -res.nllf(near) - 1e-9 * abs(res.llf)
    closed = fit(x, "normal")
    assert res.llf <= closed.llf + 1e-9 * abs(closed.llf)
    assert res.llf >= closed.llf - 1e-8 * max(1.0, abs(closed.llf))


@given(st.lists(st.integers(0, 1), min_size=2, max_size=30), st.floats(0.01, 0.99))
def test_bernoulli_mle_beats_any_p(xs, p):
    x = np.asarray(xs, float)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", BoundaryWarning)
        res = fit(x, "bernoulli")
    assert res.llf >= -res.nllf({"p": p})
