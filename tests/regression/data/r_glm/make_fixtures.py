"""Regenerate the R glm fixtures of this directory (run by hand, never by the tests).

Reads R's ``glm`` results as shipped in statsmodels'
``statsmodels/genmod/tests/results/results_glm.py`` and writes one JSON per case, plus the
small CSV data sets that statsmodels.datasets does not ship. Usage (from the project root):

    python tests/regression/data/r_glm/make_fixtures.py
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import statsmodels
from statsmodels.genmod.tests.results import results_glm as R

HERE = Path(__file__).resolve().parent
SRC = Path(R.__file__).resolve().parent

# case -> (results class, family, link, data source, note)
CASES = {
    "gaussian_log": (R.GaussianLog, "normal", "log", "gaussian_log.csv"),
    "gaussian_inverse": (R.GaussianInverse, "normal", "inverse", "gaussian_inverse.csv"),
    "star98": (R.Star98, "binomial", "logit", "statsmodels.datasets.star98"),
    "lbw": (R.Lbw, "bernoulli", "logit", "lbw.csv"),
    "scotvote": (R.Scotvote, "gamma", "inverse", "statsmodels.datasets.scotland"),
    "cpunish": (R.Cpunish, "poisson", "log", "statsmodels.datasets.cpunish"),
    "invgauss": (R.InvGauss, "inversegaussian", "inverse_squared", "invgauss.csv"),
    "medpar1_invgauss_log": (R.InvGaussLog, "inversegaussian", "log", "medpar1.csv"),
    "medpar1_invgauss_identity": (R.InvGaussIdentity, "inversegaussian", "identity",
                                  "medpar1.csv"),
    "committee": (R.Committee, "negativebinomial", "log", "statsmodels.datasets.committee"),
}
# dispersion parameters R estimates by Pearson chi² / df_resid (summary.glm); 1 otherwise
PEARSON = {"normal", "gamma", "inversegaussian", "negativebinomial"}
# R's AIC counts the dispersion as a parameter for these families (gaussian, Gamma,
# inverse.gaussian: family$aic adds 2), not for negative.binomial(theta) (theta is fixed)
AIC_EXTRA = {"normal": 1, "gamma": 1, "inversegaussian": 1}


def _generated() -> None:
    """The two data sets statsmodels' test_glm.py generates (TestGaussianLog/Inverse)."""
    nobs = 100
    x = np.arange(nobs)
    rs = np.random.RandomState(54321)
    lny = np.exp(-(-1.0 + 0.02 * x + 0.0001 * x**2)) + 0.001 * rs.randn(nobs)
    pd.DataFrame({"y": lny, "x": x, "x2": x**2}).to_csv(
        HERE / "gaussian_log.csv", index=False, float_format="%.17g")
    rs = np.random.RandomState(54321)
    _ = 1.0 + 2.0 * x + x**2 + 0.1 * rs.randn(nobs)  # (drawn first in test_glm.py)
    y_inv = (1.0 + 0.02 * x + 0.001 * x**2) ** -1 + 0.001 * rs.randn(nobs)
    pd.DataFrame({"y": y_inv, "x": x, "x2": x**2}).to_csv(
        HERE / "gaussian_inverse.csv", index=False, float_format="%.17g")


def _copies() -> None:
    lbw = pd.read_csv(SRC / "stata_lbw_glm.csv")
    out = pd.DataFrame({
        "low": lbw.low, "age": lbw.age, "lwt": lbw.lwt,
        "race_black": (lbw.race == "black").astype(int),
        "race_other": (lbw.race == "other").astype(int),
        "smoke": lbw.smoke, "ptl": lbw.ptl, "ht": lbw.ht, "ui": lbw.ui})
    out.to_csv(HERE / "lbw.csv", index=False)
    med = pd.read_csv(SRC / "stata_medpar1_glm.csv")
    pd.DataFrame({"los": med.los, "codes": med.codes,
                  "type3": (med.admitype == "type3").astype(int)}).to_csv(
        HERE / "medpar1.csv", index=False)
    lines = (SRC / "inv_gaussian.csv").read_text().splitlines()[:5001]  # R used 5000 rows
    (HERE / "invgauss.csv").write_text("\n".join(lines) + "\n")


def main() -> None:
    _generated()
    _copies()
    for name, (cls, family, link, data) in CASES.items():
        r = cls()
        params = np.atleast_1d(np.asarray(r.params, float))
        bse = np.atleast_1d(np.asarray(r.bse, float))
        k = params.size + AIC_EXTRA.get(family, 0)
        fx = {
            "case": name,
            "source": f"R glm, via statsmodels {statsmodels.__version__} "
                      f"genmod/tests/results/results_glm.py::{cls.__name__}",
            "family": family, "link": link, "data": data,
            # the order of R's coefficients: the constant first for the two generated data
            # sets (np.c_[1, x, x**2]), last elsewhere (add_constant(prepend=False))
            "constant": "first" if name.startswith("gaussian") else "last",
            "params": params.tolist(), "bse": bse.tolist(),
            "deviance": float(r.deviance), "null_deviance": float(r.null_deviance),
            "aic": float(r.aic_R),
            # R's log-likelihood, from its AIC: llf = -(AIC - 2 k)/2
            "llf": -(float(r.aic_R) - 2 * k) / 2,
            "aic_k": k,
            "dispersion": float(r.scale) if family in PEARSON else 1.0,
            "pearson_dispersion": family in PEARSON,
        }
        if name == "committee":
            fx["alpha"] = 1.0  # MASS::negative.binomial(theta = 1)
        (HERE / f"{name}.json").write_text(json.dumps(fx, indent=1) + "\n")


if __name__ == "__main__":
    main()
