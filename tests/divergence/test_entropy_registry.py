"""entropy and cross_entropy for every registered family: closed form vs fallbacks."""

from __future__ import annotations

import math

import numpy as np
import pytest

import mlekit as mk  # noqa: F401
from mlekit.divergence import cross_entropy, entropy, kl
from mlekit.errors import MlekitError, NotImplementedForFamily
from mlekit.families import FAMILIES

FAMS = [pytest.param(f, id=f.title) for _, f in sorted(FAMILIES.items())
        if f.example_params]


def _perturbed(fam, params, shift=0.3):
    for names in (fam.estimable_names, fam.estimable_names[:1]):
        out = dict(params)
        for name in names:
            dom = fam.parameter(name).domain
            v = np.asarray(params[name], dtype=float)
            try:
                out[name] = dom.from_unconstrained(dom.to_unconstrained(v) + shift)
            except NotImplementedError:
                out[name] = v * (1.0 + shift)
        try:
            return fam(**out)
        except MlekitError:
            continue
    pytest.skip(f"cannot perturb {fam.title}")


def _numeric_method(fam):
    if fam.event_ndim:
        return None
    return "exact" if fam.discrete else "quad"


@pytest.mark.parametrize("fam", FAMS)
def test_entropy_closed_form_vs_fallbacks(fam):
    p = fam(**fam.example_params)
    try:
        cf = entropy(p, method="closed form")
    except NotImplementedForFamily:
        cf = None
    mc = entropy(p, method="mc", n_samples=200_000, seed=99)
    auto = entropy(p)
    assert np.isfinite(float(auto))
    m = _numeric_method(fam)
    if cf is not None:
        assert auto.method == "closed form"
        assert abs(float(cf) - float(mc)) <= 4 * mc.error + 1e-12
        if m is not None:
            num = entropy(p, method=m, rtol=1e-12)
            assert abs(float(cf) - float(num)) <= 1e-8 * max(1.0, abs(float(cf)))
    else:
        assert auto.method in ("exact", "quad", "mc")


@pytest.mark.parametrize("fam", FAMS)
def test_cross_entropy_is_entropy_plus_kl(fam):
    p = fam(**fam.example_params)
    q = _perturbed(fam, dict(fam.example_params))
    h_pq = cross_entropy(p, q)
    h = float(entropy(p))
    d = float(kl(p, q))
    if math.isinf(d):
        assert math.isinf(float(h_pq))
        return
    assert float(h_pq) == pytest.approx(h + d, abs=1e-8 * max(1.0, abs(h) + abs(d)))
    m = _numeric_method(fam)
    if m is not None:
        direct = cross_entropy(p, q, method=m, rtol=1e-12)
        assert float(direct) == pytest.approx(float(h_pq), abs=1e-8 * max(1.0, abs(h + d)))
    mc = cross_entropy(p, q, method="mc", n_samples=100_000, seed=5)
    assert abs(float(mc) - float(h_pq)) <= 4 * mc.error + 1e-12


@pytest.mark.parametrize("fam", FAMS)
def test_fallback_kl_for_every_family_is_zero_against_itself(fam):
    p = fam(**fam.example_params)
    m = _numeric_method(fam) or "mc"
    r = kl(p, p, method=m, n_samples=1000, seed=0)
    assert float(r) == pytest.approx(0.0, abs=1e-10)
