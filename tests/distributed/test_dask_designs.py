"""Distributional regression on Dask: the same pipeline, the same numbers (issue #20, item 4).

A parameter's design on Dask is a list of X's columns (or "X" / "1"); the fit runs the
in-memory pipeline's stages on :class:`DaskSums` and must give the in-memory fit's
estimates, standard errors and log-likelihood, and its named errors.
"""

from __future__ import annotations

import numpy as np
import pytest

da = pytest.importorskip("dask.array")

import mlekit as mk  # noqa: E402
from mlekit.errors import NoMaximumError, NotImplementedForFamily, SingularMatrixError  # noqa: E402


def _pair(X, y, chunks=500):
    return da.from_array(X, chunks=(chunks, X.shape[1])), da.from_array(y, chunks=chunks)


@pytest.mark.parametrize("family, designs, draw", [
    ("normal", {"sigma": [0]},
     lambda rng, X: rng.normal(0.5 + X @ [1.0, -0.5], np.exp(0.2 + 0.5 * X[:, 0]))),
    ("weibull", {"shape": "X"},
     lambda rng, X: np.exp(1 + 0.3 * X[:, 1]) * rng.weibull(np.exp(0.4 + 0.2 * X[:, 0]))),
    ("gamma", {"shape": ["x1"]},
     lambda rng, X: rng.gamma(np.exp(1 + 0.4 * X[:, 1]), np.exp(0.2 + 0.3 * X[:, 0]))),
])
def test_dask_designs_equal_the_in_memory_fit(family, designs, draw):
    rng = np.random.default_rng(5)
    X = rng.normal(size=(2000, 2))
    y = draw(rng, X)
    mem = mk.Regression(family).fit(X, y, designs=designs)
    dk = mk.Regression(family).fit(*_pair(X, y), designs=designs)
    assert dk.result_.llf == pytest.approx(mem.result_.llf, rel=1e-10)
    np.testing.assert_allclose(dk.result_.theta, mem.result_.theta, rtol=1e-7, atol=1e-9)
    np.testing.assert_allclose(np.asarray(dk.result_.bse), np.asarray(mem.result_.bse),
                               rtol=1e-6)
    assert dk.result_.slot_names == mem.result_.slot_names
    new = X[:5]
    np.testing.assert_allclose(dk.predict_mean(new, designs=designs),
                               mem.predict_mean(new, designs=designs), rtol=1e-7)


def test_dask_design_arrays_are_refused_by_name():
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(100, 2)), rng.normal(size=100)
    with pytest.raises(NotImplementedForFamily, match=r"designs\['sigma'\].*columns"):
        mk.Regression("normal").fit(*_pair(X, y, 50), designs={"sigma": X[:, :1]})


def test_dask_collinear_parameter_design_is_named():
    rng = np.random.default_rng(1)
    x, z = rng.normal(size=(2, 400))
    X = np.column_stack([x, z, 2 * z])
    y = x + rng.normal(size=400) * np.exp(0.3 * z)
    designs = {"mu": [0], "sigma": [1, 2]}
    for data in [(X, y), _pair(X, y, 100)]:
        with pytest.raises(SingularMatrixError, match=r"sigma: x1.*sigma: x2"):
            mk.Regression("normal").fit(*data, designs=designs)


def test_dask_divergent_parameter_is_no_maximum():
    """sigma -> 0 on the rows its design singles out (the mean fits them exactly): named on
    Dask as in memory, never converged."""
    rng = np.random.default_rng(2)
    n = 400
    g = (np.arange(n) < 40).astype(float)
    X = np.column_stack([g])
    y = rng.normal(size=n) * (1 - g) + 3.0 * g
    with pytest.raises(NoMaximumError, match="sigma"):
        mk.Regression("normal", link="identity").fit(X, y, designs={"sigma": "X"})
    with pytest.raises(NoMaximumError, match="sigma"):
        mk.Regression("normal", link="identity").fit(*_pair(X, y, 100), designs={"sigma": "X"})
