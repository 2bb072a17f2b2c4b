"""Prediction intervals for a new observation, parameter uncertainty included (#23 item 4).

OLS: exact, held against R's ``predict.lm(interval="prediction")`` (fixtures from
``data/r_profile/make_fixtures.R``). Other families: simulation from N(theta_hat,
Sigma_hat), held by its coverage of fresh draws from the true model on simulated data
(2000 new points: binomial Monte Carlo error of a 95 % coverage is 0.5 %, so 93-97 %
is four standard errors) and against the exact OLS interval.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import mlekit as mk
from mlekit.errors import NotImplementedForFamily, ParameterError

HERE = Path(__file__).parent / "data" / "r_profile"
DATA = pd.read_csv(HERE / "glm_data.csv")
FIX = json.loads((HERE / "fixtures.json").read_text())["predict_lm"]
NEW = pd.DataFrame(FIX["newdata"], index=[10, 11, 12, 13])


@pytest.mark.parametrize("level", [0.95, 0.90])
def test_ols_equals_predict_lm(level):
    m = mk.LinearRegression().fit(DATA[["x1", "x2"]], DATA["y"])
    pi = m.predict_interval(NEW, level=level)
    assert list(pi.index) == [10, 11, 12, 13] and list(pi.columns) == ["lower", "upper"]
    tag = f"{round(100 * level)}"
    ref = np.column_stack([FIX[f"lower_{tag}"], FIX[f"upper_{tag}"]])
    np.testing.assert_allclose(pi.to_numpy(), ref, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(pi.mean(axis=1), FIX["fit"], rtol=1e-9)


def test_ols_arrays_give_arrays():
    m = mk.LinearRegression().fit(DATA[["x1", "x2"]].to_numpy(), DATA["y"].to_numpy())
    pi = m.predict_interval(NEW.to_numpy())
    assert isinstance(pi, np.ndarray) and pi.shape == (4, 2)
    np.testing.assert_allclose(pi[:, 0], FIX["lower_95"], rtol=1e-9)


def test_simulation_matches_the_exact_mixture_quantiles():
    """Normal with the ML convention takes the simulation path. Its y* given
    u* = log sigma* is N(y_hat, exp(2 u*) + x0' V x0) (b* and u* are independent: the
    Normal information is block diagonal), u* ~ N(log sigma_hat, v_u); the mixture's
    quantiles by Gauss-Hermite quadrature and Brent's method hold the 40 000-draw ends
    to 0.035 (3.5 Monte Carlo standard errors of a 2.5 % quantile here). The exact OLS
    interval (t quantile, s^2 = RSS/(n - p)) is wider, as it must be."""
    from scipy.optimize import brentq

    X, y = DATA[["x1", "x2"]], DATA["y"]
    ml = mk.LinearRegression(dispersion="ml").fit(X, y)
    sim = ml.predict_interval(NEW, n_sims=40_000, rng=3).to_numpy()
    res = ml.result_
    D = np.column_stack([np.ones(len(NEW)), NEW.to_numpy()])
    xvx = np.einsum("ij,jk,ik->i", D, res.cov_theta[:3, :3], D)
    u0, su = res.theta[3], np.sqrt(res.cov_theta[3, 3])
    assert np.allclose(res.cov_theta[:3, 3], 0, atol=1e-10)
    nodes, weights = np.polynomial.hermite_e.hermegauss(60)
    weights = weights / weights.sum()
    yhat = ml.predict(NEW)
    for i in range(len(NEW)):
        sd = np.sqrt(np.exp(2 * (u0 + su * nodes)) + xvx[i])

        def cdf(t, i=i, sd=sd):
            return float(weights @ stats.norm.cdf((t - yhat[i]) / sd))

        for k, q in enumerate((0.025, 0.975)):
            end = brentq(lambda t, q=q: cdf(t) - q, yhat[i] - 10, yhat[i] + 10, xtol=1e-12)
            assert abs(sim[i, k] - end) <= 0.035
    exact = mk.LinearRegression().fit(X, y).predict_interval(NEW).to_numpy()
    assert np.all(exact[:, 1] - exact[:, 0] > sim[:, 1] - sim[:, 0])


def test_gamma_coverage_of_fresh_draws():
    """Unconditional coverage: 40 training sets of 200 rows, each interval checked on 50
    fresh (x, y) from the true model: 2000 points in all (the training sets' own errors
    are part of what the interval must cover, so one lucky or unlucky set cannot decide)."""
    rng = np.random.default_rng(7)
    shape, covered, wider = 3.0, [], []
    for _ in range(40):
        x = rng.uniform(-1, 1, size=(200, 1))
        y = rng.gamma(shape, np.exp(1.0 + 0.8 * x[:, 0]) / shape)
        fit = mk.Regression("gamma", link="log").fit(x, y)
        x_new = rng.uniform(-1, 1, size=(50, 1))
        y_new = rng.gamma(shape, np.exp(1.0 + 0.8 * x_new[:, 0]) / shape)
        pi = fit.predict_interval(x_new, level=0.95, n_sims=1000, rng=rng)
        covered.append((pi[:, 0] <= y_new) & (y_new <= pi[:, 1]))
        # wider than the plug-in interval (no parameter uncertainty), on average
        sh, mu = fit.result_.nuisance["shape"], fit.predict(x_new)
        plug = stats.gamma(sh, scale=mu / sh)
        wider.append(np.mean(pi[:, 1] - pi[:, 0]) / np.mean(plug.ppf(0.975) - plug.ppf(0.025)))
    rate = np.mean(np.concatenate(covered))
    assert 0.93 <= rate <= 0.97
    assert np.mean(wider) > 1.0


def test_poisson_bounds_are_counts():
    """Counts: integer bounds; with 5000 rows the parameter uncertainty is small, so the
    bounds are the Poisson quantiles at the fitted mean up to one count."""
    rng = np.random.default_rng(5)
    x = rng.normal(size=(5000, 1))
    y = rng.poisson(np.exp(1.5 + 0.4 * x[:, 0]))
    fit = mk.Regression("poisson").fit(x, y)
    x_new = np.linspace(-2, 2, 9)[:, None]
    pi = fit.predict_interval(x_new, rng=2)
    assert np.array_equal(pi, np.round(pi))
    mu = fit.predict(x_new)
    ref = np.column_stack([stats.poisson.ppf(0.025, mu), stats.poisson.ppf(0.975, mu)])
    assert np.all(np.abs(pi - ref) <= 1)
    # a seed gives the same intervals
    np.testing.assert_array_equal(pi, fit.predict_interval(x_new, rng=2))


def test_bad_input_is_named():
    clf = mk.LogisticRegression().fit(DATA[["x1", "x2"]], DATA["yes"])
    with pytest.raises(NotImplementedForFamily, match="predict_proba"):
        clf.predict_interval(NEW)
    m = mk.Regression("poisson").fit(DATA[["x1", "x2"]], DATA["count"])
    with pytest.raises(ParameterError, match="n_sims"):
        m.predict_interval(NEW, n_sims=10)
    with pytest.raises(ParameterError, match="level"):
        m.predict_interval(NEW, level=95)
