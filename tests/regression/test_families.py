"""Regression for every family x link: statsmodels peers, simulated recovery, diagnostics."""

import zlib

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

import mlekit.regression as R
from mlekit.errors import DataError, SupportError
from mlekit.families import FAMILIES, get_family
from mlekit.links import get_link
from mlekit.regression import InMemorySums, make_model
from mlekit.regression._models import (
    BetaModel,
    GammaModel,
    InverseGaussianModel,
    NegativeBinomialModel,
    StudentTModel,
)
from mlekit.regression.solver import newton


def rel(a, b):
    a, b = np.asarray(a, float), np.asarray(b, float)
    return float(np.max(np.abs(a / b - 1.0)))


# ---------------------------------------------------------------------- statsmodels data sets
def test_star98_binomial_glm():
    d = sm.datasets.star98.load_pandas()
    m = R.Regression(family="binomial").fit(d.exog, d.endog.to_numpy())  # (successes, failures)
    ref = sm.GLM(d.endog, sm.add_constant(d.exog), family=sm.families.Binomial()).fit(tol=1e-13)
    assert rel(m.result_.params, ref.params) < 1e-6
    assert rel(m.result_.bse, ref.bse) < 1e-6
    assert m.result_.deviance == pytest.approx(ref.deviance, rel=1e-9)
    assert m.result_.null_deviance == pytest.approx(ref.null_deviance, rel=1e-9)
    assert m.result_.llf == pytest.approx(ref.llf, rel=1e-9)


def test_scotland_gamma_glm():
    d = sm.datasets.scotland.load_pandas()
    # canonical inverse link; ML inference (dispersion="ml", the default before issue #23)
    m = R.Regression(family="gamma", dispersion="ml").fit(d.exog, d.endog)
    shape = m.result_.nuisance["shape"]
    # statsmodels estimates the dispersion by Pearson chi2; give it the ML value 1/shape
    ref = sm.GLM(d.endog, sm.add_constant(d.exog), family=sm.families.Gamma()).fit(
        tol=1e-13, scale=1.0 / shape)
    assert rel(m.result_.params, ref.params) < 1e-6
    assert rel(m.result_.bse, ref.bse) < 1e-6
    # the default (Pearson) is statsmodels' own default scale
    pearson = R.Regression(family="gamma").fit(d.exog, d.endog).result_
    ref_p = sm.GLM(d.endog, sm.add_constant(d.exog), family=sm.families.Gamma()).fit(tol=1e-13)
    assert rel(pearson.bse, ref_p.bse) < 1e-6
    assert pearson.scale == pytest.approx(ref_p.scale, rel=1e-6)
    assert m.result_.llf == pytest.approx(ref.llf, rel=1e-9)
    assert m.result_.deviance == pytest.approx(ref.deviance, rel=1e-9)
    # the shape is the MLE: the profile log-likelihood is flat there
    lo = R.Regression(family="gamma", fixed={"shape": shape * 0.99}).fit(d.exog, d.endog)
    hi = R.Regression(family="gamma", fixed={"shape": shape * 1.01}).fit(d.exog, d.endog)
    assert m.result_.llf > max(lo.result_.llf, hi.result_.llf)


def test_scotland_gamma_log_link():
    d = sm.datasets.scotland.load_pandas()
    m = R.Regression(family="gamma", link="log", dispersion="ml").fit(d.exog, d.endog)
    ref = sm.GLM(d.endog, sm.add_constant(d.exog),
                 family=sm.families.Gamma(sm.families.links.Log())).fit(
        tol=1e-13, scale=1.0 / m.result_.nuisance["shape"], method="newton")
    assert rel(m.result_.params, ref.params) < 1e-6
    assert rel(m.result_.bse, ref.bse) < 1e-6


def test_randhie_poisson_glm():
    d = sm.datasets.randhie.load_pandas()
    m = R.Regression(family="poisson").fit(d.exog, d.endog)
    ref = sm.GLM(d.endog, sm.add_constant(d.exog), family=sm.families.Poisson()).fit(tol=1e-13)
    assert rel(m.result_.params, ref.params) < 1e-6
    assert rel(m.result_.bse, ref.bse) < 1e-6
    assert m.result_.deviance == pytest.approx(ref.deviance, rel=1e-9)
    assert m.result_.null_deviance == pytest.approx(ref.null_deviance, rel=1e-9)
    assert m.result_.prsquared == pytest.approx(1 - ref.llf / ref.llnull, rel=1e-9)


def test_randhie_negative_binomial_alpha_by_ml():
    d = sm.datasets.randhie.load_pandas()
    X, y = sm.add_constant(d.exog).to_numpy(), d.endog.to_numpy()
    model = NegativeBinomialModel(get_family("poisson"), get_link("log"))
    sums = InMemorySums(X, y, model)
    theta0 = np.zeros(sums.n_params)
    theta0[[0, -1]] = model.init_eta(y, np.ones_like(y), {})
    res = newton(sums, theta0)
    ref = sm.NegativeBinomial(y, X).fit(disp=0, method="newton", tol=1e-12, maxiter=100)
    assert res.converged
    assert rel(res.theta[:-1], ref.params[:-1]) < 1e-6
    assert np.exp(res.theta[-1]) == pytest.approx(ref.params[-1], rel=1e-6)
    cov = np.linalg.inv(res.hess)
    assert rel(np.sqrt(np.diag(cov))[:-1], ref.bse[:-1]) < 1e-6
    assert np.exp(res.theta[-1]) * np.sqrt(cov[-1, -1]) == pytest.approx(ref.bse[-1], rel=1e-6)


@pytest.mark.skipif("negativebinomial" not in {n.replace("_", "") for n in FAMILIES},
                    reason="NegativeBinomial family not registered yet")
def test_negative_binomial_estimator_fixed_alpha():
    d = sm.datasets.randhie.load_pandas()
    fam = next(n for n in FAMILIES if n.replace("_", "") == "negativebinomial")
    # statsmodels GLM (IRLS) reports expected-information SEs; log is not canonical for NB
    m = R.Regression(family=fam, fixed={"alpha": 1.3}, information="expected").fit(
        d.exog, d.endog)
    ref = sm.GLM(d.endog, sm.add_constant(d.exog),
                 family=sm.families.NegativeBinomial(alpha=1.3)).fit(tol=1e-13)
    assert rel(m.result_.params, ref.params) < 1e-6
    assert rel(m.result_.bse, ref.bse) < 1e-6


def test_engel_median_regression_is_exact_lad():
    from statsmodels.regression.quantile_regression import QuantReg

    d = sm.datasets.engel.load_pandas().data
    m = R.Regression(family="laplace").fit(d[["income"]], d["foodexp"])
    q = QuantReg(d["foodexp"], sm.add_constant(d[["income"]])).fit(q=0.5, max_iter=5000,
                                                                    p_tol=1e-12)
    sad_q = float(np.sum(np.abs(d["foodexp"] - q.fittedvalues)))
    sad = m.result_.extra_info["Sum |residuals|"]
    assert sad <= sad_q * (1 + 1e-12)  # an LP optimum: never worse than the IRLS peer
    assert sad == pytest.approx(sad_q, rel=1e-6)
    assert rel(m.result_.params, q.params) < 1e-6
    assert m.result_.method == "linear program (HiGHS)"
    assert m.result_.nuisance["b"] == pytest.approx(sad / len(d), rel=1e-12)


def test_beta_regression_vs_statsmodels():
    from statsmodels.othermod.betareg import BetaModel as SmBeta

    rng = np.random.default_rng(0)
    X = rng.normal(size=(600, 2))
    mu = 1 / (1 + np.exp(-(0.3 + X @ [0.5, -0.4])))
    y = rng.beta(mu * 20, (1 - mu) * 20)
    m = R.Regression(family="beta").fit(X, y)
    ref = SmBeta(y, sm.add_constant(X)).fit(disp=0, gtol=1e-12)
    assert rel(m.result_.params, ref.params[:3]) < 1e-5
    assert rel(m.result_.bse, ref.bse[:3]) < 1e-5
    assert np.log(m.result_.nuisance["precision"]) == pytest.approx(ref.params[3], rel=1e-6)
    assert m.result_.llf == pytest.approx(ref.llf, rel=1e-9)


def test_inverse_gaussian_log_link_vs_statsmodels():
    rng = np.random.default_rng(0)
    X = np.column_stack([np.ones(800), rng.normal(size=800)])
    y = rng.wald(np.exp(0.5 + 0.3 * X[:, 1]), 4.0)
    model = InverseGaussianModel(get_family("gamma"), get_link("log"))
    sums = InMemorySums(X, y, model)
    theta0 = np.zeros(3)
    theta0[[0, 2]] = model.init_eta(y, np.ones(800), {})
    res = newton(sums, theta0)
    lam = np.exp(res.theta[-1])
    ref = sm.GLM(y, X, family=sm.families.InverseGaussian(sm.families.links.Log())).fit(
        tol=1e-13, scale=1 / lam, method="newton")
    assert rel(res.theta[:2], ref.params) < 1e-6
    assert rel(np.sqrt(np.diag(np.linalg.inv(res.hess)))[:2], ref.bse) < 1e-6


@pytest.mark.parametrize("link", ["probit", "cloglog"])
def test_bernoulli_links_vs_statsmodels(link):
    d = sm.datasets.spector.load_pandas()
    sm_link = {"probit": sm.families.links.Probit(), "cloglog": sm.families.links.CLogLog()}[link]
    fam = sm.families.Binomial(sm_link)
    m = R.Regression(family="bernoulli", link=link).fit(d.exog, d.endog)
    obs = sm.GLM(d.endog, sm.add_constant(d.exog), family=fam).fit(tol=1e-14, method="newton")
    assert rel(m.result_.params, obs.params) < 1e-6
    assert rel(m.result_.bse, obs.bse) < 1e-6
    me = R.Regression(family="bernoulli", link=link, information="expected").fit(d.exog, d.endog)
    eim = sm.GLM(d.endog, sm.add_constant(d.exog), family=fam).fit(tol=1e-14)  # IRLS: EIM
    assert rel(me.result_.bse, eim.bse) < 1e-6


@pytest.mark.parametrize("hc", ["HC0", "HC1", "HC2", "HC3"])
def test_sandwich_matches_ols(hc):
    d = sm.datasets.longley.load_pandas()
    X = d.exog[["GNP", "UNEMP", "ARMED"]]
    m = R.LinearRegression(cov_type=hc).fit(X, d.endog)
    ref = sm.OLS(d.endog, sm.add_constant(X)).fit(cov_type=hc)
    assert rel(m.result_.bse, ref.bse) < 1e-6


def test_hc0_logistic_matches_glm():
    d = sm.datasets.spector.load_pandas()
    m = R.LogisticRegression(cov_type="HC0").fit(d.exog, d.endog)
    ref = sm.GLM(d.endog, sm.add_constant(d.exog), family=sm.families.Binomial()).fit(
        tol=1e-13, cov_type="HC0")
    assert rel(m.result_.bse, ref.bse) < 1e-6


def test_offset_and_exposure_vs_statsmodels():
    d = sm.datasets.randhie.load_pandas()
    X, y = d.exog.iloc[:3000, :4], d.endog.iloc[:3000]
    expo = np.linspace(0.5, 2.0, len(y))
    m = R.Regression(family="poisson").fit(X, y, exposure=expo)
    ref = sm.GLM(y, sm.add_constant(X), family=sm.families.Poisson(),
                 exposure=expo).fit(tol=1e-13)
    assert rel(m.result_.params, ref.params) < 1e-6
    assert rel(m.result_.bse, ref.bse) < 1e-6
    m2 = R.Regression(family="poisson").fit(X, y, offset=np.log(expo))
    np.testing.assert_allclose(m2.coef_, m.coef_, rtol=1e-10)
    np.testing.assert_allclose(m.predict(X.head(3), exposure=expo[:3]),
                               ref.predict(sm.add_constant(X).head(3), exposure=expo[:3]),
                               rtol=1e-8)


def test_ridge_logistic_is_map_like_sklearn():
    from sklearn.linear_model import LogisticRegression as SkLR

    d = sm.datasets.spector.load_pandas()
    m = R.LogisticRegression(alpha_l2=2.0).fit(d.exog, d.endog)
    sk = SkLR(C=0.5, tol=1e-12, max_iter=10_000).fit(d.exog, d.endog)
    np.testing.assert_allclose(m.coef_, sk.coef_[0], rtol=1e-5)
    assert m.intercept_ == pytest.approx(sk.intercept_[0], rel=1e-5)
    assert "MAP" in str(m.result_.summary())


# ---------------------------------------------------------------------- simulated recovery
def _sim(family, link, rng, n):
    X = rng.normal(size=(n, 2)) * 0.5
    beta = np.array([0.4, 0.6, -0.5])
    eta = beta[0] + X @ beta[1:]
    if family == "normal":
        mu = get_link(link).inverse(eta + (2.0 if link == "identity" else 0.0))
        y = rng.normal(mu, 0.5)
        if link == "identity":
            beta = beta + np.array([2.0, 0, 0])
    elif family == "poisson":
        if link != "log":
            eta, beta = eta + 2.0, beta + np.array([2.0, 0, 0])
        y = rng.poisson(get_link(link).inverse(eta)).astype(float)
    elif family == "bernoulli":
        y = (rng.random(n) < get_link(link).inverse(eta)).astype(float)
    elif family == "gamma":
        if link in ("inverse", "identity"):
            eta, beta = eta + 3.0, beta + np.array([3.0, 0, 0])
        y = rng.gamma(3.0, get_link(link).inverse(eta) / 3.0)
    elif family == "studentt":
        y = eta + 0.5 * rng.standard_t(5, size=n)
    elif family == "beta":
        mu = get_link(link).inverse(eta)
        y = rng.beta(mu * 30, (1 - mu) * 30)
    return X, y, beta


CASES = [("normal", "identity"), ("normal", "log"), ("poisson", "log"), ("poisson", "identity"),
         ("poisson", "sqrt"), ("bernoulli", "logit"), ("bernoulli", "probit"),
         ("bernoulli", "cloglog"), ("gamma", "log"), ("gamma", "inverse"),
         ("gamma", "identity"), ("studentt", "identity"), ("beta", "logit")]


@pytest.mark.parametrize("family,link", CASES, ids=[f"{f}-{lk}" for f, lk in CASES])
def test_recovers_known_coefficients(family, link):
    rng = np.random.default_rng(zlib.crc32(f"{family}-{link}".encode()))
    X, y, beta = _sim(family, link, rng, 4000)
    m = R.Regression(family=family, link=link).fit(X, y)
    est = np.r_[m.intercept_, m.coef_]
    z = (est - beta) / m.result_.bse
    assert m.result_.converged
    assert np.all(np.abs(z) < 4.5), (est, beta, m.result_.bse)


def test_standard_errors_match_spread_over_repeated_fits():
    rng = np.random.default_rng(7)
    est, ses = [], []
    for _ in range(60):
        X, y, _ = _sim("poisson", "log", rng, 300)
        m = R.Regression(family="poisson").fit(X, y)
        est.append(m.coef_)
        ses.append(m.result_.bse[1:])
    spread, mean_se = np.std(est, axis=0, ddof=1), np.mean(ses, axis=0)
    np.testing.assert_allclose(spread, mean_se, rtol=0.25)


def test_heteroscedastic_normal_recovers_scale_model():
    rng = np.random.default_rng(3)
    X = rng.normal(size=(3000, 2))
    y = 1 + X @ [1.0, 2.0] + np.exp(0.2 + 0.5 * X[:, 0]) * rng.normal(size=3000)
    m = R.Regression(family="normal", heteroscedastic=True).fit(X, y)
    theta, se = m.result_.theta, np.sqrt(np.diag(m.result_.cov_params()))
    truth = np.array([1, 1, 2, 0.2, 0.5, 0.0])
    assert np.all(np.abs((theta - truth) / se) < 4.5)
    assert m.result_.param_names[3:] == ["log(sigma):Intercept", "log(sigma):x0",
                                         "log(sigma):x1"]


def test_studentt_nu_estimated_and_fixed():
    rng = np.random.default_rng(5)
    X = rng.normal(size=(3000, 1))
    y = 1 + 2 * X[:, 0] + 0.7 * rng.standard_t(4, size=3000)
    m = R.Regression(family="studentt").fit(X, y)
    nu, se = m.result_.nuisance["nu"], m.result_.nuisance_bse["nu"]
    assert abs(nu - 4) < 4 * se
    f = R.Regression(family="studentt", fixed={"nu": 4.0}).fit(X, y)
    assert f.result_.nuisance["nu"] == 4.0 and f.result_.df_model == m.result_.df_model - 1
    assert m.result_.llf >= f.result_.llf - 1e-9


# ---------------------------------------------------------------------- derivatives
NUISANCE_MODELS = [
    ("gamma-log", GammaModel, "log", lambda r: r.gamma(2.0, 1.5, 50)),
    ("gamma-inverse", GammaModel, "inverse", lambda r: r.gamma(2.0, 1.5, 50)),
    ("invgauss-log", InverseGaussianModel, "log", lambda r: r.wald(1.5, 3.0, 50)),
    ("invgauss-inv2", InverseGaussianModel, "inverse_squared", lambda r: r.wald(1.5, 3.0, 50)),
    ("negbin-log", NegativeBinomialModel, "log",
     lambda r: r.negative_binomial(2, 0.4, 50).astype(float)),
    ("studentt", StudentTModel, "identity", lambda r: r.standard_t(3, 50)),
    ("beta-logit", BetaModel, "logit", lambda r: r.beta(2, 3, 50)),
    ("beta-probit", BetaModel, "probit", lambda r: r.beta(2, 3, 50)),
]


@pytest.mark.parametrize("name,cls,link,draw", NUISANCE_MODELS,
                         ids=[c[0] for c in NUISANCE_MODELS])
def test_gradient_hessian_finite_differences(name, cls, link, draw):
    rng = np.random.default_rng(11)
    y = draw(rng)
    X = np.column_stack([np.ones(50), rng.normal(size=50) * 0.3])
    model = cls(get_family("normal"), get_link(link))
    sums = InMemorySums(X, y, model)
    theta = np.zeros(sums.n_params)
    theta[[0, *range(2, sums.n_params)]] = model.init_eta(y, np.ones(50), {})
    theta[1] = 0.05
    _, g, h = sums.nll_grad_hess(theta)
    eps = 1e-6
    num_g = [(sums.nll(theta + eps * e) - sums.nll(theta - eps * e)) / (2 * eps)
             for e in np.eye(len(theta))]
    np.testing.assert_allclose(g, num_g, rtol=1e-5, atol=1e-6)
    num_h = np.array([(sums.nll_grad_hess(theta + eps * e)[1]
                       - sums.nll_grad_hess(theta - eps * e)[1]) / (2 * eps)
                      for e in np.eye(len(theta))])
    np.testing.assert_allclose(h, num_h, rtol=1e-4, atol=1e-5)


def test_binomial_gradient_hessian_all_links():
    rng = np.random.default_rng(2)
    n = rng.integers(1, 20, 40).astype(float)
    y = rng.binomial(n.astype(int), 0.3).astype(float)
    X = np.column_stack([np.ones(40), rng.normal(size=40)])
    for link in ("logit", "probit", "cloglog"):
        sums = InMemorySums(X, y, make_model("binomial", link), aux={"trials": n})
        theta = np.array([-0.6, 0.2])
        _, g, h = sums.nll_grad_hess(theta)
        eps = 1e-6
        num_g = [(sums.nll(theta + eps * e) - sums.nll(theta - eps * e)) / (2 * eps)
                 for e in np.eye(2)]
        np.testing.assert_allclose(g, num_g, rtol=1e-6)
        num_h = np.array([(sums.nll_grad_hess(theta + eps * e)[1]
                           - sums.nll_grad_hess(theta - eps * e)[1]) / (2 * eps)
                          for e in np.eye(2)])
        np.testing.assert_allclose(h, num_h, rtol=1e-5)


# ---------------------------------------------------------------------- API pieces
def test_predict_distribution_is_a_batch():
    d = sm.datasets.randhie.load_pandas()
    X, y = d.exog.iloc[:2000], d.endog.iloc[:2000]
    m = R.Regression(family="poisson").fit(X, y)
    dist = m.predict_distribution(X.head(5))
    assert dist.family is get_family("poisson") and dist.batch_shape == (5,)
    np.testing.assert_allclose(dist.mean, m.predict(X.head(5)))
    lin = R.LinearRegression().fit(X, y)
    nd = lin.predict_distribution(X.head(4))
    np.testing.assert_allclose(nd.params["sigma"], lin.result_.nuisance["sigma"])
    assert lin.score(X, y) == pytest.approx(np.mean(lin.predict_distribution(X).logpdf(y)))


def test_from_formula_carries_names():
    import statsmodels.formula.api as smf

    rng = np.random.default_rng(0)
    df = pd.DataFrame({"x1": rng.normal(size=300), "g": rng.choice(["a", "b", "c"], 300)})
    df["y"] = rng.poisson(np.exp(0.3 + 0.5 * df.x1 + (df.g == "b") * 0.4))
    m = R.Regression.from_formula("y ~ x1 + C(g)", data=df, family="poisson")
    ref = smf.glm("y ~ x1 + C(g)", data=df, family=sm.families.Poisson()).fit(tol=1e-13)
    params = m.result_.params
    assert set(params.index) == set(ref.params.index)
    assert rel(params[ref.params.index], ref.params) < 1e-6
    assert "C(g)[T.b]" in str(m.result_.summary())
    np.testing.assert_allclose(m.predict(df.head(4)), ref.predict(df.head(4)), rtol=1e-8)


def test_support_errors():
    X = np.arange(6.0)[:, None]
    with pytest.raises(SupportError, match="index 2"):
        R.Regression(family="poisson").fit(X, [0, 1, -1, 2, 3, 1])
    with pytest.raises(SupportError, match="index 1"):
        R.Regression(family="gamma").fit(X, [1.0, 0.0, 2, 3, 1, 2])
    with pytest.raises(SupportError, match="index 3"):
        R.Regression(family="beta").fit(X, [0.2, 0.5, 0.3, 1.0, 0.4, 0.6])
    with pytest.raises(SupportError, match="row 4"):
        R.Regression(family="binomial").fit(X, [0, 1, 2, 3, 6, 1], trials=5)
    with pytest.raises(DataError, match="trials"):
        R.Regression(family="binomial").fit(X, [0, 1, 2, 3, 1, 1])


def test_summary_html_and_nuisance_rows():
    d = sm.datasets.scotland.load_pandas()
    m = R.Regression(family="gamma", link="log").fit(d.exog, d.endog)
    html = m.result_._repr_html_()
    assert "<table" in html and "log(shape)" in html and "shape =" in str(m.result_)
    assert m.result_.summary().to_markdown().startswith("**Gamma regression")


# ---------------------------------------------------------------------- L1 (Laplace prior)
def test_l1_normal_equals_sklearn_lasso():
    from sklearn.linear_model import Lasso

    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 6))
    y = X @ [1, 0, 0, -2, 0, 0.5] + rng.normal(size=200)
    lam = 30.0  # Lasso's objective is ours (sigma = 1) divided by n
    m = R.Regression(family="normal", fixed={"sigma": 1.0}, alpha_l1=lam).fit(X, y)
    sk = Lasso(alpha=lam / 200, tol=1e-14, max_iter=100_000).fit(X, y)
    np.testing.assert_allclose(m.coef_, sk.coef_, atol=1e-8)
    assert np.count_nonzero(m.coef_) == np.count_nonzero(sk.coef_) < 6
    assert m.result_.method == "proximal newton (L1)" and m.result_.penalised


def test_l1_logistic_kkt_conditions():
    d = sm.datasets.spector.load_pandas()
    lam = 1.0
    m = R.LogisticRegression(alpha_l1=lam).fit(d.exog, d.endog)
    X = sm.add_constant(d.exog).to_numpy()
    p = 1 / (1 + np.exp(-(X @ np.r_[m.intercept_, m.coef_])))
    grad = X.T @ (p - d.endog.to_numpy())
    assert abs(grad[0]) < 1e-8  # intercept unpenalised
    active = m.coef_ != 0
    np.testing.assert_allclose(grad[1:][active], -lam * np.sign(m.coef_[active]), atol=1e-8)
    assert np.all(np.abs(grad[1:][~active]) <= lam + 1e-8)


@pytest.mark.skipif("negativebinomial" not in {n.replace("_", "") for n in FAMILIES},
                    reason="NegativeBinomial family not registered yet")
def test_negative_binomial_estimator_alpha_by_ml():
    d = sm.datasets.randhie.load_pandas()
    X, y = d.exog.iloc[:4000], d.endog.iloc[:4000]
    m = R.Regression(family="negativebinomial").fit(X, y)
    ref = sm.NegativeBinomial(y, sm.add_constant(X)).fit(disp=0, method="newton", tol=1e-12)
    assert rel(m.result_.params, ref.params.iloc[:-1]) < 1e-6
    assert rel(m.result_.bse, ref.bse.iloc[:-1]) < 1e-6
    assert m.result_.nuisance["alpha"] == pytest.approx(ref.params.iloc[-1], rel=1e-6)
    assert m.result_.nuisance_bse["alpha"] == pytest.approx(ref.bse.iloc[-1], rel=1e-6)
    dist = m.predict_distribution(X.head(3))
    np.testing.assert_allclose(dist.mean, m.predict(X.head(3)), rtol=1e-10)


@pytest.mark.skipif("inversegaussian" not in {n.replace("_", "") for n in FAMILIES},
                    reason="InverseGaussian family not registered yet")
def test_inverse_gaussian_estimator():
    rng = np.random.default_rng(1)
    X = rng.uniform(size=(1000, 1))
    y = rng.wald(1.0 / np.sqrt(0.5 + 0.4 * X[:, 0]), 3.0)  # canonical 1/mu^2 link
    m = R.Regression(family="inversegaussian", dispersion="ml").fit(X, y)
    lam = m.result_.nuisance["lam"]
    ref = sm.GLM(y, sm.add_constant(X), family=sm.families.InverseGaussian()).fit(
        tol=1e-13, scale=1 / lam)
    assert rel(m.result_.params, ref.params) < 1e-6
    assert rel(m.result_.bse, ref.bse) < 1e-6
    assert m.result_.deviance == pytest.approx(ref.deviance, rel=1e-9)
    dist = m.predict_distribution(X[:3])
    np.testing.assert_allclose(dist.mean, m.predict(X[:3]), rtol=1e-10)
