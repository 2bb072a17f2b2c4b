"""The mixture's standard errors from its Newton Hessian (``details["information_u"]``),
and the block-wise E-step (issue #21, performance).

Held against independent computations: the numerical Hessian of the score (the path
``mk.fit`` took before, still its fallback), the log-likelihoods the previous code
returned on the same data (recorded), scipy's densities summed directly, and
``np.log``/``np.exp`` of the E-step's pieces.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from scipy import stats
from scipy.special import logsumexp

import mlekit as mk
from mlekit.domains import Simplex
from mlekit.families.combinators import _mixture
from mlekit.families.combinators._mixture import MixtureFamily


def _data() -> dict[str, tuple[np.ndarray, MixtureFamily, dict]]:
    """The data sets, drawn in this order from one generator (as recorded below)."""
    rng = np.random.default_rng(1)
    out = {}
    out["normal-k2"] = (np.r_[rng.normal(0, 1, 200), rng.normal(3, .7, 300)],
                        mk.Mixture(mk.Normal, k=2), {})
    out["normal-k3"] = (rng.permutation(np.r_[rng.normal(0, 1, 800), rng.normal(4, .7, 1000),
                                              rng.normal(8, 1.5, 700)]),
                        mk.Mixture(mk.Normal, k=3), {})
    out["gamma-k2"] = (np.r_[rng.gamma(2, 1, 800), rng.gamma(20, 0.5, 1200)],
                       mk.Mixture(mk.Gamma, k=2), {})
    out["poisson-k2"] = (np.r_[rng.poisson(1.5, 800), rng.poisson(9, 1200)].astype(float),
                         mk.Mixture(mk.Poisson, k=2), {})
    # the winning start labels the two Normals the other way round: the relabelling
    # (component 3 becomes component 1) moves the reference of the weights' log-ratios
    out["normal-gamma-normal"] = (
        np.r_[rng.normal(-4, 1, 700), rng.gamma(30, 0.3, 800), rng.normal(4, 1, 700)],
        mk.Mixture([mk.Normal, mk.Gamma, mk.Normal]), {"rng": 3, "n_starts": 4})
    return out


DATA = _data()

#: llf of the code before this change (numerical-Hessian standard errors) on DATA
BEFORE = {"normal-k2": -859.8630360282447, "normal-k3": -6033.1872345004385,
          "gamma-k2": -5137.943835703651, "poisson-k2": -5348.190194301724,
          "normal-gamma-normal": -5803.9489959184575}
#: its standard errors for normal-k3 (weights[0..2], mu_1, sigma_1, ..., sigma_3)
BEFORE_SE_NORMAL3 = [0.009611971643107326, 0.011333726248038668, 0.010138997545031456,
                     0.04124877450514313, 0.03200042646611655, 0.027584980805520645,
                     0.024947391784723928, 0.07166643410572972, 0.05540509050359219]


def _withhold_information(monkeypatch) -> None:
    """The solver's Hessian withheld from the fit: the numerical fallback runs."""
    mle = MixtureFamily.mle

    def without(self, *a, **k):
        est = mle(self, *a, **k)
        est.details.pop("information_u")
        return est

    monkeypatch.setattr(MixtureFamily, "mle", without)


def _fit(name: str, drop_information: bool = False, monkeypatch=None):
    x, fam, kw = DATA[name]
    if drop_information:
        _withhold_information(monkeypatch)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fam.fit(x, **kw)


@pytest.mark.parametrize("name", list(DATA))
def test_standard_errors_equal_the_numerical_hessian(name, monkeypatch):
    res = _fit(name)
    ref = _fit(name, drop_information=True, monkeypatch=monkeypatch)
    assert res.information == "observed (Hessian)"
    assert ref.information == "observed (numerical Hessian of the score)"
    assert res.llf == ref.llf
    sd = np.sqrt(np.diag(ref.cov))
    np.testing.assert_allclose(np.sqrt(np.diag(res.cov)), sd, rtol=1e-6)
    # the whole covariance, as correlations
    np.testing.assert_allclose(res.cov / np.outer(sd, sd), ref.cov / np.outer(sd, sd),
                               rtol=0, atol=1e-6)


def test_standard_errors_equal_the_previous_code():
    res = _fit("normal-k3")
    np.testing.assert_allclose(np.sqrt(np.diag(res.cov)), BEFORE_SE_NORMAL3, rtol=1e-6)


@pytest.mark.parametrize("name", list(DATA))
def test_llf_unchanged_and_equal_to_the_direct_sum(name):
    x, fam, _ = DATA[name]
    res = _fit(name)
    assert res.llf == pytest.approx(BEFORE[name], rel=1e-10, abs=0)
    p = res.params
    terms = []
    for j, comp in enumerate(fam.components):
        th = {b: p[ours] for (i, b, ours) in fam._slots if i == j}
        dist = {"normal": lambda t: stats.norm(t["mu"], t["sigma"]),
                "gamma": lambda t: stats.gamma(t["shape"], scale=1 / t["rate"]),
                "poisson": lambda t: stats.poisson(t["rate"])}[comp.name](th)
        lf = dist.logpmf(x) if comp.discrete else dist.logpdf(x)
        terms.append(np.log(p["weights"][j]) + lf)
    assert res.llf == pytest.approx(float(logsumexp(np.array(terms), axis=0).sum()),
                                    rel=1e-12, abs=0)


def test_the_ordering_rule_holds_after_relabelling(monkeypatch):
    orders = []
    order = MixtureFamily._order

    def spy(self, params):
        out = order(self, params)
        orders.append(out)
        return out

    monkeypatch.setattr(MixtureFamily, "_order", spy)
    res = _fit("normal-gamma-normal")
    assert orders[-1] == [2, 1, 0]  # the winning start had the Normals the other way round
    p = res.params
    assert p["mu_1"] < p["mu_3"]  # within the Normals, ascending means
    assert p["mu_1"] == pytest.approx(-4, abs=0.2) and p["mu_3"] == pytest.approx(4, abs=0.2)
    for name in ("normal-k2", "normal-k3"):
        q = _fit(name).params
        mus = [q[f"mu_{j + 1}"] for j in range(DATA[name][1].k)]
        assert mus == sorted(mus)


def test_relabelling_matrix_maps_the_unconstrained_coordinates():
    fam = mk.Mixture([mk.Normal, mk.Gamma, mk.Normal])
    params = {"weights": np.array([0.2, 0.5, 0.3]), "mu_1": 4.0, "sigma_1": 1.5,
              "shape_2": 30.0, "rate_2": 3.0, "mu_3": -4.0, "sigma_3": 0.8}

    def u(p):
        parts = [np.ravel(Simplex.to_unconstrained(np.asarray(p["weights"])))]
        parts += [np.ravel(fam.parameter(ours).domain.to_unconstrained(np.asarray(p[ours])))
                  for (_, _, ours) in fam._slots]
        return np.concatenate(parts)

    order = fam._order(params)
    assert order == [2, 1, 0]
    np.testing.assert_allclose(fam._relabel_u(order) @ u(params), u(fam._ordered(params)),
                               rtol=1e-13, atol=1e-13)


@pytest.mark.parametrize("k,unit", [(2, True), (2, False), (3, True), (3, False)])
def test_blockwise_estep_equals_the_direct_log_sum_exp(k, unit):
    """ℓ and the responsibilities, over more than one block, with counts or without;
    the two-component path (one exponential) and the general one."""
    rng = np.random.default_rng(5)
    n = _mixture._BLOCK + 4321
    vals = np.sort(rng.normal(0.0, 3.0, n))
    cw = np.ones(n) if unit else rng.integers(1, 4, n).astype(float)
    fit = _mixture._Fit(mk.Mixture(mk.Normal, k=k), vals, cw, None, {})
    w = np.array([0.3, 0.7]) if k == 2 else np.array([0.2, 0.5, 0.3])
    th = [{"mu": -2.0 + 3.0 * j, "sigma": 0.5 + j} for j in range(k)]
    a = np.array([np.log(w[j]) + stats.norm.logpdf(vals, th[j]["mu"], th[j]["sigma"])
                  for j in range(k)])
    lp = logsumexp(a, axis=0)
    r, ll = fit.estep(w, th)
    assert ll == pytest.approx(float(cw @ lp), rel=1e-13)
    np.testing.assert_allclose(r, np.exp(a - lp), rtol=1e-12, atol=1e-300)
    assert fit.estep(w, th, resp=False) == (None, ll)


def test_two_component_estep_with_a_zero_weight_and_outside_a_support():
    # Gamma's log-density is -inf at x < 0: there the Normal takes everything
    fam = mk.Mixture([mk.Normal, mk.Gamma])
    vals = np.linspace(-3.0, 8.0, 201)
    fit = _mixture._Fit(fam, vals, np.ones(vals.size), None, {})
    th = [{"mu": 0.0, "sigma": 1.0}, {"shape": 3.0, "rate": 1.0}]
    r, ll = fit.estep(np.array([0.4, 0.6]), th)
    ref_a = np.array([np.log(0.4) + stats.norm.logpdf(vals),
                      np.log(0.6) + stats.gamma.logpdf(vals, 3.0)])
    ref_lp = logsumexp(ref_a, axis=0)
    np.testing.assert_allclose(r, np.exp(ref_a - ref_lp), rtol=1e-12)
    assert np.all(r[0][vals < 0] == 1.0) and np.all(r[1][vals < 0] == 0.0)
    assert ll == pytest.approx(float(ref_lp.sum()), rel=1e-13)
    _, ll0 = fit.estep(np.array([0.0, 1.0]), th)  # a zero weight: only the Gamma
    assert ll0 == -np.inf  # (the Gamma has no mass below 0)
    r1, ll1 = fit.estep(np.array([1.0, 0.0]), th)
    assert np.all(r1[0] == 1.0)
    assert ll1 == pytest.approx(float(stats.norm.logpdf(vals).sum()), rel=1e-13)


def test_log_prod_equals_the_sum_of_logarithms():
    rng = np.random.default_rng(2)
    for k, n in ((2, 100_000), (50, 10_000), (2, 7)):
        t = 1.0 + (k - 1) * rng.random(n)
        assert _mixture._log_prod(t, k) == pytest.approx(float(np.log(t).sum()), rel=1e-13)


@pytest.mark.parametrize("fixed", [{"mu_1": 0.0}, {"sigma_2": 0.7, "mu_1": 0.1}])
def test_standard_errors_with_fixed_parameters(fixed, monkeypatch):
    """Held parameters: no relabelling, the Hessian over the free ones only."""
    x, fam, _ = DATA["normal-k2"]
    res = mk.fit(x, fam, fixed=fixed)
    _withhold_information(monkeypatch)
    ref = mk.fit(x, fam, fixed=fixed)
    assert res.information == "observed (Hessian)" != ref.information
    assert res.cov.shape == ref.cov.shape == (6 - len(fixed),) * 2
    np.testing.assert_allclose(np.sqrt(np.diag(res.cov)), np.sqrt(np.diag(ref.cov)), rtol=1e-6)
