"""`Regression.fit` and `Family.fit` take Dask collections directly (hooks installed by mlekit)."""

import numpy as np
import pytest

import mlekit as mk

da = pytest.importorskip("dask.array")


def test_regression_fit_accepts_dask_arrays():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(4000, 3))
    y = rng.poisson(np.exp(X @ [0.2, -0.1, 0.3])).astype(float)
    lazy = mk.Regression(family="poisson").fit(da.from_array(X, chunks=1000),
                                               da.from_array(y, chunks=1000))
    eager = mk.Regression(family="poisson").fit(X, y)
    np.testing.assert_allclose(lazy.coef_, eager.coef_, rtol=1e-8)
    np.testing.assert_allclose(lazy.result_.bse, eager.result_.bse, rtol=1e-6)


def test_family_fit_accepts_a_dask_array():
    x = np.random.default_rng(1).gamma(2.0, 1.5, size=5000)
    lazy = mk.Gamma.fit(da.from_array(x, chunks=1000))
    eager = mk.Gamma.fit(x)
    for k in ("shape", "rate"):
        assert lazy.params[k] == pytest.approx(eager.params[k], rel=1e-8)
