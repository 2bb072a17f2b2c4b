"""MultivariateNormal derives in matrix notation: the NLL evaluated from the symbolic
expression equals scipy's logpdf, the closed-form MLE equals numpy's mean / cov(bias=True),
the symbolic score equals the family's and vanishes at the MLE, I(mu) = Sigma^-1."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
from scipy.stats import multivariate_normal

import mlekit as mk
from mlekit.derive import derive
from mlekit.errors import DerivationError, ParameterError


def _spd(rng, d):
    a = rng.normal(size=(d, d))
    return a @ a.T + 0.5 * np.eye(d)


@pytest.mark.parametrize("dim", [1, 2, 3, 5])
@pytest.mark.parametrize("wrt", [None, "mean", "cov"])
def test_symbolic_nll_equals_scipy_logpdf(dim, wrt):
    rng = np.random.default_rng(dim)
    d = derive("multivariatenormal", wrt=wrt)
    for _ in range(3):
        mean, cov = rng.normal(size=dim), _spd(rng, dim)
        x = rng.normal(size=(int(rng.integers(1, 40)), dim)) * 2
        want = -np.sum(multivariate_normal(mean, cov).logpdf(x))
        assert d.nll(x, mean=mean, cov=cov) == pytest.approx(want, rel=1e-11)
        # NLL = a * sum(loss_i) + c
        total = d.scale_value() * np.sum(d.loss(x, mean=mean, cov=cov)) + d.constant_value(
            x, mean=mean, cov=cov)
        assert total == pytest.approx(want, rel=1e-11)


def test_named_losses_and_constants():
    import sympy as sp

    full = derive("multivariatenormal")
    assert full.wrt == ("mean", "cov")
    assert full.loss_name == "Gaussian NLL with learned covariance"
    m, dsym = full.symbols["m"], full.symbols["d"]
    assert full.scale == sp.Rational(1, 2)
    assert sp.simplify(full.constant - m * dsym * sp.log(2 * sp.pi) / 2) == 0
    mah = derive("multivariatenormal", wrt="mean")
    assert mah.loss_name == "Mahalanobis squared error" and mah.scale == sp.Rational(1, 2)
    rng = np.random.default_rng(0)
    x, mean, cov = rng.normal(size=(20, 3)), rng.normal(size=3), _spd(rng, 3)
    diff = x - mean
    maha = np.einsum("ij,ij->i", diff, np.linalg.solve(cov, diff.T).T)
    np.testing.assert_allclose(mah.loss(x, mean=mean, cov=cov), maha, rtol=1e-12)
    c = 20 / 2 * np.linalg.slogdet(cov)[1] + 20 * 3 / 2 * np.log(2 * np.pi)
    assert mah.constant_value(x, mean=mean, cov=cov) == pytest.approx(c, rel=1e-12)


def test_isotropic_case_is_squared_error_with_a_one_over_two_sigma_squared():
    d = derive("multivariatenormal", wrt="mean")
    assert any(s.title == "Isotropic case" for s in d.steps)
    rng = np.random.default_rng(3)
    x, mean, sigma = rng.normal(size=(15, 4)), rng.normal(size=4), 1.7
    m, dim = x.shape
    iso = (np.sum((x - mean) ** 2) / (2 * sigma**2) + m * dim * np.log(sigma)
           + m * dim / 2 * np.log(2 * np.pi))
    assert d.nll(x, mean=mean, cov=sigma**2 * np.eye(dim)) == pytest.approx(iso, rel=1e-12)
    # the same as the univariate Normal's squared error, coordinate by coordinate
    normal = derive("normal", wrt="mu")
    assert normal.scale_value(sigma=sigma) == pytest.approx(1 / (2 * sigma**2))


@pytest.mark.parametrize("dim", [1, 2, 4])
def test_closed_form_mle_is_mean_and_biased_cov(dim):
    rng = np.random.default_rng(10 + dim)
    x = rng.normal(size=(50, dim)) @ _spd(rng, dim) + rng.normal(size=dim)
    d = derive("multivariatenormal")
    assert d.mle_status == "closed form"
    got = d.mle_value(x)
    np.testing.assert_allclose(got["mean"], np.mean(x, axis=0), rtol=1e-13)
    np.testing.assert_allclose(got["cov"], np.atleast_2d(np.cov(x.T, bias=True)), rtol=1e-12,
                               atol=1e-14)
    ref = mk.MultivariateNormal.mle(x)
    np.testing.assert_allclose(got["cov"], ref["cov"], rtol=1e-12, atol=1e-14)
    # the symbolic score equations hold at the closed form
    s = d.score_value(x, **got)
    np.testing.assert_allclose(s["mean"].sum(axis=0), 0, atol=1e-9)
    np.testing.assert_allclose(s["cov"].sum(axis=0), 0, atol=1e-9)
    # and the MLE minimises the (symbolically evaluated) NLL: nudges increase it
    best = d.nll(x, **got)
    for _ in range(5):
        a = rng.normal(size=(dim, dim)) * 1e-3
        assert d.nll(x, mean=got["mean"] + 1e-3 * rng.normal(size=dim),
                     cov=got["cov"] + a @ a.T) > best


def test_symbolic_score_equals_family_score():
    rng = np.random.default_rng(5)
    x, mean, cov = rng.normal(size=(6, 3)), rng.normal(size=3), _spd(rng, 3)
    d = derive("multivariatenormal")
    got = d.score_value(x, mean=mean, cov=cov)
    want = mk.MultivariateNormal.score(x, mean=mean, cov=cov)
    np.testing.assert_allclose(got["mean"], want["mean"], rtol=1e-10)
    np.testing.assert_allclose(got["cov"], want["cov"], rtol=1e-10, atol=1e-12)
    assert len(d.score_equations) == 2


def test_fisher_information_for_the_mean_is_the_precision():
    import sympy as sp

    d = derive("multivariatenormal", wrt="mean")
    info = d.fisher_information()
    sigma = d.symbols["Sigma"]
    assert info == sp.Inverse(sigma)
    # numerically: E[score score^T] = Sigma^-1 (Monte Carlo, seeded)
    rng = np.random.default_rng(1)
    mean, cov = np.array([0.5, -1.0]), np.array([[2.0, 0.6], [0.6, 1.0]])
    x = rng.multivariate_normal(mean, cov, size=200_000)
    s = np.linalg.solve(cov, (x - mean).T).T
    np.testing.assert_allclose(s.T @ s / len(x), np.linalg.inv(cov), rtol=0.02, atol=0.01)
    full = derive("multivariatenormal").fisher_information()
    assert isinstance(full, sp.BlockDiagMatrix)


def test_renderings_and_errors():
    d = derive("multivariatenormal")
    text = d.to_text()
    assert "Σ" in text and "log│Σ│" in text and "Closed-form MLE" in text
    assert r"\Sigma^{-1}" in d.to_latex() and r"\left|{\Sigma}\right|" in d.to_latex()
    assert "$$" in d.to_markdown()
    mml = d.to_mathml()
    assert mml.count("<math") == len(d.steps) + 3
    assert "&#931;" in mml or "&Sigma;" in mml or "Σ" in mml
    with pytest.raises(DerivationError, match="link"):
        derive("multivariatenormal", link={"mean": "identity"})
    with pytest.raises(DerivationError, match="has parameters"):
        derive("multivariatenormal", wrt="sigma")
    with pytest.raises(ParameterError, match="positive definite"):
        d.nll(np.zeros((3, 2)), mean=np.zeros(2), cov=np.array([[1.0, 2.0], [2.0, 1.0]]))
    with pytest.raises(DerivationError, match="missing"):
        d.nll(np.zeros((3, 2)), mean=np.zeros(2))


def test_family_symbolic_density_agrees_at_d_2():
    """The family's own (index-sum) SymPy density equals the matrix-notation one."""
    import sympy as sp

    sd = mk.MultivariateNormal.sympy_density()
    d = derive("multivariatenormal")
    xv, mv = np.array([0.3, -1.2]), np.array([0.5, -1.0])
    cv = np.array([[2.0, 0.6], [0.6, 1.0]])
    subs = {sd.params["d"]: 2}
    e = sd.logdensity.subs(subs).doit()
    e = e.subs({sd.x.subs(subs): sp.Matrix(xv), sd.params["mean"].subs(subs): sp.Matrix(mv),
                sd.params["cov"].subs(subs): sp.Matrix(cv)}).doit()
    assert float(e) == pytest.approx(-d.nll(xv[None, :], mean=mv, cov=cv), rel=1e-12)


def test_cli_derives_multivariatenormal():
    out = subprocess.run([sys.executable, "-m", "mlekit", "derive", "multivariatenormal",
                          "--wrt", "mean", "--format", "markdown"], capture_output=True,
                         text=True, check=True)
    assert "Mahalanobis squared error" in out.stdout and r"\Sigma^{-1}" in out.stdout
