"""``mlekit regress --formula … --param-formula NAME=FORMULA`` (and ``--link NAME=LINK``).

The command's JSON equals the API fit on the same formulas (llf, every coefficient of
every block); the printed table has one block per parameter; a bad ``--param-formula`` or
``--link`` entry is one line on stderr and exit status 2, never a traceback.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import mlekit as mk
from mlekit.cli import main


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, pd.DataFrame]:
    rng = np.random.default_rng(31)
    n = 150
    df = pd.DataFrame({"x1": rng.normal(size=n), "x2": rng.normal(size=n),
                       "g": rng.choice(["a", "b"], n)})
    df["y"] = 1 + df.x1 - 0.5 * df.x2 + np.exp(0.3 * df.x1 + 0.2 * (df.g == "b")) * \
        rng.normal(size=n)
    path = tmp_path_factory.mktemp("param-formula") / "d.csv"
    df.to_csv(path, index=False)
    return path, pd.read_csv(path)


def _run(argv: list[str], capsys) -> tuple[int, str, str]:
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def test_json_equals_the_api(data, capsys):
    path, df = data
    code, out, err = _run(["regress", str(path), "--formula", "y ~ x1 + x2",
                           "--param-formula", "sigma=~ x1 + C(g)", "--json"], capsys)
    assert code == 0, err
    got = json.loads(out)
    ref = mk.Regression.from_formula({"mu": "y ~ x1 + x2", "sigma": "~ x1 + C(g)"}, df,
                                     family="normal").result_
    assert got["info"]["Log-likelihood"] == pytest.approx(ref.llf, rel=1e-12)
    assert got["formulas"] == {"mu": "y ~ x1 + x2", "sigma": "~ x1 + C(g)"}
    assert list(got["blocks"]) == ["mu", "sigma"]
    for p, table in ref.coefs.items():
        assert list(got["blocks"][p]) == list(table.index)
        for term, row in table.iterrows():
            assert got["blocks"][p][term]["coef"] == pytest.approx(row["coef"], rel=1e-12)
            assert got["rows"][f"{p}:{term}"]["std err"] == pytest.approx(row["std err"],
                                                                          rel=1e-12)


def test_table_has_one_block_per_parameter(data, capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "120")
    path, _ = data
    code, out, err = _run(["regress", str(path), "--formula", "y ~ x1",
                           "--param-formula", "sigma=~ x2"], capsys)
    assert code == 0, err
    lines = out.splitlines()
    mu = next(i for i, ln in enumerate(lines) if ln.strip().startswith("mu  (identity link)"))
    sigma = next(i for i, ln in enumerate(lines) if ln.strip().startswith("sigma  (log link)"))
    assert mu < sigma
    assert any(ln.strip().startswith("x2") for ln in lines[sigma:])


def test_per_parameter_links_and_repeats(data, capsys):
    """--link LINK for the location plus NAME=LINK; two --param-formula options."""
    path, df = data
    code, out, err = _run(["regress", str(path), "--family", "studentt", "--formula", "y ~ x1",
                           "--param-formula", "sigma=~ x1", "--param-formula", "nu=~ 1",
                           "--link", "identity", "--link", "sigma=log,nu=log", "--json"],
                          capsys)
    assert code == 0, err
    got = json.loads(out)
    ref = mk.Regression.from_formula({"mu": "y ~ x1", "sigma": "~ x1"}, df, family="studentt",
                                     link={"mu": "identity", "sigma": "log", "nu": "log"}
                                     ).result_
    assert got["info"]["Log-likelihood"] == pytest.approx(ref.llf, rel=1e-10)
    assert got["blocks"]["sigma"]["x1"]["coef"] == pytest.approx(
        ref.coefs["sigma"].loc["x1", "coef"], rel=1e-8)


def test_report_with_param_formulas(data, capsys, tmp_path):
    path, _ = data
    out = tmp_path / "r.html"
    code, _, err = _run(["regress", str(path), "--formula", "y ~ x1", "--param-formula",
                         "sigma=~ x1", "--report", str(out), "--quiet"], capsys)
    assert code == 0, err
    assert out.stat().st_size > 1000


_BAD = [
    ("no-equals", ["--formula", "y ~ x1", "--param-formula", "sigma~ x1"], "NAME=FORMULA"),
    ("no-name", ["--formula", "y ~ x1", "--param-formula", "=~ x1"], "NAME=FORMULA"),
    ("dunder-name", ["--formula", "y ~ x1", "--param-formula", "__class__=~ x1"],
     "NAME=FORMULA"),
    ("empty-formula", ["--formula", "y ~ x1", "--param-formula", "sigma= "], "empty"),
    ("twice", ["--formula", "y ~ x1", "--param-formula", "sigma=~ x1", "--param-formula",
               "sigma=~ x2"], "twice"),
    ("unknown", ["--formula", "y ~ x1", "--param-formula", "tau=~ x1"], "'tau'"),
    ("location", ["--formula", "y ~ x1", "--param-formula", "mu=~ x2"], "location"),
    ("no-formula", ["-y", "y", "--param-formula", "sigma=~ x1"], "needs --formula"),
    ("response", ["--formula", "y ~ x1", "--param-formula", "sigma=y ~ x1"], "response"),
    ("zero", ["--formula", "y ~ x1", "--param-formula", "sigma=~ 0"], "'sigma'"),
    ("missing-column", ["--formula", "y ~ x1", "--param-formula", "sigma=~ qq"], "'qq'"),
    ("grammar", ["--formula", "y ~ x1", "--param-formula", "sigma=~ x1 +"], "'sigma'"),
    ("dask", ["--formula", "y ~ x1", "--param-formula", "sigma=~ x1", "--dask"],
     "not available with --dask"),
    ("bad-link", ["--formula", "y ~ x1", "--link", "sigma=logg"], "'logg'"),
    ("link-no-name", ["--formula", "y ~ x1", "--link", "=log"], "NAME=LINK"),
    ("two-plain-links", ["--formula", "y ~ x1", "--link", "identity,log"], "two links"),
    ("link-unknown-param", ["--formula", "y ~ x1", "--link", "tau=log"], "'tau'"),
    ("link-twice", ["--formula", "y ~ x1", "--link", "identity", "--link", "mu=identity"],
     "twice"),
]


@pytest.mark.parametrize(("args", "fragment"), [pytest.param(a, f, id=i) for i, a, f in _BAD])
def test_bad_specs_are_one_line_exit_2(data, capsys, args, fragment):
    path, _ = data
    code, _, err = _run(["regress", str(path), *args], capsys)
    assert code == 2, err
    lines = [ln for ln in err.splitlines() if ln]
    assert len(lines) == 1 and lines[0].startswith("mlekit: error: "), err
    assert "Traceback" not in err
    assert fragment.lower() in lines[0].lower(), lines[0]
