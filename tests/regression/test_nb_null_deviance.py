r"""Negative-binomial null deviance at the fitted alpha, and llnull with alpha re-fitted.

The null deviance is a deviance at a fixed dispersion, so it is evaluated with alpha held at
the full model's MLE (R's ``glm.nb``, statsmodels' GLM at the same alpha): then
``null_deviance >= deviance >= 0``. ``llnull`` is the intercept-only model's maximised
likelihood with alpha re-estimated (the nested model of the likelihood-ratio test and
McFadden's R²), as statsmodels' discrete ``NegativeBinomial`` reports it. Issue #22, part 5:
on RAND HIE the null deviance (4273.16) was below the model's (4287.72).
"""

from __future__ import annotations

import functools
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import mlekit as mk

sm = pytest.importorskip("statsmodels.api")

RANDHIE = ["lncoins", "idp", "lpi", "fmde", "physlm", "disea", "hlthg", "hlthf", "hlthp"]


def _randhie():
    r = mk.datasets.load("randhie")
    return r[RANDHIE].to_numpy(float), r["mdvis"].to_numpy(float), None


def _medpar():
    d = pd.read_csv(Path(__file__).resolve().parent / "data" / "r_glm" / "medpar1.csv")
    return d[["codes", "type3"]].to_numpy(float), d["los"].to_numpy(float), None


def _simulated_with_offset():
    rng = np.random.default_rng(7)
    n = 800
    X = rng.normal(size=(n, 2))
    off = np.log(rng.uniform(0.5, 5.0, n))  # exposure: the null mean then depends on alpha
    mu = np.exp(0.4 + off + X @ [0.6, -0.3])
    y = rng.negative_binomial(1 / 0.7, 1 / (1 + 0.7 * mu)).astype(float)
    return X, y, off


def _overdispersed_no_signal():
    rng = np.random.default_rng(11)
    X = rng.normal(size=(500, 3))
    y = rng.negative_binomial(2.0, 2.0 / (2.0 + 3.0), 500).astype(float)
    return X, y, None


DATA = {"randhie": _randhie, "medpar": _medpar, "offset": _simulated_with_offset,
        "no_signal": _overdispersed_no_signal}


@functools.cache
def _fit(name: str):
    X, y, off = DATA[name]()
    return X, y, off, mk.Regression(family="negativebinomial").fit(X, y, offset=off).result_


@pytest.mark.parametrize("name", sorted(DATA))
def test_null_deviance_at_fitted_alpha_matches_statsmodels(name):
    X, y, off, res = _fit(name)
    alpha = res.nuisance["alpha"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = sm.GLM(y, sm.add_constant(X), offset=off,
                     family=sm.families.NegativeBinomial(alpha=alpha)).fit(tol=1e-14)
    assert 0.0 <= res.deviance <= res.null_deviance
    assert res.deviance == pytest.approx(ref.deviance, rel=1e-9)
    assert res.null_deviance == pytest.approx(ref.null_deviance, rel=1e-9)


def test_randhie_figures_of_the_issue():
    res = _fit("randhie")[3]
    assert res.deviance == pytest.approx(4287.7233, abs=1e-3)
    assert res.null_deviance == pytest.approx(4658.4409, abs=1e-3)  # was 4273.16


@pytest.mark.parametrize("name", ["randhie", "medpar", "no_signal"])
def test_llnull_refits_alpha_as_statsmodels_discrete(name):
    X, y, _, res = _fit(name)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = sm.NegativeBinomial(y, sm.add_constant(X)).fit(disp=0, method="bfgs",
                                                             maxiter=2000, gtol=1e-10)
    assert res.llf == pytest.approx(ref.llf, rel=1e-9)
    assert res.llnull == pytest.approx(ref.llnull, rel=1e-9)
    assert res.prsquared == pytest.approx(1.0 - ref.llf / ref.llnull, rel=1e-7)
    assert res.llnull <= res.llf


def test_fixed_alpha_null_deviance_unchanged():
    """With alpha held fixed by the user the null model shares it already."""
    X, y, _ = _randhie()
    res = mk.Regression(family="negativebinomial", fixed={"alpha": 1.0}).fit(X, y).result_
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = sm.GLM(y, sm.add_constant(X),
                     family=sm.families.NegativeBinomial(alpha=1.0)).fit(tol=1e-14)
    assert res.null_deviance == pytest.approx(ref.null_deviance, rel=1e-9)
