"""Numerical helpers shared by the families' MLE solvers, against exact references."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.special import polygamma

from mlekit.families._mle_tools import sum_sq_dev, trigamma


@pytest.mark.parametrize("n", [1, 7, 1023, 1024, 1025, 128 * 1024, 128 * 1024 + 3, 300_001])
@pytest.mark.parametrize("weighted", [False, True])
def test_sum_sq_dev_matches_an_exactly_rounded_sum(n, weighted):
    # every block size: below one row, whole rows, a partial last row, several blocks
    rng = np.random.default_rng(n)
    x = rng.normal(3.0, 2.0, n)
    w = rng.uniform(0.0, 2.0, n) if weighted else None
    c = float(np.mean(x))
    d = x - c
    terms = d * d if w is None else w * d * d
    exact = math.fsum(terms.tolist())
    assert sum_sq_dev(x, c, w) == pytest.approx(exact, rel=1e-13)


def test_sum_sq_dev_keeps_near_constant_data_accurate():
    # deviations 1e-8 around 1e3: centring first keeps full relative accuracy
    rng = np.random.default_rng(0)
    x = 1e3 + 1e-8 * rng.standard_normal(200_000)
    c = float(np.mean(x))
    exact = math.fsum(((x - c) ** 2).tolist())
    assert sum_sq_dev(x, c) == pytest.approx(exact, rel=1e-14)


def test_trigamma_is_polygamma_one():
    k = np.concatenate([np.geomspace(1e-8, 1e8, 200), [0.5, 1.0, 2.5]])
    np.testing.assert_allclose(trigamma(k), polygamma(1, k), rtol=1e-14, atol=0)
    assert trigamma(1.0) == pytest.approx(math.pi**2 / 6, rel=1e-15)  # ψ'(1) = ζ(2)
