"""RegressionCV (issue #23 item 6): a warm-started path with K-fold CV, held against
scikit-learn's ElasticNetCV and LogisticRegressionCV at the same grid and folds."""

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.linear_model import ElasticNetCV, LogisticRegression, LogisticRegressionCV
from sklearn.model_selection import KFold

import mlekit as mk
from mlekit.errors import ParameterError


def _normal_data(n=100, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 5))
    y = X @ [1.0, 0.5, 0.0, 0.0, -0.3] + 0.7 + rng.normal(size=n)
    return X, y


def _logit_data(n=100, seed=1):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 4))
    p = 1 / (1 + np.exp(-(X @ [1.0, -0.8, 0.0, 0.3] + 0.2)))
    return X, (rng.random(n) < p).astype(int)


@pytest.mark.parametrize("l1_ratio", [0.5, 1.0])
def test_normal_path_equals_elasticnetcv(l1_ratio):
    X, y = _normal_data()
    m = mk.RegressionCV("normal", l1_ratio=l1_ratio, fixed={"sigma": 1.0}, n_alphas=10,
                        cv=KFold(5)).fit(X, y)
    s = ElasticNetCV(l1_ratio=l1_ratio, alphas=10, cv=KFold(5), tol=1e-12,
                     max_iter=100_000).fit(X, y)
    # the automatic grid is scikit-learn's: alpha_max = max|Xc'yc| / (n r), down 1e-3
    np.testing.assert_allclose(m.alphas_, s.alphas_, rtol=1e-10)
    assert m.alpha_ == pytest.approx(s.alpha_, rel=1e-12)
    # held-out NLL at sigma = 1 is MSE / 2 + log(2 pi) / 2, fold by fold
    np.testing.assert_allclose(m.cv_scores_, s.mse_path_ / 2 + 0.5 * np.log(2 * np.pi),
                               rtol=1e-8)
    np.testing.assert_allclose(m.coef_, s.coef_, atol=1e-6)
    assert m.intercept_ == pytest.approx(s.intercept_, abs=1e-6)
    assert m.best_estimator_.alpha_l1 == pytest.approx(100 * m.alpha_ * l1_ratio)


@pytest.mark.parametrize("l1_ratio, solver", [(0.0, "lbfgs"), (0.5, "saga")])
def test_logistic_path_equals_logisticregressioncv(l1_ratio, solver):
    X, y = _logit_data()
    m = mk.RegressionCV("bernoulli", l1_ratio=l1_ratio, n_alphas=8, cv=KFold(5)).fit(X, y)
    n_train = 80  # 5 equal folds of 100 rows: C = 1 / (n_train alpha) on every fold
    s = LogisticRegressionCV(Cs=1 / (n_train * m.alphas_), l1_ratios=[l1_ratio],
                             solver=solver, cv=KFold(5), scoring="neg_log_loss", tol=1e-12,
                             max_iter=100_000, use_legacy_attributes=False).fit(X, y)
    assert m.alpha_ == pytest.approx(1 / (n_train * s.C_), rel=1e-12)
    # held-out mean log loss per fold and alpha (scores_: folds x l1_ratios x Cs). At
    # alpha_max (row 0, few slopes non-zero) saga stops after a few epochs with the
    # intercept off by ~0.01; there our fits are held to the optimality (KKT) conditions
    first = 1 if solver == "saga" else 0
    np.testing.assert_allclose(m.cv_scores_[first:], -np.asarray(s.scores_)[:, 0, first:].T,
                               rtol=1e-6)
    a = m.alphas_[0]
    for k in range(5 if first else 0):
        tr = np.setdiff1d(np.arange(100), np.arange(20 * k, 20 * k + 20))
        b = m._penalised(a, len(tr)).fit(X[tr], y[tr])
        r = y[tr] - 1 / (1 + np.exp(-(b.intercept_ + X[tr] @ b.coef_)))
        g = -X[tr].T @ r / len(tr) + a * (1 - l1_ratio) * b.coef_  # smooth part
        assert abs(r.mean()) < 1e-8
        nz = b.coef_ != 0
        np.testing.assert_allclose(g[nz], -a * l1_ratio * np.sign(b.coef_[nz]), atol=1e-8)
        assert np.all(np.abs(g[~nz]) <= a * l1_ratio + 1e-10)
    # every fold's path: coefficients at each alpha (coefs_paths_[..., :-1] slopes)
    paths = np.asarray(s.coefs_paths_)[:, 0, :, 0, :]
    for k in range(5):
        tr = np.setdiff1d(np.arange(100), np.arange(20 * k, 20 * k + 20))
        est = m._penalised(m.alphas_[3], len(tr)).fit(X[tr], y[tr])
        np.testing.assert_allclose(est.coef_, paths[k, 3, :-1], atol=1e-6)
    # refit on all n rows at alpha_: LogisticRegression at C = 1 / (n alpha_)
    lr = LogisticRegression(C=1 / (100 * m.alpha_), l1_ratio=l1_ratio, solver=solver,
                            tol=1e-12, max_iter=100_000).fit(X, y)
    np.testing.assert_allclose(m.coef_, lr.coef_[0], atol=1e-6)
    assert m.intercept_ == pytest.approx(lr.intercept_[0], abs=1e-6)
    np.testing.assert_allclose(m.predict_proba(X), lr.predict_proba(X), atol=1e-6)
    assert list(m.classes_) == [0, 1]


def test_warm_starts_save_solver_iterations():
    X, y = _logit_data(seed=3)
    kw = dict(l1_ratio=0.5, n_alphas=10, cv=3)
    warm = mk.RegressionCV("bernoulli", **kw).fit(X, y)
    cold = mk.RegressionCV("bernoulli", warm_start=False, **kw).fit(X, y)
    assert warm.alpha_ == cold.alpha_
    np.testing.assert_allclose(warm.cv_scores_, cold.cv_scores_, rtol=1e-6)
    assert warm.n_iter_ < 0.8 * cold.n_iter_, (warm.n_iter_, cold.n_iter_)


def test_folds_reproducible_with_rng():
    X, y = _normal_data(seed=4)
    kw = dict(l1_ratio=1.0, fixed={"sigma": 1.0}, n_alphas=5, cv=4)
    a = mk.RegressionCV("normal", rng=7, **kw).fit(X, y)
    b = mk.RegressionCV("normal", rng=7, **kw).fit(X, y)
    c = mk.RegressionCV("normal", rng=8, **kw).fit(X, y)
    np.testing.assert_array_equal(a.cv_scores_, b.cv_scores_)
    assert not np.allclose(a.cv_scores_, c.cv_scores_)
    # the folds are a partition of the rows into near-equal parts
    folds = a._folds(X, y, len(y))
    tests = np.sort(np.concatenate([te for _, te in folds]))
    np.testing.assert_array_equal(tests, np.arange(len(y)))
    assert sorted(len(te) for _, te in folds) == [25, 25, 25, 25]


@pytest.mark.parametrize("kw, words", [
    (dict(l1_ratio=1.5), "l1_ratio = 1.5"),
    (dict(l1_ratio="lasso"), "l1_ratio"),
    (dict(alphas=[0.1, -1.0]), "alphas[1] = -1.0"),
    (dict(alphas=[]), "alphas is empty"),
    (dict(n_alphas=0), "n_alphas = 0"),
    (dict(cv=1), "cv = 1 folds"),
    (dict(cv="five"), "cv = 'five'"),
])
def test_bad_parameters_named(kw, words):
    X, y = _normal_data(n=20)
    with pytest.raises(ParameterError, match=words.replace("[", r"\[").replace("]", r"\]")):
        mk.RegressionCV("normal", **kw).fit(X, y)


def test_sklearn_plumbing():
    m = mk.RegressionCV("bernoulli", l1_ratio=0.3, n_alphas=4, cv=3, rng=2)
    params = m.get_params()
    assert params["l1_ratio"] == 0.3 and params["cv"] == 3 and params["rng"] == 2
    c = clone(m)
    assert c.get_params() == params and c is not m
    assert m.__sklearn_tags__().estimator_type == "classifier"
    X, y = _logit_data(n=60, seed=5)
    assert m.fit(X, y) is m
    assert m.cv_scores_.shape == (4, 3) and m.best_estimator_.n_features_in_ == 4
    assert m.score(X, y) == pytest.approx(m.best_estimator_.score(X, y))
    assert not hasattr(mk.RegressionCV("normal"), "predict_proba")
    with pytest.raises(Exception, match="not fitted"):
        mk.RegressionCV("normal").predict(X)


@pytest.mark.parametrize("family", ["normal", "bernoulli"])
def test_sklearn_estimator_checks(family):
    from sklearn.utils.estimator_checks import check_estimator

    check_estimator(mk.RegressionCV(family, n_alphas=2, cv=2))


def test_scoring_by_name_and_coarse_grid_fallback():
    X, y = _normal_data(n=60, seed=6)
    m = mk.RegressionCV("normal", l1_ratio=1.0, fixed={"sigma": 1.0}, n_alphas=6, cv=KFold(3),
                        scoring="neg_mean_squared_error").fit(X, y)
    s = ElasticNetCV(l1_ratio=1.0, alphas=6, cv=KFold(3), tol=1e-12, max_iter=100_000).fit(X, y)
    np.testing.assert_allclose(m.cv_scores_, s.mse_path_, rtol=1e-8)  # minus the scorer
    assert m.alpha_ == pytest.approx(s.alpha_, rel=1e-12)
    # a 1000-fold jump down a 2-point ridge grid with sigma free: the warm start overflows
    # in the line search, the fit is redone from the intercept-only start, and no raw
    # RuntimeWarning escapes (pyproject turns one from mlekit into an error)
    rnd = np.random.RandomState(0)
    Xs = 3 * rnd.uniform(size=(20, 3))
    warm = mk.RegressionCV("normal", n_alphas=2, cv=2).fit(Xs, Xs[:, 0].astype(int))
    cold = mk.RegressionCV("normal", n_alphas=2, cv=2, warm_start=False).fit(
        Xs, Xs[:, 0].astype(int))
    np.testing.assert_allclose(warm.cv_scores_, cold.cv_scores_, rtol=1e-7)
