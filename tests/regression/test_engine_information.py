"""The generic engine says when it uses the observed information in place of the expected
one that was asked for (issue #20: a named warning, never a silent fallback)."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import mlekit as mk
from mlekit.errors import NumericalWarning
from mlekit.regression._engine import build_family_model

#: a typed Normal density: no closed-form Fisher information, continuous (no sum)
_TYPED = "exp(-(x - mu)**2/(2*s**2)) / (sqrt(2*pi)*s)"


@pytest.fixture(scope="module")
def typed():
    """Built once (SymPy): the density check is off, it is not what is tested here."""
    return mk.custom_family(_TYPED, params={"mu": "real", "s": "positive"},
                            title="TypedNormal", check="off")


def _points(model, n: int = 40):
    rng = np.random.default_rng(0)
    y = rng.normal(1.0, 2.0, n)
    start = model.init_eta(y, np.ones(n), {})
    eta = start[None, :] + 0.1 * rng.standard_normal((n, start.size))
    return y, eta


def test_expected_without_closed_form_warns_and_uses_the_observed_hessian(typed):
    fam = typed
    expected = build_family_model(fam, designs={"s": "X"}, information="expected")
    observed = build_family_model(fam, designs={"s": "X"}, information="observed")
    y, eta = _points(expected)
    with pytest.warns(NumericalWarning, match=r"TypedNormal regression: the expected "
                      r"\(Fisher\) information of 'mu', 's'.*observed information.*"
                      r"standard errors are therefore observed-information"):
        got = expected.rows(y, eta, {}, order=2)
    ref = observed.rows(y, eta, {}, order=2)
    np.testing.assert_array_equal(got[2], ref[2])
    # said once per model: the next pass is quiet
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        expected.rows(y, eta, {}, order=2)


def test_no_warning_where_the_expected_information_exists_or_observed_is_asked(typed):
    fam = typed
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model = build_family_model("normal", designs={"sigma": "X"}, information="expected")
        y, eta = _points(model)
        h_exp = model.rows(y, eta, {}, order=2)[2]
        observed = build_family_model(fam, information="observed")
        y2, eta2 = _points(observed)
        observed.rows(y2, eta2, {}, order=2)
    # the Normal's expected information (per row, link scale: 1/σ² on mu, 2 on log σ,
    # 0 between them) is what was used, not its observed Hessian
    sigma = np.exp(eta[:, 1])
    np.testing.assert_allclose(h_exp[:, 0, 0], 1.0 / sigma**2, rtol=1e-12)
    np.testing.assert_allclose(h_exp[:, 1, 1], 2.0, rtol=1e-12)
    np.testing.assert_allclose(h_exp[:, 0, 1], 0.0, atol=1e-12)


def test_regression_with_expected_information_warns_for_a_typed_density(typed):
    fam = typed
    rng = np.random.default_rng(1)
    X = rng.standard_normal((300, 2))
    y = 1.0 + X @ np.array([0.5, -0.3]) + rng.standard_normal(300)
    with pytest.warns(NumericalWarning, match="'mu', 's' was asked"):
        exp_fit = mk.Regression(fam, information="expected").fit(X, y)
    with warnings.catch_warnings():
        warnings.simplefilter("error", NumericalWarning)
        obs_fit = mk.Regression(fam, information="observed").fit(X, y)
    # the fallback is the observed information: the same standard errors
    np.testing.assert_allclose(exp_fit.result_.bse, obs_fit.result_.bse, rtol=1e-10)


def test_the_switch_to_fisher_scoring_names_its_parameters():
    """Laplace's observed Hessian in mu is zero on every row: the engine scores with the
    expected information there and lists mu; the Normal's is not, and lists nothing."""
    y = np.random.default_rng(2).laplace(size=200)
    laplace = build_family_model("laplace")
    laplace.init_eta(y, np.ones(y.size), {})
    assert laplace.scoring_parameters == ("mu",)
    normal = build_family_model("normal")
    normal.init_eta(y, np.ones(y.size), {})
    assert normal.scoring_parameters == ()
