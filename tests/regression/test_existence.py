"""The MLE does not exist -> NoMaximumError (issue #22, part 2); where it exists, the fit
agrees with statsmodels' GLM.

The rule (regression._diagnostics, module docstring): for a family whose mean reaches a
value the data attain only as the linear predictor runs to infinity, the MLE does not
exist iff some direction d != 0 has x'd <= 0 on rows at the lower bound (y = 0), >= 0 on
rows at the upper bound (y = trials, y = 1) and = 0 on every other row.
"""

import warnings

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

import mlekit as mk
from mlekit.errors import NoMaximumError, SeparationError
from mlekit.regression import Regression
from mlekit.regression._diagnostics import existence_boundary, recession_direction
from mlekit.regression._models import MODELS, make_model


def rel(a, b):
    a, b = np.asarray(a, float), np.asarray(b, float)
    return float(np.max(np.abs(a - b) / np.maximum(np.abs(b), 1e-12)))


def _fit(est, X, y, **kw):
    """Fit with every warning an error: no raw RuntimeWarning may escape on the way."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        return est.fit(X, y, **kw)


def _levels(n_per=12, k=3, seed=0):
    """A factor with k levels as treatment dummies named like formulaic's ('g[T.b]', ...)."""
    rng = np.random.default_rng(seed)
    g = np.repeat(np.arange(k), n_per)
    X = pd.DataFrame({f"g[T.{'abcdef'[j]}]": (g == j).astype(float) for j in range(1, k)})
    X["x"] = rng.normal(size=g.size)
    return g, X, rng


COUNTS = [("poisson", {}), ("negativebinomial", {}), ("negativebinomial", {"alpha": 1.0})]
COUNT_IDS = ["poisson", "negbin", "geometric(nb alpha=1)"]


# ---------------------------------------------------------------------- every y at a bound
@pytest.mark.parametrize("fam,fixed", COUNTS, ids=COUNT_IDS)
def test_counts_all_zero_refused_without_runtime_warning(fam, fixed):
    X = np.random.default_rng(1).normal(size=(30, 2))
    with pytest.raises(NoMaximumError, match="every y is 0"):
        _fit(Regression(fam, fixed=fixed or None), X, np.zeros(30))
    # a prior on the slopes does not help the (unpenalised) intercept
    with pytest.raises(NoMaximumError, match="every y is 0"):
        _fit(Regression(fam, fixed=fixed or None, alpha_l2=1.0), X, np.zeros(30))


def test_poisson_identity_link_all_zero_refused():
    X = np.abs(np.random.default_rng(1).normal(size=(20, 1)))
    with pytest.raises(NoMaximumError, match="every y is 0"):
        _fit(Regression("poisson", link="identity"), X, np.zeros(20))


@pytest.mark.parametrize("link", ["identity", "sqrt"])
def test_count_level_all_zero_finite_bound_links(link):
    # the level's mean runs to 0 at a finite eta: outside the domain mean > 0 (before the
    # fix the identity link returned the level's coefficient 0, SE 0, converged=True)
    g, X, rng = _levels(seed=18)
    y = rng.poisson(3.0, g.size).astype(float)
    y[g == 1] = 0
    with pytest.raises(NoMaximumError, match=r"'g\[T.b\]'.*fitted mean of those rows"):
        _fit(Regression("poisson", link=link), X.drop(columns="x"), y)


def test_all_zero_without_intercept():
    # a positive column: beta -> -inf
    X = np.abs(np.random.default_rng(2).normal(size=(10, 1))) + 0.5
    with pytest.raises(NoMaximumError, match="'x0' is non-zero only on rows with y = 0"):
        _fit(Regression("poisson", fit_intercept=False), X, np.zeros(10))
    # x = +-1: l(b) = -5 e^b - 5 e^-b has its maximum at b = 0 (the MLE exists)
    X = np.repeat([[1.0], [-1.0]], 5, axis=0)
    m = _fit(Regression("poisson", fit_intercept=False), X, np.zeros(10))
    assert abs(m.coef_[0]) < 1e-8 and m.result_.converged


def test_binomial_every_y_at_trials():
    X = np.random.default_rng(3).normal(size=(15, 1))
    n = np.full(15, 4.0)
    with pytest.raises(SeparationError, match="every y is trials"):
        _fit(Regression("binomial"), X, n, trials=n)


# ---------------------------------------------------------------------- a level at a bound
@pytest.mark.parametrize("fam,fixed", COUNTS, ids=COUNT_IDS)
def test_count_level_all_zero_named(fam, fixed):
    g, X, rng = _levels()
    y = rng.negative_binomial(2, 0.4, g.size).astype(float)  # overdispersed (NB's alpha > 0)
    y[g == 1] = 0
    with pytest.raises(NoMaximumError) as info:
        _fit(Regression(fam, fixed=fixed or None), X, y)
    msg = str(info.value)
    assert "'g[T.b]' is non-zero only on rows with y = 0" in msg
    assert "-infinity" in msg and "does not exist" in msg
    assert "zero-inflated or hurdle" in msg and "alpha_l2" in msg
    # ... with an offset, too (the rule does not depend on finite offsets)
    with pytest.raises(NoMaximumError, match=r"g\[T.b\]"):
        _fit(Regression(fam, fixed=fixed or None), X, y, offset=rng.normal(size=g.size))
    # a prior on the slopes gives a MAP that exists
    m = _fit(Regression(fam, fixed=fixed or None, alpha_l2=1.0), X, y)
    assert m.result_.converged and np.all(np.isfinite(m.result_.bse))


@pytest.mark.parametrize("two_columns", [False, True], ids=["trials=", "(succ, fail)"])
def test_binomial_level_all_successes(two_columns):
    g, X, rng = _levels(seed=4)
    n = rng.integers(1, 6, g.size).astype(float)
    y = rng.binomial(n.astype(int), 0.4).astype(float)
    y[g == 2] = n[g == 2]
    est = Regression("binomial")
    with pytest.raises(SeparationError) as info:
        if two_columns:
            _fit(est, X, np.column_stack([y, n - y]))
        else:
            _fit(est, X, y, trials=n)
    assert isinstance(info.value, NoMaximumError)
    assert "'g[T.c]' is non-zero only on rows with y = trials" in str(info.value)
    assert "+infinity" in str(info.value)


@pytest.mark.parametrize("link", ["logit", "probit", "cloglog"])
@pytest.mark.parametrize("intercept", [True, False])
def test_bernoulli_level_one_class(link, intercept):
    g, X, rng = _levels(seed=5)
    y = (rng.random(g.size) < 0.5).astype(float)
    y[g == 1] = 1.0
    y[np.flatnonzero(g == 0)[:2]] = [0.0, 1.0]
    if not intercept:
        X = X.assign(**{"g[T.a]": (g == 0).astype(float)})
    with pytest.raises(SeparationError, match=r"g\[T.b\]"):
        _fit(Regression("bernoulli", link=link, fit_intercept=intercept), X, y)


def test_bernoulli_log_link_level_of_zeros():
    g, X, rng = _levels(seed=6)
    y = (rng.random(g.size) < 0.3).astype(float)
    y[g == 1] = 0.0
    y[np.flatnonzero(g == 0)[0]] = 1.0
    with pytest.raises(SeparationError, match=r"'g\[T.b\]' is non-zero only on rows with y = 0"):
        _fit(Regression("bernoulli", link="log"), X, y)


def test_count_level_no_intercept():
    g, X, rng = _levels(seed=7)
    X = X.assign(**{"g[T.a]": (g == 0).astype(float)})
    y = rng.poisson(2.0, g.size).astype(float)
    y[g == 0] = 0
    with pytest.raises(NoMaximumError, match=r"'g\[T.a\]' is non-zero only"):
        _fit(Regression("poisson", fit_intercept=False), X, y)


# ---------------------------------------------------------------------- combinations (LP)
def _combination(n=120, seed=8):
    """x1 == x2 on the interior rows, x2 > x1 on the rows at the bound: d = (0, 1, -1)."""
    rng = np.random.default_rng(seed)
    x1 = rng.normal(size=n)
    x2 = x1.copy()
    at = rng.random(n) < 0.3
    x2[at] += np.abs(rng.normal(size=at.sum())) + 0.1
    return pd.DataFrame({"x1": x1, "x2": x2}), at, rng


@pytest.mark.parametrize("fam", ["poisson", "negativebinomial"])
def test_count_combination_found_by_lp(fam):
    X, at, rng = _combination()
    y = rng.poisson(np.exp(0.5 + 0.3 * X["x1"])).astype(float)
    y[at] = 0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", mk.errors.ConvergenceWarning)  # (NB: before the LP)
        warnings.simplefilter("error", RuntimeWarning)
        with pytest.raises(NoMaximumError, match="a combination of columns led by") as info:
            Regression(fam).fit(X, y)
    assert "'x1', 'x2'" in str(info.value)


def test_binomial_combination_found_by_lp():
    X, at, rng = _combination(seed=9)
    n = np.full(len(X), 4.0)
    y = rng.binomial(4, 0.4, len(X)).astype(float)
    y[at] = 4.0
    with pytest.raises(SeparationError, match="combination of columns"):
        _fit(Regression("binomial", link="probit"), X, y, trials=n)


def test_recession_lp_exact_small_cases():
    # one interior row at x = 0 and bound rows on both sides: no direction (MLE exists)
    N = np.eye(2)
    DL = np.array([[1.0, -1.0], [1.0, 1.0]])
    assert recession_direction(DL, np.zeros((0, 2)), np.array([[0.0], [1.0]])) is None
    # every lower row has x >= 0: d = (0, -1) in the null space of the interior (x = 0)
    d = recession_direction(np.array([[1.0, 1.0], [1.0, 2.0]]), np.zeros((0, 2)),
                            np.array([[0.0], [1.0]]))
    assert d is not None and d[1] < 0 and d[0] == 0
    assert recession_direction(DL, np.zeros((0, 2)), N[:, :0]) is None


# ---------------------------------------------------------------------- weights
def test_zero_weight_row_neither_creates_nor_hides():
    g, X, rng = _levels(seed=10)
    y = rng.poisson(3.0, g.size).astype(float)
    y[g == 1] = 0
    w = np.ones(g.size)
    i = int(np.flatnonzero(g == 1)[0])
    y[i], w[i] = 5.0, 0.0  # a zero-weight row must not hide the empty level
    with pytest.raises(NoMaximumError, match=r"'g\[T.b\]'.*with non-zero weight"):
        _fit(Regression("poisson"), X, y, sample_weight=w)
    # ... nor create one: the level has a positive y with weight; the zero-weight rows
    # are dropped, and the fit equals statsmodels' on the rows with weight
    y[i], w[i] = 5.0, 1.0
    j = int(np.flatnonzero(g == 2)[0])
    w[j] = 0.0
    m = _fit(Regression("poisson"), X, y, sample_weight=w)
    keep = w > 0
    ref = sm.GLM(y[keep], sm.add_constant(X[keep]), family=sm.families.Poisson()).fit(tol=1e-12)
    assert rel(m.result_.params, ref.params) < 1e-6
    assert rel(m.result_.bse, ref.bse) < 1e-6
    # every y with non-zero weight is 0
    y0, w0 = np.zeros(g.size), np.ones(g.size)
    y0[3], w0[3] = 4.0, 0.0
    with pytest.raises(NoMaximumError, match="every y with non-zero weight is 0"):
        _fit(Regression("poisson"), X, y0, sample_weight=w0)


def test_bernoulli_zero_weight_row_does_not_hide_separation():
    rng = np.random.default_rng(11)
    x = rng.normal(size=40)
    y = (x > 0).astype(float)
    y[np.argmax(x)] = 0.0  # would break the separation ...
    w = np.ones(40)
    w[np.argmax(x)] = 0.0  # ... but has no weight
    with pytest.raises(SeparationError, match="separates y"):
        _fit(Regression("bernoulli"), x[:, None], y, sample_weight=w)
    w2 = np.ones(40)
    w2[y == 1] = 0.0
    with pytest.raises(SeparationError, match="every row with non-zero weight has y = 0"):
        _fit(Regression("bernoulli"), x[:, None], y, sample_weight=w2)


# ---------------------------------------------------------------------- multinomial
def test_categorical_class_absent_from_a_level():
    g, X, rng = _levels(n_per=15, seed=12)
    y = rng.choice(np.array(["p", "q", "r"]), g.size)
    y[g == 2] = np.where(rng.random((g == 2).sum()) < 0.5, "p", "q")  # no 'r' in level c
    with pytest.raises(SeparationError, match="y == 'r'"):
        _fit(Regression("categorical"), X, y)


def _sectors(n=150, seed=19):
    """Three classes in three 120-degree sectors around the origin: no class is apart
    from the other two (one-vs-rest), but x'u_k is largest for the sector's own u_k."""
    rng = np.random.default_rng(seed)
    ang, r = rng.uniform(0, 2 * np.pi, n), rng.uniform(0.2, 2.0, n)
    X = np.column_stack([r * np.cos(ang), r * np.sin(ang)])
    return X, np.array(["p", "q", "r"])[(ang // (2 * np.pi / 3)).astype(int)], rng


def test_categorical_joint_separation_found_by_multinomial_lp():
    X, y, _ = _sectors()
    with pytest.raises(SeparationError, match="separated by a combination of columns"):
        _fit(Regression("categorical"), X, y)


def test_categorical_overlapping_sectors_match_statsmodels():
    X, y, rng = _sectors(seed=20)
    flip = rng.random(len(y)) < 0.25
    y[flip] = rng.choice(["p", "q", "r"], flip.sum())
    m = _fit(Regression("categorical"), X, y)
    codes = np.searchsorted(["p", "q", "r"], y)
    ref = sm.MNLogit(codes, sm.add_constant(X)).fit(method="newton", tol=1e-12, disp=0)
    assert m.result_.converged
    assert rel(np.column_stack([m.intercept_, m.coef_]), np.asarray(ref.params).T) < 1e-6


# ---------------------------------------------------------------------- controls: MLE exists
def test_rare_level_poisson_matches_statsmodels():
    g, X, rng = _levels(n_per=20, seed=13)
    y = rng.poisson(3.0, g.size).astype(float)
    y[g == 1] = 0
    y[np.flatnonzero(g == 1)[4]] = 1  # rare, not empty
    off = 0.1 * rng.normal(size=g.size)
    m = _fit(Regression("poisson"), X, y, offset=off)
    ref = sm.GLM(y, sm.add_constant(X), family=sm.families.Poisson(), offset=off).fit(tol=1e-13)
    assert m.result_.converged
    assert rel(m.result_.params, ref.params) < 1e-6
    assert rel(m.result_.bse, ref.bse) < 1e-6
    assert list(m.result_.params.index) == ["Intercept", "g[T.b]", "g[T.c]", "x"]


def test_rare_level_negbin_fixed_alpha_matches_statsmodels():
    g, X, rng = _levels(n_per=20, seed=14)
    y = rng.negative_binomial(2, 0.4, g.size).astype(float)
    y[g == 2] = 0
    y[np.flatnonzero(g == 2)[0]] = 2
    m = _fit(Regression("negativebinomial", fixed={"alpha": 1.0}, information="expected"), X, y)
    ref = sm.GLM(y, sm.add_constant(X),
                 family=sm.families.NegativeBinomial(alpha=1.0)).fit(tol=1e-13)
    assert rel(m.result_.params, ref.params) < 1e-6
    assert rel(m.result_.bse, ref.bse) < 1e-6


@pytest.mark.parametrize("link", ["logit", "probit", "cloglog"])
def test_rare_failure_binomial_matches_statsmodels(link):
    g, X, rng = _levels(n_per=20, seed=15)
    n = rng.integers(1, 6, g.size).astype(float)
    y = rng.binomial(n.astype(int), 0.4).astype(float)
    y[g == 2] = n[g == 2]
    y[np.flatnonzero(g == 2)[0]] -= 1  # one failure in level c
    m = _fit(Regression("binomial", link=link, information="expected"), X, y, trials=n)
    links = {"logit": sm.families.links.Logit(), "probit": sm.families.links.Probit(),
             "cloglog": sm.families.links.CLogLog()}
    ref = sm.GLM(np.column_stack([y, n - y]), sm.add_constant(X),
                 family=sm.families.Binomial(link=links[link])).fit(tol=1e-13)
    assert m.result_.converged
    assert rel(m.result_.params, ref.params) < 1e-6
    assert rel(m.result_.bse, ref.bse) < 1e-6


# ---------------------------------------------------------------------- registry
EXPECTED = {  # family -> link -> (lower bound at -inf, upper bound at +inf)
    "poisson": {"log": (True, False)},
    "negativebinomial": {"log": (True, False)},
    "binomial": {"logit": (True, True), "probit": (True, True), "cloglog": (True, True),
                 "log": (True, False)},
    "bernoulli": {"logit": (True, True), "probit": (True, True), "cloglog": (True, True),
                  "log": (True, False)},
}


@pytest.mark.parametrize("fam", sorted(MODELS))
def test_every_registered_family_and_link_is_classified(fam):
    cls = MODELS[fam]
    for link in cls.allowed_links:
        model = make_model(fam, link, n_classes=3) if fam == "categorical" else \
            make_model(fam, link)
        bd = existence_boundary(model)
        want = EXPECTED.get(fam, {}).get(link)
        if want is None:
            # no bound reached at |eta| = inf (or a finite one: count identity / sqrt)
            assert bd is None or not bd.at_infinity, (fam, link)
        else:
            assert bd is not None and bd.at_infinity and (bd.lower, bd.upper) == want


# ---------------------------------------------------------------------- Dask
def test_dask_same_rule():
    da = pytest.importorskip("dask.array")
    from mlekit.distributed import fit_regression

    g, X, rng = _levels(n_per=100, seed=16)
    y = rng.poisson(2.0, g.size).astype(float)
    y[g == 1] = 0
    Xd, yd = da.from_array(X.to_numpy(), chunks=(150, 3)), da.from_array(y, chunks=150)
    with pytest.raises(NoMaximumError, match="'x0' is non-zero only on rows with y = 0"):
        fit_regression(Regression("poisson"), Xd, yd)
    Xc, at, rng = _combination(n=300, seed=17)
    yc = rng.poisson(np.exp(0.5 + 0.3 * Xc["x1"])).astype(float)
    yc[at] = 0
    with pytest.raises(NoMaximumError, match="combination of columns"):
        fit_regression(Regression("poisson"), da.from_array(Xc.to_numpy(), chunks=(150, 2)),
                       da.from_array(yc, chunks=150))
    # control: the MLE exists; same answer as in memory
    yc = rng.poisson(np.exp(0.5 + 0.3 * Xc["x1"])).astype(float)
    m = fit_regression(Regression("poisson"), da.from_array(Xc.to_numpy(), chunks=(150, 2)),
                       da.from_array(yc, chunks=150))
    ref = Regression("poisson").fit(Xc.to_numpy(), yc)
    assert m.result_.converged
    assert rel(m.result_.params, ref.result_.params) < 1e-6
