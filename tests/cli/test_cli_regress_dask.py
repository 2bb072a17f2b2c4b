"""`mlekit regress --dask` fits Parquet files lazily and agrees with the in-memory fit."""

import json

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from mlekit.cli import app, main

pytest.importorskip("dask")
pytest.importorskip("pyarrow")


def _data(tmp_path):
    rng = np.random.default_rng(3)
    n = 3000
    x1, x2 = rng.normal(size=n), rng.normal(size=n)
    y = rng.poisson(np.exp(0.2 + 0.5 * x1 - 0.3 * x2)).astype(float)
    df = pd.DataFrame({"x1": x1, "x2": x2, "y": y})
    d = tmp_path / "data"
    d.mkdir()
    for i, part in enumerate(np.array_split(np.arange(n), 3)):
        df.iloc[part].to_parquet(d / f"part{i}.parquet")
    df.to_csv(tmp_path / "all.csv", index=False)
    return d, tmp_path / "all.csv"


def test_regress_dask_matches_in_memory(tmp_path):
    d, csv = _data(tmp_path)
    runner = CliRunner()
    lazy = runner.invoke(app, ["regress", str(d / "*.parquet"), "--target", "y",
                               "--family", "poisson", "--dask", "--json"])
    assert lazy.exit_code == 0, lazy.output
    eager = runner.invoke(app, ["regress", str(csv), "--target", "y", "--features", "x1,x2",
                                "--family", "poisson", "--json"])
    assert eager.exit_code == 0, eager.output
    a, b = json.loads(lazy.stdout)["rows"], json.loads(eager.stdout)["rows"]
    for name in ("x1", "x2"):
        assert a[name]["coef"] == pytest.approx(b[name]["coef"], rel=1e-8)
        assert a[name]["std err"] == pytest.approx(b[name]["std err"], rel=1e-6)


def test_regress_scheduler_without_dask_is_a_clean_error(tmp_path, capsys):
    _, csv = _data(tmp_path)
    code = main(["regress", str(csv), "--target", "y", "--scheduler", "tcp://127.0.0.1:1"])
    err = capsys.readouterr().err
    assert code == 2
    assert err.count("\n") == 1 and "--scheduler needs --dask" in err
