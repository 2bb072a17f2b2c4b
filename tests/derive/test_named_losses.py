"""Each named loss is recognised from its family with the right scale and constant
(checked numerically: a * sum(loss) + c == -sum(logpdf)); conditional forms; priors;
score equations, closed-form MLE, Fisher information and symbolic KL."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

import mlekit as mk
from mlekit.derive import derive, symbolic_kl
from mlekit.families import lookup_kl

RNG = np.random.default_rng(42)
F = mk.FAMILIES


def _check(d, fam, x, **th):
    expected = -np.sum(fam.logpdf(x, **{k: np.asarray(v, float) for k, v in th.items()}))
    a = d.scale_value(**th)
    assert a > 0
    got = a * np.sum(d.loss(x, **th)) + d.constant_value(x, **th)
    assert got == pytest.approx(expected, rel=1e-10)


CASES = [
    # family, wrt, loss name, params, data sampler, scale
    ("laplace", "mu", "absolute error", {"mu": 0.3, "b": 1.7},
     lambda r: r.laplace(0.3, 1.7, 30), lambda p: 1 / p["b"]),
    ("poisson", "rate", "Poisson loss", {"rate": 2.5},
     lambda r: r.poisson(2.5, 30).astype(float), lambda p: 1.0),
    ("gamma", "rate", "Gamma deviance", {"shape": 2.5, "rate": 1.5},
     lambda r: r.gamma(2.5, 1 / 1.5, 30), lambda p: p["shape"] / 2),
    ("studentt", "mu", "Student-t loss", {"nu": 4.5, "mu": 0.5, "sigma": 1.5},
     lambda r: 0.5 + 1.5 * r.standard_t(4.5, 30), lambda p: (p["nu"] + 1) / 2),
    ("cauchy", "mu", "Cauchy loss", {"mu": -1.0, "sigma": 0.7},
     lambda r: -1 + 0.7 * r.standard_cauchy(30), lambda p: 1.0),
    ("bernoulli", "p", "binary cross-entropy", {"p": 0.3},
     lambda r: (r.random(30) < 0.3).astype(float), lambda p: 1.0),
    ("lognormal", "mu", "squared logarithmic error", {"mu": 0.3, "sigma": 0.6},
     lambda r: r.lognormal(0.3, 0.6, 30), lambda p: 1 / (2 * p["sigma"] ** 2)),
    ("logistic", "mu", "log-cosh loss", {"mu": 0.7, "s": 0.8},
     lambda r: r.logistic(0.7, 0.8, 30), lambda p: 2.0),
]


@pytest.mark.parametrize("case", CASES, ids=[c[2] for c in CASES])
def test_named_loss_recognised_with_scale_and_constant(case):
    name, wrt, loss_name, params, sampler, scale = case
    if name not in F:
        pytest.skip(f"{name} not registered")
    fam = F[name]
    d = derive(fam, wrt=wrt)
    assert d.loss_name == loss_name
    assert d.scale_value(**params) == pytest.approx(scale(params), rel=1e-12)
    _check(d, fam, sampler(RNG), **params)


def test_gaussian_nll_with_learned_variance():
    d = derive("normal", wrt=("mu", "sigma"))
    assert d.loss_name == "Gaussian NLL with learned variance"
    x = RNG.normal(1, 2, 40)
    _check(d, F["normal"], x, mu=0.7, sigma=1.9)


def test_binomial_is_n_times_bce():
    d = derive("binomial")
    assert d.loss_name == "binomial cross-entropy"
    x = RNG.binomial(10, 0.3, 30).astype(float)
    expected = -np.sum(stats.binom.logpmf(x, 10, 0.35))
    assert d.nll(x, p=0.35, n=10) == pytest.approx(expected, rel=1e-10)


def test_no_named_loss_is_said_and_shown():
    d = derive("weibull")
    assert d.loss_name == "no named loss" and not d.named  # #24: one spelling, not None
    assert "no named loss" in str(d)
    x = RNG.weibull(1.7, 20) * 2
    assert d.nll(x, shape=1.7, scale=2.0) == pytest.approx(
        -np.sum(stats.weibull_min.logpdf(x, 1.7, scale=2.0)), rel=1e-10)


# ------------------------------------------------------------------ conditional forms
def test_poisson_log_link():
    d = derive("poisson", link="log")
    assert d.loss_name == "Poisson loss on the log scale"
    eta = RNG.normal(size=25)
    y = RNG.poisson(np.exp(eta)).astype(float)
    np.testing.assert_allclose(d.loss(y, eta=eta), np.exp(eta) - y * eta, rtol=1e-12)
    assert d.nll(y, eta=eta) == pytest.approx(-stats.poisson.logpmf(y, np.exp(eta)).sum())


def test_gamma_log_link_on_the_mean():
    d = derive("gamma", link={"mean": "log"})
    assert d.loss_name == "Gamma deviance on the log scale"
    k = 2.5
    assert d.scale_value(shape=k) == pytest.approx(k / 2)
    eta = RNG.normal(size=20) * 0.5
    y = RNG.gamma(k, np.exp(eta) / k)
    expected = -stats.gamma.logpdf(y, k, scale=np.exp(eta) / k).sum()
    got = d.scale_value(shape=k) * d.loss(y, eta=eta).sum() + d.constant_value(y, shape=k)
    assert got == pytest.approx(expected, rel=1e-10)


def test_heteroscedastic_normal():
    d = derive("normal", link={"mu": "identity", "sigma": "log"})
    assert d.loss_name == "Gaussian NLL with learned variance"
    X = RNG.normal(size=(30, 2))
    w, v = np.array([1.0, -0.5]), np.array([0.3, 0.2])
    y = X @ w + np.exp(X @ v) * RNG.normal(size=30)
    expected = -stats.norm.logpdf(y, X @ w, np.exp(X @ v)).sum()
    assert d.nll(y, X=X, w_mu=w, w_sigma=v) == pytest.approx(expected, rel=1e-10)


# ------------------------------------------------------------------ priors (MAP)
def test_gaussian_prior_is_ridge_with_lambda_sigma2_over_tau2():
    import sympy as sp

    d = derive("normal", link="identity", prior="gaussian")
    assert d.penalty_name == "L2 (ridge)"
    sigma = d.param_symbols["sigma"]
    tau = sp.Symbol("tau", positive=True)
    assert sp.simplify(d.penalty_strength - sigma**2 / tau**2) == 0
    assert any("Penalised" in s.title for s in d.steps)
    # numerically: a[sum loss + lambda ||w||^2] + c + c_prior == NLL - log prior
    X = RNG.normal(size=(15, 3))
    w = RNG.normal(size=3)
    y = X @ w + RNG.normal(size=15)
    s, t = 0.8, 1.3
    lam = s**2 / t**2
    lhs = (1 / (2 * s**2)) * (np.sum((y - X @ w) ** 2) + lam * np.sum(w**2))
    rhs_nll = -stats.norm.logpdf(y, X @ w, s).sum() - 15 * np.log(s) - 7.5 * np.log(2 * np.pi)
    rhs_prior = -stats.norm.logpdf(w, 0, t).sum() - 3 * np.log(t) - 1.5 * np.log(2 * np.pi)
    assert lhs == pytest.approx(rhs_nll + rhs_prior, rel=1e-12)


def test_laplace_prior_is_lasso():
    d = derive("normal", link="identity", prior="laplace", prior_scale=2.0)
    assert d.penalty_name == "L1 (lasso)"
    assert "sigma**2" in str(d.penalty_strength)  # 2 sigma^2 / tau with tau = 2
    d2 = derive("bernoulli", link="logit", prior="gaussian", prior_scale=0.5)
    assert float(d2.penalty_strength) == pytest.approx(1 / (2 * 0.25))


# ------------------------------------------------------------------ calculus
@pytest.mark.parametrize("name, wrt", [("normal", ("mu", "sigma")), ("poisson", ("rate",)),
                                       ("bernoulli", ("p",)), ("exponential", ("rate",)),
                                       ("lognormal", ("mu", "sigma"))])
def test_closed_form_mle_from_the_score_equations(name, wrt):
    if name not in F:
        pytest.skip(f"{name} not registered")
    fam = F[name]
    d = derive(fam, wrt=wrt)
    assert d.mle is not None
    x = np.asarray(fam.sample((50,), RNG, **{k: np.asarray(v, float)
                                            for k, v in fam.example_params.items()}), float)
    got = d.mle_value(x)
    ref = fam.mle(x)
    for n in wrt:
        assert got[n] == pytest.approx(ref[n], rel=1e-10)


def test_no_closed_form_gives_the_equations():
    d = derive("gamma", wrt=("shape", "rate"))
    assert d.mle is None
    assert len(d.score_equations) == 2
    assert "polygamma" in str(d.score_equations[0]) or "digamma" in str(d.score_equations[0])


@pytest.mark.parametrize("name", ["normal", "bernoulli", "exponential", "poisson", "gamma"])
def test_symbolic_fisher_information_matches_family(name):
    import sympy as sp

    fam = F[name]
    d = derive(fam, wrt=fam.estimable_names)
    M = d.fisher_information()
    syms = [d.param_symbols[n] for n in fam.param_names]
    f = sp.lambdify(syms, M, modules=["scipy", "numpy"])
    ex = fam.example_params
    want = fam.fisher_information(**{k: np.asarray(v, float) for k, v in ex.items()})
    np.testing.assert_allclose(np.asarray(f(*[ex[n] for n in fam.param_names]), float), want,
                               rtol=1e-10)


@pytest.mark.parametrize("name", ["normal", "bernoulli", "exponential", "poisson", "gamma",
                                  "categorical"])
def test_symbolic_kl_matches_registry(name):
    fam = F[name]
    k = symbolic_kl(fam)
    p = {n: np.asarray(v, float) for n, v in fam.example_params.items()}
    q = {n: v * 1.3 for n, v in p.items()}
    if name == "categorical":
        q = {"p": np.array([0.5, 0.3, 0.2])}
    if name == "bernoulli":
        q = {"p": np.asarray(0.6)}
    want = lookup_kl(fam, fam)(p, q)
    assert float(k.evaluate(p, q)) == pytest.approx(float(want), rel=1e-10)
