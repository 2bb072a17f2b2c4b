"""`mlekit regress --ci profile|bootstrap`, `--predict NEW --out FILE` and `fit --ci
bootstrap` give the API's numbers (MASS::confint for the profile)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import mlekit as mk
from mlekit.cli import main

DATA = Path(__file__).parents[1] / "regression" / "data" / "r_profile"
REF = json.loads((DATA / "fixtures.json").read_text())


def _json(capsys, argv):
    assert main(argv) == 0
    return json.loads(capsys.readouterr().out)


def test_regress_profile_ci_equals_mass_confint(capsys):
    out = _json(capsys, ["regress", str(DATA / "glm_data.csv"), "--formula",
                         "count ~ x1 + x2", "-F", "poisson", "--ci", "profile", "--json"])
    assert out["ci_method"] == "profile"
    got = np.array([out["conf_int"][k] for k in ("Intercept", "x1", "x2")])
    np.testing.assert_allclose(got[:, 0], REF["poisson"]["lower"], atol=1e-4)
    np.testing.assert_allclose(got[:, 1], REF["poisson"]["upper"], atol=1e-4)


def test_regress_bootstrap_ci_equals_the_api(capsys):
    df = pd.read_csv(DATA / "glm_data.csv")
    out = _json(capsys, ["regress", str(DATA / "glm_data.csv"), "--target", "y",
                         "--features", "x1,x2", "-F", "normal", "--ci", "bootstrap",
                         "--bootstrap", "99", "--json"])
    m = mk.Regression(family="normal").fit(df[["x1", "x2"]], df["y"])
    api = m.conf_int(df[["x1", "x2"]], df["y"], method="bootstrap", n_boot=99, rng=0)
    np.testing.assert_allclose([out["conf_int"][k] for k in api.index], api.to_numpy(),
                               rtol=1e-12)


def test_regress_predict_writes_intervals(tmp_path, capsys):
    df = pd.read_csv(DATA / "glm_data.csv")
    new = tmp_path / "new.csv"
    df[["x1", "x2"]].head(5).to_csv(new, index=False)
    out = tmp_path / "pred.csv"
    assert main(["regress", str(DATA / "glm_data.csv"), "--target", "y", "--features",
                 "x1,x2", "-F", "normal", "--predict", str(new), "--out", str(out),
                 "--quiet"]) == 0
    got = pd.read_csv(out)
    m = mk.Regression(family="normal").fit(df[["x1", "x2"]], df["y"])
    pi = np.asarray(m.predict_interval(df[["x1", "x2"]].head(5)))
    np.testing.assert_allclose(got[["lower", "upper"]].to_numpy(), pi, rtol=1e-12)
    np.testing.assert_allclose(got["prediction"], m.predict(df[["x1", "x2"]].head(5)),
                               rtol=1e-12)
    # never over an input
    assert main(["regress", str(DATA / "glm_data.csv"), "--target", "y", "--features",
                 "x1,x2", "-F", "normal", "--predict", str(new), "--out", str(new)]) == 2
    assert "input" in capsys.readouterr().err


@pytest.mark.parametrize("argv, words", [
    (["--ci", "jackknife"], "--ci must be"),
    (["--bootstrap", "50"], "--ci bootstrap"),
    (["--predict", "x.csv"], "go together"),
])
def test_regress_interval_refusals(capsys, argv, words):
    assert main(["regress", str(DATA / "glm_data.csv"), "--target", "y", "--features", "x1",
                 *argv]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and words in err[0]


def test_fit_bootstrap_ci_equals_the_api(tmp_path, capsys):
    csv = tmp_path / "nile.csv"
    mk.datasets.load("nile").to_csv(csv, index=False)
    out = _json(capsys, ["fit", str(csv), "-c", "volume", "-F", "gamma", "--ci", "bootstrap",
                         "--bootstrap", "99", "--json"])
    res = mk.fit(mk.datasets.load("nile")["volume"], "gamma")
    api = res.conf_int(0.95, method="bootstrap", n_boot=99, rng=0)
    assert out["ci_method"] == "bootstrap"
    np.testing.assert_allclose(out["conf_int"]["shape"], api["shape"], rtol=1e-12)
