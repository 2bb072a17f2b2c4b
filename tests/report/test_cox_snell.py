"""Cox–Snell residuals of a censored regression (the report of ``regress --event``, #21).

``cox_snell_residuals`` turns each censored response into a censored residual
r = −log S(y | x; θ̂) (exact → exact, right → right, left → left, interval → interval,
each bound mapped through the fitted survival function). Under the right model the
residuals are a censored unit-exponential sample: its Kaplan–Meier estimate follows
1 − e^{−r}; under a wrong one (a log-normal fitted to Weibull times with shape 3) it does
not, which is what the panels are for.
"""

from __future__ import annotations

import numpy as np

import mlekit as mk
from mlekit.estimate import Censored
from mlekit.report import cox_snell_residuals, nonparametric_estimate


def _weibull_aft(n: int, seed: int, shape: float = 1.5):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 1))
    t = rng.weibull(shape, n) * np.exp(0.5 + 0.4 * x[:, 0])
    c = rng.exponential(4.0, n)
    return x, Censored.from_indicator(np.minimum(t, c), censored=t > c)


def test_each_kind_of_row_maps_through_the_fitted_survival_function():
    rng = np.random.default_rng(1)
    x = rng.normal(size=(60, 1))
    t = rng.weibull(1.5, 60) * np.exp(0.5 + 0.4 * x[:, 0])
    lo, hi = t.copy(), t.copy()
    hi[:10] = np.inf                                  # right-censored at t
    lo[10:20] = -np.inf                               # left-censored at t
    lo[20:30], hi[20:30] = 0.5 * t[20:30], 2 * t[20:30]  # interval
    y = Censored(lo, hi)
    m = mk.Regression(family="weibull").fit(x, y)
    r = cox_snell_residuals(m, x, y)
    d = m.predict_distribution(x)
    cs = lambda v: -np.asarray(d.logsf(v), float)  # noqa: E731
    np.testing.assert_allclose(r.low[30:], cs(t)[30:], rtol=1e-12)
    np.testing.assert_array_equal(r.low[30:], r.high[30:])            # exact
    np.testing.assert_allclose(r.low[:10], cs(t)[:10], rtol=1e-12)    # right: above
    assert np.all(np.isposinf(r.high[:10]))
    assert np.all(np.isneginf(r.low[10:20]))                          # left: below
    np.testing.assert_allclose(r.high[10:20], cs(t)[10:20], rtol=1e-12)
    np.testing.assert_allclose(r.low[20:30], cs(0.5 * t)[20:30], rtol=1e-12)
    np.testing.assert_allclose(r.high[20:30], cs(2 * t)[20:30], rtol=1e-12)
    assert (r.n_censored, int(r.exact.sum())) == (30, 30)


def test_right_model_gives_unit_exponential_residuals_and_a_wrong_one_does_not():
    x, y = _weibull_aft(3000, 2, shape=3.0)
    grid = np.array([0.25, 0.5, 1.0, 1.5])

    def gap(family: str) -> float:
        m = mk.Regression(family=family).fit(x, y)
        est = nonparametric_estimate(cox_snell_residuals(m, x, y))
        F = np.array([est.cdf[np.searchsorted(est.points, g, side="right") - 1] for g in grid])
        return float(np.max(np.abs(F - (1.0 - np.exp(-grid)))))

    right, wrong = gap("weibull"), gap("lognormal")
    assert right < 0.03
    assert wrong > 2 * right and wrong > 0.04


def test_report_of_a_tobit_model_uses_turnbull(tmp_path):
    rng = np.random.default_rng(3)
    x = rng.normal(size=(300, 1))
    ys = 0.5 + x[:, 0] + rng.normal(size=300)
    y = Censored(np.where(ys <= 0, -np.inf, ys), np.where(ys <= 0, 0.0, ys))
    m = mk.Regression(family="normal").fit(x, y)
    from mlekit.report import regress_report

    page = regress_report(m, x, y, tmp_path / "tobit.html").read_text("utf-8")
    assert "Turnbull" in page and "Cox–Snell" in page
    assert f"{int((ys <= 0).sum())} of them censored" in page


def test_residual_bounds_are_ordered():
    x, y = _weibull_aft(200, 5)
    m = mk.Regression(family="weibull").fit(x, y)
    r = cox_snell_residuals(m, x, y)
    assert np.all(r.low <= r.high) and np.all(r.high[np.isfinite(r.high)] >= 0)
