"""Censored regression: right, left and interval censoring in ``Regression``.

Reference values: R 4.2.2 ``survival::survreg`` 3.5.3 on the committed data
(``data/r_censored``: ``make_data.py`` writes the CSVs, ``make_fixtures.R`` the JSON).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import mlekit as mk
from mlekit.errors import DataError, NoMaximumError, NotImplementedForFamily
from mlekit.regression._censored import patch_censored_rows
from mlekit.regression._engine import build_family_model

DATA = Path(__file__).parent / "data" / "r_censored"
REF = json.loads((DATA / "survreg.json").read_text())
SURV = pd.read_csv(DATA / "survival.csv")
TOBIT = pd.read_csv(DATA / "tobit.csv")


def _fit(case: str) -> mk.Regression:
    if case in ("weibull", "lognormal", "exponential"):
        return mk.Regression.from_formula("time ~ x1 + x2", data=SURV, family=case,
                                          event="status")
    if case == "weibull_interval":
        return mk.Regression(family="weibull").fit(
            SURV[["x1", "x2"]], mk.Censored(SURV["left"], SURV["right"]))
    y = TOBIT["y"].to_numpy()  # Tobit: left-censored at 0
    return mk.Regression(family="normal").fit(
        TOBIT[["x1", "x2"]], mk.Censored(np.where(y > 0, y, -np.inf), y))


def _survreg_order(case: str, res) -> tuple[np.ndarray, np.ndarray]:
    """Our estimates and covariance in survreg's coordinates (coefficients, Log(scale))."""
    beta = np.asarray(res.theta, float)  # (coefficients, then the nuisance's link value)
    cov = np.asarray(res.cov_params(), float)
    k = len(REF[case]["coef"])
    if case == "exponential":  # our rate = exp(x'b) is survreg's 1/scale: b flips sign
        return -beta[:k], cov[:k, :k]
    # the last row is the nuisance on its log link: log(shape) = -Log(scale) for the
    # Weibull, log(sigma) = Log(scale) for the log-normal and the Normal (Tobit)
    flip = -1.0 if case.startswith("weibull") else 1.0
    J = np.eye(k + 1)
    J[k, k] = flip
    return np.append(beta[:k], flip * beta[k]), J @ cov[: k + 1, : k + 1] @ J


CASES = ["weibull", "lognormal", "exponential", "weibull_interval", "tobit"]


@pytest.mark.parametrize("case", CASES)
def test_agrees_with_survreg(case):
    res = _fit(case).result_
    ref = REF[case]
    assert res.llf == pytest.approx(ref["loglik"], rel=1e-8)
    est, cov = _survreg_order(case, res)
    want = list(ref["coef"]) + ([] if ref["log_scale"] is None else [ref["log_scale"]])
    np.testing.assert_allclose(est, want, rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(np.sqrt(np.diag(cov)), np.sqrt(np.diag(ref["vcov"])),
                               rtol=1e-5)
    assert res.converged


def test_intercept_only_equals_the_univariate_censored_fit():
    data = mk.Censored(SURV["left"], SURV["right"])
    ones = np.ones((len(SURV), 1))
    reg = mk.Regression(family="weibull", fit_intercept=False).fit(ones, data)
    uni = mk.fit(data, "weibull")
    assert reg.result_.llf == pytest.approx(uni.llf, rel=1e-8)
    assert np.exp(np.asarray(reg.result_.params)[0]) == pytest.approx(uni.params["scale"], rel=1e-6)
    assert np.exp(reg.result_.theta[1]) == pytest.approx(uni.params["shape"], rel=1e-6)


def test_censored_rows_derivatives_against_closed_forms():
    """Weibull, right-censored at t: log S = -(t/λ)^k with η = (log λ, log k)."""
    rng = np.random.default_rng(0)
    n = 50
    t = rng.uniform(0.2, 3.0, n)
    eta = np.column_stack([rng.normal(0.3, 0.5, n), rng.normal(0.2, 0.3, n)])
    model = build_family_model("weibull")
    model.censored = True
    aux = {"censor_low": t, "censor_high": np.full(n, np.inf)}
    nll, g, h = np.zeros(n), np.zeros((n, 2)), np.zeros((n, 2, 2))
    patch_censored_rows(model, eta, aux, 2, nll, g, h)
    lam, k = np.exp(eta[:, 0]), np.exp(eta[:, 1])
    r = (t / lam) ** k
    L = np.log(t / lam)
    np.testing.assert_allclose(nll, r, rtol=1e-13)
    np.testing.assert_allclose(g[:, 0], -k * r, rtol=1e-10)      # d(-log S)/d log λ
    np.testing.assert_allclose(g[:, 1], r * k * L, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(h[:, 0, 0], k**2 * r, rtol=1e-7)
    d11 = r * k * L * (1 + k * L)
    np.testing.assert_allclose(h[:, 1, 1], d11, rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(h[:, 0, 1], -k * r * (1 + k * L), rtol=1e-5, atol=1e-8)


def test_event_column_equals_a_censored_response():
    a = mk.Regression.from_formula("time ~ x1 + x2", data=SURV, family="weibull",
                                   event="status").result_
    data = mk.Censored.from_indicator(SURV["time"], censored=SURV["status"] == 0)
    b = mk.Regression(family="weibull").fit(SURV[["x1", "x2"]], data).result_
    np.testing.assert_allclose(np.asarray(a.params), np.asarray(b.params), rtol=1e-12)
    assert "Censored" in a.summary().as_text() if hasattr(a.summary(), "as_text") \
        else "Censored" in str(a.summary())


def test_summary_says_how_rows_are_censored():
    text = str(_fit("weibull_interval").result_.summary())
    assert "Censored" in text and "interval" in text and "numerically" in text


@pytest.mark.parametrize("bad, what", [
    ({"status": [2] + [1] * (len(SURV) - 1)}, "row 0"),
    ({"status": [np.nan] + [1] * (len(SURV) - 1)}, "row 0"),
])
def test_bad_event_column_is_named(bad, what):
    df = SURV.assign(**bad)
    with pytest.raises(DataError, match=what):
        mk.Regression.from_formula("time ~ x1", data=df, family="weibull", event="status")


def test_unknown_event_column_and_all_censored():
    with pytest.raises(DataError, match="must name a column"):
        mk.Regression.from_formula("time ~ x1", data=SURV, family="weibull", event="died")
    with pytest.raises(NoMaximumError, match="every response is right-censored"):
        mk.Regression.from_formula("time ~ x1", data=SURV.assign(status=0),
                                   family="weibull", event="status")


@pytest.mark.parametrize("family", ["weibull", "exponential", "lognormal"])
def test_a_group_without_events_has_no_maximum(family):
    df = SURV.copy()
    df.loc[df["x2"] == 1, "status"] = 0
    with pytest.raises(NoMaximumError, match=r"'x2'.*no event was observed"):
        mk.Regression.from_formula("time ~ x1 + x2", data=df, family=family, event="status")
    # without the group indicator the likelihood has its maximum
    res = mk.Regression.from_formula("time ~ x1", data=df, family=family,
                                     event="status").result_
    assert res.converged and np.isfinite(res.llf)


def test_left_censored_group_has_no_maximum():
    y = TOBIT["y"].to_numpy().copy()
    x2 = TOBIT["x2"].to_numpy()
    y[x2 == 1] = 0.0  # every row of the group below the detection limit
    with pytest.raises(NoMaximumError, match="'x2'"):
        mk.Regression(family="normal").fit(
            TOBIT[["x1", "x2"]], mk.Censored(np.where(y > 0, y, -np.inf), y))


def test_refusals():
    data = mk.Censored.from_indicator(SURV["time"], censored=SURV["status"] == 0)
    with pytest.raises(DataError, match="class labels"):
        mk.Regression(family="bernoulli").fit(SURV[["x1"]], data)
    with pytest.raises(DataError, match="rows"):
        mk.Regression(family="weibull").fit(SURV[["x1"]].iloc[:10], data)
    with pytest.raises(NotImplementedForFamily, match="generic engine"):
        mk.Regression(family="normal", heteroscedastic=True).fit(SURV[["x1"]], data)


def test_dask_refuses_a_censored_response():
    da = pytest.importorskip("dask.array")
    data = mk.Censored.from_indicator(SURV["time"], censored=SURV["status"] == 0)
    X = da.from_array(SURV[["x1", "x2"]].to_numpy(), chunks=100)
    with pytest.raises(NotImplementedForFamily, match="in memory"):
        mk.Regression(family="weibull").fit(X, data)
