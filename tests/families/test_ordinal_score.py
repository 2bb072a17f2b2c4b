"""The Ordinal's analytic score and Hessian (issue #21: what torch and the generic
optimiser bind to).

Held against central differences of ``logpdf`` (and of ``score``), finite and exact far in
both tails, and through the generic optimiser: ``mk.fit(y, "ordinal", method="generic")``,
which moves the cut points in the ``Ordered`` domain's coordinates with this score, lands
on the closed-form MLE (the logits of the cumulative class shares).
"""

from __future__ import annotations

import numpy as np
import pytest

import mlekit as mk

ORD = mk.FAMILIES["ordinal"]


@pytest.mark.parametrize("seed", range(4))
def test_score_and_hessian_are_the_derivatives_of_logpdf(seed):
    rng = np.random.default_rng(seed)
    theta = np.sort(rng.normal(0, 2, (40, 4)), axis=-1)
    x = rng.integers(0, 5, 40).astype(float)
    h = 1e-6
    eye = np.eye(4)
    score = ORD.score(x, theta=theta)["theta"]
    num = np.stack([(ORD.logpdf(x, theta + h * e) - ORD.logpdf(x, theta - h * e)) / (2 * h)
                    for e in eye], axis=-1)
    np.testing.assert_allclose(score, num, rtol=1e-6, atol=1e-8)
    hess = ORD.hessian(x, theta=theta)[("theta", "theta")]
    num_h = np.stack([(ORD.score(x, theta=theta + h * e)["theta"]
                       - ORD.score(x, theta=theta - h * e)["theta"]) / (2 * h) for e in eye],
                     axis=-1)
    np.testing.assert_allclose(hess, num_h, rtol=1e-6, atol=1e-8)
    np.testing.assert_array_equal(hess, np.swapaxes(hess, -1, -2))


@pytest.mark.parametrize("shift", [-800.0, -35.0, 35.0, 800.0])
def test_far_tails_stay_exact(shift):
    """The slopes are σ(−b)/(σ(−a)(1 − e^{a−b})) and −σ(a)/(σ(b)(1 − e^{a−b})): no
    difference of two rounded CDFs. Against the same derivatives in 60-digit mpmath."""
    mp = pytest.importorskip("mpmath")
    theta = np.array([0.0, 1.0, 3.0]) + shift
    x = np.arange(4.0)
    score = ORD.score(x, theta=theta)["theta"]
    assert np.all(np.isfinite(score))
    with mp.workdps(60):
        cut = [-mp.inf, *(mp.mpf(t) for t in theta), mp.inf]

        def sig(t):
            return 1 / (1 + mp.exp(-t))

        def dsig(t):
            return 0 if mp.isinf(t) else sig(t) * sig(-t)

        for c in range(4):
            a, b = cut[c], cut[c + 1]
            # P(class c) in the tail where it is a sum of small terms, not 1 - (1 - ε)
            p = sig(-a) - sig(-b) if a > 0 else sig(b) - sig(a)
            if c < 3:
                assert score[c, c] == pytest.approx(float(dsig(b) / p), rel=1e-12)
            if c > 0:
                assert score[c, c - 1] == pytest.approx(float(-dsig(a) / p), rel=1e-12)


def test_labels_off_the_classes_score_zero():
    s = ORD.score(np.array([1.5, -1.0, 9.0, 2.0]), theta=[-1.0, 0.5, 2.0])["theta"]
    np.testing.assert_array_equal(s[:3], 0.0)
    assert np.any(s[3] != 0)


@pytest.mark.parametrize("weighted", [False, True])
def test_generic_fit_moves_ordered_cut_points_to_the_closed_form(weighted):
    rng = np.random.default_rng(7)
    y = rng.integers(0, 5, 400).astype(float)
    w = rng.uniform(0.5, 2.0, 400) if weighted else None
    closed = mk.fit(y, "ordinal", weights=w)
    generic = mk.fit(y, "ordinal", weights=w, method="generic")
    assert generic.converged
    assert generic.params["theta"].shape == (4,)
    np.testing.assert_allclose(generic.params["theta"], closed.params["theta"], atol=1e-7)
    np.testing.assert_allclose(generic.bse["theta"], closed.bse["theta"], rtol=1e-6)
    assert generic.llf == pytest.approx(closed.llf, rel=1e-12)


@pytest.mark.parametrize("link", ["logit", "probit", "cloglog"])
def test_band_log_probability_in_both_tails(link):
    """log(F(hi) - F(lo)) of the regression's row NLL (``_log_interval``) against 50-digit
    mpmath from -900 to 30 (the cloglog's log F far below -745, where e^t underflows, and
    near F = 1 by log1p), and -inf, never NaN, where the band's probability is below the
    smallest double (cloglog above t = 6.6)."""
    mp = pytest.importorskip("mpmath")
    from mlekit.families.ordinal import _log_interval

    F = {"logit": lambda t: 1 / (1 + mp.exp(-t)), "probit": mp.ncdf,
         "cloglog": lambda t: -mp.expm1(-mp.exp(t))}[link]
    S = {"logit": lambda t: 1 / (1 + mp.exp(t)), "probit": lambda t: mp.ncdf(-t),
         "cloglog": lambda t: mp.exp(-mp.exp(t))}[link]
    lows = np.array([-900.0, -40.0, -3.0, 0.2, 4.0, 20.0])
    got = _log_interval(link, lows, lows + 0.7)
    with mp.workdps(50):
        for lo, g in zip(lows, got, strict=True):
            a, b = mp.mpf(lo), mp.mpf(lo + 0.7)
            ref = mp.log(S(a) - S(b)) if lo > 0 else mp.log(F(b) - F(a))
            assert g == pytest.approx(float(ref), rel=1e-9), (lo, g, ref)
    far = _log_interval(link, np.array([1000.0]), np.array([1001.0]))
    assert not np.isnan(far[0])
