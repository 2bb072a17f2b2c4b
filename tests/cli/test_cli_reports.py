"""The CLI passes what the report needs: an auto fit's comparison (ranking table and
overlays) and interval-censored data (Turnbull panels)."""

from __future__ import annotations

from pathlib import Path

import mlekit as mk
from mlekit.cli import main

DATA = Path(__file__).parents[1] / "report" / "data"


def test_auto_report_shows_the_ranking(tmp_path, capsys):
    csv = tmp_path / "nile.csv"
    mk.datasets.load("nile").to_csv(csv, index=False)
    out = tmp_path / "auto.html"
    assert main(["fit", str(csv), "-c", "volume", "-F", "auto", "--report", str(out),
                 "--quiet"]) == 0
    html = out.read_text(encoding="utf-8")
    assert "ΔAIC" in html and "Families tried" in html


def test_interval_censored_report_uses_turnbull(tmp_path, capsys):
    out = tmp_path / "interval.html"
    assert main(["fit", str(DATA / "turnbull_interval.csv"), "--low", "low", "--high", "high",
                 "-F", "weibull", "--report", str(out), "--quiet"]) == 0
    assert "Turnbull" in out.read_text(encoding="utf-8")
