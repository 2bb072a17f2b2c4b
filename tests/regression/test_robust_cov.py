"""Cluster-robust (CR1) and Newey-West (HAC) covariances (issue #23, item 3).

``Regression(cov_type="cluster").fit(X, y, groups=g)`` must equal R's
``sandwich::vcovCL(type="HC1")`` and statsmodels' GLM ``cov_type="cluster"``;
``Regression(cov_type="HAC", maxlags=L)`` R's ``sandwich::NeweyWest(lag=L,
prewhite=FALSE, adjust=FALSE)`` and statsmodels' ``cov_type="HAC"`` (no small-sample
factor in either). The R values come from ``data/r_robust/make_fixtures.R`` (R 4.2.2,
sandwich 3.0; R is not needed here) on ``data/r_robust/robust.csv`` (:func:`make_data`).
Every comparison is to 1e-6 relative. Distributional and generic-engine models are held
against sandwiches built here from finite-difference scores of scipy's log-densities;
the Dask backend against the in-memory fit to 1e-10.
"""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from scipy import stats

import mlekit as mk
from mlekit.errors import DataError, MlekitError, ParameterError
from mlekit.regression._sums import HacSum

DATA = Path(__file__).parent / "data" / "r_robust"
R = json.loads((DATA / "robust.json").read_text())
X_COLS = ["x1", "x2"]


def make_data() -> pd.DataFrame:
    """The rows of robust.csv: 300 rows in time order, 30 clusters, AR(1) errors."""
    rng = np.random.default_rng(20231)
    n, G = 300, 30
    cl = rng.integers(0, G, n)
    u = 0.5 * rng.normal(size=G)[cl]
    x1 = rng.normal(size=n) + 0.5 * u
    x2 = rng.normal(size=n)
    e = np.empty(n)
    e[0] = rng.normal()
    for t in range(1, n):
        e[t] = 0.6 * e[t - 1] + rng.normal()
    y_lin = 1.0 + 0.5 * x1 - 0.3 * x2 + e
    y_pois = rng.poisson(np.exp(0.2 + 0.3 * x1 - 0.2 * x2 + u + 0.3 * e))
    y_bin = (rng.random(n) < 1 / (1 + np.exp(-(-0.3 + 0.8 * x1 - 0.5 * x2 + u)))).astype(int)
    labels = np.array([f"c{k:02d}" for k in range(G)])[cl]
    return pd.DataFrame({"cluster": labels, "x1": x1, "x2": x2, "y_lin": y_lin,
                         "y_pois": y_pois, "y_bin": y_bin})


@pytest.fixture(scope="module")
def d() -> pd.DataFrame:
    return pd.read_csv(DATA / "robust.csv", dtype={"cluster": str})


def _close(a, b, rtol=1e-6):
    np.testing.assert_allclose(np.asarray(a, float), np.asarray(b, float), rtol=rtol, atol=0)


def _mean_cov(res) -> np.ndarray:
    k = len(res.coef_names)
    return res.cov_theta[:k, :k]


def test_committed_csv_is_make_data(d):
    ref = make_data()
    assert (d["cluster"] == ref["cluster"]).all()
    _close(d[["x1", "x2", "y_lin", "y_pois", "y_bin"]], ref[["x1", "x2", "y_lin", "y_pois",
                                                              "y_bin"]], rtol=1e-15)


# ---------------------------------------------------------------------- R and statsmodels
@pytest.mark.parametrize("key, family, y", [("cluster_poisson", "poisson", "y_pois"),
                                            ("cluster_logit", "bernoulli", "y_bin")])
def test_cluster_equals_r_vcovcl_hc1_and_statsmodels(d, key, family, y):
    r = R[key]
    m = mk.Regression(family, cov_type="cluster").fit(d[X_COLS], d[y], groups=d["cluster"])
    res = m.result_
    _close(res.params, r["coef"])
    _close(_mean_cov(res).ravel(), r["vcov"])
    _close(res.bse, r["bse"])
    assert res.cov_type == f"cluster ({r['n_groups']} groups, CR1)" == "cluster (30 groups, CR1)"
    assert "cluster (30 groups, CR1)" in str(res.summary())
    fam = sm.families.Poisson() if family == "poisson" else sm.families.Binomial()
    sm_res = sm.GLM(d[y], sm.add_constant(d[X_COLS]), family=fam).fit(
        cov_type="cluster", cov_kwds={"groups": pd.factorize(d["cluster"])[0]})
    _close(_mean_cov(res), sm_res.cov_params())


@pytest.mark.parametrize("key, family, y", [("hac_lm_L4", "normal", "y_lin"),
                                            ("hac_poisson_L3", "poisson", "y_pois")])
def test_hac_equals_r_neweywest_and_statsmodels(d, key, family, y):
    r = R[key]
    L = r["maxlags"]
    res = mk.Regression(family, cov_type="HAC", maxlags=L).fit(d[X_COLS], d[y]).result_
    _close(res.params, r["coef"])
    _close(_mean_cov(res).ravel(), r["vcov"])
    assert res.cov_type == f"HAC (maxlags = {L}, Bartlett)"
    assert f"HAC (maxlags = {L}, Bartlett) sandwich" in res.inference
    Xc = sm.add_constant(d[X_COLS])
    if family == "normal":
        sm_res = sm.OLS(d[y], Xc).fit(cov_type="HAC", cov_kwds={"maxlags": L})
    else:
        sm_res = sm.GLM(d[y], Xc, family=sm.families.Poisson()).fit(
            cov_type="HAC", cov_kwds={"maxlags": L})
    _close(_mean_cov(res), sm_res.cov_params())


@pytest.mark.parametrize("cov_type", ["cluster", "HAC"])
@pytest.mark.parametrize("family", ["normal", "gamma"])
def test_pearson_dispersion_families_equal_statsmodels_glm(d, family, cov_type):
    """The scale cancels from a sandwich: under the default Pearson convention the
    covariance is statsmodels' GLM one (which estimates the Pearson scale too)."""
    y = d["y_lin"] if family == "normal" else np.exp(0.3 * d["y_lin"])
    link = None if family == "normal" else "log"
    kw = {"groups": d["cluster"]} if cov_type == "cluster" else {}
    m = mk.Regression(family, link=link, cov_type=cov_type,
                      maxlags=2 if cov_type == "HAC" else None).fit(d[X_COLS], y, **kw)
    res = m.result_
    assert res.dispersion == "pearson"
    fam = (sm.families.Gaussian() if family == "normal"
           else sm.families.Gamma(sm.families.links.Log()))
    ck = ({"groups": pd.factorize(d["cluster"])[0]} if cov_type == "cluster"
          else {"maxlags": 2})
    sm_res = sm.GLM(y, sm.add_constant(d[X_COLS]), family=fam).fit(cov_type=cov_type,
                                                                  cov_kwds=ck)
    _close(res.params, sm_res.params, rtol=1e-7)
    _close(_mean_cov(res), sm_res.cov_params())
    ml = mk.Regression(family, link=link, cov_type=cov_type, dispersion="ml",
                       maxlags=2 if cov_type == "HAC" else None).fit(d[X_COLS], y, **kw)
    _close(_mean_cov(ml.result_), _mean_cov(res), rtol=1e-9)  # the same sandwich


# ---------------------------------------------------------------------- every parameter
def _fd_scores(loglik_rows, theta, h=1e-6):
    """Per-row scores by central differences of an independent per-row log-likelihood."""
    cols = []
    for j in range(theta.size):
        e = np.zeros_like(theta)
        e[j] = h * max(1.0, abs(theta[j]))
        cols.append((loglik_rows(theta + e) - loglik_rows(theta - e)) / (2 * e[j]))
    return np.column_stack(cols)


def test_distributional_normal_cluster_every_parameter(d):
    """mu ~ x1 + x2, log sigma ~ x1: the meat covers sigma's coefficients too."""
    X, y = d[X_COLS].to_numpy(), d["y_lin"].to_numpy()
    Z = d[["x1"]].to_numpy()
    codes = pd.factorize(d["cluster"])[0]
    robust = mk.Regression("normal", cov_type="cluster").fit(
        X, y, designs={"sigma": Z}, groups=d["cluster"]).result_
    plain = mk.Regression("normal").fit(X, y, designs={"sigma": Z}).result_
    th = robust.theta
    D, E = np.column_stack([np.ones(len(y)), X]), np.column_stack([np.ones(len(y)), Z])

    def rows(t):
        return stats.norm.logpdf(y, D @ t[:3], np.exp(E @ t[3:]))

    assert rows(th).sum() == pytest.approx(robust.llf, rel=1e-12)
    s = _fd_scores(rows, th)
    sg = np.array([s[codes == g].sum(axis=0) for g in range(30)])
    G, n, k = 30, len(y), 3
    bread = plain.cov_theta  # the inverse observed information (nonrobust)
    want = G / (G - 1) * (n - 1) / (n - k) * bread @ sg.T @ sg @ bread
    _close(robust.cov_theta, want, rtol=1e-6)
    assert robust.cov_theta.shape == (5, 5)


def test_generic_engine_negative_binomial_hac(d):
    """The generic engine (NB2 with its alpha): HAC over (beta, log alpha)."""
    X, y = d[X_COLS].to_numpy(), d["y_pois"].to_numpy().astype(float)
    L = 3
    robust = mk.Regression("negativebinomial", engine="generic", cov_type="HAC",
                           maxlags=L).fit(X, y).result_
    plain = mk.Regression("negativebinomial", engine="generic").fit(X, y).result_
    th = robust.theta
    D = np.column_stack([np.ones(len(y)), X])

    def rows(t):
        mu, a = np.exp(D @ t[:3]), np.exp(t[3])
        return stats.nbinom.logpmf(y, 1.0 / a, 1.0 / (1.0 + a * mu))

    assert rows(th).sum() == pytest.approx(robust.llf, rel=1e-10)
    s = _fd_scores(rows, th)
    meat = s.T @ s
    for lag in range(1, L + 1):
        g = s[lag:].T @ s[:-lag]
        meat += (1 - lag / (L + 1)) * (g + g.T)
    _close(robust.cov_theta, plain.cov_theta @ meat @ plain.cov_theta, rtol=1e-6)


def test_hac_sum_by_pieces_equals_the_definition():
    rng = np.random.default_rng(3)
    s = rng.normal(size=(37, 3))
    for L in (0, 1, 4, 40):
        want = np.zeros((3, 3))
        for t in range(37):
            for u in range(37):
                if abs(t - u) <= L:
                    want += (1 - abs(t - u) / (L + 1)) * np.outer(s[t], s[u])
        for cuts in ([37], [5, 1, 2, 29], [1] * 37, [10, 27]):
            acc = HacSum(L, 3)
            bounds = np.cumsum([0, *cuts])
            for a, b in itertools.pairwise(bounds):
                acc.add_rows(s[a:b])
            _close(acc.meat, want, rtol=1e-12)


# ---------------------------------------------------------------------- Dask
@pytest.mark.parametrize("kw, fit_kw", [({"cov_type": "cluster"}, "groups"),
                                        ({"cov_type": "HAC", "maxlags": 3}, None),
                                        ({"cov_type": "HAC", "maxlags": 60}, None)])
def test_dask_equals_in_memory(d, kw, fit_kw):
    da = pytest.importorskip("dask.array")
    X, y = d[X_COLS].to_numpy(), d["y_pois"].to_numpy().astype(float)
    extra = {"groups": d["cluster"].to_numpy()} if fit_kw else {}
    a = mk.Regression("poisson", tol=1e-13, **kw).fit(X, y, **extra).result_
    # 47-row blocks: maxlags = 60 spans more than one block boundary
    b = mk.Regression("poisson", tol=1e-13, **kw).fit(
        da.from_array(X, chunks=(47, 2)), da.from_array(y, chunks=47), **extra).result_
    np.testing.assert_allclose(b.cov_theta, a.cov_theta, rtol=1e-10, atol=0)
    assert b.cov_type == a.cov_type


# ---------------------------------------------------------------------- bad input
def test_bad_groups_are_named_errors(d):
    X, y = d[X_COLS], d["y_pois"]
    m = mk.Regression("poisson", cov_type="cluster")
    g = d["cluster"].to_numpy(dtype=object).copy()
    g[17] = None
    with pytest.raises(DataError, match=r"groups\[17\] \(row 17\) is missing"):
        m.fit(X, y, groups=g)
    gf = np.arange(300, dtype=float) % 5
    gf[4] = np.nan
    with pytest.raises(DataError, match=r"row 4"):
        m.fit(X, y, groups=gf)
    with pytest.raises(DataError, match="groups has 299 labels but X has 300 rows"):
        m.fit(X, y, groups=d["cluster"][:-1])
    with pytest.raises(DataError, match=r"1 cluster: .* at least 2"):
        m.fit(X, y, groups=np.zeros(300))
    with pytest.raises(ParameterError, match="needs the clusters"):
        m.fit(X, y)
    with pytest.raises(ParameterError, match="cov_type='cluster' only"):
        mk.Regression("poisson", cov_type="HC1").fit(X, y, groups=d["cluster"])


@pytest.mark.parametrize("kw, match", [({"cov_type": "HAC"}, "needs maxlags"),
                                       ({"cov_type": "HAC", "maxlags": -1}, "needs maxlags"),
                                       ({"cov_type": "HAC", "maxlags": 2.5}, "needs maxlags"),
                                       ({"maxlags": 2}, "applies to cov_type='HAC' only")])
def test_bad_maxlags_are_parameter_errors(d, kw, match):
    with pytest.raises(ParameterError, match=match):
        mk.Regression("poisson", **kw).fit(d[X_COLS], d["y_pois"])


def test_unknown_cov_type_lists_the_new_ones(d):
    with pytest.raises(MlekitError, match="cluster"):
        mk.Regression("poisson", cov_type="clustr").fit(d[X_COLS], d["y_pois"])
