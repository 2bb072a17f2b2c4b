"""Dask regression refuses and accepts the same designs and settings as the in-memory path.

* Normal with a log or inverse link (R's GaussianLog / GaussianInverse cases): the rank
  check looks at the design ``DᵀWD``, not at the likelihood's curvature at the start,
  which is indefinite there; both paths fit and agree.
* An exactly collinear design is refused by both, naming the columns.
* Bad settings (cov_type, alpha_l2) are the same named errors on both paths.
"""

from __future__ import annotations

import numpy as np
import pytest

da = pytest.importorskip("dask.array")

import mlekit as mk  # noqa: E402
from mlekit.errors import ParameterError, SingularMatrixError, UnknownNameError  # noqa: E402


@pytest.fixture(autouse=True)
def threads():
    import dask

    with dask.config.set(scheduler="threads"):
        yield


def _gaussian(link: str, n: int = 400, seed: int = 3):
    rng = np.random.default_rng(seed)
    x = rng.uniform(0.5, 2.0, size=(n, 2))
    if link == "log":
        mu = np.exp(0.4 + 0.3 * x[:, 0] - 0.2 * x[:, 1])
    else:
        mu = 1.0 / (0.5 + 0.2 * x[:, 0] + 0.1 * x[:, 1])
    return x, mu + rng.normal(scale=0.05, size=n)


@pytest.mark.parametrize("link", ["log", "inverse"])
def test_gaussian_nonidentity_links_fit_on_dask_like_in_memory(link):
    X, y = _gaussian(link)
    mem = mk.Regression(family="normal", link=link).fit(X, y)
    dsk = mk.Regression(family="normal", link=link).fit(da.from_array(X, chunks=(100, 2)),
                                                        da.from_array(y, chunks=100))
    np.testing.assert_allclose(dsk.result_.params, mem.result_.params, rtol=1e-8)
    np.testing.assert_allclose(dsk.result_.bse, mem.result_.bse, rtol=1e-6)


def test_collinear_design_refused_on_dask_naming_columns():
    rng = np.random.default_rng(0)
    x = rng.normal(size=300)
    X = np.c_[x, 2.0 * x]
    y = rng.poisson(np.exp(0.2 + 0.1 * x)).astype(float)
    with pytest.raises(SingularMatrixError, match=r"x0.*x1|x1.*x0"):
        mk.Regression(family="poisson").fit(da.from_array(X, chunks=(100, 2)),
                                            da.from_array(y, chunks=100))


@pytest.mark.parametrize("settings, error", [
    ({"cov_type": "HC9"}, UnknownNameError),
    ({"alpha_l2": -1.0}, ParameterError),
    ({"alpha_l2": float("nan")}, ParameterError),
])
def test_bad_settings_are_the_same_named_error_on_both_paths(settings, error):
    X, y = _gaussian("log", n=60)
    with pytest.raises(error):
        mk.Regression(family="normal", **settings).fit(X, y)
    with pytest.raises(error):
        mk.Regression(family="normal", **settings).fit(da.from_array(X, chunks=(30, 2)),
                                                       da.from_array(y, chunks=30))
