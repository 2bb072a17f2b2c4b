"""Every registered family derives: numeric NLL = symbolic NLL, score = symbolic gradient,
closed-form MLE (solved from the score equations) = the family's MLE."""

from __future__ import annotations

import numpy as np
import pytest

import mlekit as mk
from mlekit.derive import derive

# (a family without a SymPy density, Tweedie, is refused by derive: tests/families/test_tweedie)
FAMS = sorted(n for n, f in mk.FAMILIES.items() if f.has_symbolic_density)


def _derive_all(fam):
    return derive(fam, wrt=fam.estimable_names)


def _member(fam, rng):
    params = {k: np.asarray(v, float) for k, v in fam.example_params.items()}
    x = np.asarray(fam.sample((25,), rng, **params), float)
    return params, x


def _perturbed(fam, params, rng):
    out = {}
    for p in fam.parameters:
        v = params[p.name]
        if not p.estimable or p.event_ndim:
            out[p.name] = v
        elif p.domain.name in ("UnitInterval", "ClosedUnitInterval"):
            out[p.name] = np.clip(v + rng.uniform(-0.1, 0.1), 0.05, 0.95)
        elif p.domain.name in ("Positive", "NonNegative"):
            out[p.name] = v * rng.uniform(0.8, 1.25)
        else:
            out[p.name] = v + rng.normal(scale=0.3)
        if not np.all(p.domain.contains(np.asarray(out[p.name]))):
            out[p.name] = v  # stay inside the parameter's domain
    return out


@pytest.mark.parametrize("name", FAMS)
def test_symbolic_nll_matches_numeric(name):
    fam = mk.FAMILIES[name]
    if not fam.example_params:
        pytest.skip(f"{name} declares no example_params")
    rng = np.random.default_rng(7)
    params, x = _member(fam, rng)
    d = _derive_all(fam)
    for _ in range(3):
        th = _perturbed(fam, params, rng)
        expected = -np.sum(fam.logpdf(x, **th))
        if not np.isfinite(expected):
            continue  # a parameter-dependent support (Uniform, Pareto) the formula ignores
        assert d.nll(x, **th) == pytest.approx(expected, rel=1e-9, abs=1e-9)
        # NLL = a * sum(loss) + c, numerically
        if not fam.parameters[0].event_ndim:
            a = d.scale_value(**th)
            total = a * np.sum(d.loss(x, **th)) + d.constant_value(x, **th)
            assert total == pytest.approx(expected, rel=1e-9, abs=1e-9)


@pytest.mark.parametrize("name", FAMS)
def test_score_matches_symbolic_gradient(name):
    import sympy as sp

    fam = mk.FAMILIES[name]
    sd = fam.sympy_density()
    if isinstance(sd.x, sp.MatrixSymbol) and fam.example_params:  # matrix calculus (MVN)
        rng = np.random.default_rng(11)
        params, x = _member(fam, rng)
        got = derive(fam, wrt=fam.estimable_names).score_value(x, **params)
        want = fam.score(x, **params)
        for n in fam.estimable_names:
            np.testing.assert_allclose(got[n], want[n], rtol=1e-9, atol=1e-12)
        return
    if isinstance(sd.x, sp.IndexedBase) or not fam.example_params:
        pytest.skip("one-hot (simplex) parameter: no unconstrained per-class score")
    rng = np.random.default_rng(11)
    params, x = _member(fam, rng)
    th = _perturbed(fam, params, rng)
    score = fam.score(x, **th)
    args = [sd.x, *[sd.params[n] for n in fam.param_names]]
    for n in fam.estimable_names:
        g = sp.lambdify(args, sp.diff(sd.logdensity, sd.params[n]), modules=["scipy", "numpy"])
        want = np.broadcast_to(g(x, *[th[k] for k in fam.param_names]), x.shape)
        np.testing.assert_allclose(score[n], want, rtol=1e-8, atol=1e-10)


@pytest.mark.parametrize("name", FAMS)
def test_closed_form_mle_matches_family(name):
    fam = mk.FAMILIES[name]
    if not fam.example_params:
        pytest.skip("no example params")
    rng = np.random.default_rng(3)
    params, x = _member(fam, rng)
    d = _derive_all(fam)
    fixed = {p.name: float(params[p.name]) for p in fam.parameters if not p.estimable}
    sol = d.mle_value(x, **fixed)
    if sol is None:
        assert d.score_equations  # "no closed form": the equations are still given
        return
    ref = fam.mle(x, fixed=fixed or None) if fixed else fam.mle(x)
    if ref is None:
        pytest.skip(f"{name} has no closed-form mle to compare")
    for n, v in sol.items():
        np.testing.assert_allclose(v, ref[n], rtol=1e-9)
