"""A censored-fit report and a ``--family auto`` report in headless Chromium: every figure
renders at a readable size, the console stays silent, and a screenshot is saved (copied to
``MLEKIT_SCREENSHOT_DIR`` when it is set). Skipped without Chromium, like
test_report_browser.py whose helpers it uses."""

from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path

import numpy as np
import pytest
from test_report_browser import _PROBE, CHROMIUM, _chromium, _console_lines

import mlekit as mk
from mlekit.report import fit_report

pytestmark = pytest.mark.skipif(
    CHROMIUM is None,
    reason="headless Chromium not installed (Debian: apt-get install -y chromium)")


def _render(html: Path, tmp_path: Path, name: str) -> dict:
    probe = tmp_path / f"{name}-probe.html"
    probe.write_text(html.read_text(encoding="utf-8").replace("</body>", _PROBE + "</body>"),
                     encoding="utf-8")
    shot = tmp_path / f"{name}.png"
    dom, err = _chromium(probe.as_uri(), tmp_path, screenshot=shot)
    assert _console_lines(err) == [], _console_lines(err)
    m = re.search(r'<pre id="mlekit-probe">(.*?)</pre>', dom, re.S)
    assert m, "the probe did not run (page not loaded?)"
    info = json.loads(m.group(1).replace("&quot;", '"'))
    from PIL import Image

    with Image.open(shot) as im:
        lo, hi = im.convert("L").getextrema()
        assert hi - lo > 100  # not blank
    target = os.environ.get("MLEKIT_SCREENSHOT_DIR")
    if target:
        Path(target).mkdir(parents=True, exist_ok=True)
        shutil.copy(shot, Path(target) / f"{name}.png")
    return info


def test_censored_report_in_chromium(tmp_path, monkeypatch):
    import mlekit.report as report

    real = report.profile_curve  # a real profile, on a coarser grid (keeps the test fast)
    monkeypatch.setattr(report, "profile_curve",
                        lambda r, name, n=31, level=0.95: real(r, name, 13, level))
    g = np.random.default_rng(11)
    t, c = g.weibull(1.7, 40) * 5.0, g.uniform(1.0, 8.0, 40)
    data = mk.Censored.from_indicator(np.minimum(t, c), censored=t > c)
    res = mk.fit(data, "weibull")
    out = fit_report(res, np.minimum(t, c), tmp_path / "censored.html",
                     source="simulated times · 40 rows")
    info = _render(out, tmp_path, "censored-fit-report")
    assert len(info["svg"]) == 5
    assert all(w > 200 and h > 100 for w, h in info["svg"]), info["svg"]
    assert info["images_broken"] == 0


def test_auto_report_in_chromium(tmp_path):
    nile = np.asarray(mk.datasets.load("nile")["volume"], float)
    comp = mk.compare(nile, ["normal", "gamma", "lognormal", "weibull"])
    out = fit_report(comp.best, nile, tmp_path / "auto.html", comparison=comp,
                     source="nile · column volume · best by AIC")
    info = _render(out, tmp_path, "auto-fit-report")
    assert len(info["svg"]) == 6
    assert all(w > 200 and h > 100 for w, h in info["svg"]), info["svg"]


def test_regression_report_in_chromium(tmp_path):
    """A regression report (the Longley OLS of the README, with the Pearson convention):
    its summary states the convention and R², its residual figures render at a readable
    size, the console stays silent."""
    from mlekit.report import regress_report

    longley = mk.datasets.load("longley")
    X = longley.drop(columns=["TOTEMP"])
    m = mk.Regression("normal").fit(X, longley["TOTEMP"])
    out = regress_report(m, X, longley["TOTEMP"], tmp_path / "longley.html",
                         source="longley · TOTEMP on six predictors")
    html = out.read_text(encoding="utf-8")
    assert "R²" in html or "R-squared" in html
    assert "Pearson" in html
    info = _render(out, tmp_path, "regression-report")
    assert len(info["svg"]) >= 2
    assert all(w > 200 and h > 100 for w, h in info["svg"]), info["svg"]
    assert info["images_broken"] == 0
