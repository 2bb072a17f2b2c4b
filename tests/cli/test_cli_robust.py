"""`mlekit regress --cov-type cluster --groups COL` and `--cov-type HAC --maxlags L`
(issue #23, items 3 and 7): the standard errors of R's ``sandwich::vcovCL(type="HC1")``
and ``sandwich::NeweyWest(prewhite=FALSE)`` (fixtures of
``tests/regression/data/r_robust/make_fixtures.R``), and named errors for a missing or
misplaced option."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from mlekit.cli import main

DATA = Path(__file__).parents[1] / "regression" / "data" / "r_robust"
CSV = str(DATA / "robust.csv")
R = json.loads((DATA / "robust.json").read_text())


def _bse(out: dict) -> list[float]:
    return [out["bse"][k] for k in ("Intercept", "x1", "x2")]


def test_cluster_by_target_and_features_equals_r(capsys):
    assert main(["regress", CSV, "--target", "y_pois", "--features", "x1,x2", "--family",
                 "poisson", "--cov-type", "cluster", "--groups", "cluster", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    np.testing.assert_allclose(_bse(out), R["cluster_poisson"]["bse"], rtol=1e-6)
    assert out["cov_type"] == "cluster (30 groups, CR1)"


def test_cluster_with_formula_equals_r(capsys):
    assert main(["regress", CSV, "--formula", "y_bin ~ x1 + x2", "--family", "bernoulli",
                 "--cov-type", "cluster", "--groups", "cluster", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    np.testing.assert_allclose(_bse(out), R["cluster_logit"]["bse"], rtol=1e-6)


def test_groups_column_is_not_a_default_feature(capsys, tmp_path):
    """Without --features every numeric column but the target is a feature; the
    --groups column is left out (here a numeric copy of the cluster labels)."""
    import pandas as pd

    d = pd.read_csv(CSV)
    d = d.assign(cl=pd.factorize(d["cluster"])[0])[["cl", "x1", "x2", "y_pois"]]
    path = tmp_path / "numeric_clusters.csv"
    d.to_csv(path, index=False)
    assert main(["regress", str(path), "--target", "y_pois", "--family", "poisson",
                 "--cov-type", "cluster", "--groups", "cl", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["features"] == ["x1", "x2"]
    np.testing.assert_allclose(_bse(out), R["cluster_poisson"]["bse"], rtol=1e-6)


def test_hac_equals_r_neweywest(capsys):
    assert main(["regress", CSV, "--target", "y_lin", "--features", "x1,x2",
                 "--cov-type", "HAC", "--maxlags", "4", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    np.testing.assert_allclose(_bse(out), R["hac_lm_L4"]["bse"], rtol=1e-6)
    assert out["cov_type"] == "HAC (maxlags = 4, Bartlett)"


@pytest.mark.parametrize("args, words", [
    (["--cov-type", "cluster"], "--cov-type cluster needs --groups COLUMN"),
    (["--cov-type", "HC1", "--groups", "cluster"], "used by --cov-type cluster only"),
    (["--cov-type", "HAC"], "--cov-type HAC needs --maxlags L"),
    (["--cov-type", "HAC", "--maxlags", "-2"], "got -2"),
    (["--maxlags", "3"], "used by --cov-type HAC only"),
    (["--cov-type", "cluster", "--groups", "firm"], "no column 'firm'"),
    (["--cov-type", "cluster", "--groups", "x1", "--features", "x1,x2"],
     "--groups x1: the column is also the target or a feature"),
])
def test_bad_options_are_one_line_errors(capsys, args, words):
    assert main(["regress", CSV, "--target", "y_pois", "--family", "poisson", *args]) == 2
    err = capsys.readouterr().err
    assert words in err and "Traceback" not in err
