"""Bootstrap intervals of univariate fits: FitResult.conf_int(method="bootstrap")."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from scipy import stats

import mlekit as mk
from mlekit.errors import NoMaximumError, ParameterError
from mlekit.estimate._bootstrap import JACKKNIFE_GROUPS, bootstrap_replicates


@pytest.fixture(scope="module")
def normal_fit():
    x = np.random.default_rng(11).normal(5.0, 2.0, 50)
    return x, mk.fit(x, "normal")


def test_reproducible_with_a_seed(normal_fit):
    _, res = normal_fit
    a = res.conf_int(method="bootstrap", n_boot=99, rng=7)
    b = res.conf_int(method="bootstrap", n_boot=99, rng=7)
    c = res.conf_int(method="bootstrap", n_boot=99, rng=8)
    assert a == b
    assert a["mu"] != c["mu"]


def test_same_result_with_two_worker_processes(normal_fit):
    _, res = normal_fit
    one = res.conf_int(method="bootstrap", n_boot=60, rng=3, bootstrap="nonparametric",
                       ci="bca")
    two = res.conf_int(method="bootstrap", n_boot=60, rng=3, bootstrap="nonparametric",
                       ci="bca", n_jobs=2)
    assert one == two


def test_nonparametric_percentile_of_a_normal_mean_is_the_t_interval(normal_fit):
    # The bootstrap distribution of x-bar is close to N(x-bar, s_ML^2 / n). Its 2.5 % and
    # 97.5 % quantiles estimated from B = 999 replicates have Monte-Carlo sd about
    # sqrt(.025 * .975 / B) / phi(1.96) * s/sqrt(n) = 0.085 s/sqrt(n); the systematic gap
    # between 1.96 sqrt((n-1)/n) and t_{.975, n-1} is 0.07 s/sqrt(n) at n = 50. So the
    # ends agree with x-bar -/+ t s/sqrt(n) within 0.07 + 3 * 0.085 < 0.35 s/sqrt(n).
    x, res = normal_fit
    n = x.size
    se = x.std(ddof=1) / np.sqrt(n)
    t = stats.t.ppf(0.975, n - 1)
    ci = res.conf_int(method="bootstrap", n_boot=999, bootstrap="nonparametric", rng=1)
    lo, hi = ci["mu"]
    assert abs(lo - (x.mean() - t * se)) < 0.35 * se
    assert abs(hi - (x.mean() + t * se)) < 0.35 * se
    # and it is not the Wald interval of sigma by accident: sigma's interval holds sigma-hat
    slo, shi = ci["sigma"]
    assert slo < res.params["sigma"] < shi


def _hand_bca(reps, est, jack, level):
    z0 = stats.norm.ppf(np.mean(reps < est))
    d = jack.mean() - jack
    a = np.sum(d**3) / (6.0 * np.sum(d**2) ** 1.5)
    ends = []
    for q in ((1 - level) / 2, (1 + level) / 2):
        zq = stats.norm.ppf(q)
        ends.append(np.quantile(reps, stats.norm.cdf(z0 + (z0 + zq) / (1 - a * (z0 + zq)))))
    return tuple(ends)


@pytest.mark.parametrize("bootstrap", ["nonparametric", "parametric"])
def test_bca_of_an_exponential_rate_equals_a_hand_written_bca(bootstrap):
    x = np.random.default_rng(5).exponential(0.5, 40)  # rate 2, skewed: a != 0
    res = mk.fit(x, "exponential")
    rate = float(res.params["rate"])
    assert rate == pytest.approx(1 / x.mean())
    reps = bootstrap_replicates(res, n_boot=299, bootstrap=bootstrap, rng=4)[:, 0]
    # the replicates are refits: for the nonparametric bootstrap each is 1 / mean of a
    # resample drawn with the replicate's own generator
    if bootstrap == "nonparametric":
        seeds = np.random.SeedSequence(4).spawn(299)
        direct = [1 / x[np.random.default_rng(s).integers(0, x.size, x.size)].mean()
                  for s in seeds[:5]]
        np.testing.assert_allclose(reps[:5], direct, rtol=1e-12)
    n = x.size
    jack = (n - 1) / (x.sum() - x)  # leave-one-out MLE of the rate, closed form
    lo, hi = res.conf_int(method="bootstrap", n_boot=299, bootstrap=bootstrap, ci="bca",
                          rng=4)["rate"]
    hlo, hhi = _hand_bca(reps, rate, jack, 0.95)
    assert lo == pytest.approx(hlo, rel=1e-10)
    assert hi == pytest.approx(hhi, rel=1e-10)
    plo, phi = res.conf_int(method="bootstrap", n_boot=299, bootstrap=bootstrap,
                            rng=4)["rate"]
    assert (lo, hi) != (plo, phi)  # the correction moved the ends
    assert n <= JACKKNIFE_GROUPS  # leave-one-out, not the grouped jackknife


def test_parametric_percentile_coverage_for_a_poisson_rate():
    # 40 data sets x 49 replicates keeps this under 2 s (the 500 replications
    # would take a minute). Coverage of a nominal 95 % interval over 40 data sets has
    # binomial sd 0.034, so >= 0.85 is 3 sd below nominal; the width check guards the
    # other side (an interval that covers by being huge): the mean width must match the
    # Wald width 2 * 1.96 * sqrt(lambda / n) within 15 %.
    gen = np.random.default_rng(2024)
    lam, n, sets = 4.0, 30, 40
    hits, widths = 0, []
    for _ in range(sets):
        res = mk.fit(gen.poisson(lam, n), "poisson")
        lo, hi = res.conf_int(method="bootstrap", n_boot=49, rng=gen)["rate"]
        hits += lo <= lam <= hi
        widths.append(hi - lo)
    assert hits / sets >= 0.85
    assert np.mean(widths) == pytest.approx(2 * 1.96 * np.sqrt(lam / n), rel=0.15)


def test_too_many_failed_refits_is_a_named_error():
    # a resample of ten rows that are all 0 has sigma-hat = 0 (no MLE): P = 0.9^10 = 0.35
    x = np.r_[np.zeros(9), 1.0]
    res = mk.fit(x, "normal")
    with pytest.raises(NoMaximumError, match=r"refits failed"):
        res.conf_int(method="bootstrap", n_boot=99, bootstrap="nonparametric")


def test_fixed_parameters_and_bad_options():
    x = np.random.default_rng(0).normal(size=30)
    res = mk.fit(x, "normal", fixed={"mu": 0.0})
    out = res.conf_int(method="bootstrap", n_boot=49)
    assert out["mu"] == (0.0, 0.0)
    assert out["sigma"][0] < res.params["sigma"] < out["sigma"][1]
    for kw, what in ((dict(n_boot=1), "n_boot"), (dict(ci="basic"), "ci"),
                     (dict(bootstrap="cases"), "bootstrap"), (dict(n_jobs=0), "n_jobs"),
                     (dict(rng="seed"), "rng")):
        with pytest.raises(ParameterError, match=what):
            res.conf_int(method="bootstrap", **kw)


def test_weighted_jackknife_leaves_out_one_unit():
    # frequency weights count repeated rows: the BCa acceleration must be that of the
    # expanded data, whose leave-one-out Poisson rates are (S - x_i) / (n - 1)
    from mlekit.estimate._bootstrap import _unit_jackknife, _univariate_task, acceleration

    x, w = np.array([0.0, 1.0, 2.0, 3.0]), np.array([3, 1, 2, 5])
    res = mk.fit(x, "poisson", weights=w)
    xx = np.repeat(x, w)
    jack = (xx.sum() - xx) / (xx.size - 1)
    d = jack.mean() - jack
    a_hand = np.sum(d**3) / (6 * np.sum(d**2) ** 1.5)
    task = _univariate_task(res, "nonparametric")[0]
    assert acceleration(_unit_jackknife(task, 1))[0] == pytest.approx(a_hand, rel=1e-10)
    assert a_hand != 0
    lo, hi = res.conf_int(method="bootstrap", n_boot=99, bootstrap="nonparametric",
                          ci="bca")["rate"]
    assert lo < res.params["rate"] < hi


R_FIXTURE = Path(__file__).parent / "data" / "r_bootstrap" / "bootdist_nile_gamma.csv"


def _r_rows():
    import csv

    with R_FIXTURE.open() as fh:
        return list(csv.DictReader(fh))


@pytest.mark.parametrize("r_method, ours", [("param", "parametric"),
                                            ("nonparam", "nonparametric")])
def test_bootstrap_distribution_matches_fitdistrplus_bootdist(r_method, ours):
    # R 4.2.2 + fitdistrplus 1.1-8 (make_fixtures.R), 999 replicates of a gamma fit to
    # the Nile series. Both sides are Monte Carlo: the median of B = 999 replicates has sd
    # about 1.25 sd_boot / sqrt(B) = 0.04 sd_boot, so two independent runs differ by sd
    # 0.056 sd_boot; the 2.5 % / 97.5 % quantiles by about sqrt(2) * 0.085 = 0.12 sd_boot
    # (normal approximation). Tolerances 0.25 and 0.5 sd_boot are over 4 of those sds.
    nile = np.asarray(mk.datasets.load("nile")["volume"], float)
    rows = [r for r in _r_rows() if r["bootmethod"] == r_method]
    assert float(rows[0]["sum_x"]) == nile.sum()  # the same data
    res = mk.fit(nile, "gamma")
    reps = bootstrap_replicates(res, n_boot=999, bootstrap=ours, rng=12)
    assert np.isfinite(reps).all()
    for j, name in enumerate(["shape", "rate"]):
        r = next(r for r in rows if r["parameter"] == name)
        # R's optim (Nelder-Mead) stops 3e-4 short; its llf is 2.6e-6 below ours
        assert float(res.params[name]) == pytest.approx(float(r["mle"]), rel=1e-3)
        v = reps[:, j]
        sd = v.std(ddof=1)
        assert abs(np.median(v) - float(r["median"])) < 0.25 * sd
        assert abs(np.quantile(v, 0.025) - float(r["q025"])) < 0.5 * sd
        assert abs(np.quantile(v, 0.975) - float(r["q975"])) < 0.5 * sd
