"""Regression on data of extreme magnitude: a correct, transformed fit or a named error.

Never a raw NumPy RuntimeWarning (pytest turns them into errors for mlekit), never an
IndexError/"internal error". Where the fit is representable it is scale-equivariant:
Normal-identity on (y·c) gives coefficients ·c and σ ·c.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

import mlekit as mk
from mlekit.cli import main
from mlekit.errors import DataError


def _data(n: int = 80, seed: int = 0):
    rng = np.random.default_rng(seed)
    X = rng.uniform(0.5, 1.5, size=(n, 2))
    y = np.exp(0.2 + 0.3 * X[:, 0] - 0.2 * X[:, 1]) * rng.gamma(5.0, 0.2, size=n)
    return X, y


@pytest.mark.parametrize("family", ["normal", "gamma", "inversegaussian"])
@pytest.mark.parametrize("c", [1e300, 1e-300])
def test_y_beyond_double_precision_is_a_named_error(family, c):
    X, y = _data()
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        with pytest.raises(DataError, match="rescale y"):
            mk.Regression(family=family, link="log").fit(X, y * c)


@pytest.mark.parametrize("c", [1e300, 1e-300])
def test_x_beyond_double_precision_names_the_column(c):
    X, y = _data()
    X = X.copy()
    X[:, 1] *= c
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        try:
            m = mk.Regression(family="poisson").fit(X, np.round(y * 3))
        except DataError as exc:
            assert "x1" in str(exc)
        else:  # representable: the slope of x1 transforms by 1/c
            ref = mk.Regression(family="poisson").fit(_data()[0], np.round(y * 3))
            np.testing.assert_allclose(m.coef_[1] * c, ref.coef_[1], rtol=1e-6)


@pytest.mark.parametrize("c", [1e100, 1e-100])
def test_normal_identity_is_scale_equivariant(c):
    X, y = _data()
    base = mk.Regression(family="normal").fit(X, y)
    big = mk.Regression(family="normal").fit(X, y * c)
    np.testing.assert_allclose(big.coef_, base.coef_ * c, rtol=1e-10)
    np.testing.assert_allclose(big.intercept_, base.intercept_ * c, rtol=1e-10)
    np.testing.assert_allclose(big.result_.llf, base.result_.llf - y.size * np.log(c),
                               rtol=1e-10)


def test_gamma_scale_equivariant_at_1e100():
    X, y = _data()
    base = mk.Regression(family="gamma", link="log").fit(X, y)
    big = mk.Regression(family="gamma", link="log").fit(X, y * 1e100)
    np.testing.assert_allclose(big.coef_, base.coef_, rtol=1e-7, atol=1e-9)
    np.testing.assert_allclose(big.intercept_, base.intercept_ + 100 * np.log(10), rtol=1e-9)


@pytest.mark.parametrize("scale_x", [False, True])
def test_cli_extreme_data_is_one_line_exit_2(tmp_path, capsys, scale_x):
    X, y = _data()
    df = pd.DataFrame({"x0": X[:, 0], "x1": X[:, 1] * (1e300 if scale_x else 1.0),
                       "y": y * (1.0 if scale_x else 1e300)})
    path = tmp_path / "d.csv"
    df.to_csv(path, index=False)
    code = main(["regress", str(path), "--target", "y", "--family", "gamma", "--link", "log"])
    err = capsys.readouterr().err
    assert code == 2, err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("mlekit: error: ")
    assert "internal error" not in err


def test_bernoulli_labels_of_1e300():
    """Labels 0 and 1e300 are two classes (sklearn's int cast of them warned and called
    them 'continuous'); many huge whole numbers are too many classes: a SupportError."""
    from mlekit.errors import SupportError

    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 2))
    y01 = (rng.random(60) < 0.5).astype(float)
    a = mk.Regression(family="bernoulli").fit(X, y01 * 1e300)
    b = mk.Regression(family="bernoulli").fit(X, y01)
    np.testing.assert_allclose(a.coef_, b.coef_, rtol=1e-12)
    with pytest.raises(SupportError, match="Bernoulli"):
        mk.Regression(family="bernoulli").fit(X, np.round(rng.random(60) * 1e300))
