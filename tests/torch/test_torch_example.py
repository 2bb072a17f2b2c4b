"""Smoke test of examples/mlp_losses.py with a tiny budget."""

from __future__ import annotations

import pathlib
import runpy

import pytest

pytest.importorskip("torch")

EXAMPLE = pathlib.Path(__file__).resolve().parents[2] / "examples" / "mlp_losses.py"


def test_mlp_example_runs(capsys):
    mod = runpy.run_path(str(EXAMPLE), run_name="mlp_losses_smoke")
    mod["main"](["--epochs", "5", "--splits", "1"])
    out = capsys.readouterr().out
    for text in ("MSE (constant sigma)", "Gaussian NLL, sigma(x)", "Student-t NLL", "cover",
                 "MAE", "runtime"):
        assert text in out
