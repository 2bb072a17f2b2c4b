"""The generic engine against R's VGAM ``vglm`` (and statsmodels' ``BetaModel``).

Every JSON fixture in ``data/r_vgam`` (see its README) is a distributional regression in
which BOTH parameters have their own linear predictor. mlekit fits the same model on the
same CSV through ``Regression(family, link=...).fit(X, y, designs={second: Z})`` and must give

* ``llf`` to 1e-8 relative,
* every coefficient to 1e-6 **relative** (``|b - b_R| <= 1e-6 |b_R|``; VGAM's own
  coefficients are good to ~1e-8, see the README),
* ``information="expected"`` standard errors equal VGAM's ``se`` (Fisher scoring) to 1e-6
  relative, and the default (observed) ones ``se_observed`` (numDeriv Hessian) to 1e-5.

Maximum errors seen: llf 7e-16, coefficients 1.6e-7, expected SEs 6e-8, observed SEs 1.3e-8.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import mlekit as mk

DATA = Path(__file__).parent / "data" / "r_vgam"
FIXTURES = sorted(DATA.glob("*.json"))


def _fit(d: dict, information: str) -> mk.Regression:
    """Fit the fixture's model: X = the first parameter's columns, designs for the others."""
    df = pd.read_csv(DATA / d["data"])
    loc, *others = list(d["designs"])
    X = df[[c for c in d["designs"][loc] if c != "Intercept"]]
    designs = {p: df[[c for c in d["designs"][p] if c != "Intercept"]] for p in others}
    return mk.Regression(d["family"], link=d["links"], information=information).fit(
        X, df[d["response"]], designs=designs)


def _rel(result, ref: dict, column: str) -> float:
    """Max relative error of ``result.coefs[p][column]`` against ``ref[p][term]``."""
    return max(abs(result.coefs[p].loc[t, column] - v) / abs(v)
               for p, terms in ref.items() for t, v in terms.items())


@pytest.fixture(scope="module", params=FIXTURES, ids=lambda p: p.stem)
def case(request):
    d = json.loads(request.param.read_text())
    return d, _fit(d, "observed").result_, _fit(d, "expected").result_


def test_fixture_set_is_complete():
    names = {p.stem for p in FIXTURES}
    for fam in ("normal", "gamma", "negativebinomial", "weibull", "beta"):
        assert {fam, f"{fam}_full"} <= names
    assert "statsmodels_betamodel" in names


def test_loglik_and_coefficients(case):
    d, obs, exp = case
    for r in (obs, exp):
        assert r.converged
        assert abs(r.llf - d["loglik"]) <= 1e-8 * abs(d["loglik"])
        assert _rel(r, d["coef"], "coef") <= 1e-6
        # the design terms are exactly the fixture's, in its order
        for p, terms in d["coef"].items():
            assert list(r.coefs[p].index) == list(terms)


def test_standard_errors(case):
    d, obs, exp = case
    if "se_observed" in d:          # VGAM: expected in ``se``, numDeriv observed apart
        assert _rel(exp, d["se"], "std err") <= 1e-6
        assert _rel(obs, d["se_observed"], "std err") <= 1e-5
    else:                           # statsmodels BetaModel: ``se`` is observed information
        assert d["se_information"].startswith("observed")
        assert _rel(obs, d["se"], "std err") <= 1e-6


def test_expected_differs_from_observed_where_it_should():
    """Not a vacuous check: for the negative binomial (no closed-form Fisher information in
    the family; the engine sums it over the support) expected and observed SEs differ by
    ~3 %, and only the expected ones match VGAM's ``se``."""
    d = json.loads((DATA / "negativebinomial.json").read_text())
    obs, exp = _fit(d, "observed").result_, _fit(d, "expected").result_
    a, b = obs.coefs["alpha"]["std err"].to_numpy(), exp.coefs["alpha"]["std err"].to_numpy()
    assert np.max(np.abs(a / b - 1)) > 1e-2
    assert _rel(exp, d["se"], "std err") <= 1e-6


@pytest.mark.parametrize("name, params", [
    ("poisson", {"rate": np.array([0.3, 4.0, 60.0])}),
    ("geometric", {"p": np.array([0.05, 0.3, 0.9])}),
    ("binomial", {"n": np.array([10.0, 10.0, 3.0]), "p": np.array([0.02, 0.5, 0.9])}),
])
def test_summed_discrete_information_equals_closed_form(name, params):
    """The engine's summed expected information (used where a discrete family has no
    closed form: the negative binomial) equals the closed form where there is one."""
    from mlekit.families import get_family
    from mlekit.regression._engine import build_family_model

    model = build_family_model(name)
    summed = model._discrete_information(params)
    closed = np.broadcast_to(get_family(name).fisher_information(**params), summed.shape)
    np.testing.assert_allclose(summed, closed, rtol=1e-9)


def test_summed_information_of_the_negative_binomial():
    """Against the closed-form entry for mu, 1/(mu (1 + alpha mu)), and a zero cross term."""
    from mlekit.regression._engine import build_family_model

    mu, alpha = np.array([0.5, 4.0, 30.0]), np.array([0.2, 0.5, 2.0])
    info = build_family_model("negativebinomial")._discrete_information(
        {"mu": mu, "alpha": alpha})
    np.testing.assert_allclose(info[:, 0, 0], 1 / (mu * (1 + alpha * mu)), rtol=1e-9)
    np.testing.assert_allclose(info[:, 0, 1], 0.0, atol=1e-10)
    assert np.all(info[:, 1, 1] > 0)


def test_summed_information_in_blocks_equals_one_block():
    """A small cell cap splits the rows into blocks (each with its own support grid):
    the same numbers; a single row beyond the cap gives None (not a truncated sum)."""
    from mlekit.regression._engine import build_family_model

    rng = np.random.default_rng(4)
    par = {"mu": np.exp(rng.normal(1.0, 1.0, 300)), "alpha": np.exp(rng.normal(-0.5, 0.5, 300))}
    model = build_family_model("negativebinomial")
    whole = model._discrete_information(par)
    model._DISCRETE_MAX_CELLS = 2_000
    # (grids differ beyond the 1e-12 quantiles: tail terms move the sums by ~1e-10)
    np.testing.assert_allclose(model._discrete_information(par), whole, rtol=1e-8, atol=1e-10)
    model._DISCRETE_MAX_CELLS = 5
    assert model._discrete_information(par) is None
