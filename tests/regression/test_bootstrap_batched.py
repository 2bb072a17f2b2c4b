"""Bootstrap refits many at once (mlekit.regression._replicates) equal the refits one at a
time through the whole pipeline, and hand back every replicate they cannot vouch for."""

from __future__ import annotations

import numpy as np
import pytest

import mlekit as mk
from mlekit.estimate._bootstrap import run_bootstrap
from mlekit.regression import _replicates
from mlekit.regression._intervals import _RegressionReplicate, bootstrap_conf_int

GEN = np.random.default_rng(20261206)
N, P = 300, 3
X = GEN.normal(size=(N, P))
BETA = np.array([0.8, -0.5, 0.3])
Y_BIN = (GEN.random(N) < 1.0 / (1.0 + np.exp(-(X @ BETA)))).astype(float)
Y_CNT = GEN.poisson(np.exp(0.2 + 0.5 * (X @ BETA))).astype(float)
OFFSET = 0.1 * GEN.normal(size=N)
WEIGHTS = GEN.integers(1, 4, N).astype(float)
TRIALS = GEN.integers(1, 8, N).astype(float)
Y_SUCC = GEN.binomial(TRIALS.astype(int), 1.0 / (1.0 + np.exp(-(X @ BETA)))).astype(float)


def _replicates_of(est, X, y, mode, rows, batch, B=24, seed=5):
    predictive = None
    if mode == "parametric":
        predictive = est.predict_distribution(
            X, **{k: v for k, v in rows.items() if k != "sample_weight"})
    task = _RegressionReplicate(est, X, y, mode, rows, predictive, len(y))
    if batch:
        task.prepare_batch()
        assert task.arrays is not None, "this fit should be refitted many at once"
    return run_bootstrap(task, len(est.result_.coef_names), B, seed, 1, False)


CASES = [
    ("logit", lambda: mk.Regression("bernoulli"), Y_BIN, {}, ("cases", "parametric")),
    ("probit", lambda: mk.Regression("bernoulli", link="probit"), Y_BIN, {},
     ("cases", "parametric")),
    ("cloglog expected information",
     lambda: mk.Regression("bernoulli", link="cloglog", information="expected"), Y_BIN, {},
     ("cases",)),
    ("labels", lambda: mk.Regression("bernoulli"), np.where(Y_BIN > 0, "yes", "no"), {},
     ("cases", "parametric")),
    ("poisson with an offset", lambda: mk.Regression("poisson"), Y_CNT, {"offset": OFFSET},
     ("cases", "parametric")),
    ("poisson with weights", lambda: mk.Regression("poisson"), Y_CNT,
     {"sample_weight": WEIGHTS}, ("cases",)),
    ("poisson identity link", lambda: mk.Regression("poisson", link="identity"),
     Y_CNT + 1.0, {}, ("cases",)),
    ("binomial with trials", lambda: mk.Regression("binomial"), Y_SUCC, {"trials": TRIALS},
     ("cases",)),
]


@pytest.mark.parametrize("name, make, y, rows, modes", CASES, ids=[c[0] for c in CASES])
def test_many_at_once_equals_one_at_a_time(name, make, y, rows, modes):
    Xd = X if "identity" not in name else np.abs(X)
    est = make().fit(Xd, y, **rows)
    for mode in modes:
        one = _replicates_of(est, Xd, y, mode, rows, batch=False)
        many = _replicates_of(est, Xd, y, mode, rows, batch=True)
        assert np.all(np.isfinite(one)) and np.all(np.isfinite(many))
        np.testing.assert_allclose(many, one, rtol=1e-9, atol=1e-11, err_msg=mode)


def test_models_it_cannot_batch_decline():
    """Two linear predictors (Normal's sigma, a distributional fit) or a prior: the task
    declines and the replicates are the pipeline's own."""
    y = X @ BETA + GEN.normal(size=N)
    for est in (mk.Regression("normal").fit(X, y),
                mk.Regression("bernoulli", alpha_l2=1.0).fit(X, Y_BIN)):
        task = _RegressionReplicate(est, X, y if est.family == "normal" else Y_BIN, "cases",
                                    {}, None, N)
        task.prepare_batch()
        assert task.arrays is None
        assert task.batch([np.random.default_rng(0)], P + 1) is None


def test_unconverged_replicates_go_to_the_pipeline(monkeypatch):
    """With one Newton step allowed no replicate converges: each is refitted by the
    pipeline, and the results are those of the one-at-a-time path."""
    est = mk.Regression("bernoulli").fit(X, Y_BIN)
    one = _replicates_of(est, X, Y_BIN, "cases", {}, batch=False)
    monkeypatch.setattr(_replicates, "_MAX_ITER", 1)
    calls = []
    original = _RegressionReplicate._refit_draw

    def counted(self, draw):
        calls.append(1)
        return original(self, draw)

    monkeypatch.setattr(_RegressionReplicate, "_refit_draw", counted)
    many = _replicates_of(est, X, Y_BIN, "cases", {}, batch=True)
    assert len(calls) == one.shape[0]
    np.testing.assert_allclose(many, one, rtol=1e-12)


def test_resamples_without_an_mle_fail_as_in_the_pipeline():
    """Quasi-separated resamples (a rare binary column whose ones are all y = 1, and
    resamples that drop it entirely: a column of zeros) have no MLE or no full rank: the
    batch does not accept them, the pipeline refuses them, and the failures are the same
    replicates as one at a time."""
    gen = np.random.default_rng(1)
    n = 60
    x1 = gen.normal(size=n)
    rare = np.zeros(n)
    rare[:3] = 1.0
    y = (gen.random(n) < 1.0 / (1.0 + np.exp(-x1))).astype(float)
    y[:3] = 1.0
    y[3] = 1.0 - y[3]  # keep the full data unseparated on x1
    rare[3] = 1.0
    y[3] = 0.0
    Xr = np.column_stack([x1, rare])
    est = mk.Regression("bernoulli").fit(Xr, y)
    one = _replicates_of(est, Xr, y, "cases", {}, batch=False, B=60, seed=3)
    many = _replicates_of(est, Xr, y, "cases", {}, batch=True, B=60, seed=3)
    failed = ~np.all(np.isfinite(one), axis=1)
    assert failed.any(), "the design should make some resamples fail"
    np.testing.assert_array_equal(~np.all(np.isfinite(many), axis=1), failed)
    np.testing.assert_allclose(many[~failed], one[~failed], rtol=1e-9)


def test_intervals_equal_the_one_at_a_time_intervals():
    est = mk.Regression("poisson").fit(X, Y_CNT)
    a = bootstrap_conf_int(est, X, Y_CNT, n_boot=49, rng=7, batch=False)
    b = est.conf_int(X, Y_CNT, method="bootstrap", n_boot=49, rng=7)
    np.testing.assert_allclose(b, a, rtol=1e-9)
    # and with two worker processes (the blocks are pickled with their arrays)
    c = est.conf_int(X, Y_CNT, method="bootstrap", n_boot=49, rng=7, n_jobs=2)
    np.testing.assert_allclose(c, a, rtol=1e-9)
