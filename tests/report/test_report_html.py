"""The HTML report: self-contained, atomic, never over an input, all six ideas checked."""

from __future__ import annotations

import json
import os
import re

import numpy as np
import pytest

import mlekit.datasets as ds
from mlekit.errors import DataError
from mlekit.report import (
    check_output_path,
    derive_report,
    fit_report,
    kl_report,
    regress_report,
    write_html,
)


def assert_self_contained(text: str) -> None:
    """No scripts, no external resources (only XML namespace URIs may mention http)."""
    assert "<script" not in text.lower()
    assert "@import" not in text and "@font-face" not in text
    for m in re.finditer(r"""(?:src|href)\s*=\s*["']([^"']*)["']""", text):
        url = m.group(1)
        assert url.startswith("#"), f"external reference {url!r}"
    for m in re.finditer(r"url\(([^)]*)\)", text):
        assert m.group(1).strip("'\" ").startswith("#"), m.group(0)
    assert "xlink:href=\"http" not in text


# ---------------------------------------------------------------------------- writing
def test_write_html_is_atomic_and_replaces(tmp_path):
    out = tmp_path / "r.html"
    out.write_text("old")
    write_html(out, "<html>new</html>")
    assert out.read_text() == "<html>new</html>"
    assert [p.name for p in tmp_path.iterdir()] == ["r.html"]  # no temp file left


def test_write_html_failure_keeps_old_file(tmp_path, monkeypatch):
    out = tmp_path / "r.html"
    out.write_text("old")

    def boom(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", boom)
    with pytest.raises(OSError):
        write_html(out, "<html>new</html>")
    assert out.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["r.html"]


def test_refuses_input_file_and_directory(tmp_path):
    data = tmp_path / "data.csv"
    data.write_text("x\n1\n")
    with pytest.raises(DataError, match="refusing to write the report over the input file"):
        check_output_path(data, [data])
    with pytest.raises(DataError, match="refusing"):
        check_output_path(tmp_path / "." / "data.csv", [data])
    with pytest.raises(DataError, match="is a directory"):
        check_output_path(tmp_path, [])
    with pytest.raises(DataError, match="does not exist"):
        check_output_path(tmp_path / "missing" / "r.html", [])
    assert data.read_text() == "x\n1\n"


# ---------------------------------------------------------------------------- single reports
def test_fit_report(tmp_path):
    import mlekit  # noqa: F401  (installs the fit backend)
    from mlekit.estimate import fit

    x = ds.load("nile")["volume"].to_numpy(float)
    res = fit(x, "normal")
    out = fit_report(res, x, tmp_path / "fit.html", source="nile.csv · column volume")
    text = out.read_text(encoding="utf-8")
    assert text.count("<svg") == 4  # histogram, QQ, profile, underflow
    assert "919.35" in text and "Normal" in text
    assert_self_contained(text)


def test_regress_reports(tmp_path):
    import pandas as pd

    from mlekit.regression import Regression

    df = ds.load("anes96")
    X, y = df[["PID", "age"]], df["vote"].to_numpy(float)
    m = Regression(family="bernoulli").fit(X, y)
    text = regress_report(m, X, y, tmp_path / "logit.html").read_text(encoding="utf-8")
    assert "Calibration" in text and text.count("<svg") == 1
    eng = ds.load("engel")
    X2 = pd.DataFrame({"income": eng["income"]})
    m2 = Regression(family="normal").fit(X2, eng["foodexp"])
    text = regress_report(m2, X2, eng["foodexp"], tmp_path / "lin.html").read_text(
        encoding="utf-8")
    assert "Residuals" in text and text.count("<svg") == 2
    assert_self_contained(text)
    iris = ds.load("iris")
    X3 = iris.drop(columns="species")
    m3 = Regression(family="categorical", alpha_l2=0.5).fit(X3, iris["species"])
    text = regress_report(m3, X3, iris["species"], tmp_path / "cat.html").read_text(
        encoding="utf-8")
    assert "Calibration by class" in text and text.count("<svg") == 1
    rh = ds.load("randhie").iloc[:500]
    X4 = rh[["lncoins", "physlm"]]
    m4 = Regression(family="poisson").fit(X4, rh["mdvis"])
    text = regress_report(m4, X4, rh["mdvis"], tmp_path / "pois.html").read_text(
        encoding="utf-8")
    assert "Pearson" in text and text.count("<svg") == 2


def test_kl_and_derive_reports(tmp_path):
    from mlekit.derive import derive
    from mlekit.divergence import kl
    from mlekit.families import Normal

    p, q = Normal(0, 1), Normal(1, 2)
    text = kl_report(p, q, kl(p, q), kl(q, p), tmp_path / "kl.html").read_text(encoding="utf-8")
    assert "0.443147" in text and "<svg" in text
    assert_self_contained(text)
    d = derive("normal", wrt="mu", fixed=["sigma"])
    text = derive_report(d, Normal, tmp_path / "d.html").read_text(encoding="utf-8")
    assert text.count("<math") >= 5 and "squared error" in text
    assert_self_contained(text)


# ---------------------------------------------------------------------------- the demo
def test_demo_all_checks_pass(demo_sections):
    assert [s.number for s in demo_sections] == [1, 2, 3, 4, 5, 6]
    failed = [(s.number, t) for s in demo_sections for ok, t in s.checks if not ok]
    assert not failed, failed
    assert sum(len(s.checks) for s in demo_sections) >= 18


def test_demo_numbers(demo_sections):
    by = {s.number: dict(s.facts) for s in demo_sections}
    x = ds.load("nile")["volume"].to_numpy(float)
    assert by[1]["μ̂ (mean flow)"] == pytest.approx(x.mean(), rel=1e-12)
    assert by[1]["ages: raw product Π p(x_i)"] == 0.0
    assert np.isfinite(by[1]["ages: Σ log p(x_i)"])
    assert by[5]["named loss"] == "squared error"
    assert by[6]["named loss"] == "binary cross-entropy"
    assert by[6]["sklearn log_loss (sum)"] == pytest.approx(by[6]["a · Σ BCE_i + c"], rel=1e-10)


def test_demo_json_is_valid(demo_sections):
    from mlekit.cli import _jsonable
    from mlekit.report.demo import demo_json

    data = json.loads(json.dumps(_jsonable(demo_json(demo_sections)), allow_nan=False))
    assert data["ok"] is True and len(data["sections"]) == 6


def test_demo_html(demo_html):
    text = demo_html.read_text(encoding="utf-8")
    assert_self_contained(text)
    assert text.count("<section") == 6
    assert text.count("<svg") >= 10
    assert text.count('class="mlekit-derivation"') == 2
    assert text.count("<math") >= 10
    assert "✘" not in text and text.count("✔") >= 18
    assert len(text) < 2_000_000


def test_print_demo(demo_sections):
    from rich.console import Console

    con = Console(record=True, width=100, force_terminal=False)
    from mlekit.report.demo import print_demo

    print_demo(demo_sections, con)
    out = con.export_text()
    assert "checks passed" in out and "✘" not in out
    assert "squared error" in out and "binary cross-entropy" in out


def test_demo_command_json_and_out(demo_sections, capsys, tmp_path, monkeypatch):
    """`mlekit demo --json --out`: the CLI plumbing (the demo itself is computed once)."""
    from mlekit.cli import main
    from mlekit.report import demo as demo_mod

    monkeypatch.setattr(demo_mod, "run_demo", lambda progress=False: demo_sections)
    out_html = tmp_path / "demo.html"
    code = main(["demo", "--json", "--out", str(out_html)])
    out, err = capsys.readouterr()
    assert code == 0, err
    data = json.loads(out)
    assert data["ok"] is True and len(data["sections"]) == 6
    assert out_html.read_text(encoding="utf-8").count("<section") == 6
    code = main(["demo"])
    out, _ = capsys.readouterr()
    assert code == 0 and "checks passed" in out and "✘" not in out
    code = main(["demo", "--out", str(tmp_path / "missing" / "d.html")])
    _, err = capsys.readouterr()
    assert code == 2 and err.startswith("mlekit: error: ") and err.count("\n") == 1
