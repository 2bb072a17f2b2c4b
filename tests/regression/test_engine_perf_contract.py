"""The generic engine's fast machinery gives the answers of its plain per-row path.

1. The canonical form ``ℓ = A(η) - yη + C(y)`` that ``FamilyModel.cumulant`` derives from
   a family file (issue #20, "Performance of the generic path") is derived exactly where
   it holds (Poisson-log, Bernoulli-logit, a Normal of known unit variance) and refused
   where it does not; where derived, its lean passes equal the per-row sums of the same
   model (NLL, gradient, Hessian, ∇f(0)) to 1e-10, weights and offsets included, and a
   fit through them equals the fit through the per-row path.
2. The fused ``FamilyModel.rows`` is self-consistent across orders and across a pickle.
"""

from __future__ import annotations

import pickle

import numpy as np
import pytest

import mlekit as mk
from mlekit.families import FAMILIES
from mlekit.regression import InMemorySums
from mlekit.regression._engine import FamilyModel, build_family_model

#: (family, link, fixed): models whose NLL is canonical, so the form must be derived
_CANONICAL = [("poisson", "log", {}), ("bernoulli", "logit", {}),
              ("normal", "identity", {"sigma": 1.0})]
#: one-slot models whose NLL is *not* ``A(η) - yη + C(y)``: the form must be refused
_NOT_CANONICAL = [("poisson", "sqrt", {}), ("bernoulli", "probit", {}),
                  ("normal", "identity", {"sigma": 2.0}), ("laplace", "identity", {"b": 1.0}),
                  ("exponential", "log", {}), ("geometric", "logit", {})]


def _model(name: str, link: str, fixed: dict) -> FamilyModel:
    loc = build_family_model(name, fixed=fixed).location
    return build_family_model(name, {loc: link}, fixed=fixed)


@pytest.mark.parametrize("name,link,fixed", _CANONICAL, ids=lambda v: str(v))
def test_canonical_form_is_derived(name, link, fixed):
    assert _model(name, link, fixed).cumulant() is not None


@pytest.mark.parametrize("name,link,fixed", _NOT_CANONICAL, ids=lambda v: str(v))
def test_non_canonical_form_is_refused(name, link, fixed):
    assert _model(name, link, fixed).cumulant() is None


def test_only_one_slot_models_of_the_registry_get_the_form():
    """Over every family's default model, the form is derived only for one free
    parameter (two-parameter models keep the per-row path)."""
    for name in sorted(FAMILIES):
        try:
            model = build_family_model(name)
        except mk.errors.MlekitError:
            continue
        if model.cumulant() is not None:
            assert len(model.free) == 1, name


def _data(name: str, n: int, rng: np.random.Generator):
    X = rng.standard_normal((n, 3))
    eta = 0.2 + X @ np.array([0.3, -0.2, 0.1])
    if name == "poisson":
        y = rng.poisson(np.exp(eta)).astype(float)
    elif name == "bernoulli":
        y = (rng.random(n) < 1.0 / (1.0 + np.exp(-eta))).astype(float)
    else:
        y = eta + rng.standard_normal(n)
    return X, y


def _per_row(sums: InMemorySums) -> InMemorySums:
    twin = InMemorySums(sums.X, sums.y, sums.model, sums.w, sums.offset, sums.aux,
                        sums.chunk_rows, sums.n_threads, intercept=sums.intercept)
    twin._cum = None
    return twin


@pytest.mark.parametrize("name,link,fixed", _CANONICAL, ids=lambda v: str(v))
@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
def test_lean_passes_equal_the_per_row_sums(name, link, fixed, weighted):
    rng = np.random.default_rng(3)
    X, y = _data(name, 2_000, rng)
    w = rng.uniform(0.5, 2.0, y.size) if weighted else None
    off = rng.normal(scale=0.1, size=y.size)
    model = _model(name, link, fixed)
    lean = InMemorySums(X, y, model, w, off, intercept=True, chunk_rows=600)
    assert lean._cum is not None
    ref = _per_row(lean)
    theta = rng.normal(scale=0.3, size=lean.n_params)
    f1, g1, h1 = lean.nll_grad_hess(theta)
    f2, g2, h2 = ref.nll_grad_hess(theta)
    np.testing.assert_allclose(f1, f2, rtol=1e-12)
    np.testing.assert_allclose(g1, g2, rtol=1e-10, atol=1e-10 * np.max(np.abs(g2)))
    np.testing.assert_allclose(h1, h2, rtol=1e-10, atol=1e-12 * np.max(np.abs(h2)))
    np.testing.assert_allclose(lean.grad_at_zero(), ref.grad_at_zero(), rtol=1e-10,
                               atol=1e-10 * np.max(np.abs(ref.grad_at_zero())))
    np.testing.assert_allclose(lean.nll(theta), ref.nll(theta), rtol=1e-12)
    # an intercept-only pass (one η for every row: A evaluated once) gives the same NLL
    null_lean, null_ref = lean.restrict([0]), ref.restrict([0])
    null_ref._cum = None
    np.testing.assert_allclose(null_lean.nll(theta[:1]), null_ref.nll(theta[:1]), rtol=1e-12)


def test_canonical_form_at_extreme_predictors():
    """Logits of ±40 (p rounds to 1 at +40): the derived form stays finite and exact."""
    model = _model("bernoulli", "logit", {})
    cum = model.cumulant()
    eta = np.array([-40.0, -5.0, 0.0, 5.0, 40.0])
    a = cum._a(eta)
    np.testing.assert_allclose(a, np.logaddexp(0.0, eta), rtol=1e-12, atol=1e-15)
    y = np.array([0.0, 1.0])
    np.testing.assert_allclose(cum.const(y), [0.0, 0.0], atol=1e-15)


@pytest.mark.parametrize("name", ["poisson", "bernoulli"])
def test_fit_through_the_form_equals_the_per_row_fit(name, monkeypatch):
    rng = np.random.default_rng(5)
    X, y = _data(name, 3_000, rng)
    fast = mk.Regression(name, engine="generic").fit(X, y)
    monkeypatch.setattr(FamilyModel, "cumulant", lambda self: None)
    plain = mk.Regression(name, engine="generic").fit(X, y)
    np.testing.assert_allclose(fast.result_.llf, plain.result_.llf, rtol=1e-12)
    np.testing.assert_allclose(fast.coef_, plain.coef_, rtol=1e-8, atol=1e-10)
    np.testing.assert_allclose(fast.result_.bse, plain.result_.bse, rtol=1e-6)


@pytest.mark.parametrize("name,designs", [("weibull", {"shape": "X"}),
                                          ("normal", {"sigma": "X"}), ("gamma", {})])
def test_rows_orders_agree_and_survive_pickling(name, designs):
    model = build_family_model(name, designs=designs)
    rng = np.random.default_rng(7)
    ex = {k: np.asarray(v, float) for k, v in model.family.example_params.items()}
    y = np.asarray(model.family.sample((50,), rng, **ex), float)
    start = model.init_eta(y, np.ones(50), {})
    eta = start[None, :] + 0.2 * rng.standard_normal((50, start.size))
    eta[0, 0] = -1e6 if name != "normal" else eta[0, 0]  # a row outside the domain
    n0, _, _ = model.rows(y, eta, {}, order=0)
    n1, g1, _ = model.rows(y, eta, {}, order=1)
    n2, g2, h2 = model.rows(y, eta, {}, order=2)
    np.testing.assert_array_equal(n0, n1)
    np.testing.assert_array_equal(n1, n2)
    np.testing.assert_array_equal(g1, g2)
    np.testing.assert_array_equal(h2, np.swapaxes(h2, 1, 2))
    if name != "normal":  # the row outside the domain: +inf NLL, no derivatives
        assert n2[0] == np.inf and np.all(g2[0] == 0) and np.all(h2[0] == 0)
    # the gradient is the finite difference of the NLL (rows inside the domain)
    k = 1
    step = 1e-6
    up, down = eta.copy(), eta.copy()
    up[1:, k] += step
    down[1:, k] -= step
    with np.errstate(invalid="ignore"):  # (row 0: inf - inf, not compared)
        fd = (model.rows(y, up, {}, order=0)[0]
              - model.rows(y, down, {}, order=0)[0]) / (2 * step)
    np.testing.assert_allclose(g2[1:, k], fd[1:], rtol=1e-5, atol=1e-6)
    twin = pickle.loads(pickle.dumps(model))
    m2 = twin.rows(y, eta, {}, order=2)
    for a, b in zip((n2, g2, h2), m2, strict=True):
        np.testing.assert_array_equal(a, b)
