"""A censored-fit report and a ``--family auto`` report in headless Chromium: every figure
renders at a readable size, the console stays silent, and a screenshot is saved (copied to
``MLEKIT_SCREENSHOT_DIR`` when it is set). Skipped without Chromium, like
test_report_browser.py whose helpers it uses."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from _browser import check_screenshot, console_lines, needs_chromium, probe_data, run_chromium
from _browser import with_probe as _with_probe
from test_report_browser import _PROBE

import mlekit as mk
from mlekit.report import fit_report

pytestmark = needs_chromium("the browser test of the fit and regression reports")


def _render(html: Path, tmp_path: Path, name: str) -> dict:
    probe = _with_probe(html.read_text(encoding="utf-8"), _PROBE, tmp_path / f"{name}-probe.html")
    shot = tmp_path / f"{name}.png"
    dom, err = run_chromium(probe.as_uri(), tmp_path, screenshot=shot)
    assert console_lines(err) == [], console_lines(err)
    info = probe_data(dom)
    check_screenshot(shot)
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


def test_censored_regression_report_in_chromium(tmp_path):
    """The report of a censored (Weibull AFT) regression: its two Cox–Snell panels render at
    a readable size, the console stays silent (#21)."""
    from mlekit.report import regress_report

    g = np.random.default_rng(2)
    x = g.normal(size=(150, 1))
    t = g.weibull(1.5, 150) * np.exp(0.5 + 0.4 * x[:, 0])
    c = g.exponential(4.0, 150)
    y = mk.Censored.from_indicator(np.minimum(t, c), censored=t > c)
    m = mk.Regression(family="weibull").fit(x, y)
    out = regress_report(m, x, y, tmp_path / "aft.html", source="simulated AFT times")
    assert "Cox–Snell" in out.read_text(encoding="utf-8")
    info = _render(out, tmp_path, "censored-regression-report")
    assert len(info["svg"]) == 2
    assert all(w > 200 and h > 100 for w, h in info["svg"]), info["svg"]
    assert info["images_broken"] == 0
