"""`mlekit compare-models`: the AIC table, the LR test of nested formulas (= lmtest) and
Vuong's test of non-nested ones (= pscl), from the committed R fixtures."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mlekit.cli import main

DATA = Path(__file__).parents[1] / "regression" / "data" / "r_compare"


def _json(capsys, argv):
    assert main(argv) == 0
    return json.loads(capsys.readouterr().out)


def test_nested_poisson_formulas_give_lmtest(capsys):
    ref = json.loads((DATA / "compare.json").read_text())
    out = _json(capsys, ["compare-models", str(DATA / "compare.csv"), "-F", "poisson",
                         "--formula", "count ~ x1", "--formula", "count ~ x1 + x2 + x3",
                         "--json"])
    (test,) = out["tests"]
    assert test["test"] == "likelihood ratio"
    lr = ref["lrtest_poisson"]
    assert test["statistic"] == pytest.approx(lr["statistic"], rel=1e-6)
    assert test["df"] == lr["df"]


def test_logit_vs_probit_gives_vuong(capsys):
    ref = json.loads((DATA / "compare.json").read_text())
    out = _json(capsys, ["compare-models", str(DATA / "compare.csv"), "-F", "bernoulli",
                         "--link", "logit", "--link", "probit",
                         "--formula", "z ~ x1 + x2", "--formula", "z ~ x1 + x2 + x3",
                         "--json"])
    (test,) = out["tests"]
    assert test["test"] == "Vuong"
    v = ref["vuong_logit_probit"]
    assert test["statistic"] == pytest.approx(v["statistic"][0], rel=1e-6)
    assert test["statistic_aic"] == pytest.approx(v["statistic"][1], rel=1e-6)
    assert test["statistic_bic"] == pytest.approx(v["statistic"][2], rel=1e-6)
    assert [r["index"] for r in out["table"]] and len(out["table"]) == 2


def test_refusals(capsys):
    assert main(["compare-models", str(DATA / "compare.csv"), "--formula", "z ~ x1"]) == 2
    assert "two or more" in capsys.readouterr().err
    assert main(["compare-models", str(DATA / "compare.csv"), "--formula", "z ~ nope",
                 "--formula", "z ~ x1"]) == 2
    assert "no column 'nope'" in capsys.readouterr().err
