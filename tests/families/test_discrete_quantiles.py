"""Quantiles of every discrete family (registry-driven): ``ppf(q) = min{k in the support:
F(k) ≥ q}`` for q in [0, 1], ``ppf(0)`` the support's lower end (R's convention; scipy's
gives -1 for counts, and mlekit's Poisson, Binomial and NegativeBinomial did), the
combinators over count families included; Bernoulli and the Ordinal now have one."""

from __future__ import annotations

import numpy as np
import pytest

import mlekit as mk
from mlekit.errors import NotImplementedForFamily
from mlekit.families import FAMILIES


def _members():
    out = []
    for name, fam in sorted(FAMILIES.items()):
        if fam.discrete and not fam.event_ndim and name != "categorical":  # (no order)
            out.append((name, fam, dict(fam.example_params)))
    out += [("zeroinflated(poisson)", mk.ZeroInflated(mk.Poisson), {"pi": 0.3, "rate": 2.0}),
            ("truncated(poisson, low=1)", mk.Truncated(mk.Poisson, low=1), {"rate": 2.0}),
            ("hurdle(negativebinomial)", mk.Hurdle(mk.NegativeBinomial),
             {"pi": 0.4, "mu": 3.0, "alpha": 0.5})]
    return out


@pytest.mark.parametrize(("name", "fam", "params"), _members(), ids=lambda v: v
                         if isinstance(v, str) else "")
def test_ppf_is_the_generalised_inverse_of_the_cdf(name, fam, params):
    d = fam(**params)
    try:
        low = float(d.ppf(0.0))
    except NotImplementedForFamily:
        pytest.fail(f"{name}: a discrete family without a quantile function")
    lo_end = d.family.support_of(**d.params).bounds
    expect = float(lo_end[0]) if lo_end is not None else d.family.support.edges[0]
    assert low == expect, (name, low, expect)
    q = np.random.default_rng(1).uniform(size=200)
    k = np.asarray(d.ppf(q), float)
    assert np.all(np.asarray(d.cdf(k)) >= q - 1e-12), name
    below = np.asarray(d.cdf(k - 1.0))
    assert np.all((below < q) | (k == expect)), name
    top = float(d.ppf(1.0))
    assert np.isinf(top) or float(d.cdf(top)) == pytest.approx(1.0, abs=1e-12)
