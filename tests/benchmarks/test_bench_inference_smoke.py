"""``benchmarks/bench_inference.py`` (issue #23's inference benchmarks) runs every case at
a tiny size and its comparisons agree (nothing is timed here: the figures come from
``python benchmarks/bench_inference.py --size full``)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def bench():
    path = ROOT / "benchmarks" / "bench_inference.py"
    spec = importlib.util.spec_from_file_location("mlekit_bench_inference", path)
    mod = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = mod
    spec.loader.exec_module(mod)
    return mod


def test_bootstrap_case_same_replicates_as_statsmodels(bench, capsys):
    out = bench.case_bootstrap(bench.SIZES["tiny"], repeats=1)
    # the same resamples refitted by statsmodels: the same percentile ends
    assert out["gap_statsmodels"] < 1e-6
    assert out["gap_one_at_a_time"] < 1e-9
    assert "speed-up" in capsys.readouterr().out


def test_profile_case_counts_refits(bench):
    out = bench.case_profile(bench.SIZES["tiny"], repeats=1)
    assert 2 <= out["refits_per_bound"] <= 20


def test_cv_case_agrees_with_logistic_regression_cv(bench):
    out = bench.case_cv(bench.SIZES["tiny"], repeats=1)
    assert out["alpha_sklearn_1e-08"] == pytest.approx(out["alpha_mlekit"], rel=1e-9)
    assert out["coef_diff_1e-08"] < 1e-5
