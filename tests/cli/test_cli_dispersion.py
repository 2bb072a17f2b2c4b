"""`mlekit regress --dispersion pearson|ml` gives the API's standard errors (R's lm and
the pure ML convention) and refuses, in CLI words, where Pearson is not defined."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

import mlekit as mk
from mlekit.cli import main

LONGLEY = Path(mk.__file__).parent / "datasets" / "data" / "longley.csv"


@pytest.mark.parametrize("dispersion", ["pearson", "ml"])
def test_dispersion_matches_the_api(capsys, dispersion):
    assert main(["regress", str(LONGLEY), "--target", "TOTEMP", "--family", "normal",
                 "--dispersion", dispersion, "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    df = mk.datasets.load("longley")
    X = df.drop(columns=["TOTEMP"])
    api = mk.Regression(family="normal", dispersion=dispersion).fit(X, df["TOTEMP"]).result_
    np.testing.assert_allclose([out["bse"][k] for k in ["Intercept", *X.columns]],
                               np.asarray(api.bse)[: X.shape[1] + 1], rtol=1e-10)


def test_pearson_ratio_is_n_over_n_minus_p(capsys):
    got = {}
    for d in ("pearson", "ml"):
        assert main(["regress", str(LONGLEY), "--target", "TOTEMP", "--family", "normal",
                     "--dispersion", d, "--json"]) == 0
        got[d] = json.loads(capsys.readouterr().out)["bse"]["GNP"]
    n, p = 16, 7
    assert got["pearson"] / got["ml"] == pytest.approx(np.sqrt(n / (n - p)), rel=1e-10)


def test_pearson_refused_in_cli_words(capsys):
    assert main(["regress", str(LONGLEY), "--target", "TOTEMP", "--family", "poisson",
                 "--dispersion", "pearson"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "--dispersion ml" in err[0] and "None" not in err[0]
