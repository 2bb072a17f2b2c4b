"""A modelled scale that runs to 0 on rows the mean fits exactly: no maximum, said by name."""

import numpy as np
import pytest

import mlekit as mk
from mlekit.errors import NoMaximumError


def _data(n=200, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 1))
    y = 1.0 + 2.0 * X[:, 0]
    y[: n // 2] += 0.1 * rng.normal(size=n // 2)  # the other half lies exactly on the line
    Z = (np.arange(n) < n // 2).astype(float)[:, None]  # sigma's design singles it out
    return X, y, Z


def test_sigma_to_zero_is_no_maximum_naming_the_parameter():
    X, y, Z = _data()
    est = mk.Regression("normal", link={"mu": "identity", "sigma": "log"})
    with pytest.raises(NoMaximumError, match=r"sigma runs to 0 on 100 row\(s\) \(first row 100"):
        est.fit(X, y, designs={"sigma": Z})


def test_heteroscedastic_fast_path_is_screened_too():
    X, y, _ = _data()
    Xh = np.column_stack([X, (np.arange(200) < 100).astype(float)])
    with pytest.raises(NoMaximumError, match="sigma runs to 0"):
        mk.Regression("normal", heteroscedastic=True).fit(Xh, y)


def test_a_noisy_fit_of_the_same_layout_converges():
    X, y, Z = _data()
    y = y + 0.05 * np.random.default_rng(1).normal(size=y.size)
    res = mk.Regression("normal", link={"mu": "identity", "sigma": "log"}).fit(
        X, y, designs={"sigma": Z}).result_
    assert res.converged
    sig = np.exp(res.coefs["sigma"]["coef"].to_numpy())
    # rows with Z = 0 have sd 0.05, rows with Z = 1 sd sqrt(0.1² + 0.05²) ≈ 0.112
    assert abs(sig[0] - 0.05) < 0.015 and abs(sig[0] * sig[1] - 0.112) < 0.03
