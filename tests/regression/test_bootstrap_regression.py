"""Bootstrap intervals of regression coefficients (cases and parametric)."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import mlekit as mk
from mlekit.errors import DataError, NoMaximumError, NumericalWarning, ParameterError
from mlekit.estimate._bootstrap import run_bootstrap
from mlekit.regression._intervals import _RegressionReplicate, bootstrap_conf_int


@pytest.fixture(scope="module")
def hetero_ols():
    gen = np.random.default_rng(3)
    n = 200
    X = gen.normal(size=(n, 1))
    y = 1.0 + 2.0 * X[:, 0] + gen.normal(size=n) * (0.5 + np.abs(X[:, 0]))
    return X, y, mk.Regression().fit(X, y)


def _hc1_se(X, y):
    """Sandwich HC1 standard errors of OLS, by hand: n/(n-p) (X'X)^-1 X' diag(e^2) X (X'X)^-1."""
    D = np.column_stack([np.ones(len(y)), X])
    n, p = D.shape
    bread = np.linalg.inv(D.T @ D)
    e = y - D @ (bread @ D.T @ y)
    V = bread @ (D.T * e**2) @ D @ bread * n / (n - p)
    return np.sqrt(np.diag(V))


def test_cases_bootstrap_of_an_ols_slope_matches_hc1(hetero_ols):
    # The sd of B = 249 case-bootstrap slopes estimates the HC standard error with relative
    # Monte-Carlo error about 1 / sqrt(2 B) = 4.5 %; the two differ by O(1/n) otherwise.
    # 15 % is more than 3 Monte-Carlo sd; the model-based (homoscedastic) se is 30 % off
    # here, so the check tells the two apart.
    X, y, est = hetero_ols
    task = _RegressionReplicate(est, X, y, "cases", {}, None, len(y))
    reps = run_bootstrap(task, 2, 249, rng=0)
    hc1 = _hc1_se(X, y)
    assert np.std(reps[:, 1], ddof=1) == pytest.approx(hc1[1], rel=0.15)
    naive = float(np.sqrt(est.result_.cov_theta[1, 1]))
    assert abs(naive / hc1[1] - 1) > 0.2


def test_parametric_and_bca_are_reproducible_and_job_independent(hetero_ols):
    X, y, est = hetero_ols
    a = bootstrap_conf_int(est, X, y, n_boot=40, bootstrap="parametric", rng=5)
    b = bootstrap_conf_int(est, X, y, n_boot=40, bootstrap="parametric", rng=5, n_jobs=2)
    np.testing.assert_array_equal(a, b)
    # the percentile interval of the replicates y* ~ predict_distribution(X), refitted
    task = _RegressionReplicate(est, X, y, "parametric", {}, est.predict_distribution(X),
                                len(y))
    reps = run_bootstrap(task, 2, 40, rng=5)
    np.testing.assert_allclose(a, np.quantile(reps, [0.025, 0.975], axis=0).T, rtol=1e-12)
    assert np.all(a[:, 0] < est.result_.theta[:2]) and np.all(est.result_.theta[:2] < a[:, 1])


def test_bca_contains_the_estimate():
    gen = np.random.default_rng(8)
    X = gen.normal(size=(60, 1))
    y = gen.poisson(np.exp(0.5 + 0.4 * X[:, 0]))
    est = mk.Regression(family="poisson").fit(X, y)
    ci = bootstrap_conf_int(est, X, y, n_boot=99, ci="bca", rng=1)
    theta = est.result_.theta[:2]
    assert np.all(ci[:, 0] < theta) and np.all(theta < ci[:, 1])


def test_failed_refits_are_counted():
    # 9 of 12 responses are 0: a case resample of only zeros has no Poisson MLE (the only
    # way an intercept-only fit fails). Replaying the replicates' seeds gives the exact
    # number of such resamples.
    X = np.ones((12, 1))
    y = np.r_[np.zeros(9), 1.0, 2.0, 1.0]
    est = mk.Regression(family="poisson", fit_intercept=False).fit(X, y)
    seeds = np.random.SeedSequence(2).spawn(199)
    all_zero = sum(not y[np.random.default_rng(s).integers(0, 12, 12)].any() for s in seeds)
    assert 0 < all_zero < 20
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        bootstrap_conf_int(est, X, y, n_boot=199, rng=2)
    msgs = [str(w.message) for w in caught if issubclass(w.category, NumericalWarning)]
    assert any(f"{all_zero} of 199 refits failed" in m for m in msgs), msgs
    # nearly all zeros: most resamples fail, so no interval
    y2 = np.r_[np.zeros(11), 1.0]
    est2 = mk.Regression(family="poisson", fit_intercept=False).fit(X, y2)
    with pytest.raises(NoMaximumError, match="refits failed"):
        bootstrap_conf_int(est2, X, y2, n_boot=30, rng=2)


def test_bad_input(hetero_ols):
    X, y, est = hetero_ols
    with pytest.raises(ParameterError, match="n_boot"):
        bootstrap_conf_int(est, X, y, n_boot=1)
    with pytest.raises(ParameterError, match="bootstrap"):
        bootstrap_conf_int(est, X, y, bootstrap="nonparametric")
    with pytest.raises(DataError, match="fitted to"):
        bootstrap_conf_int(est, X, y[::-1], n_boot=10)


def test_estimator_conf_int_routes_the_bootstrap():
    import warnings

    import numpy as np

    import mlekit as mk
    from mlekit.regression._intervals import bootstrap_conf_int

    rng = np.random.default_rng(7)
    X = rng.normal(size=(80, 1))
    y = 1.0 + 0.5 * X[:, 0] + rng.normal(size=80)
    est = mk.Regression(family="normal").fit(X, y)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        a = est.conf_int(X, y, method="bootstrap", n_boot=99, rng=3)
        b = bootstrap_conf_int(est, X, y, n_boot=99, rng=3)
    np.testing.assert_array_equal(np.asarray(a), np.asarray(b))
