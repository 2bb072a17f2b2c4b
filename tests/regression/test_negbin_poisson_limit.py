"""NegativeBinomial near its Poisson limit (alpha -> 0): digits kept, the edge named.

* the α-score's pieces (``_alpha_score_parts``: ψ(y + r) − ψ(r) − log(1 + μ/r) + (μ − y)/(r + μ)
  and its r-derivative, r = 1/α) against 120-digit mpmath for r from 0.3 to 1e40: the direct
  forms lose every digit as r grows (ψ(1e11) ≈ 25 has an ulp of 4e-15, the result is ~1e-22);
* the regression's row model (the fast path) at α = 1e-12: its NLL equals the family's
  ``logpdf`` (Loader's saddle-point kernel) and its gradient in log α central differences
  of it; before, its NLL was 4e-4 per row off and the fit reported an llf 0.9 *above* the
  Poisson fit's, which is impossible;
* counts that are not overdispersed given x (binomial): the likelihood rises
  towards α = 0, which is named (NoMaximumError, in memory and on Dask), not reported as a
  non-converged fit advising to standardise X;
* overdispersed counts fit as before.
"""

from __future__ import annotations

import numpy as np
import pytest

import mlekit as mk
from mlekit.errors import NoMaximumError
from mlekit.families.negativebinomial import _alpha_score_parts
from mlekit.links import get_link

mp = pytest.importorskip("mpmath")


@pytest.mark.parametrize("r", [0.3, 5.0, 29.0, 30.0, 999.0, 1e5, 1e8, 1e11, 1e15, 1e40])
def test_alpha_score_parts_keep_their_digits(r):
    """s = ψ(y+r) − ψ(r) − log(1 + μ/r) + (μ−y)/(r+μ) (∂ℓ/∂α = −r²s) and s' = ∂s/∂r are
    O(1/r²) and O(1/r³) from O(1/r) terms: against 120-digit mpmath to 1e-10."""
    for y in (0.0, 1.0, 3.0, 17.0, 250.0):
        for mu in (0.2, 3.0, 40.0):
            got, dgot = _alpha_score_parts(np.array(y), np.array(mu), np.array(r))
            with mp.workdps(120):
                R, Y, M = mp.mpf(r), mp.mpf(y), mp.mpf(mu)
                s = mp.digamma(Y + R) - mp.digamma(R) - mp.log(1 + M / R) + (M - Y) / (R + M)
                ds = (mp.polygamma(1, Y + R) - mp.polygamma(1, R) + M / (R * (R + M))
                      - (M - Y) / (R + M) ** 2)
            assert float(got) == pytest.approx(float(s), rel=1e-10), (y, mu)
            assert float(dgot) == pytest.approx(float(ds), rel=1e-10), (y, mu)


def test_row_model_near_the_poisson_limit_equals_the_family():
    fam = mk.FAMILIES["negativebinomial"]
    model = fam.row_model(fam, get_link("log"), {})
    rng = np.random.default_rng(3)
    y = rng.poisson(3.0, 50).astype(float)
    eta = np.column_stack([np.log(rng.uniform(1.0, 6.0, 50)), np.full(50, np.log(1e-12))])
    nll, grad, _ = model.rows(y, eta, {}, order=2)
    mu = np.exp(eta[:, 0])
    np.testing.assert_allclose(-nll, fam.logpdf(y, mu, 1e-12), rtol=1e-12)
    # d NLL / d log(alpha) = -alpha dl/dalpha, and dl/dalpha -> ((y - mu)^2 - y)/2 as
    # alpha -> 0 (the overdispersion score): at alpha = 1e-12 to O(alpha) relative
    edge = 0.5 * ((y - mu) ** 2 - y)
    np.testing.assert_allclose(grad[:, 1], -1e-12 * edge, rtol=1e-9, atol=1e-24)


def _data(kind: str, n: int = 2000, seed: int = 0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 2))
    mu = np.exp(0.5 + X @ np.array([0.3, -0.2]))
    if kind == "under":
        y = rng.binomial(20, mu / 20)
    else:
        y = rng.negative_binomial(2.0, 2.0 / (2.0 + mu))
    return X, y.astype(float)


@pytest.mark.parametrize("engine", ["auto", "generic"])
def test_no_overdispersion_is_named_not_a_failed_fit(engine):
    """On the fast path it ended unconverged; on the generic engine it reported
    converged=True at alpha = 1e-13. Both now name the edge (Family.nuisance_edge)."""
    X, y = _data("under")
    with pytest.raises(NoMaximumError, match=r"rises towards alpha = 0.*Poisson.*"
                       r"family='poisson'"):
        mk.Regression(family="negativebinomial", engine=engine).fit(X, y)
    # the Poisson fit it points to, and a fixed alpha, both fit
    assert mk.Regression(family="poisson").fit(X, y).result_.converged
    assert mk.Regression(family="negativebinomial",
                         fixed={"alpha": 0.01}).fit(X, y).result_.converged


def test_overdispersed_counts_fit_as_before():
    X, y = _data("over")
    r = mk.Regression(family="negativebinomial").fit(X, y).result_
    assert r.converged and 0.3 < r.nuisance["alpha"] < 0.7
    assert r.llf > mk.Regression(family="poisson").fit(X, y).result_.llf


def test_no_overdispersion_is_named_on_dask():
    da = pytest.importorskip("dask.array")
    import dask

    from mlekit.distributed import fit_regression

    X, y = _data("under", n=3000)
    with dask.config.set(scheduler="threads"), pytest.raises(NoMaximumError,
                                                             match="rises towards alpha = 0"):
        fit_regression(mk.Regression(family="negativebinomial"),
                       da.from_array(X, chunks=(1000, 2)), da.from_array(y, chunks=1000))


@pytest.mark.parametrize("family, params", [
    (mk.NegativeBinomial, {"mu": 2.5}),
    (mk.ZeroInflated(mk.NegativeBinomial), {"pi": 0.3, "mu": 2.5}),
    (mk.Hurdle(mk.NegativeBinomial), {"pi": 0.4, "mu": 2.5}),
], ids=["nb", "zinb", "hurdle-nb"])
def test_edge_score_is_the_alpha_derivative_at_zero(family, params):
    """Family.edge_score (the NB's ((x − μ)² − x)/2, and the combinators' built from it)
    against a central difference of the family's own logpdf in alpha at alpha = 1e-5."""
    x = np.arange(0.0, 12.0)
    a, h = 1e-5, 1e-6
    up = family.logpdf(x, alpha=a + h, **params)
    dn = family.logpdf(x, alpha=a - h, **params)
    np.testing.assert_allclose(family.edge_score(x, alpha=a, **params), (up - dn) / (2 * h),
                               rtol=2e-3, atol=1e-6)
    assert family.nuisance_edge[0] == "alpha"


@pytest.mark.parametrize("spec, limit", [("zeroinflated(negativebinomial)", "ZeroInflated"),
                                         ("hurdle(negativebinomial)", "Hurdle")])
def test_combinators_over_nb_name_their_poisson_edge(spec, limit):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(3000, 2))
    mu = np.exp(0.5 + X @ np.array([0.3, -0.2]))
    y = (rng.poisson(mu) * (rng.uniform(size=3000) > 0.3)).astype(float)  # ZIP data
    with pytest.raises(NoMaximumError, match=rf"becomes the {limit}\(Poisson\)"):
        mk.Regression(family=spec).fit(X, y)
