"""`mlekit regress --event` (right-censored survival data) and `--trials` with `--formula`
give the API's numbers."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import mlekit as mk
from mlekit.cli import main

SURV = Path(__file__).parents[1] / "regression" / "data" / "r_censored" / "survival.csv"
REF = json.loads((SURV.parent / "survreg.json").read_text())


def _json(capsys, argv):
    assert main(argv) == 0
    return json.loads(capsys.readouterr().out)


@pytest.mark.parametrize("how", ["formula", "features"])
def test_event_gives_survreg_weibull(capsys, how):
    spec = ["--formula", "time ~ x1 + x2"] if how == "formula" else \
        ["--target", "time", "--features", "x1,x2"]
    out = _json(capsys, ["regress", str(SURV), *spec, "--event", "status", "-F", "weibull",
                         "--json"])
    np.testing.assert_allclose([out["params"][k] for k in ("Intercept", "x1", "x2")],
                               REF["weibull"]["coef"], rtol=1e-6)
    assert out["llf"] == pytest.approx(REF["weibull"]["loglik"], rel=1e-8)


def test_event_refusals(capsys):
    assert main(["regress", str(SURV), "-y", "time", "--features", "x1", "--event", "nope",
                 "-F", "weibull"]) == 2
    assert "no column 'nope'" in capsys.readouterr().err
    assert main(["regress", str(SURV), "-y", "time", "--features", "x1,status", "--event",
                 "status", "-F", "weibull"]) == 2
    assert "also the target or a feature" in capsys.readouterr().err
    assert main(["regress", str(SURV), "-y", "time", "--features", "x1", "--event", "status",
                 "-F", "weibull", "--dask"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "--event" in err[0] and "--dask" in err[0]


@pytest.mark.parametrize("how", ["formula", "features"])
def test_event_report_shows_the_cox_snell_residuals(tmp_path, capsys, how):
    """`--event --report`: the report of a censored regression draws its Cox–Snell
    residuals (censored where the response is), never the censored times as exact."""
    spec = ["--formula", "time ~ x1 + x2"] if how == "formula" else \
        ["--target", "time", "--features", "x1,x2"]
    out = tmp_path / "surv.html"
    assert main(["regress", str(SURV), *spec, "--event", "status", "-F", "weibull",
                 "--report", str(out), "--quiet"]) == 0
    page = out.read_text("utf-8")
    n_cen = int((pd.read_csv(SURV)["status"] == 0).sum())
    assert page.count("<svg") >= 2 and "Cox–Snell residuals: cumulative hazard" in page
    assert f"{n_cen} of them censored" in page and "Kaplan–Meier" in page
    assert "Residuals against fitted values" not in page  # (no exact-data panels)


def test_trials_with_a_formula(tmp_path, capsys):
    rng = np.random.default_rng(4)
    n = 150
    x = rng.standard_normal(n)
    t = rng.integers(1, 12, n)
    y = rng.binomial(t, 1 / (1 + np.exp(-(0.3 + 0.8 * x))))
    df = pd.DataFrame({"y": y, "x": x, "n": t})
    df.to_csv(tmp_path / "b.csv", index=False)
    out = _json(capsys, ["regress", str(tmp_path / "b.csv"), "--formula", "y ~ x",
                         "--trials", "n", "-F", "binomial", "--json"])
    api = mk.Regression(family="binomial").fit(df[["x"]], y, trials=t).result_
    np.testing.assert_allclose([out["params"]["Intercept"], out["params"]["x"]],
                               np.asarray(api.params), rtol=1e-10)
