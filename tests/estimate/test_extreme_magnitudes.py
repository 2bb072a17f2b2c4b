"""Univariate fits on data of extreme magnitude: answers with their digits, or a named
error that says why (never a raw NumPy warning, never "the likelihood increases without
bound" for an MLE that merely overflows double precision).

* [1e-300, 1, 1e300]: Pareto's α̂ = n / Σ log(x/ŝ) (x/ŝ overflowed to inf: α̂ was 0 and a
  NoMaximumError), Cauchy and StudentT (z² overflowed in the solver: "the starting values
  give a non-finite log-likelihood") fit, each llf equal to 40-digit mpmath at the estimate;
* subnormal data (5e-324 … 1e-310): Gamma, Exponential and Normal say their estimate is
  beyond double precision and to rescale; Beta says the data crowd against 0.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import mlekit as mk
from mlekit.errors import DataError, NoMaximumError

mp = pytest.importorskip("mpmath")

WIDE = np.array([1e-300, 1.0, 1e300])
SUBNORMAL = np.array([5e-324, 1e-320, 2e-315, 1e-310])


@pytest.fixture(autouse=True)
def _no_raw_warnings():
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        yield


def test_pareto_on_data_spanning_600_decades():
    r = mk.fit(WIDE, "pareto")
    with mp.workdps(40):
        s = mp.fsum(mp.log(mp.mpf(v)) - mp.log(mp.mpf(1e-300)) for v in WIDE)
        alpha = 3 / s
        llf = mp.fsum(mp.log(alpha) + alpha * mp.log(mp.mpf(1e-300))
                      - (alpha + 1) * mp.log(mp.mpf(v)) for v in WIDE)
    assert r.params["alpha"] == pytest.approx(float(alpha), rel=1e-13)
    assert r.llf == pytest.approx(float(llf), rel=1e-12)


@pytest.mark.parametrize("family", ["cauchy", "studentt"])
def test_t_family_on_data_spanning_600_decades(family):
    r = mk.fit(WIDE, family)
    p = r.params
    nu, mu, sigma = p.get("nu", 1.0), p["mu"], p["sigma"]
    with mp.workdps(40):
        llf = mp.fsum(mp.loggamma((nu + 1) / 2) - mp.loggamma(nu / 2)
                      - mp.log(mp.sqrt(nu * mp.pi) * sigma)
                      - (nu + 1) / 2 * mp.log(1 + ((mp.mpf(v) - mu) / sigma) ** 2 / nu)
                      for v in WIDE)
    assert r.converged
    assert r.llf == pytest.approx(float(llf), rel=1e-12)
    if family == "cauchy":  # the two moderate points decide: (0 + 1)/2, √3/2
        assert mu == pytest.approx(0.5, rel=1e-9) and sigma == pytest.approx(3**0.5 / 2,
                                                                            rel=1e-9)


@pytest.mark.parametrize("family", ["gamma", "exponential", "normal"])
def test_subnormal_data_name_the_overflow(family):
    with pytest.raises(DataError, match=r"beyond the largest double|not finite in double "
                       r"precision") as info:
        mk.fit(SUBNORMAL, family)
    assert not isinstance(info.value, NoMaximumError)  # (the MLE exists; it overflows)
    assert "escale" in str(info.value)


def test_beta_on_subnormal_data_says_so():
    with pytest.raises(DataError, match="subnormal"):
        mk.fit(SUBNORMAL, "beta")
