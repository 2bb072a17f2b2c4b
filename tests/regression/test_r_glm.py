r"""R's ``glm`` results (as shipped in statsmodels' ``results_glm.py``) as references.

The fixtures in ``data/r_glm/`` hold R's coefficients, standard errors, deviances, AIC and
dispersion for nine classic GLM fits (see ``data/r_glm/README.md``). Each case is fitted
with ``mk.Regression(family=..., link=..., information="expected")`` — R's standard errors
come from the Fisher information of its IRLS weights, which differs from the observed
information for non-canonical links (Gaussian-log, inverse Gaussian-log/identity, NB-log).

**Standard errors per unit dispersion.** Where R estimates the dispersion by Pearson,
``φ̂ = X²/(n - p)`` (Gaussian, Gamma, inverse Gaussian, and negative.binomial(θ) whose
``summary.glm`` estimates it too), R reports ``bse_R = sqrt(φ̂_R) · s`` and mlekit
``bse_mk = sqrt(φ̂_mk) · s`` with the same unit-dispersion factor
``s = sqrt(diag((XᵀWX)⁻¹))``, ``φ̂_mk = result_.scale``: the Pearson dispersion for the
Gaussian, Gamma and inverse Gaussian (mlekit's default ``dispersion="pearson"``), and 1 for
NB with ``alpha`` held fixed. The tests compare ``bse_mk / sqrt(φ̂_mk)`` with
``bse_R / sqrt(φ̂_R)`` (so that R's rounded dispersion does not enter);
``tests/regression/test_dispersion.py`` holds ``bse_mk`` itself against R's full digits.

**Log-likelihood.** R's AIC evaluates the likelihood at ``φ = deviance / n``; for the Normal
and the inverse Gaussian that is the MLE of the dispersion, so mlekit's ``llf`` must equal
R's. For the Gamma it is not: mlekit's ``llf`` (shape at its MLE) must be ≥ R's, and with the
shape held at R's ``n / deviance`` it must equal R's.

**Convergence of R.** R's IRLS stops when ``|Δdev| / (|dev| + 0.1) < 1e-8``. On Committee
and the two Medpar inverse-Gaussian fits this leaves R's coefficients 4e-5 to 2e-4 (relative)
from the optimum while its deviance is already within 1e-8: there mlekit's deviance must be
≤ R's (mlekit is closer to the optimum) and the coefficients are compared at R's accuracy;
every case is also held against statsmodels' GLM fitted to a tight tolerance (1e-8).
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import mlekit as mk

sm = pytest.importorskip("statsmodels.api")

DATA = Path(__file__).resolve().parent / "data" / "r_glm"
CASES = sorted(p.stem for p in DATA.glob("*.json"))

# (params rtol, bse-per-unit-dispersion rtol) against R's printed values: R's digits and
# its IRLS stopping rule (its standard errors use the weights of its last iterate)
R_TOL = {
    "committee": (3e-4, 3e-5),
    "medpar1_invgauss_identity": (2e-4, 3e-4),
    "medpar1_invgauss_log": (1e-4, 3e-5),
    "cpunish": (1e-6, 2e-5),
    "lbw": (1e-6, 3e-5),
    "gaussian_inverse": (5e-6, 2e-6),  # R's 0.00100126: six digits
}
# null deviances R's results hold to fewer digits: Scotvote's is printed to six
# (0.536072); GaussianLog's (56.6916) is not Σ(y - ȳ)² = 56.6757 of these data (statsmodels
# checks it to one decimal): the closed form and statsmodels are the reference there
NULL_TOL = {"scotvote": 1e-6, "gaussian_log": 5e-4}
# GaussianLog and GaussianInverse: the rank check refuses them (issue #22, part 5); another
# change fixes that check. Marked here while it still fails.
XFAIL: set[str] = set()


def _load(name: str, fx: dict) -> tuple[np.ndarray, np.ndarray]:
    """(X without the constant, y) exactly as statsmodels' test_glm.py builds them."""
    src = fx["data"]
    if src.endswith(".csv"):
        d = pd.read_csv(DATA / src)
        cols = {"gaussian_log.csv": ("y", ["x", "x2"]),
                "gaussian_inverse.csv": ("y", ["x", "x2"]),
                "lbw.csv": ("low", ["age", "lwt", "race_black", "race_other", "smoke", "ptl",
                                    "ht", "ui"]),
                "invgauss.csv": ("xig", ["x1", "x2"]),
                "medpar1.csv": ("los", ["codes", "type3"])}[src]
        return d[cols[1]].to_numpy(float), d[cols[0]].to_numpy(float)
    from statsmodels import datasets

    d = getattr(datasets, src.rsplit(".", 1)[1]).load_pandas()
    X, y = d.exog.to_numpy(float).copy(), d.endog.to_numpy(float)
    if name == "cpunish":
        X[:, 3] = np.log(X[:, 3])
    elif name == "committee":
        X[:, 2] = np.log(X[:, 2])
        X = np.column_stack([X, X[:, 2] * X[:, 1]])
    return X, y


def _fixture(name: str) -> dict:
    return json.loads((DATA / f"{name}.json").read_text())


def _fit(fx: dict, X: np.ndarray, y: np.ndarray, fixed: dict | None = None) -> mk.Regression:
    if "alpha" in fx:
        fixed = {"alpha": fx["alpha"], **(fixed or {})}
    return mk.Regression(family=fx["family"], link=fx["link"], fixed=fixed,
                         information="expected").fit(X, y)


def _r_order(v, fx: dict) -> np.ndarray:
    """mlekit's (Intercept, x1, …) in the order of R's coefficients (``fx["constant"]``)."""
    v = np.asarray(v, float)
    return v if fx["constant"] == "first" else np.r_[v[1:], v[0]]


def _unit_dispersion(fx: dict, res) -> float:
    """The dispersion mlekit's standard errors use (they are sqrt(φ̂) x unit-dispersion
    ones): the Pearson one for the Gaussian, Gamma and inverse Gaussian, else 1."""
    if fx["family"] in ("normal", "gamma", "inversegaussian"):
        assert res.dispersion == "pearson"
        return res.scale
    assert res.scale is None
    return 1.0


def _statsmodels(fx: dict, X: np.ndarray, y: np.ndarray):
    links = sm.families.links
    link = {"log": links.Log(), "inverse": links.InversePower(), "logit": links.Logit(),
            "identity": links.Identity(), "inverse_squared": links.InverseSquared()}[fx["link"]]
    fam = {"normal": lambda: sm.families.Gaussian(link),
           "binomial": lambda: sm.families.Binomial(link),
           "bernoulli": lambda: sm.families.Binomial(link),
           "poisson": lambda: sm.families.Poisson(link),
           "gamma": lambda: sm.families.Gamma(link),
           "inversegaussian": lambda: sm.families.InverseGaussian(link),
           "negativebinomial": lambda: sm.families.NegativeBinomial(link, alpha=fx.get("alpha"))
           }[fx["family"]]()
    D = np.column_stack([np.ones(len(y)), X] if fx["constant"] == "first"
                        else [X, np.ones(len(y))])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return sm.GLM(y, D, family=fam).fit(tol=1e-15,
                                                                          maxiter=1000)


def _cases():
    for name in CASES:
        marks = [pytest.mark.xfail(strict=True, reason="false 'columns are collinear' from "
                                   "the rank check (issue #22, part 5), fixed elsewhere")] \
            if name in XFAIL else []
        yield pytest.param(name, marks=marks, id=name)


@pytest.fixture(scope="module")
def fits() -> dict:
    return {}


def _get(fits: dict, name: str):
    if name not in fits:
        fx = _fixture(name)
        X, y = _load(name, fx)
        fits[name] = (fx, X, y, _fit(fx, X, y))
    return fits[name]


def test_all_nine_r_cases_present():
    assert set(CASES) == {"gaussian_log", "gaussian_inverse", "star98", "lbw", "scotvote",
                          "cpunish", "invgauss", "medpar1_invgauss_log",
                          "medpar1_invgauss_identity", "committee"}


@pytest.mark.parametrize("name", list(_cases()))
def test_params_match_r(fits, name):
    fx, _, _, est = _get(fits, name)
    rtol = R_TOL.get(name, (1e-6, None))[0]
    np.testing.assert_allclose(_r_order(est.result_.params, fx), fx["params"], rtol=rtol,
                               atol=0)


@pytest.mark.parametrize("name", list(_cases()))
def test_bse_per_unit_dispersion_match_r(fits, name):
    fx, _, _, est = _get(fits, name)
    rtol = R_TOL.get(name, (None, 2e-6))[1]
    mine = _r_order(est.result_.bse, fx) / np.sqrt(_unit_dispersion(fx, est.result_))
    r = np.asarray(fx["bse"]) / np.sqrt(fx["dispersion"])
    np.testing.assert_allclose(mine, r, rtol=rtol, atol=0)


@pytest.mark.parametrize("name", list(_cases()))
def test_deviances_match_r(fits, name):
    fx, _, y, est = _get(fits, name)
    res = est.result_
    # R stops its IRLS with a deviance within 1e-8 (relative) of the minimum; mlekit's
    # is at the minimum: never above R's, and within R's tolerance of it
    assert res.deviance <= fx["deviance"] * (1 + 1e-12)
    assert res.deviance == pytest.approx(fx["deviance"], rel=1e-8)
    assert res.null_deviance == pytest.approx(fx["null_deviance"],
                                              rel=NULL_TOL.get(name, 1e-9))
    if fx["family"] == "normal":  # any link: the intercept-only mean is ȳ
        assert res.null_deviance == pytest.approx(np.sum((y - y.mean()) ** 2), rel=1e-12)
    assert res.null_deviance >= res.deviance


@pytest.mark.parametrize("name", list(_cases()))
def test_llf_matches_r(fits, name):
    fx, X, y, est = _get(fits, name)
    llf = est.result_.llf
    if fx["family"] == "gamma":
        # R's AIC uses the shape n / deviance, not its MLE: ours is higher, and equal at R's
        assert llf >= fx["llf"]
        n = y.shape[0]
        at_r = _fit(fx, X, y, fixed={"shape": n / fx["deviance"]}).result_.llf
        assert at_r == pytest.approx(fx["llf"], rel=1e-9)
    else:
        assert llf == pytest.approx(fx["llf"], rel=1e-8)


@pytest.mark.parametrize("name", list(_cases()))
def test_matches_statsmodels_tightly(fits, name):
    """The same fits against statsmodels' GLM at a tight tolerance (an independent solver)."""
    fx, X, y, est = _get(fits, name)
    ref = _statsmodels(fx, X, y)
    res = est.result_
    np.testing.assert_allclose(_r_order(res.params, fx), ref.params, rtol=1e-8, atol=0)
    mine = _r_order(res.bse, fx) / np.sqrt(_unit_dispersion(fx, res))
    np.testing.assert_allclose(mine, ref.bse / np.sqrt(ref.scale), rtol=1e-7, atol=0)
    assert res.deviance == pytest.approx(ref.deviance, rel=1e-9)
    assert res.null_deviance == pytest.approx(ref.null_deviance, rel=1e-9)
