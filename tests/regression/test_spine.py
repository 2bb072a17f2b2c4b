"""Linear, logistic and multinomial regression against certified values and statsmodels."""

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

import mlekit.regression as R
from mlekit.errors import DataError, SeparationError, SingularMatrixError, SupportError
from mlekit.regression import InMemorySums, make_model

# NIST StRD, Longley data set (https://www.itl.nist.gov/div898/strd/lls/data/Longley.shtml):
# certified coefficients and standard deviations (Intercept, x1..x6), 15 significant digits.
LONGLEY_CERT = np.array([-3482258.63459582, 15.0618722713733, -0.358191792925910e-01,
                         -2.02022980381683, -1.03322686717359, -0.511041056535807e-01,
                         1829.15146461355])
LONGLEY_CERT_SD = np.array([890420.383607373, 84.9149257747669, 0.334910077722432e-01,
                            0.488399681651699, 0.214274163161675, 0.226073200069370,
                            455.478499142212])
LONGLEY_RESID_SD = 304.854073561965


@pytest.fixture(scope="module")
def longley():
    d = sm.datasets.longley.load_pandas()
    return d.exog, d.endog


@pytest.fixture(scope="module")
def spector():
    d = sm.datasets.spector.load_pandas()
    return d.exog, d.endog


def test_longley_nist_certified_values(longley):
    X, y = longley
    m = R.LinearRegression().fit(X, y)
    est = np.r_[m.intercept_, m.coef_]
    np.testing.assert_allclose(est, LONGLEY_CERT, rtol=1e-9)  # >= 9 significant digits
    n, k = 16, 7
    # certified SDs use s^2 = RSS/(n-k): mlekit's default (dispersion="pearson", issue #23)
    np.testing.assert_allclose(m.result_.bse.to_numpy(), LONGLEY_CERT_SD, rtol=1e-6)
    # the ML ones (sigma^2 = RSS/n) stay reachable
    ml = R.LinearRegression(dispersion="ml").fit(X, y)
    np.testing.assert_allclose(ml.result_.bse.to_numpy() * np.sqrt(n / (n - k)),
                               LONGLEY_CERT_SD, rtol=1e-6)
    assert np.sqrt(m.result_.scale) == pytest.approx(LONGLEY_RESID_SD, rel=1e-9)
    sigma = m.result_.nuisance["sigma"]
    assert sigma * np.sqrt(n / (n - k)) == pytest.approx(LONGLEY_RESID_SD, rel=1e-9)
    assert m.result_.method == "least squares (QR)"
    assert list(m.result_.params.index) == ["Intercept", *X.columns]


def test_linear_matches_ols_llf_and_r2_free_score(longley):
    X, y = longley
    m = R.LinearRegression().fit(X, y)
    ols = sm.OLS(y, sm.add_constant(X)).fit()
    assert m.result_.llf == pytest.approx(ols.llf, rel=1e-10)
    assert m.result_.deviance == pytest.approx(ols.ssr, rel=1e-9)
    assert m.score(X, y) == pytest.approx(ols.llf / 16, rel=1e-10)  # mean log-likelihood


def test_logistic_matches_statsmodels_logit(spector):
    X, y = spector
    m = R.LogisticRegression().fit(X, y)
    ref = sm.Logit(y, sm.add_constant(X)).fit(disp=0, tol=1e-12)
    np.testing.assert_allclose(m.result_.params.to_numpy(), ref.params.to_numpy(), rtol=1e-6)
    np.testing.assert_allclose(m.result_.bse.to_numpy(), ref.bse.to_numpy(), rtol=1e-6)
    np.testing.assert_allclose(m.result_.pvalues.to_numpy(), ref.pvalues.to_numpy(), rtol=1e-5)
    np.testing.assert_allclose(m.result_.conf_int().to_numpy(), ref.conf_int().to_numpy(),
                               rtol=1e-6)
    assert m.result_.llf == pytest.approx(ref.llf, rel=1e-10)
    assert m.result_.llnull == pytest.approx(ref.llnull, rel=1e-10)
    assert m.result_.prsquared == pytest.approx(ref.prsquared, rel=1e-8)
    assert m.result_.aic == pytest.approx(ref.aic, rel=1e-10)
    assert m.result_.bic == pytest.approx(ref.bic, rel=1e-10)
    np.testing.assert_allclose(m.predict_proba(X)[:, 1], ref.predict(sm.add_constant(X)),
                               rtol=1e-6)
    assert m.result_.converged and m.result_.method == "newton"


def test_multinomial_matches_mnlogit_anes96():
    df = sm.datasets.anes96.load_pandas().data
    X, y = df[["logpopul", "selfLR", "age", "educ", "income"]], df["PID"]
    m = R.Regression(family="categorical").fit(X, y)
    ref = sm.MNLogit(y, sm.add_constant(X)).fit(disp=0, method="newton", tol=1e-12)
    np.testing.assert_allclose(m.result_.params.to_numpy(), ref.params.to_numpy(), rtol=1e-6)
    np.testing.assert_allclose(m.result_.bse.to_numpy(), ref.bse.to_numpy(), rtol=1e-6)
    assert m.result_.llf == pytest.approx(ref.llf, rel=1e-10)
    np.testing.assert_allclose(m.predict_proba(X), ref.predict(sm.add_constant(X)), atol=1e-8)
    assert m.coef_.shape == (6, 5) and m.intercept_.shape == (6,)
    assert list(m.classes_) == list(range(7))


def test_link_space_loss_exact_at_extreme_logits():
    model = make_model("bernoulli")
    y = np.array([1.0, 0.0, 1.0, 0.0])
    eta = np.array([[1000.0], [-1000.0], [-1000.0], [1000.0]])
    nll, g, h = model.rows(y, eta, {})
    np.testing.assert_array_equal(nll, [0.0, 0.0, 1000.0, 1000.0])
    np.testing.assert_array_equal(g[:, 0], [0.0, 0.0, -1.0, 1.0])
    assert np.all(np.isfinite(h))
    cat = make_model("categorical", n_classes=3)
    eta = np.array([[-1000.0, -1000.0], [1000.0, -1000.0]])
    nll, _, _ = cat.rows(np.array([0.0, 1.0]), eta, {})
    np.testing.assert_array_equal(nll, [0.0, 0.0])


@pytest.mark.parametrize("family,link", [("normal", "identity"), ("normal", "log"),
                                         ("bernoulli", "logit"), ("bernoulli", "probit"),
                                         ("bernoulli", "cloglog")])
def test_gradient_hessian_vs_finite_differences(family, link):
    rng = np.random.default_rng(1)
    X = np.column_stack([np.ones(40), rng.normal(size=(40, 2))])
    y = rng.normal(2.0, 1.0, 40) if family == "normal" else (rng.random(40) < 0.5) * 1.0
    if link == "log":
        y = np.abs(y) + 0.5
    model = make_model(family, link)
    sums = InMemorySums(X, y, model)
    theta = rng.normal(scale=0.2, size=sums.n_params)
    if family == "bernoulli" and link == "cloglog":
        theta[0] = -0.5
    f, g, h = sums.nll_grad_hess(theta)
    eps = 1e-6
    num_g = np.array([(sums.nll(theta + eps * e) - sums.nll(theta - eps * e)) / (2 * eps)
                      for e in np.eye(len(theta))])
    np.testing.assert_allclose(g, num_g, rtol=1e-6, atol=1e-6)
    num_h = np.array([(sums.nll_grad_hess(theta + eps * e)[1]
                       - sums.nll_grad_hess(theta - eps * e)[1]) / (2 * eps)
                      for e in np.eye(len(theta))])
    np.testing.assert_allclose(h, num_h, rtol=1e-5, atol=1e-5)
    assert f == pytest.approx(sums.nll(theta))


def test_chunked_sums_equal_one_chunk():
    rng = np.random.default_rng(2)
    X = np.column_stack([np.ones(1000), rng.normal(size=(1000, 3))])
    y = (rng.random(1000) < 0.3) * 1.0
    w = rng.uniform(0.5, 2, 1000)
    model = make_model("bernoulli")
    theta = rng.normal(size=4) * 0.3
    a = InMemorySums(X, y, model, w, chunk_rows=97).nll_grad_hess(theta)
    b = InMemorySums(X, y, model, w, chunk_rows=10_000).nll_grad_hess(theta)
    assert a[0] == pytest.approx(b[0], rel=1e-12)
    np.testing.assert_allclose(a[1], b[1], rtol=1e-10)
    np.testing.assert_allclose(a[2], b[2], rtol=1e-10)


def test_sample_weight_equals_repeated_rows(spector):
    X, y = spector
    w = np.arange(len(y)) % 3 + 1
    a = R.LogisticRegression().fit(X, y, sample_weight=w)
    b = R.LogisticRegression().fit(X.loc[X.index.repeat(w)], y.loc[y.index.repeat(w)])
    np.testing.assert_allclose(a.coef_, b.coef_, rtol=1e-8)
    np.testing.assert_allclose(a.result_.bse, b.result_.bse, rtol=1e-8)


# ---------------------------------------------------------------------- errors
def test_nan_in_X_names_column_and_row():
    X = pd.DataFrame({"a": [1.0, 2, 3, 4, 5], "b": [1.0, 0, np.nan, 1, 2]})
    with pytest.raises(DataError, match=r"'b'.*NaN.*row 2"):
        R.LinearRegression().fit(X, np.arange(5.0))
    Xa = X.to_numpy().copy()
    Xa[2, 1] = 1.0
    Xa[3, 0] = np.inf
    with pytest.raises(DataError, match=r"'x0'.*infinite.*row 3"):
        R.LinearRegression().fit(Xa, np.arange(5.0))


def test_nan_in_y_names_row():
    with pytest.raises(DataError, match="row 1"):
        R.LogisticRegression().fit(np.arange(4.0)[:, None], [0, np.nan, 1, 0])
    with pytest.raises(DataError, match="index 2"):
        R.LinearRegression().fit(np.arange(4.0)[:, None], [0, 1, np.inf, 0])


def test_y_outside_support_bernoulli():
    X = np.random.default_rng(0).normal(size=(6, 1))
    with pytest.raises(SupportError, match="found 2 at row 3"):
        R.LogisticRegression().fit(X, [0, 1, 0, 2, 1, 0])
    with pytest.raises(SupportError, match="row 1"):
        R.LogisticRegression().fit(X, [0, 0.5, 0, 1, 1, 0])


def test_perfect_separation_names_column():
    rng = np.random.default_rng(3)
    X = pd.DataFrame({"noise": rng.normal(size=30), "dose": np.arange(30.0)})
    y = (X["dose"] > 14).astype(int)
    with pytest.raises(SeparationError, match="'dose'"):
        R.LogisticRegression().fit(X, y)
    # with a prior, the MAP exists and is fitted
    m = R.LogisticRegression(alpha_l2=1.0).fit(X, y)
    assert np.all(np.isfinite(m.coef_)) and m.result_.penalised


def test_separation_by_a_combination_found_by_lp():
    rng = np.random.default_rng(4)
    X = rng.normal(size=(60, 2))
    y = (X[:, 0] + X[:, 1] > 0).astype(int)
    with pytest.raises(SeparationError, match="combination"):
        R.LogisticRegression().fit(X, y)


def test_collinear_columns_named():
    rng = np.random.default_rng(5)
    X = pd.DataFrame({"a": rng.normal(size=20), "b": rng.normal(size=20)})
    X["c"] = 2 * X["a"] - X["b"]
    y = rng.normal(size=20)
    with pytest.raises(SingularMatrixError, match=r"'a', 'b', 'c'"):
        R.LinearRegression().fit(X, y)
    with pytest.raises(SingularMatrixError, match="'a'"):
        R.LogisticRegression().fit(X, (y > 0).astype(int))


def test_fewer_rows_than_parameters():
    with pytest.raises(DataError, match=r"n_samples = 3 .*5 parameters"):
        R.LinearRegression().fit(np.random.default_rng(0).normal(size=(3, 3)), [1.0, 2, 3])


def test_summary_text_html_and_names(spector):
    X, y = spector
    m = R.LogisticRegression().fit(X, y)
    text = str(m.result_.summary())
    assert "Bernoulli regression (logit link)" in text and "GPA" in text
    html = m.result_._repr_html_()
    assert "<table" in html and "PSI" in html
    assert m.n_iter_ == m.result_.n_iter > 0
    lin = R.LinearRegression().fit(X, y)
    assert "sigma =" in str(lin.result_.summary())
