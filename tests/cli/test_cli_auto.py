"""``mlekit fit -F auto`` and ``-F a,b,c`` (issue #24 item 3): the rule, the families tried
and why the others were skipped, in the table and in ``--json``."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import mlekit.datasets as ds
from mlekit.cli import main
from mlekit.families import FAMILIES


@pytest.fixture(autouse=True)
def _wide_output(monkeypatch):
    monkeypatch.setenv("COLUMNS", "120")


def run(capsys, *argv) -> tuple[int, str, str]:
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def one_line_error(code: int, err: str, *needles: str) -> None:
    assert code == 2, err
    lines = err.strip("\n").split("\n")
    assert len(lines) == 1 and lines[0].startswith("mlekit: error: "), err
    for n in needles:
        assert n in lines[0], (n, lines[0])


def test_nile_auto_table_ranks_continuous_families(capsys):
    code, out, err = run(capsys, "fit", ds.path("nile"), "-c", "volume", "-F", "auto")
    assert code == 0, err
    rows = {line.split()[0]: line.split() for line in out.splitlines()
            if line.split() and line.split()[0] in FAMILIES}
    assert {"normal", "gamma", "lognormal", "negativebinomial"} <= set(rows)
    x = pd.read_csv(ds.path("nile"))["volume"].to_numpy(float)
    llf = float(np.sum(stats.norm.logpdf(x, x.mean(), x.std())))
    assert float(rows["normal"][2]) == pytest.approx(llf, abs=5e-4)  # printed to 6 digits
    ranked = list(rows)
    assert ranked.index("gamma") <= 1  # a continuous family in the top two
    assert "Rule: whole numbers, wide (IQR 234 >= 20, 85 distinct values >= 20)" in out
    assert "Tried: normal, cauchy" in out
    assert "dirichlet, multivariatenormal: multivariate" in out
    # the CLI speaks flags: the API's fixed={'n': value} becomes --fixed n=VALUE
    assert "binomial: needs a known n (fit it by name with --fixed n=VALUE)" in out


def test_count_data_rank_count_families_first(capsys):
    code, out, err = run(capsys, "fit", ds.path("randhie"), "-c", "mdvis", "-F", "auto",
                         "--json")
    assert code == 0, err
    data = json.loads(out)
    assert list(data["ranking"]) == ["negativebinomial", "geometric", "poisson"]
    assert data["best"] == "negativebinomial"
    assert data["tried"] == ["geometric", "negativebinomial", "poisson"]
    assert data["rule"].startswith("whole numbers, narrow (IQR 4 < 20")
    assert data["skipped"]["gamma"] == "continuous; narrow whole numbers are counts (see the rule)"
    assert set(data["tried"]) | set(data["skipped"]) == set(FAMILIES)


def test_list_compares_the_named_families(capsys):
    path = ds.path("strikes")
    code, out, err = run(capsys, "fit", path, "-c", "duration", "-F", "gamma,weibull,lognormal",
                         "--json")
    assert code == 0, err
    data = json.loads(out)
    assert set(data["ranking"]) == {"gamma", "weibull", "lognormal"}
    assert data["tried"] == ["gamma", "weibull", "lognormal"] and data["skipped"] == {}
    assert data["rule"] == "the families named"
    x = pd.read_csv(path)["duration"].to_numpy(float)
    shape, _, scale = stats.weibull_min.fit(x, floc=0)
    ref = float(np.sum(stats.weibull_min.logpdf(x, shape, scale=scale)))
    assert data["ranking"]["weibull"]["llf"] == pytest.approx(ref, rel=1e-6)
    aics = [r["AIC"] for r in data["ranking"].values()]
    assert aics == sorted(aics)
    code, out, err = run(capsys, "fit", path, "-c", "duration", "-F", "gamma, weibull")
    assert code == 0, err
    assert "Rule: the families named." in out and "Tried: gamma, weibull." in out
    assert "Skipped" not in out


def test_list_with_bootstrap(capsys):
    code, out, err = run(capsys, "fit", ds.path("strikes"), "-c", "duration", "-F",
                         "exponential,gamma", "--bootstrap", "5", "--json")
    assert code == 0, err
    rows = json.loads(out)["ranking"]
    assert all(1 / 6 <= r["p_boot"] <= 1 for r in rows.values())


@pytest.mark.parametrize(("family", "needles"), [
    ("gamma,weibul,lognormal", ("unknown family 'weibul'", "did you mean 'weibull'?")),
    ("gamma,,lognormal", ("entry 2 is empty",)),
])
def test_bad_list_is_one_line(capsys, family, needles):
    code, _, err = run(capsys, "fit", ds.path("nile"), "-c", "volume", "-F", family)
    one_line_error(code, err, *needles)


def test_list_refuses_single_family_options(capsys):
    code, _, err = run(capsys, "fit", ds.path("nile"), "-c", "volume", "-F", "gamma,normal",
                       "--fixed", "shape=2")
    one_line_error(code, err, "--family auto (or a list)", "--fixed")
    code, _, err = run(capsys, "fit", ds.path("nile"), "-c", "volume", "-F", "gamma",
                       "--bootstrap", "5")
    one_line_error(code, err, "--bootstrap B (B >= 1) needs --family auto or a list")
