"""Numerical extremes and honest solvers (issue 11).

Values at the edges of floating point — logits of ±1e4, probabilities exactly 0 and 1,
Poisson counts of 1e9, Gamma shapes of 1e-3 and 1e4, Student t with ν → ∞ — are held
against 50-digit :mod:`mpmath` references, with every warning turned into an error (no
NaN, no overflow warning). The solver rows check that adversarial starts, flat
likelihoods, estimates on the boundary and likelihoods without a maximum are each
reported honestly: the right answer, or an error / warning with a flag.
"""

from __future__ import annotations

import warnings

import mpmath as mp
import numpy as np
import pytest

import mlekit as mk
from mlekit import errors as E
from mlekit import losses
from mlekit.estimate import BoundaryWarning


@pytest.fixture(autouse=True)
def _fifty_digits():
    """mpmath at 50 digits for each test here, restored after it (not a global set at
    import, which another module may change before these tests run)."""
    with mp.workdps(50):
        yield


@pytest.fixture(autouse=True)
def _strict_warnings():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        yield


def _f(v) -> float:
    return float(mp.mpf(v))


def _close(got, want, rtol=1e-12, atol=0.0) -> None:
    got = np.asarray(got, float)
    want = np.asarray(want, float)
    assert np.all(np.isfinite(got) == np.isfinite(want)), (got, want)
    assert not np.any(np.isnan(got)), got
    fin = np.isfinite(want)
    np.testing.assert_allclose(got[fin], want[fin], rtol=rtol, atol=atol)
    np.testing.assert_array_equal(got[~fin], want[~fin])


# ----------------------------------------------------------------- mpmath references
def _log_expit(t) -> float:
    t = mp.mpf(t)
    return _f(-mp.log1p(mp.exp(-t)))


def _logsumexp(v) -> mp.mpf:
    return mp.log(mp.fsum(mp.exp(mp.mpf(t)) for t in v))


LOGITS = [1e4, -1e4, 745.2, -745.2, 40.0, -40.0, 1e-8, 0.0]


# ----------------------------------------------------------------- logits of ±1e4
@pytest.mark.parametrize("y", [0.0, 1.0])
def test_bernoulli_logpdf_logits(y: float) -> None:
    got = mk.Bernoulli(logits=LOGITS).logpdf(y)
    want = [_log_expit(t) if y == 1 else _log_expit(-t) for t in LOGITS]
    _close(got, want, rtol=1e-14)


def test_categorical_logpdf_logits() -> None:
    logits = [1e4, 0.0, -1e4, 3.5]
    d = mk.Categorical(logits=logits)
    lse = _logsumexp(logits)
    want = [_f(mp.mpf(t) - lse) for t in logits]
    _close(d.logpdf(np.arange(4)), want, rtol=1e-14)
    # probability exactly 0 through exp underflow still gives the exact log
    assert d.logpdf(2) == pytest.approx(-2e4, rel=1e-15)


def test_bce_with_logits() -> None:
    y = np.array([0.0, 1.0, 1.0, 0.0, 1.0, 0.0])
    z = np.array([1e4, -1e4, 1e4, -1e4, 745.2, -40.0])
    want = [_f(-(yy * mp.mpf(_log_expit(t)) + (1 - yy) * mp.mpf(_log_expit(-t))))
            for yy, t in zip(y, z, strict=True)]
    _close(losses.bce_with_logits(y, z, reduction="none"), want, rtol=1e-14)
    assert losses.bce_with_logits(y, z) == pytest.approx(np.mean(want), rel=1e-14)


def test_cross_entropy_logits() -> None:
    logits = np.array([[1e4, 0.0, -1e4]] * 3)
    lse = _logsumexp(logits[0])
    want = [_f(lse - mp.mpf(logits[0, j])) for j in range(3)]
    _close(losses.cross_entropy([0, 1, 2], logits, reduction="none"), want, rtol=1e-14)


@pytest.mark.parametrize("link", ["logit", "probit"])
def test_regression_nll_huge_logits(link: str) -> None:
    """The per-row Bernoulli regression NLL in link space, against mpmath."""
    from mlekit.regression._models import make_model

    eta = np.array([1e4, -1e4, 1e4, -1e4, 40.0, -40.0])
    y = np.array([1.0, 1.0, 0.0, 0.0, 0.0, 1.0])
    nll = make_model("bernoulli", link).rows(y, eta[:, None], {}, order=0)[0]
    def cdf(t):  # F(t); 1 - F(t) = F(-t) for both links (no cancellation in the reference)
        t = mp.mpf(t)
        return 1 / (1 + mp.exp(-t)) if link == "logit" else mp.ncdf(t)

    want = [_f(-mp.log(cdf(t) if yy == 1 else cdf(-t))) for t, yy in zip(eta, y, strict=True)]
    _close(nll, want, rtol=1e-9)


def test_regression_nll_cloglog_huge_negative() -> None:
    from mlekit.regression._models import make_model

    nll = make_model("bernoulli", "cloglog").rows(np.array([1.0]), np.array([[-1e4]]), {},
                                                   order=0)[0]
    want = _f(-mp.log(-mp.expm1(-mp.exp(mp.mpf(-1e4)))))  # = 1e4 - 1/2 e^-1e4 ...
    _close(nll, [want], rtol=1e-12)


# ----------------------------------------------------------------- probabilities 0 and 1
def test_probabilities_exactly_0_and_1() -> None:
    d = mk.Bernoulli(p=[0.0, 1.0])
    _close(d.logpdf(np.array([[0.0], [1.0]])), [[0.0, -np.inf], [-np.inf, 0.0]])
    _close(d.entropy(), [0.0, 0.0])
    c = mk.Categorical(p=[0.0, 1.0, 0.0])
    _close(c.logpdf([0, 1, 2]), [-np.inf, 0.0, -np.inf])
    _close(c.entropy(), 0.0)
    # bce of a certain, correct prediction is 0; of a certain wrong one, +inf (no NaN)
    _close(losses.bce([0, 1, 1, 0], [0.0, 1.0, 0.0, 1.0], reduction="none"),
           [0.0, 0.0, np.inf, np.inf])


def test_kl_with_zero_probability() -> None:
    assert float(mk.kl(mk.Bernoulli(p=0.0), mk.Bernoulli(p=0.5))) == pytest.approx(np.log(2))
    assert float(mk.kl(mk.Bernoulli(p=0.5), mk.Bernoulli(p=0.0))) == np.inf


# ----------------------------------------------------------------- Poisson counts of 1e9
def test_poisson_counts_1e9() -> None:
    k = np.array([1e9, 1e9 + 3e4, 1e9 - 1.0, 0.0])
    rate = 1e9
    want = [_f(mp.mpf(kk) * mp.log(rate) - rate - mp.loggamma(mp.mpf(kk) + 1)) for kk in k]
    _close(mk.Poisson(rate=rate).logpdf(k), want, rtol=1e-10)


def test_poisson_fit_counts_1e9() -> None:
    x = np.random.default_rng(0).poisson(1e9, 50).astype(float)
    res = mk.fit(x, "poisson")
    assert res.params["rate"] == pytest.approx(np.mean(x), rel=1e-15)
    want = _f(mp.fsum(mp.mpf(kk) * mp.log(mp.mpf(res.params["rate"])) - res.params["rate"]
                      - mp.loggamma(mp.mpf(kk) + 1) for kk in x))
    assert res.llf == pytest.approx(want, rel=1e-10)
    assert res.bse["rate"] == pytest.approx(np.sqrt(np.mean(x) / 50), rel=1e-6)


def test_poisson_huge_count_tiny_rate() -> None:
    want = _f(mp.mpf(1e9) * mp.log(mp.mpf(1e-300)) - mp.mpf(1e-300) - mp.loggamma(1e9 + 1))
    _close(mk.Poisson(rate=1e-300).logpdf(1e9), want, rtol=1e-10)


# ----------------------------------------------------------------- Gamma shapes 1e-3, 1e4
@pytest.mark.parametrize("shape", [1e-3, 1e4])
def test_gamma_extreme_shapes(shape: float) -> None:
    rate = 1.5
    x = np.array([1e-300, 1e-5, 1.0, shape / rate, 50.0, 2 * shape])

    def ref(v):
        a, b, v = mp.mpf(shape), mp.mpf(rate), mp.mpf(v)
        return _f(a * mp.log(b) + (a - 1) * mp.log(v) - b * v - mp.loggamma(a))

    _close(mk.Gamma(shape=shape, rate=rate).logpdf(x), [ref(v) for v in x], rtol=1e-10)
    a = mp.mpf(shape)
    ent = _f(a - mp.log(rate) + mp.loggamma(a) + (1 - a) * mp.digamma(a))
    assert float(mk.Gamma(shape=shape, rate=rate).entropy()) == pytest.approx(ent, rel=1e-10)


@pytest.mark.parametrize("shape", [1e-3, 1e4])
def test_gamma_fit_extreme_shapes(shape: float) -> None:
    rng = np.random.default_rng(3)
    x = rng.gamma(shape, 1.0, 2000)
    x = x[x > 0]  # Gamma(1e-3) draws underflow to 0.0 often
    res = mk.fit(x, "gamma")
    # the MLE solves log k - digamma(k) = log(mean) - mean(log x)
    k = res.params["shape"]
    lhs = _f(mp.log(k) - mp.digamma(k))
    rhs = _f(mp.log(mp.fsum(x) / len(x)) - mp.fsum(mp.log(v) for v in x) / len(x))
    assert lhs == pytest.approx(rhs, rel=1e-9)
    assert res.params["rate"] == pytest.approx(k / np.mean(x), rel=1e-9)
    assert res.converged and np.isfinite(res.llf)


# ----------------------------------------------------------------- Student t, nu -> inf
def test_studentt_large_nu_matches_normal() -> None:
    x = np.array([0.0, 1.0, -2.5, 5.0, 30.0])
    nu, mu, sigma = 1e8, 0.3, 1.7
    got = mk.StudentT(nu=nu, mu=mu, sigma=sigma).logpdf(x)

    def ref(v):
        n, z = mp.mpf(nu), (mp.mpf(v) - mu) / sigma
        return _f(mp.loggamma((n + 1) / 2) - mp.loggamma(n / 2) - mp.log(mp.sqrt(n * mp.pi))
                  - mp.log(sigma) - (n + 1) / 2 * mp.log1p(z * z / n))

    _close(got, [ref(v) for v in x], rtol=1e-9)
    # and within O(1/nu) of the Normal
    normal = mk.Normal(mu=mu, sigma=sigma).logpdf(x)
    assert np.all(np.abs(got - normal) <= 5e-6 * (1 + np.abs(normal))), (got, normal)


def test_studentt_nu_1e300() -> None:
    x = np.array([0.0, 1.0, 5.0])
    got = mk.StudentT(nu=1e300, mu=0.0, sigma=1.0).logpdf(x)
    _close(got, mk.Normal(mu=0.0, sigma=1.0).logpdf(x), rtol=1e-12)


# ----------------------------------------------------------------- magnitudes 1e300, 1e-300
@pytest.mark.parametrize("scale", [1e300, 1e-300, 1.0])
def test_normal_fit_any_magnitude(scale: float) -> None:
    """The closed-form Normal MLE is scale-equivariant, down to 1e-300 and up to 1e300."""
    base = np.array([1.0, -1.0, 0.5, 2.0, 0.25])
    res = mk.fit(base * scale, "normal")
    mu = np.mean(base)
    assert res.params["mu"] == pytest.approx(mu * scale, rel=1e-14)
    assert res.params["sigma"] == pytest.approx(np.std(base) * scale, rel=1e-14)
    want = _f(mp.fsum(-((mp.mpf(v) * scale - res.params["mu"]) / res.params["sigma"]) ** 2 / 2
                      - mp.log(res.params["sigma"]) - mp.log(2 * mp.pi) / 2 for v in base))
    assert res.llf == pytest.approx(want, rel=1e-12)


def test_normal_logpdf_far_tail_is_minus_inf_without_warning() -> None:
    # the true value is about -5e399, below the smallest double: -inf, no overflow warning
    assert mk.Normal(mu=0, sigma=1).logpdf(1e200) == -np.inf
    assert mk.Normal(mu=0, sigma=1e-300).logpdf(0.0) == pytest.approx(
        _f(-mp.log(mp.mpf(1e-300)) - mp.log(2 * mp.pi) / 2), rel=1e-15)


# ----------------------------------------------------------------- solvers, honestly
GAMMA_X = np.random.default_rng(1).gamma(3.0, 2.0, 200)


@pytest.mark.parametrize("start", [
    {"shape": 1e-8, "rate": 1e8},
    {"shape": 1e6, "rate": 1e-6},
    {"shape": 1e-8, "rate": 1e-8},
], ids=["tiny-huge", "huge-tiny", "tiny-tiny"])
def test_adversarial_start_reaches_closed_form(start) -> None:
    ref = mk.fit(GAMMA_X, "gamma")
    res = mk.fit(GAMMA_X, "gamma", method="generic", start=start)
    assert res.converged
    assert res.params["shape"] == pytest.approx(ref.params["shape"], rel=1e-6)
    assert res.params["rate"] == pytest.approx(ref.params["rate"], rel=1e-6)
    assert res.llf >= ref.llf - 1e-8


def test_adversarial_start_far_away_cauchy() -> None:
    z = np.random.default_rng(2).normal(size=300)
    ref = mk.fit(z, "cauchy")
    res = mk.fit(z, "cauchy", method="generic", start={"mu": 1e6, "sigma": 1e-6})
    assert res.converged
    assert res.llf == pytest.approx(ref.llf, abs=1e-7)


@pytest.mark.parametrize("start, needles", [
    ({"shape": -1.0, "rate": 1.0}, ("start shape", "> 0", "-1")),
    ({"shape": np.nan}, ("start shape", "NaN")),
    ({"shap": 1.0}, ("'shap'", "shape, rate")),
], ids=["outside-domain", "nan", "unknown-name"])
def test_bad_start_is_a_parameter_error(start, needles) -> None:
    with pytest.raises(E.ParameterError) as info:
        mk.fit(GAMMA_X, "gamma", method="generic", start=start)
    for n in needles:
        assert n in str(info.value), (n, str(info.value))


def test_start_for_a_fixed_parameter_is_refused() -> None:
    with pytest.raises(E.ParameterError, match="held fixed"):
        mk.fit(GAMMA_X, "gamma", fixed={"rate": 1.0}, start={"rate": 2.0})


@pytest.mark.parametrize("family, x, fixed, edge", [
    ("bernoulli", np.zeros(10), None, "p = 0"),
    ("bernoulli", np.ones(10), None, "p = 1"),
    ("binomial", np.zeros(10), {"n": 5}, "p = 0"),
    ("geometric", np.zeros(10), None, "p = 1"),
], ids=["bernoulli-0", "bernoulli-1", "binomial-phat-0", "geometric-1"])
def test_mle_on_the_boundary_is_flagged(family, x, fixed, edge) -> None:
    with pytest.warns(BoundaryWarning, match="boundary"):
        res = mk.fit(x, family, fixed=fixed)
    assert edge in res.at_boundary
    # Wald standard errors are not valid there: not reported as if they were
    assert np.isnan(res.bse["p"])
    # the profile interval is still available and contains the estimate
    lo, hi = res.conf_int(method="profile")["p"]
    assert lo <= res.params["p"] <= hi and hi - lo > 0


@pytest.mark.parametrize("family, x, needles", [
    ("gamma", np.full(10, 2.0), ("all data values are equal", "does not exist")),
    ("weibull", np.full(10, 2.0), ("all data values are equal", "does not exist")),
    ("lognormal", np.full(10, 2.0), ("all data values are equal",)),
    ("normal", np.full(10, -3.0), ("all data values are equal",)),
    ("exponential", np.zeros(10), ("rate", "infinite")),
    ("poisson", np.zeros(10), ("rate = 0", "does not exist")),
], ids=["gamma-equal", "weibull-equal", "lognormal-equal", "normal-equal", "exponential-0",
        "poisson-0"])
def test_likelihood_without_maximum_is_an_error(family, x, needles) -> None:
    with pytest.raises(E.DataError) as info:
        mk.fit(x, family)
    for n in needles:
        assert n in str(info.value), (n, str(info.value))


def test_flat_likelihood_studentt_on_normal_data_is_flagged() -> None:
    """For Normal data the t likelihood keeps rising as nu -> inf: there is no finite MLE.

    The fit may return the capped nu, but it must say so (at_boundary + BoundaryWarning)
    rather than report a converged interior estimate with a finite standard error.
    """
    z = np.random.default_rng(2).normal(size=300)
    with pytest.warns(BoundaryWarning):
        res = mk.fit(z, "studentt")
    assert any("nu" in b for b in res.at_boundary)
    assert np.isnan(res.bse["nu"])  # no Wald error for a parameter at its cap
    assert np.isfinite(res.bse["mu"]) and np.isfinite(res.bse["sigma"])


def test_uniform_nonregular_standard_errors_not_reported_as_wald() -> None:
    res = mk.fit([1.0, 2.0, 3.0, 4.0], "uniform")
    assert np.isnan(res.bse["low"]) or any("not a regular family" in n for n in res.notes)


def test_huge_data_standard_errors_are_not_silently_wrong() -> None:
    """At 1e±300 the information n/σ² under- or overflows, and so does the variance σ²/n;
    the standard errors σ/√n and σ/√(2n) do not: they are finite and exact, and a note
    says that ``cov`` holds the variances rounded to inf or 0."""
    base = np.array([1.0, -1.0, 0.5, 2.0])
    for scale in (1e300, 1e-300):
        res = mk.fit(base * scale, "normal")
        sigma = np.std(base) * scale
        assert res.bse["mu"] == pytest.approx(sigma / np.sqrt(4), rel=1e-14)
        assert res.bse["sigma"] == pytest.approx(sigma / np.sqrt(8), rel=1e-14)
        assert any("beyond the float range" in n for n in res.notes), res.notes
        assert np.diag(res.cov)[0] in (0.0, np.inf)  # the variance itself is not a float
    # expected information: the same closed form, or NaN with a note (never silently wrong)
    res = mk.fit(base * 1e300, "normal", information="expected")
    assert np.isfinite(res.bse["mu"]) or any("underflows" in n for n in res.notes)


def test_standard_error_beyond_float_range_is_reported() -> None:
    """Where the standard error itself overflows (σ near the largest float, two points),
    it is inf with a note — not NaN, not a warning from NumPy."""
    res = mk.fit(np.array([-1.7e308, 1.7e308, 1.6e308, -1.6e308]), "logistic")
    assert np.isfinite(res.params["s"])
    se = np.array([res.bse["mu"], res.bse["s"]])
    assert not np.any(np.isnan(se))
    if not np.all(np.isfinite(se)):
        assert any("standard error of" in n for n in res.notes), res.notes


# ----------------------------------------------------------------- scale equivariance at 1e±300
#: how each parameter moves when the data are multiplied by c
_SCALE_RULES = {
    "exponential": {"rate": "div"},
    "gamma": {"shape": "same", "rate": "div"},
    "weibull": {"shape": "same", "scale": "mul"},
    "lognormal": {"mu": "log", "sigma": "same"},
    "rayleigh": {"sigma": "mul"},
    "halfnormal": {"sigma": "mul"},
    "inversegaussian": {"mu": "mul", "lam": "mul"},
    "pareto": {"alpha": "same", "scale": "mul"},
    "laplace": {"mu": "mul", "b": "mul"},
    "cauchy": {"mu": "mul", "sigma": "mul"},
    "logistic": {"mu": "mul", "s": "mul"},
    "gumbel": {"mu": "mul", "beta": "mul"},
    "studentt": {"nu": "same", "mu": "mul", "sigma": "mul"},
    "uniform": {"low": "mul", "high": "mul"},
    "normal": {"mu": "mul", "sigma": "mul"},
}

#: families whose standard errors at 1e±300 come from their standardised information
#: (``scaled_information``): they must scale exactly with the data
_SCALE_SE = {"normal", "rayleigh", "halfnormal", "inversegaussian", "logistic", "gumbel"}

_SCALE_BASE = np.random.default_rng(5).gamma(2.0, 1.0, 50)


def _scale_cases():
    for name in sorted(_SCALE_RULES):
        for sc in (1e300, 1e-300):
            yield pytest.param(name, sc, id=f"{name}-{sc:g}")


@pytest.mark.parametrize("name, scale", list(_scale_cases()))
def test_fit_is_scale_equivariant_at_extreme_magnitudes(name: str, scale: float) -> None:
    """Data times c (c = 1e300 or 1e-300): estimates move exactly as the family says,
    and the log-likelihood shifts by -n log c — no overflow, no false 'MLE does not exist'."""
    ref = mk.fit(_SCALE_BASE, name)
    res = mk.fit(_SCALE_BASE * scale, name)
    for p, rule in _SCALE_RULES[name].items():
        want = {"same": ref.params[p], "mul": ref.params[p] * scale,
                "div": ref.params[p] / scale, "log": ref.params[p] + np.log(scale)}[rule]
        assert res.params[p] == pytest.approx(want, rel=1e-6), p
    assert res.llf == pytest.approx(ref.llf - _SCALE_BASE.size * np.log(scale), rel=1e-9)
    if name not in _SCALE_SE:
        return
    # standard errors move like the estimates (an SE is in the units of its parameter),
    # finite even where the variance (se², in cov) is beyond the float range
    for p, rule in _SCALE_RULES[name].items():
        want = {"same": ref.bse[p], "mul": ref.bse[p] * scale, "div": ref.bse[p] / scale,
                "log": ref.bse[p]}[rule]
        assert np.isfinite(res.bse[p]) and res.bse[p] == pytest.approx(want, rel=1e-9), p
    lo, hi = res.conf_int()[next(iter(_SCALE_RULES[name]))]
    assert np.isfinite(lo) and np.isfinite(hi) and lo < hi
    assert any("beyond the float range" in n for n in res.notes), res.notes


def test_flat_likelihood_parameter_is_flagged() -> None:
    """A parameter the density ignores: the likelihood is flat in it. The fit must not
    pretend to know it: its standard error is NaN and a note says the information is 0."""
    fam = mk.custom_family("exp(-abs(x - 0*mu))/2", ["mu=real"])
    x = np.random.default_rng(0).laplace(size=50)
    res = mk.fit(x, fam)
    assert np.isnan(res.bse["mu"])
    assert any("flat likelihood" in n for n in res.notes), res.notes


def test_scaled_covariance_reports_a_standard_error_beyond_floats() -> None:
    from mlekit.families._mle_tools import scaled_covariance

    cov, se, notes = scaled_covariance({("mu", "mu"): 1e-3}, {"mu": 1e307}, ["mu"])
    assert se[0] == np.inf and cov[0, 0] == np.inf  # true se = 1e307·√1000 ≈ 3.2e308
    assert any("standard error of mu" in n for n in notes), notes
    cov, se, notes = scaled_covariance({("mu", "mu"): 4.0}, {"mu": 1e-300}, ["mu"])
    assert se[0] == pytest.approx(0.5e-300, rel=1e-15) and cov[0, 0] == 0.0
    assert any("beyond the float range" in n for n in notes), notes
