"""Tweedie regression reports its deviance and null deviance (issue #21, left open before).

The family declares its unit deviance (``TweedieFamily.unit_deviance``, free of φ); the
generic engine and the separable route both read it. Held against statsmodels'
``GLM(family=Tweedie(var_power=p))`` on the same data (its ``deviance`` and
``null_deviance``, unscaled sums of ``w d(y, μ)``, ``var_weights`` as our weights) to
1e-9 relative, with log and identity links; and the separable route's mean model bound to
it: its row NLL is ``d / (2 φ₀)`` less a constant in μ.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import mlekit as mk
from mlekit.links import get_link

sm = pytest.importorskip("statsmodels.api")


def _data(n: int = 1500, seed: int = 4):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 2))
    mu = np.exp(0.3 + X @ np.array([0.4, -0.2]))
    y = np.asarray(mk.Tweedie.sample((), rng, mu=mu, phi=1.2, power=1.5), float)
    return X, y, rng.uniform(0.5, 2.0, n)


@pytest.mark.parametrize("engine", ["auto", "generic"])
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("link", ["log", "identity"])
def test_deviances_equal_statsmodels_glm(engine, weighted, link):
    X, y, w = _data()
    if link == "identity":
        y = y + 1.0  # (positive means all along the identity link's path)
    w = w if weighted else None
    res = mk.Regression(family="tweedie", link=link, fixed={"power": 1.5},
                        engine=engine).fit(X, y, sample_weight=w).result_
    sm_link = sm.families.links.Log() if link == "log" else sm.families.links.Identity()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = sm.GLM(y, sm.add_constant(X), var_weights=w,
                     family=sm.families.Tweedie(var_power=1.5, link=sm_link)).fit(tol=1e-13)
    assert res.deviance == pytest.approx(ref.deviance, rel=1e-9)
    assert res.null_deviance == pytest.approx(ref.null_deviance, rel=1e-9)
    assert res.null_deviance > res.deviance


def test_unit_deviance_is_zero_at_the_data_and_positive_elsewhere():
    y = np.array([0.0, 0.3, 1.0, 4.0])
    np.testing.assert_allclose(mk.Tweedie.unit_deviance(y[1:], mu=y[1:], power=1.4), 0.0,
                               atol=1e-15)
    d = mk.Tweedie.unit_deviance(y, mu=np.full(4, 1.7), power=1.4)
    assert np.all(d > 0)
    # at y = 0: d = 2 mu^(2-p) / (2-p)
    assert d[0] == pytest.approx(2 * 1.7 ** 0.6 / 0.6, rel=1e-14)


@pytest.mark.parametrize("power", [1.2, 1.5, 1.8])
def test_separable_mean_model_is_half_the_unit_deviance_over_phi0(power):
    """The route's row NLL ``-ll`` equals ``d(y, μ) / (2 φ₀)`` row by row (the same
    quantity, written once in the family and once in the fast path)."""
    X, y, _ = _data(200, 7)
    mean = mk.Tweedie.separable_mean_model(get_link("log"), {"power": power}, y, None)
    eta = np.log(np.exp(0.2 + X @ np.array([0.3, -0.1])))[:, None]
    nll = mean.rows(y, eta, {}, order=0)[0]
    d = mk.Tweedie.unit_deviance(y, mu=np.exp(eta[:, 0]), power=power)
    np.testing.assert_allclose(nll, d / (2.0 * mean.scale), rtol=1e-12, atol=1e-14)
