"""Regression tests for the hardening fixes: exact values (mpmath) where the old code
overflowed, raised raw errors, or reported invalid standard errors."""

from __future__ import annotations

import warnings

import mpmath as mp
import numpy as np
import pytest

import mlekit as mk
from mlekit import errors as E
from mlekit import losses
from mlekit.estimate import BoundaryWarning


@pytest.fixture(autouse=True)
def _fifty_digits():
    """mpmath at 50 digits for each test here, restored after it (not a global set at
    import, which another module may change before these tests run)."""
    with mp.workdps(50):
        yield


def _f(v) -> float:
    return float(mp.mpf(v))


@pytest.fixture(autouse=True)
def _no_warnings():
    """Every fix must hold without a RuntimeWarning (or any other warning) on the way."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        yield


# ----------------------------------------------------------------- losses: shapes, names
@pytest.mark.parametrize("loss", ["mse", "mae", "pinball", "bce", "bce_with_logits", "poisson",
                                  "poisson_deviance", "gamma_deviance"])
def test_loss_shape_mismatch_is_data_error(loss: str) -> None:
    fn = losses.get_loss(loss)
    with pytest.raises(E.DataError, match="shape"):
        fn([1.0, 1.0, 1.0], [0.5, 0.5])
    # (n,) against (n, 1) would broadcast to an (n, n) table of losses: refused too
    with pytest.raises(E.DataError, match=r"\(3,\).*\(3, 1\)"):
        fn([1.0, 1.0, 1.0], [[0.5], [0.5], [0.5]])


def test_loss_scalar_prediction_still_broadcasts() -> None:
    assert losses.mse([1.0, 2.0, 3.0], 2.0) == pytest.approx(2.0 / 3.0)
    assert losses.mae([1.0, 2.0, 4.0], [1.0, 2.0, 3.0]) == pytest.approx(1.0 / 3.0)


def test_cross_entropy_row_mismatch_is_data_error() -> None:
    with pytest.raises(E.DataError, match="rows"):
        losses.cross_entropy([0, 1, 2], np.zeros((2, 3)))


@pytest.mark.parametrize("call, needle", [
    (lambda: losses.bce([0, 1], [0.5, 1.5]), "bce: y_pred"),
    (lambda: losses.poisson_deviance([1, 2], [1.0, 0.0]), "poisson_deviance: y_pred"),
    (lambda: losses.gamma_deviance([1, 2], [1.0, -1.0]), "gamma_deviance: y_pred"),
    (lambda: losses.bce([0, 2], [0.5, 0.5]), "bce: y_true"),
])
def test_loss_support_errors_name_the_argument(call, needle: str) -> None:
    with pytest.raises(E.SupportError, match=needle) as info:
        call()
    assert "index 1" in str(info.value)


# ----------------------------------------------------------------- Regression input
def test_regression_string_and_empty_X_are_data_errors() -> None:
    from mlekit.regression import Regression

    with pytest.raises(E.DataError, match="X must be numeric"):
        Regression().fit(np.array([["a"], ["b"], ["c"]]), [1.0, 2.0, 3.0])
    with pytest.raises(E.DataError, match="X is empty"):
        Regression().fit(np.empty((0, 1)), np.empty(0))
    with pytest.raises(E.DataError, match="X is empty"):
        Regression().fit(np.empty((5, 0)), np.ones(5))
    # a DataError is still a ValueError (scikit-learn's estimator checks rely on it)
    assert issubclass(E.DataError, ValueError)


# ----------------------------------------------------------------- cloglog far in the tail
@pytest.mark.parametrize("eta", [-1e4, -800.0, -745.5, -100.0, -31.0, -30.0, -29.0, -5.0,
                                 0.0, 2.0])
def test_cloglog_nll_exact(eta: float) -> None:
    from mlekit.regression._models import make_model

    model = make_model("bernoulli", "cloglog")
    nll = model.rows(np.array([1.0, 0.0]), np.array([[eta], [eta]]), {}, order=0)[0]
    e = mp.exp(mp.mpf(eta))
    want1 = _f(-mp.log(-mp.expm1(-e)))  # -log F(eta), F = 1 - exp(-e^eta)
    want0 = _f(e)                        # -log(1 - F) = e^eta
    assert nll[0] == pytest.approx(want1, rel=1e-14)
    assert nll[1] == pytest.approx(want0, rel=1e-14, abs=1e-300)


def test_cloglog_regression_with_extreme_linear_predictor() -> None:
    """The gradient stays finite at eta = -1e4 (y = 1): d(-log F)/d eta -> -1."""
    from mlekit.regression._models import make_model

    _, g, h = make_model("bernoulli", "cloglog").rows(np.array([1.0]), np.array([[-1e4]]), {},
                                                        order=2)
    assert np.all(np.isfinite(g)) and np.all(np.isfinite(h))
    assert float(np.ravel(g)[0]) == pytest.approx(-1.0, rel=1e-12)


# ----------------------------------------------------------------- Poisson: huge x, tiny rate
@pytest.mark.parametrize("x, rate", [(1e9, 1e-300), (1e6, 1e-200), (50.0, 1e-300),
                                     (3.0, 1e300), (1e9, 1e9 * (1 + 1e-12))])
def test_poisson_logpdf_extreme_ratio(x: float, rate: float) -> None:
    want = _f(mp.mpf(x) * mp.log(mp.mpf(rate)) - mp.mpf(rate) - mp.loggamma(mp.mpf(x) + 1))
    assert float(mk.Poisson(rate=rate).logpdf(x)) == pytest.approx(want, rel=1e-12)


# ----------------------------------------------------------------- StudentT at huge nu
def _t_logpdf_ref(x, nu, mu=0.0, sigma=1.0):
    nu, z = mp.mpf(nu), (mp.mpf(x) - mu) / sigma
    return _f(mp.loggamma((nu + 1) / 2) - mp.loggamma(nu / 2) - mp.log(nu * mp.pi) / 2
              - mp.log(sigma) - (nu + 1) / 2 * mp.log1p(z * z / nu))


@pytest.mark.parametrize("nu", [0.7, 3.0, 150.0, 250.0, 1e4, 1e8, 1e15])
def test_studentt_logpdf_matches_mpmath(nu: float) -> None:
    x = np.array([0.0, 1.0, 5.0, -30.0])
    got = mk.StudentT(nu=nu, mu=0.0, sigma=1.0).logpdf(x)
    want = [_t_logpdf_ref(v, nu) for v in x]
    np.testing.assert_allclose(got, want, rtol=1e-13)


@pytest.mark.parametrize("nu", [1e30, 1e300])
def test_studentt_tends_to_normal(nu: float) -> None:
    x = np.array([0.0, 1.0, 5.0])
    d = mk.StudentT(nu=nu, mu=0.5, sigma=2.0)
    n = mk.Normal(mu=0.5, sigma=2.0)
    np.testing.assert_allclose(d.logpdf(x), n.logpdf(x), rtol=1e-14)
    assert float(d.entropy()) == pytest.approx(float(n.entropy()), rel=1e-14)


def test_studentt_normal_data_flagged_at_boundary() -> None:
    z = np.random.default_rng(2).normal(size=300)
    with pytest.warns(BoundaryWarning, match="nu"):
        res = mk.fit(z, "studentt")
    assert res.params["nu"] == 1e10
    assert any(b.startswith("nu = ") for b in res.at_boundary)
    assert np.isnan(res.bse["nu"])
    # (mu, sigma) at nu -> inf are the Normal MLE (mean, sd), within ~1/nu
    assert res.params["mu"] == pytest.approx(np.mean(z), rel=1e-6)
    assert res.params["sigma"] == pytest.approx(np.std(z), rel=1e-6)
    # mle() itself still returns plain numbers (its other callers pass them on)
    est = mk.StudentT.mle(z)
    assert set(est) == {"nu", "mu", "sigma"}


def test_studentt_heavy_tails_not_flagged() -> None:
    x = mk.StudentT(nu=3.0, mu=1.0, sigma=2.0).sample((2000,), np.random.default_rng(4))
    res = mk.fit(x, "studentt")
    assert res.at_boundary == ()
    assert 2.0 < res.params["nu"] < 4.5
    assert np.all(np.isfinite(list(res.bse.values())))


@pytest.mark.parametrize("scale", [1e300, 1e-300])
@pytest.mark.parametrize("family", ["studentt", "cauchy"])
def test_t_fits_are_scale_equivariant(family: str, scale: float) -> None:
    base = mk.StudentT(nu=4.0, mu=0.3, sigma=1.2).sample((60,), np.random.default_rng(9))
    ref = mk.fit(base, family)
    res = mk.fit(base * scale, family)
    assert res.params["mu"] == pytest.approx(ref.params["mu"] * scale, rel=1e-8)
    assert res.params["sigma"] == pytest.approx(ref.params["sigma"] * scale, rel=1e-8)
    if family == "studentt":
        assert res.params["nu"] == pytest.approx(ref.params["nu"], rel=1e-8)
    assert res.llf == pytest.approx(ref.llf - base.size * np.log(scale), rel=1e-10)


def test_studentt_fixed_values_returned_exactly() -> None:
    x = mk.StudentT(nu=4.0, mu=0.3, sigma=1.2).sample((80,), np.random.default_rng(1))
    est = mk.StudentT.mle(x, fixed={"sigma": 1.1})
    assert est["sigma"] == 1.1
    est = mk.StudentT.mle(x, fixed={"mu": 0.3})
    assert est["mu"] == 0.3


# ----------------------------------------------------------------- non-regular families
def test_uniform_standard_errors_are_order_statistic_sds() -> None:
    x = np.array([1.0, 2.0, 3.0, 4.0])
    res = mk.fit(x, "uniform")
    n, d = 4, 3.0
    sd = np.sqrt(d * d * n / ((n + 1) ** 2 * (n + 2)))  # sd of min / max of n uniforms
    assert res.bse["low"] == pytest.approx(sd, rel=1e-14)
    assert res.bse["high"] == pytest.approx(sd, rel=1e-14)
    assert res.information == "sampling (order statistics)"
    assert any("not a regular family" in note for note in res.notes)


def test_uniform_one_end_fixed_uses_order_statistic_not_hessian() -> None:
    """With low fixed the Hessian in `high` is positive (no maximum): the SE is that of max x."""
    res = mk.fit([1.0, 2.0, 3.0, 4.0], "uniform", fixed={"low": 0.5})
    n, d = 4, 3.5
    assert res.bse["high"] == pytest.approx(np.sqrt(d * d * n / ((n + 1) ** 2 * (n + 2))))


def test_uniform_near_float_max_no_overflow() -> None:
    res = mk.fit(np.array([1.0, 2.0, 3.0, 4.0]) * 1e300, "uniform")
    assert res.params["high"] == 4e300
    assert np.isnan(res.bse["low"])
    assert any("float range" in note for note in res.notes)


def test_pareto_scale_se_from_its_sampling_distribution() -> None:
    """ŝ = min x ~ Pareto(nα, s): Var = s² nα / ((nα − 1)² (nα − 2)), not s/√(nα)."""
    x = np.array([1.0, 2.0, 3.0, 4.0])
    res = mk.fit(x, "pareto", fixed={"alpha": 2.0})
    na, s = 8.0, 1.0
    assert res.bse["scale"] == pytest.approx(np.sqrt(s * s * na / ((na - 1) ** 2 * (na - 2))))
    # alpha alone (scale known) is a regular parameter: Hessian SE alpha/sqrt(n)
    res = mk.fit(x, "pareto", fixed={"scale": 0.5})
    assert res.bse["alpha"] == pytest.approx(res.params["alpha"] / 2.0, rel=1e-10)
    assert not any("not a regular family" in note for note in res.notes)


# ----------------------------------------------------------------- Categorical score
def test_categorical_analytic_score_and_generic_path() -> None:
    p = np.array([0.2, 0.3, 0.5])
    sc = mk.Categorical.score(np.array([0.0, 2.0]), p)["p"]
    np.testing.assert_allclose(sc, [[5.0, 0.0, 0.0], [0.0, 0.0, 2.0]])
    h = mk.Categorical.hessian(np.array([1.0]), p)[("p", "p")]
    np.testing.assert_allclose(h, [np.diag([0.0, -1.0 / 0.09, 0.0])])
    x = np.random.default_rng(0).integers(0, 4, 200)
    res = mk.fit(x, "categorical", method="generic")
    assert "finite-difference" not in res.method
    np.testing.assert_allclose(res.params["p"], np.bincount(x) / x.size, atol=1e-6)


# ----------------------------------------------------------------- Binomial cdf
def test_binomial_cdf_float_n_no_warning() -> None:
    from scipy.stats import binom

    d = mk.Binomial(n=10.0, p=0.3)
    k = np.arange(-1, 12)
    np.testing.assert_allclose(d.cdf(k), binom.cdf(k, 10, 0.3), rtol=1e-12)
