"""statsmodels' BetaModel (mean logit ~ x1 + x2, precision log ~ x1) on ``beta.csv``.

Run from the repository root after ``make_fixtures.R`` (which writes ``beta.csv`` and
``beta.json``)::

    .venv/bin/python tests/regression/data/r_vgam/make_statsmodels_fixture.py

Writes ``statsmodels_betamodel.json`` in the same structure as VGAM's ``beta.json`` and prints
its agreement with VGAM's betaff fit (max relative difference of llf, coefficients and standard
errors). statsmodels' standard errors come from the observed information (its analytic
Hessian), so they are compared with ``se_observed`` of ``beta.json``.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import scipy
import statsmodels
from statsmodels.othermod.betareg import BetaModel

HERE = Path(__file__).resolve().parent


def main() -> None:
    """Fit, write the JSON, print the agreement with VGAM."""
    d = pd.read_csv(HERE / "beta.csv", dtype=float)
    X = np.column_stack([np.ones(len(d)), d["x1"], d["x2"]])
    Z = np.column_stack([np.ones(len(d)), d["x1"]])
    model = BetaModel(d["y"].to_numpy(), X, exog_precision=Z)  # logit mean, log precision
    vgam = json.loads((HERE / "beta.json").read_text())
    # statsmodels' own start values and optimiser, then Newton steps to a tight optimum
    res = model.fit(method="bfgs", maxiter=1000, gtol=1e-10, disp=False)
    res = model.fit(start_params=res.params, method="newton", maxiter=100, tol=1e-14, disp=False)
    b = np.asarray(res.params, float)
    se = np.asarray(res.bse, float)
    grad = model.score(b)
    des = {"mean": ["Intercept", "x1", "x2"], "precision": ["Intercept", "x1"]}
    idx = {"mean": [0, 1, 2], "precision": [3, 4]}
    out = {
        "family": "beta",
        "model": "sub",
        "software": "statsmodels BetaModel",
        "call": (
            "BetaModel(y, [1, x1, x2], exog_precision=[1, x1]) (logit mean, log precision); "
            "fit(method='bfgs', gtol=1e-10) then fit(method='newton', tol=1e-14)"
        ),
        "statsmodels_version": statsmodels.__version__,
        "scipy_version": scipy.__version__,
        "numpy_version": np.__version__,
        "data": "beta.csv",
        "n": len(d),
        "response": "y",
        "links": {"mean": "logit", "precision": "log"},
        "designs": des,
        "coef": {p: {c: float(b[i]) for c, i in zip(des[p], idx[p], strict=True)} for p in des},
        "se": {p: {c: float(se[i]) for c, i in zip(des[p], idx[p], strict=True)} for p in des},
        "se_information": "observed: statsmodels' bse (inverse of its analytic Hessian)",
        "loglik": float(res.llf),
        "max_abs_grad_times_se": float(np.max(np.abs(grad) * se)),
        "sm_param_order": [f"{p}:{c}" for p in des for c in des[p]],
    }
    text = json.dumps(out, indent=2)
    (HERE / "statsmodels_betamodel.json").write_text(text + "\n")

    rel_llf = abs(res.llf - vgam["loglik"]) / abs(vgam["loglik"])
    vb = np.array([vgam["coef"][p][c] for p in des for c in des[p]])
    vse = np.array([vgam["se_observed"][p][c] for p in des for c in des[p]])
    rel_coef = np.max(np.abs(b - vb) / np.abs(vb))
    rel_se = np.max(np.abs(se - vse) / vse)
    print(
        f"statsmodels {statsmodels.__version__}: llf = {float(res.llf)!r}, VGAM {vgam['loglik']!r}"
    )
    print(f"max |grad| * se = {out['max_abs_grad_times_se']:.2e}")
    print(
        f"relative difference vs VGAM betaff: llf {rel_llf:.2e}, coef (max) {rel_coef:.2e}, "
        f"se vs VGAM's observed-information se (max) {rel_se:.2e}"
    )


if __name__ == "__main__":
    main()
