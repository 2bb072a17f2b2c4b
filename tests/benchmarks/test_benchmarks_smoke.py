"""Every benchmark case runs at a tiny size (the benchmarks are not tests: this only proves
they still work; the numbers come from ``benchmarks/run.py --size full``)."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def bench():
    path = ROOT / "benchmarks" / "run.py"
    spec = importlib.util.spec_from_file_location("mlekit_bench_run", path)
    mod = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = mod
    spec.loader.exec_module(mod)
    return mod


@pytest.mark.parametrize("kind", ["logistic", "poisson"])
def test_glm_cases_agree_with_peers(bench, kind, capsys):
    out = bench.run_case(kind, "tiny", repeats=1)
    rows = {r["name"]: r for r in out["rows"]}
    assert "mlekit Regression" in rows and len(rows) >= 3
    mk = rows["mlekit Regression"]
    assert mk["rel grad"] <= 1e-8
    assert mk["time"] > 0 and mk["mem"] >= 0
    for name, r in rows.items():
        if "newton" in name:  # second-order peers reach the same optimum
            assert r["max |dθ|"] < 1e-6, name
    assert "x mlekit" in capsys.readouterr().out


def test_ols_case_and_longley_digits(bench):
    out = bench.run_case("ols", "tiny", repeats=1)
    rows = {r["name"]: r for r in out["rows"]}
    assert rows["numpy lstsq (design prebuilt)"]["max |dθ|"] < 1e-10
    assert out["longley_digits"]["mlekit"] >= 9


def test_univariate_kl_derive_growth_cases(bench):
    uni = bench.run_case("univariate", "tiny", repeats=1)
    assert {r["name"] for r in uni["rows"]} == {"gamma", "weibull", "beta", "studentt",
                                                "lognormal", "normal"}
    for r in uni["rows"]:
        assert r["nll diff"] > -1e-6 * 2000, r  # mlekit's NLL is never worse than scipy's
    kl = bench.run_case("kl", "tiny", repeats=1)
    assert all(r["max |diff|"] < 1e-12 for r in kl["rows"])
    der = bench.run_case("derive", "tiny", repeats=1)
    assert der["rows"][0]["cold"] > der["rows"][0]["warm"] > 0
    growth = bench.run_case("growth", "tiny", repeats=1)
    assert len(growth["vs_n"]) >= 2 and len(growth["vs_p"]) >= 2


def test_driver_writes_json(bench, tmp_path, capsys):
    assert bench.main(["--size", "tiny", "--cases", "kl", "--out", str(tmp_path)]) == 0
    files = list(tmp_path.glob("bench-tiny-*.json"))
    assert len(files) == 1
    data = json.loads(files[0].read_text())
    assert data["size"] == "tiny" and "kl" in data and data["blas"]
    assert "BLAS in the case subprocesses" in capsys.readouterr().out
    assert np.isfinite(data["kl"]["rows"][0]["time"])
