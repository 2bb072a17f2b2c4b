"""Every registered closed-form KL against exact sums / quadrature (1e-8) and seeded Monte Carlo.

Driven by the registry: a pair registered with ``@register_kl`` is checked here without
writing a test. p uses the P family's ``example_params``; q uses the Q family's, perturbed
(in the unconstrained coordinates of each estimable parameter) when P and Q are the same
family, so that KL(p || q) > 0.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

import mlekit as mk  # noqa: F401  (registers everything)
from mlekit.divergence import kl
from mlekit.errors import ConvergenceWarning, MlekitError, NotImplementedForFamily
from mlekit.families import FAMILIES, KL_REGISTRY, Family


def _instance(cls: type) -> Family | None:
    for fam in FAMILIES.values():
        if type(fam) is cls:
            return fam
    return None


def _perturbed(fam: Family, params: dict, shift: float = 0.35) -> dict | None:
    """Move every estimable parameter by ``shift`` in unconstrained space (keep it valid)."""
    for names in (fam.estimable_names, fam.estimable_names[:1]):
        out = dict(params)
        for name in names:
            dom = fam.parameter(name).domain
            v = np.asarray(params[name], dtype=float)
            try:
                out[name] = dom.from_unconstrained(dom.to_unconstrained(v) + shift)
            except NotImplementedError:
                out[name] = v * (1.0 + shift)  # e.g. a covariance matrix: scale it
        try:
            fam(**out)
        except MlekitError:
            continue
        return out
    return None


def _pairs():
    out = []
    for (pc, qc), fn in sorted(KL_REGISTRY.items(), key=lambda kv: (kv[0][0].__name__,
                                                                    kv[0][1].__name__)):
        pf, qf = _instance(pc), _instance(qc)
        if pf is None or qf is None:
            continue  # a registration for a base class or an unregistered family
        out.append(pytest.param(pf, qf, fn, id=f"{pf.title}||{qf.title}"))
    return out


PAIRS = _pairs()


def _members(pf: Family, qf: Family):
    p_params = dict(pf.example_params)
    q_params = _perturbed(qf, dict(qf.example_params)) if pf is qf else dict(qf.example_params)
    if q_params is None:
        pytest.skip(f"cannot perturb {qf.title} example parameters")
    return pf(**p_params), qf(**q_params)


def _closed(p, q):
    try:
        return kl(p, q, method="closed form")
    except NotImplementedForFamily as exc:
        pytest.skip(f"closed form declines these parameters: {exc}")


@pytest.mark.parametrize("pf,qf,fn", PAIRS)
def test_closed_form_vs_exact_or_quad(pf, qf, fn):
    p, q = _members(pf, qf)
    cf = _closed(p, q)
    assert cf.method == "closed form" and not np.isnan(cf.value).any()
    if pf.event_ndim:
        pytest.skip("multivariate: no 1-D quadrature (Monte Carlo test covers it)")
    with warnings.catch_warnings():
        # a divergent integral (closed form = +inf, e.g. Cauchy||Normal) is reported by quad
        warnings.simplefilter("ignore", ConvergenceWarning)
        num = kl(p, q, method="exact" if pf.discrete else "quad", rtol=1e-12)
    if math.isinf(float(cf)):
        assert math.isinf(float(num))
        return
    assert abs(float(cf) - float(num)) <= 1e-8 * max(1.0, abs(float(cf))), (cf, num)
    if pf is qf:
        assert float(kl(p, p, method="closed form")) == pytest.approx(0.0, abs=1e-12)


@pytest.mark.parametrize("pf,qf,fn", PAIRS)
def test_closed_form_vs_monte_carlo(pf, qf, fn):
    p, q = _members(pf, qf)
    cf = _closed(p, q)
    mc = kl(p, q, method="mc", n_samples=200_000, seed=12345)
    if math.isinf(float(cf)):
        if pf.discrete == qf.discrete and not math.isinf(float(mc)):
            # infinite because a moment diverges (Cauchy||Normal): a finite sample cannot
            # show that; the mean is merely large and unstable
            pytest.skip("infinite expectation from a divergent moment")
        assert math.isinf(float(mc))
        return
    assert abs(float(cf) - float(mc)) <= 4 * float(mc.error) + 1e-12, (cf, mc)


@pytest.mark.parametrize("pf,qf,fn", PAIRS)
def test_closed_form_batches_match_members(pf, qf, fn):
    p, q = _members(pf, qf)
    if pf.event_ndim or qf.event_ndim or any(prm.event_ndim for prm in pf.parameters):
        pytest.skip("batch check for scalar-parameter families")
    p2 = pf(**{k: np.stack([np.asarray(v), np.asarray(v)]) for k, v in p.params.items()})
    cf = _closed(p2, q)
    assert cf.shape == (2,)
    assert np.allclose(cf.value, float(_closed(p, q)), rtol=1e-14, atol=0)


def test_registry_has_the_spine_pairs():
    names = {(a.__name__, b.__name__) for a, b in KL_REGISTRY}
    for fam in ("Normal", "Bernoulli", "Categorical"):
        assert (f"{fam}Family", f"{fam}Family") in names
