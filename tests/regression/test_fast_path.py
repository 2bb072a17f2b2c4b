"""The fast, lean GLM path: implicit intercept, approximate-Hessian Newton from a
subsample warm start, the relative-gradient stopping rule, and the memory it needs."""

from __future__ import annotations

import gc
import tracemalloc

import numpy as np
import pytest

from mlekit.regression import InMemorySums, Regression
from mlekit.regression._models import make_model


def _data(kind: str, n: int, p: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, p))
    beta = rng.normal(scale=1.0 / np.sqrt(p), size=p)
    eta = X @ beta + 0.2
    if kind == "bernoulli":
        y = (rng.random(n) < 1.0 / (1.0 + np.exp(-eta))).astype(float)
    elif kind == "poisson":
        y = rng.poisson(np.exp(0.3 * eta)).astype(float)
    elif kind == "gamma":
        y = rng.gamma(2.0, np.exp(0.3 * eta) / 2.0)
    elif kind == "categorical":
        y = np.digitize(eta + rng.logistic(size=n), [-0.5, 0.7]).astype(float)
    else:
        y = eta + rng.standard_normal(n) * np.exp(0.2 * X[:, 0])
    return X, y


def _rel_grad(kind: str, X: np.ndarray, y: np.ndarray, theta: np.ndarray) -> float:
    """||∇f(θ)|| / ||∇f(0)|| for the logistic / Poisson NLL (computed here, independently)."""
    D = np.column_stack([np.ones(len(y)), X])

    def grad(th):
        eta = D @ th
        r = (1.0 / (1.0 + np.exp(-eta)) if kind == "bernoulli" else np.exp(eta)) - y
        return D.T @ r

    return float(np.linalg.norm(grad(theta)) / np.linalg.norm(grad(np.zeros_like(theta))))


# ---------------------------------------------------------------- implicit intercept
@pytest.mark.parametrize("family, opts", [
    ("bernoulli", {}), ("poisson", {}), ("gamma", {}), ("categorical", {"n_classes": 3}),
    ("normal", {"heteroscedastic": True}), ("negativebinomial", {}),
], ids=["bernoulli", "poisson", "gamma", "categorical", "normal-hetero", "negbin"])
@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
def test_implicit_intercept_sums_equal_explicit_column(family, opts, weighted):
    kind = family if family in ("bernoulli", "poisson", "gamma", "categorical") else "normal"
    X, y = _data(kind, 3_000, 4, seed=1)
    if family == "negativebinomial":
        y = np.round(np.abs(y) * 3)
    rng = np.random.default_rng(2)
    w = rng.uniform(0.5, 2.0, len(y)) if weighted else None
    off = rng.normal(scale=0.1, size=len(y))
    model = make_model(family, **opts)
    D = np.column_stack([np.ones(len(y)), X])
    implicit = InMemorySums(X, y, model, w, off, intercept=True, chunk_rows=700)
    explicit = InMemorySums(D, y, model, w, off, chunk_rows=700)
    assert implicit.p == explicit.p and implicit.n_params == explicit.n_params
    theta = rng.normal(scale=0.1, size=explicit.n_params)
    f1, g1, h1 = implicit.nll_grad_hess(theta)
    f2, g2, h2 = explicit.nll_grad_hess(theta)
    np.testing.assert_allclose(f1, f2, rtol=1e-12)
    np.testing.assert_allclose(g1, g2, rtol=1e-10, atol=1e-9 * np.max(np.abs(g2)))
    np.testing.assert_allclose(h1, h2, rtol=1e-10, atol=1e-10 * np.max(np.abs(h2)))
    np.testing.assert_allclose(h1, h1.T, rtol=0, atol=0)
    np.testing.assert_allclose(implicit.nll(theta), f2, rtol=1e-12)
    np.testing.assert_allclose(implicit.eta(theta), explicit.eta(theta), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(implicit.score_outer(theta), explicit.score_outer(theta),
                               rtol=1e-10)
    # ∇f(0) summed during the first pass equals a pass at 0
    np.testing.assert_allclose(implicit.grad_at_zero(),
                               explicit.nll_grad_hess(np.zeros_like(theta), hessian=False)[1],
                               rtol=1e-10, atol=1e-9)
    null_i, null_e = implicit.restrict([0]), explicit.restrict([0])
    t0 = theta[:null_e.n_params]
    np.testing.assert_allclose(null_i.nll_grad_hess(t0)[2], null_e.nll_grad_hess(t0)[2],
                               rtol=1e-10)


@pytest.mark.parametrize("family", ["bernoulli", "poisson", "gamma"])
def test_fit_with_intercept_equals_explicit_column(family):
    X, y = _data(family, 2_000, 3, seed=3)
    link = "log" if family == "gamma" else None  # θ = 0 lies inside the log link's domain
    a = Regression(family=family, link=link, tol=1e-12).fit(X, y)
    b = Regression(family=family, link=link, fit_intercept=False, tol=1e-12).fit(
        np.column_stack([np.ones(len(y)), X]), y)
    np.testing.assert_allclose(a.result_.params, b.result_.params, rtol=1e-7, atol=1e-9)
    np.testing.assert_allclose(a.result_.bse, b.result_.bse, rtol=1e-7)
    np.testing.assert_allclose(a.result_.llf, b.result_.llf, rtol=1e-12)


# ---------------------------------------------------------------- warm start + stopping rule
@pytest.mark.parametrize("family", ["bernoulli", "poisson"])
def test_large_n_fit_matches_statsmodels_and_meets_the_gradient_target(family):
    sm = pytest.importorskip("statsmodels.api")
    X, y = _data(family, 120_000, 6, seed=4)  # large enough for the subsample warm start
    m = Regression(family=family).fit(X, y)
    theta = np.r_[m.intercept_, m.coef_]
    assert _rel_grad(family, X, y, theta) <= 1e-8
    D = sm.add_constant(X, prepend=True)
    ref = (sm.Logit(y, D) if family == "bernoulli" else sm.Poisson(y, D)).fit(
        method="newton", disp=0, tol=1e-12, maxiter=100)
    np.testing.assert_allclose(theta, ref.params, rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(m.result_.bse, ref.bse, rtol=1e-6)
    np.testing.assert_allclose(m.result_.llf, ref.llf, rtol=1e-10)
    np.testing.assert_allclose(m.result_.llnull, ref.llnull, rtol=1e-9)


@pytest.mark.parametrize("family", ["bernoulli", "poisson"])
def test_deviance_from_the_saturated_nll_equals_the_row_sum(family):
    X, y = _data(family, 5_000, 3, seed=5)
    m = Regression(family=family).fit(X, y)
    model = make_model(family)
    sums = InMemorySums(X, y, model, intercept=True)
    direct = sums.map_rows(model.unit_deviance, m.result_.theta)
    np.testing.assert_allclose(m.result_.deviance, direct, rtol=1e-10)


def test_max_abs_eta_is_chunked_max():
    X, y = _data("bernoulli", 5_000, 3, seed=6)
    sums = InMemorySums(X, y, make_model("bernoulli"), intercept=True, chunk_rows=333)
    theta = np.array([0.3, 1.0, -2.0, 0.5])
    assert sums.max_abs_eta(theta) == pytest.approx(np.max(np.abs(X @ theta[1:] + 0.3)))


# ---------------------------------------------------------------- memory
def _peak_extra(fn) -> int:
    gc.collect()
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        base = tracemalloc.get_traced_memory()[0]
        fn()
        return tracemalloc.get_traced_memory()[1] - base
    finally:
        tracemalloc.stop()


@pytest.mark.parametrize("family", ["bernoulli", "poisson"])
def test_fit_allocates_little_beyond_X(family):
    """The fit never copies X: peak traced allocations stay below 15% of X.nbytes
    (NumPy reports its buffers to tracemalloc; measured ~6-9%)."""
    X, y = _data(family, 200_000, 20, seed=7)
    Regression(family=family).fit(X[:20_000], y[:20_000])  # imports and caches, untraced
    peak = _peak_extra(lambda: Regression(family=family).fit(X, y))
    assert peak < 0.15 * X.nbytes, f"peak extra {peak / X.nbytes:.1%} of X"


# ---------------------------------------------------------------- Dask backend
@pytest.mark.parametrize("family", ["bernoulli", "poisson"])
def test_dask_sums_implicit_intercept_equal_explicit_column(family):
    da = pytest.importorskip("dask.array")
    import dask

    from mlekit.distributed._sums import DaskSums

    X, y = _data(family, 2_000, 3, seed=8)
    model = make_model(family)
    D = np.column_stack([np.ones(len(y)), X])
    theta = np.array([0.1, 0.2, -0.1, 0.05])
    with dask.config.set(scheduler="synchronous"):
        implicit = DaskSums(da.from_array(X, chunks=(500, 3)), da.from_array(y, chunks=500),
                            model, intercept=True)
        explicit = DaskSums(da.from_array(D, chunks=(500, 4)), da.from_array(y, chunks=500),
                            model)
        f1, g1, h1 = implicit.nll_grad_hess(theta)
        f2, g2, h2 = explicit.nll_grad_hess(theta)
        np.testing.assert_allclose(f1, f2, rtol=1e-12)
        np.testing.assert_allclose(g1, g2, rtol=1e-10, atol=1e-10)
        np.testing.assert_allclose(h1, h2, rtol=1e-10)
        np.testing.assert_allclose(implicit.grad_at_zero(), explicit.grad_at_zero(), rtol=1e-10)
        np.testing.assert_allclose(implicit.predictors(theta).compute(),
                                   explicit.predictors(theta).compute(), rtol=1e-12)
        null_i, null_e = implicit.restrict([0]), explicit.restrict([0])
        np.testing.assert_allclose(null_i.nll_grad_hess(theta[:1])[1],
                                   null_e.nll_grad_hess(theta[:1])[1], rtol=1e-10)
