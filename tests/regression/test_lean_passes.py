"""The lean passes of canonical one-slot models (``ℓ = a(η) - yη + c(y)``), the
single-precision Gram, the sampled preconditioner and the solver's hand-off stop."""

from __future__ import annotations

import numpy as np
import pytest

from mlekit.regression import InMemorySums, Regression
from mlekit.regression._least_squares import gram32_safe as _gram32_safe
from mlekit.regression._models import make_model


def _data(family: str, n: int, p: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, p))
    eta = X @ rng.normal(scale=1.0 / np.sqrt(p), size=p) + 0.2
    if family == "bernoulli":
        y = (rng.random(n) < 1.0 / (1.0 + np.exp(-eta))).astype(float)
    else:
        y = rng.poisson(np.exp(0.3 * eta)).astype(float)
    return X, y


def _general(sums: InMemorySums) -> InMemorySums:
    """The same sums through the model's generic per-row derivatives (no cumulant)."""
    twin = InMemorySums(sums.X, sums.y, sums.model, sums.w, sums.offset, sums.aux,
                        sums.chunk_rows, sums.n_threads, intercept=sums.intercept)
    twin._cum = None
    return twin


@pytest.mark.parametrize("family", ["bernoulli", "poisson"])
@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
@pytest.mark.parametrize("intercept", [True, False], ids=["implicit", "no-intercept"])
def test_lean_pass_equals_the_generic_rows(family, weighted, intercept):
    X, y = _data(family, 3_000, 4, seed=1)
    rng = np.random.default_rng(2)
    w = rng.uniform(0.5, 2.0, len(y)) if weighted else None
    off = rng.normal(scale=0.1, size=len(y))
    model = make_model(family)
    lean = InMemorySums(X, y, model, w, off, intercept=intercept, chunk_rows=700)
    assert lean._cum is not None
    ref = _general(lean)
    theta = rng.normal(scale=0.2, size=lean.n_params)
    f1, g1, h1 = lean.nll_grad_hess(theta)  # the first pass also sums ∇f(0)
    f2, g2, h2 = ref.nll_grad_hess(theta)
    np.testing.assert_allclose(f1, f2, rtol=1e-12)
    np.testing.assert_allclose(g1, g2, rtol=1e-10, atol=1e-10 * np.max(np.abs(g2)))
    np.testing.assert_allclose(h1, h2, rtol=1e-10, atol=1e-12 * np.max(np.abs(h2)))
    np.testing.assert_allclose(lean.grad_at_zero(), ref.grad_at_zero(), rtol=1e-10,
                               atol=1e-10 * np.max(np.abs(ref.grad_at_zero())))
    np.testing.assert_allclose(lean.nll(theta), ref.nll(theta), rtol=1e-12)
    # a gradient-only pass: the same gradient; F skipped only where it costs (logit)
    f3, g3, h3 = lean.nll_grad_hess(theta, hessian=False, value=False)
    assert h3 is None
    np.testing.assert_allclose(g3, g2, rtol=1e-10, atol=1e-10 * np.max(np.abs(g2)))
    if family == "bernoulli":
        assert lean.value_is_optional and np.isnan(f3)
    else:
        assert not lean.value_is_optional
        np.testing.assert_allclose(f3, f2, rtol=1e-12)


@pytest.mark.parametrize("family", ["bernoulli", "poisson"])
def test_single_precision_gram_is_close_and_falls_back_beyond_float32_range(family):
    X, y = _data(family, 20_000, 6, seed=3)
    sums = InMemorySums(X, y, make_model(family), intercept=True, chunk_rows=2_000)
    theta = np.r_[0.1, np.full(6, 0.05)]
    h64 = sums.nll_grad_hess(theta)[2]
    sums.gram32 = True
    h32 = sums.nll_grad_hess(theta)[2]
    assert np.max(np.abs(h32 - h64)) <= 1e-6 * np.max(np.abs(h64))
    np.testing.assert_allclose(h32, h32.T, rtol=0, atol=0)
    se64 = np.sqrt(np.diag(np.linalg.inv(h64)))
    se32 = np.sqrt(np.diag(np.linalg.inv(h32)))
    np.testing.assert_allclose(se32, se64, rtol=1e-6)
    # a column at 1e25 squares beyond float32's range: that chunk runs in double
    big = X.copy()
    big[:, 0] *= 1e25
    sums = InMemorySums(big, y, make_model(family), intercept=True, chunk_rows=2_000)
    th = theta.copy()
    th[1] *= 1e-25
    ref = sums.nll_grad_hess(th)[2]
    sums.gram32 = True
    h = sums.nll_grad_hess(th)[2]
    assert np.all(np.isfinite(h))
    np.testing.assert_allclose(h, ref, rtol=1e-5)


def test_gram32_is_allowed_only_for_well_conditioned_moderate_designs():
    X, y = _data("bernoulli", 20_000, 5, seed=4)
    sums = InMemorySums(X, y, make_model("bernoulli"), intercept=True)
    h = sums.nll_grad_hess(np.zeros(6))[2]
    assert _gram32_safe(h, sums.p, sums.sum_weights)
    near = X.copy()
    near[:, 1] = near[:, 0] + 1e-3 * near[:, 1]  # nearly collinear: κ ~ 1e6
    hn = InMemorySums(near, y, make_model("bernoulli"), intercept=True).nll_grad_hess(
        np.zeros(6))[2]
    assert not _gram32_safe(hn, sums.p, sums.sum_weights)
    huge = X.copy()
    huge[:, 2] *= 1e15
    hh = InMemorySums(huge, y, make_model("bernoulli"), intercept=True).nll_grad_hess(
        np.zeros(6))[2]
    assert not _gram32_safe(hh, sums.p, sums.sum_weights)


def test_sampled_hessian_estimates_the_full_one_within_a_gradient_pass():
    X, y = _data("poisson", 200_000, 5, seed=5)
    sums = InMemorySums(X, y, make_model("poisson"), intercept=True, chunk_rows=2_000)
    theta = np.r_[0.2, np.full(5, 0.05)]
    f, g, full = sums.nll_grad_hess(theta)
    f1, g1, every1 = sums.nll_grad_hess(theta, hessian=False, sample_every=1)
    np.testing.assert_allclose(g1, g, rtol=1e-12)  # the gradient pass is unchanged
    np.testing.assert_allclose(f1, f, rtol=1e-12)
    assert np.max(np.abs(every1 - full)) <= 1e-6 * np.max(np.abs(full))  # float32 Gram
    quarter = sums.nll_grad_hess(theta, hessian=False, sample_every=4)[2]
    rel = np.linalg.norm(np.linalg.solve(full, quarter) - np.eye(6), 2)
    assert rel < 0.05  # sampling error ~ sqrt(P / rows) = 0.01
    assert sums.nll_grad_hess(theta, hessian=False, sample_every=40)[2] is None  # < 8 chunks
    w = np.random.default_rng(0).uniform(0.5, 2.0, len(y))  # weights: scaled by Σw
    ws = InMemorySums(X, y, make_model("poisson"), w, intercept=True, chunk_rows=2_000)
    wq = ws.nll_grad_hess(theta, hessian=False, sample_every=4)[2]
    wfull = ws.nll_grad_hess(theta)[2]
    assert np.linalg.norm(np.linalg.solve(wfull, wq) - np.eye(6), 2) < 0.05


@pytest.mark.parametrize("family", ["bernoulli", "poisson"])
def test_extreme_linear_predictors_stay_finite_or_infinite_never_nan(family):
    X = np.array([[1.0], [-1.0], [2.0], [0.5]])
    y = np.array([1.0, 0.0, 1.0, 0.0]) if family == "bernoulli" else np.array([3., 0, 1, 2])
    sums = InMemorySums(X, y, make_model(family), intercept=False)
    for scale in (1e3, -1e3):
        f, g, h = sums.nll_grad_hess(np.array([scale]))
        assert not np.isnan(f) and np.all(np.isfinite(g) | (family == "poisson"))
        if family == "bernoulli":
            assert np.isfinite(f) and np.all(np.isfinite(h)) and h[0, 0] >= 0
    if family == "poisson":
        assert sums.nll(np.array([800.0])) == np.inf  # e^800 overflows: +inf, not NaN


@pytest.mark.parametrize("family", ["bernoulli", "poisson"])
@pytest.mark.parametrize("well_conditioned", [True, False], ids=["gram32", "gram64"])
def test_handoff_stop_meets_the_gradient_target_with_exact_standard_errors(
        family, well_conditioned):
    X, y = _data(family, 150_000, 8, seed=6)
    if not well_conditioned:  # correlated columns: κ well above the float32 limit
        X[:, 1] = X[:, 0] + 0.01 * X[:, 1]
    m = Regression(family=family).fit(X, y)
    assert m.result_.converged
    theta = m.result_.theta
    sums = InMemorySums(X, y, make_model(family), intercept=True)
    f, g, h = sums.nll_grad_hess(theta)
    g0 = sums.grad_at_zero()
    assert np.linalg.norm(g) <= 1e-8 * np.linalg.norm(g0)
    np.testing.assert_allclose(m.result_.bse, np.sqrt(np.diag(np.linalg.inv(h))), rtol=1e-6)
    np.testing.assert_allclose(m.result_.llf, -f, rtol=1e-12)


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
@pytest.mark.parametrize("row", [0, 123_457])  # in the warm-start sample or not
def test_large_fit_names_a_non_finite_x_found_by_the_first_pass(bad, row):
    from mlekit.errors import DataError

    X, y = _data("bernoulli", 150_000, 4, seed=7)
    X[row, 2] = bad
    kind = "NaN" if np.isnan(bad) else "infinite"
    with pytest.raises(DataError, match=f"column 'x2' contains a {kind} value at row {row}"):
        Regression(family="bernoulli").fit(X, y)


def test_huge_but_finite_x_is_not_reported_as_non_finite():
    X, y = _data("poisson", 150_000, 3, seed=8)
    sums = InMemorySums(X * 1e300, y, make_model("poisson"), intercept=True)
    sums.finite_names = ["a", "b", "c"]
    sums.nll_grad_hess(np.array([0.0, 1.0, 1.0, 1.0]))  # η overflows to inf: scanned, fine
    assert sums.finite_names is None


@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
def test_sums_over_y_use_the_table_of_integer_values(weighted):
    from scipy.special import gammaln

    X, y = _data("poisson", 50_000, 2, seed=9)
    w = np.random.default_rng(1).uniform(0.5, 2.0, len(y)) if weighted else None
    model = make_model("poisson")
    sums = InMemorySums(X, y, model, w, intercept=True)
    direct = float(np.sum(gammaln(y + 1) * (1.0 if w is None else w)))
    np.testing.assert_allclose(sums.map_y(lambda yy, aux: gammaln(yy + 1)), direct, rtol=1e-13)
    assert sums._y_table() is not None
    sat = model.saturated_nll(y, {})
    np.testing.assert_allclose(sums.map_y(model.saturated_nll),
                               float(np.sum(sat * (1.0 if w is None else w))), rtol=1e-13)
    # non-integer or out-of-range y: the rows are summed directly
    for yy in (y + 0.5, y * 1e6):
        other = InMemorySums(X, yy, make_model("gamma"), w, intercept=True)
        assert other._y_table() is None
        np.testing.assert_allclose(other.map_y(lambda v, aux: np.log1p(v)),
                                   float(np.sum(np.log1p(yy) * (1.0 if w is None else w))),
                                   rtol=1e-12)


def test_large_fit_with_collinear_columns_is_refused_by_the_float64_rank_check():
    from mlekit.errors import SingularMatrixError

    X, y = _data("poisson", 150_000, 4, seed=10)
    X[:, 3] = 2.0 * X[:, 1] - X[:, 0]  # exactly dependent
    with pytest.raises(SingularMatrixError, match=r"x3|x1|x0"):
        Regression(family="poisson").fit(X, y)
