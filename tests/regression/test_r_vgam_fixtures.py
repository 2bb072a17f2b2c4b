r"""Self-consistency of the R/VGAM distributional-regression fixtures (``data/r_vgam/``).

These tests need neither R nor mlekit's regression engine: they hold each fixture against
scipy. For every JSON (VGAM's ``vglm`` fits and statsmodels' ``BetaModel``):

* the linear predictors rebuilt from the CSV and the coefficients give, through
  ``scipy.stats`` (``norm``; ``gamma(a=shape, scale=mean/shape)``;
  ``nbinom(n=1/alpha, p=1/(1 + alpha mu))``; ``weibull_min(c=shape, scale=scale)``;
  ``beta(a=m phi, b=(1-m) phi)``), the stored ``loglik`` to 1e-10 relative;
* the coefficients are a maximum: the central-difference gradient of the log-likelihood
  satisfies ``|g_j| se_j < 1e-4``, and the observed-information standard errors
  (``se_observed``, ``H`` from finite differences here) agree to 1e-4 relative;
* VGAM's ``se`` are expected-information standard errors: for the normal, gamma and Weibull
  fits they equal ``sqrt(diag(I^{-1}))`` with the closed-form per-row Fisher information in
  link space (normal: ``diag(1/σ², 2)``; gamma (log mean, log shape):
  ``diag(k, k² ψ'(k) - k)``; Weibull (log scale, log shape):
  ``[[k², -k(1-γ)], [-k(1-γ), π²/6 + (1-γ)²]]``), to 1e-7 (VGAM's last-iteration weights);
* statsmodels' ``BetaModel`` agrees with VGAM's ``betaff`` (llf 1e-10, coefficients and
  observed-information standard errors 1e-7).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import special, stats

DATA = Path(__file__).resolve().parent / "data" / "r_vgam"
CASES = sorted(p.name for p in DATA.glob("*.json"))

INV_LINK = {
    "identity": lambda e: e,
    "log": np.exp,
    "logit": special.expit,
}


def _load(name: str) -> tuple[dict, pd.DataFrame]:
    fx = json.loads((DATA / name).read_text())
    return fx, pd.read_csv(DATA / fx["data"], dtype=float)


def _flat(fx: dict, key: str = "coef") -> tuple[list[tuple[str, str]], np.ndarray]:
    """Coefficients as one vector, in the order of ``designs``."""
    names = [(p, c) for p in fx["designs"] for c in fx["designs"][p]]
    return names, np.array([fx[key][p][c] for p, c in names])


def _loglik_fn(fx: dict, d: pd.DataFrame):
    names, _ = _flat(fx)
    cols = {"Intercept": np.ones(len(d)), "x1": d["x1"].to_numpy(), "x2": d["x2"].to_numpy()}
    y = d[fx["response"]].to_numpy()
    params = list(fx["designs"])
    fam = fx["family"]

    def theta(beta: np.ndarray) -> dict[str, np.ndarray]:
        eta = {p: np.zeros(len(d)) for p in params}
        for (p, c), b in zip(names, beta, strict=True):
            eta[p] = eta[p] + b * cols[c]
        return {p: INV_LINK[fx["links"][p]](eta[p]) for p in params}

    def loglik(beta: np.ndarray) -> float:
        t = theta(beta)
        if fam == "normal":
            lp = stats.norm.logpdf(y, loc=t["mu"], scale=t["sigma"])
        elif fam == "gamma":
            lp = stats.gamma.logpdf(y, a=t["shape"], scale=t["mean"] / t["shape"])
        elif fam == "negativebinomial":
            a = t["alpha"]
            lp = stats.nbinom.logpmf(y, n=1.0 / a, p=1.0 / (1.0 + a * t["mu"]))
        elif fam == "weibull":
            lp = stats.weibull_min.logpdf(y, c=t["shape"], scale=t["scale"])
        elif fam == "beta":
            m, phi = t["mean"], t["precision"]
            lp = stats.beta.logpdf(y, a=m * phi, b=(1.0 - m) * phi)
        else:  # pragma: no cover - a new fixture family needs a branch here
            raise AssertionError(f"no log-density for family {fam!r}")
        return float(np.sum(lp))

    return loglik, theta, names, cols


def _grad_hess(f, b: np.ndarray, h: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Central-difference gradient and Hessian of ``f`` at ``b`` with steps ``h``."""
    p = len(b)
    g = np.empty(p)
    H = np.empty((p, p))
    f0 = f(b)
    e = np.eye(p)
    for i in range(p):
        fp, fm = f(b + h[i] * e[i]), f(b - h[i] * e[i])
        g[i] = (fp - fm) / (2 * h[i])
        H[i, i] = (fp - 2 * f0 + fm) / h[i] ** 2
        for j in range(i):
            s = [f(b + si * h[i] * e[i] + sj * h[j] * e[j]) for si in (1, -1) for sj in (1, -1)]
            H[i, j] = H[j, i] = (s[0] - s[1] - s[2] + s[3]) / (4 * h[i] * h[j])
    return g, H


def test_fixtures_present():
    vgam = [c for c in CASES if c != "statsmodels_betamodel.json"]
    assert len(vgam) == 10
    assert "statsmodels_betamodel.json" in CASES


@pytest.mark.parametrize("name", CASES)
def test_loglik_matches_scipy(name):
    fx, d = _load(name)
    assert len(d) == fx["n"]
    loglik, *_ = _loglik_fn(fx, d)
    _, b = _flat(fx)
    assert loglik(b) == pytest.approx(fx["loglik"], rel=1e-10)


@pytest.mark.parametrize("name", CASES)
def test_coefficients_are_the_maximum(name):
    fx, d = _load(name)
    loglik, *_ = _loglik_fn(fx, d)
    _, b = _flat(fx)
    _, se = _flat(fx, "se")
    g, H = _grad_hess(loglik, b, 0.05 * se)
    assert np.all(np.abs(g) * se < 1e-4), np.abs(g) * se
    assert np.all(np.linalg.eigvalsh(-H) > 0)
    se_obs = np.sqrt(np.diag(np.linalg.inv(-H)))
    ref = _flat(fx, "se_observed")[1] if "se_observed" in fx else se
    np.testing.assert_allclose(se_obs, ref, rtol=1e-4)


def _expected_information(fx: dict, t: dict, n: int) -> np.ndarray | None:
    """Per-row 2x2 Fisher information in link space (rows, 2, 2), closed forms."""
    fam = fx["family"]
    info = np.zeros((n, 2, 2))
    if fam == "normal":
        info[:, 0, 0] = 1.0 / t["sigma"] ** 2
        info[:, 1, 1] = 2.0
    elif fam == "gamma":
        k = t["shape"]
        info[:, 0, 0] = k
        info[:, 1, 1] = k**2 * special.polygamma(1, k) - k
    elif fam == "weibull":
        k = t["shape"]
        g1 = 1.0 - np.euler_gamma
        info[:, 0, 0] = k**2
        info[:, 0, 1] = info[:, 1, 0] = -k * g1
        info[:, 1, 1] = np.pi**2 / 6 + g1**2
    else:
        return None
    return info


@pytest.mark.parametrize(
    "name", [c for c in CASES if c.split(".")[0].split("_")[0] in ("normal", "gamma", "weibull")]
)
def test_vgam_se_is_expected_information(name):
    fx, d = _load(name)
    _, theta, names, cols = _loglik_fn(fx, d)
    _, b = _flat(fx)
    params = list(fx["designs"])
    info = _expected_information(fx, theta(b), len(d))
    p = len(names)
    F = np.empty((p, p))
    for i, (pi, ci) in enumerate(names):
        for j, (pj, cj) in enumerate(names):
            w = info[:, params.index(pi), params.index(pj)]
            F[i, j] = np.sum(w * cols[ci] * cols[cj])
    se = np.sqrt(np.diag(np.linalg.inv(F)))
    # VGAM's vcov uses the working weights of its last iteration (before the final update of
    # the coefficients): 1e-8 relative from the weights at the stored coefficients
    np.testing.assert_allclose(se, _flat(fx, "se")[1], rtol=1e-7)


def test_statsmodels_betamodel_agrees_with_vgam_betaff():
    sm = json.loads((DATA / "statsmodels_betamodel.json").read_text())
    vg = json.loads((DATA / "beta.json").read_text())
    assert sm["designs"] == vg["designs"] and sm["links"] == vg["links"]
    assert sm["loglik"] == pytest.approx(vg["loglik"], rel=1e-10)
    np.testing.assert_allclose(_flat(sm)[1], _flat(vg)[1], rtol=1e-7)
    np.testing.assert_allclose(_flat(sm, "se")[1], _flat(vg, "se_observed")[1], rtol=1e-7)
