"""The fit report tells the truth: a real profile likelihood (other parameters re-fitted)
whose 95% crossing is the profile interval, censoring-aware panels for censored data, and
the ranking with the top candidates for ``--family auto``.

Numbers are held against closed forms and scipy (not against the report's own code)."""

from __future__ import annotations

import re

import numpy as np
import pytest
from scipy import optimize, stats

import mlekit as mk
from mlekit.report import fit_report, nonparametric_estimate, profile_curve

CUT = stats.chi2.ppf(0.95, 1) / 2


@pytest.fixture(scope="module")
def nile():
    return np.asarray(mk.datasets.load("nile")["volume"], float)


def _gamma_profile(x, shape):
    # with the shape held, the MLE of the scale is mean / shape (closed form)
    return float(np.sum(stats.gamma.logpdf(x, shape, scale=x.mean() / shape)))


def _crossings(grid, llp, level):
    """Where the piecewise-linear curve crosses ``level`` (left, right of its maximum)."""
    i = int(np.argmax(llp))
    left = np.interp(level, llp[:i + 1], grid[:i + 1])
    right = np.interp(-level, -llp[i:], grid[i:])
    return left, right


def test_gamma_profile_is_a_profile_not_a_slice(nile):
    res = mk.fit(nile, "gamma")
    # the check: at shape 15 the profile is about -663, the slice about -1110
    assert res._refit({"shape": 15.0}) == pytest.approx(_gamma_profile(nile, 15.0), abs=1e-6)
    assert _gamma_profile(nile, 15.0) == pytest.approx(-663.09, abs=0.01)
    slice_15 = np.sum(stats.gamma.logpdf(nile, 15.0, scale=1 / res.params["rate"]))
    assert slice_15 < -1100
    grid, llp, ci = profile_curve(res, "shape")
    want = np.array([_gamma_profile(nile, g) for g in grid])
    np.testing.assert_allclose(llp, want, rtol=0, atol=1e-5)
    step = float(np.max(np.diff(grid)))
    assert abs(grid[np.argmax(llp)] - res.params["shape"]) <= step
    # the 95% crossing of the drawn curve is the profile interval, itself the root of the
    # closed-form profile
    lo, hi = _crossings(grid, llp, res.llf - CUT)
    assert abs(lo - ci[0]) < step and abs(hi - ci[1]) < step
    f = lambda a: _gamma_profile(nile, a) - (res.llf - CUT)  # noqa: E731
    est = res.params["shape"]
    assert ci[0] == pytest.approx(optimize.brentq(f, 1.0, est), rel=1e-6)
    assert ci[1] == pytest.approx(optimize.brentq(f, est, 200.0), rel=1e-6)


def _censored_weibull():
    g = np.random.default_rng(11)
    t = g.weibull(1.7, 60) * 5.0
    c = g.uniform(1.0, 8.0, 60)
    return np.minimum(t, c), t > c


def _scipy_censored_profile(time, cens, shape):
    def nll(log_scale):
        s = np.exp(log_scale)
        return -(np.sum(stats.weibull_min.logpdf(time[~cens], shape, scale=s))
                 + np.sum(stats.weibull_min.logsf(time[cens], shape, scale=s)))
    r = optimize.minimize_scalar(nll, bounds=(-5, 5), method="bounded",
                                 options={"xatol": 1e-10})
    return -r.fun


def test_censored_report_is_censoring_aware(tmp_path, monkeypatch):
    time, cens = _censored_weibull()
    data = mk.Censored.from_indicator(time, censored=cens)
    res = mk.fit(data, "weibull")
    grid, llp, ci = profile_curve(res, "shape", n=15)
    step = float(np.max(np.diff(grid)))
    # the likelihood panel peaks at the reported MLE (to a grid step) ...
    assert abs(grid[np.argmax(llp)] - res.params["shape"]) <= step
    # ... because it is the censored likelihood, profiled (scipy, independently)
    for i in (0, len(grid) // 3, len(grid) - 1):
        assert llp[i] == pytest.approx(_scipy_censored_profile(time, cens, grid[i]), abs=1e-4)
    # treating the censored times as exact would peak elsewhere
    naive_shape = stats.weibull_min.fit(time, floc=0)[0]
    assert abs(naive_shape - res.params["shape"]) > step
    lo, hi = _crossings(grid, llp, res.llf - CUT)
    assert abs(lo - ci[0]) < step and abs(hi - ci[1]) < step
    # the CDF panel is Kaplan-Meier (the report passes the plain times; the fit knows)
    est = nonparametric_estimate(data)
    assert est.method == "Kaplan–Meier"
    import mlekit.report as report

    calls = []

    def cached(r, name, n=31, level=0.95):  # the curve checked above (saves a second run)
        calls.append((r, name))
        return grid, llp, ci

    monkeypatch.setattr(report, "profile_curve", cached)
    out = fit_report(res, time, tmp_path / "cen.html", source="times.csv · column t")
    assert calls == [(res, "shape")]
    text = out.read_text(encoding="utf-8")
    assert text.count("<svg") == 5  # histogram, KM CDF, QQ, profile, product-vs-sum
    assert f"{int((~cens).sum())} exact values only" in text
    assert f"the {int(cens.sum())} censored values are not drawn" in text
    assert "Kaplan–Meier estimate of the CDF" in text
    assert "Profile censored log-likelihood" in text
    assert f"[{ci[0]:.4g}, {ci[1]:.4g}]" in text
    assert "(others at the MLE)" not in text


def test_interval_censored_report_uses_turnbull(tmp_path, monkeypatch):
    import mlekit.report as report

    # the profile panel is checked above; skip its refits here (keeps the test fast)
    monkeypatch.setattr(report, "profile_curve", lambda *a, **k: None)
    time, _ = _censored_weibull()
    lo = np.floor(time[:30])
    data = mk.Censored(lo, lo + 1)
    res = mk.fit(data, "weibull")
    text = fit_report(res, data, tmp_path / "int.html").read_text(encoding="utf-8")
    assert "Turnbull NPMLE estimate" in text
    assert "No value is observed exactly" in text
    est = nonparametric_estimate(data)
    assert est.method == "Turnbull NPMLE"
    # every observation is a unit interval: F at the integers is the share below
    k = np.arange(0, 20)
    np.testing.assert_allclose(est(k), [(lo + 1 <= v).mean() for v in k], atol=1e-7)


def test_auto_report_ranks_and_overlays(nile, tmp_path):
    comp = mk.compare(nile, ["normal", "gamma", "lognormal", "weibull"])
    best = comp.best
    text = fit_report(best, nile, tmp_path / "auto.html", comparison=comp,
                      source="nile.csv · column volume · best by AIC").read_text("utf-8")
    header = re.search(r"<caption>Families ranked by AIC.*?</tr>", text).group(0)
    for h in ("family", "llf", "AIC", "ΔAIC", "BIC", "KS"):
        assert f"<th>{h}</th>" in header
    order = [m for m in re.findall(r"<tr><td>(\w+)</td>", text) if m in comp.table.index]
    assert order[:4] == list(comp.table.index)
    assert f"{comp.table['AIC'].iloc[1]:.2f}" in text
    assert "Top 3 candidates by AIC" in text and "Empirical CDF and the candidates" in text
    top3 = [comp.fits[k].family.title for k in comp.table.index[:3]]
    for title in top3:
        assert f"{title} (ΔAIC" in text
    # histogram + QQ, 2 overlays, profile + product-vs-sum
    assert text.count("<svg") == 6


def test_footer_names_only_what_the_page_has():
    from mlekit.report import Page

    page = Page("t")
    page.section("s").para("text only")
    assert "Self-contained; the page makes no network requests" in page.render()
    page.section("f").add('<svg role="img"></svg>')
    text = page.render()
    assert "figures are inline SVG" in text and "MathML" not in text
