"""A penalised fit's log-likelihood and deviance come from the solver's last value (its
penalised NLL less the prior's ½θᵀΛθ), with no pass over the rows: they equal the direct
sums at the estimate. And a warm start along a path with the previous Hessian (RegressionCV)
reaches the cold fit's optimum."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

import mlekit as mk
from mlekit.regression._cv import _fit_from

GEN = np.random.default_rng(8)
X = GEN.normal(size=(500, 4))
ETA = 0.3 + X @ np.array([0.7, -0.4, 0.2, 0.0])
Y_BIN = (GEN.random(500) < 1 / (1 + np.exp(-ETA))).astype(float)
Y_CNT = GEN.poisson(np.exp(0.5 * ETA)).astype(float)


@pytest.mark.parametrize("family, y", [("bernoulli", Y_BIN), ("poisson", Y_CNT)])
def test_llf_and_deviance_equal_the_direct_sums(family, y):
    m = mk.Regression(family, alpha_l2=5.0).fit(X, y)
    if family == "bernoulli":
        mu = m.predict_proba(X)[:, 1]
        ll = stats.bernoulli(mu).logpmf(y).sum()
        sat = 0.0
    else:
        mu = m.predict(X)
        ll = stats.poisson(mu).logpmf(y).sum()
        sat = stats.poisson(np.where(y > 0, y, 1.0)).logpmf(y)[y > 0].sum()
    assert m.result_.llf == pytest.approx(ll, rel=1e-10)
    assert m.result_.deviance == pytest.approx(2 * (sat - ll), rel=1e-9)


def test_a_warm_start_with_the_previous_hessian_reaches_the_same_optimum():
    first = mk.Regression("bernoulli", alpha_l2=50.0)
    first, hess = _fit_from(first, X, Y_BIN, None)
    assert hess is not None and hess.shape == (5, 5)
    warm, _ = _fit_from(mk.Regression("bernoulli", alpha_l2=5.0), X, Y_BIN, first._theta, hess)
    cold = mk.Regression("bernoulli", alpha_l2=5.0).fit(X, Y_BIN)
    np.testing.assert_allclose(warm._theta, cold._theta, rtol=1e-9, atol=1e-12)
    assert warm.result_.llf == pytest.approx(cold.result_.llf, rel=1e-12)
    np.testing.assert_allclose(warm.result_.bse, cold.result_.bse, rtol=1e-6)
