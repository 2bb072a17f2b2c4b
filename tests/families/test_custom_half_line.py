"""A typed density's parameter on a half-line ``(low, inf)`` fits (it used to build an
interval of infinite width, whose map gave inf * 0 and a misleading error)."""

from __future__ import annotations

import numpy as np
import pytest

import mlekit as mk
from mlekit.errors import FormulaError


def test_half_line_parameter_fits_the_closed_form():
    fam = mk.custom_family("lam*exp(-lam*x)", params={"lam": (0.0, float("inf"))},
                           support="positive", name="exp_half_line")
    x = np.random.default_rng(0).exponential(2.0, 500)
    res = mk.fit(x, fam)
    assert res.params["lam"] == pytest.approx(1 / np.mean(x), rel=1e-8)
    assert res.bse["lam"] == pytest.approx(res.params["lam"] / np.sqrt(x.size), rel=1e-5)


def test_half_line_with_a_shifted_end():
    fam = mk.custom_family("exp(-(x - 1)**2/(2*s**2))/(s*sqrt(2*pi))",
                           params={"s": (0.5, float("inf"))}, name="shifted_end")
    assert fam.parameters[0].domain.edges == (0.5, np.inf)


@pytest.mark.parametrize("spec", [(-np.inf, 0.0), (-np.inf, np.inf)])
def test_an_interval_without_a_finite_lower_end_is_named(spec):
    with pytest.raises(FormulaError, match=r"'lam'.*finite lower end"):
        mk.custom_family("lam*exp(-lam*x)", params={"lam": spec}, support="positive",
                         name="bad_interval")
