"""mk.Tweedie (1 < power < 2): the Dunn–Smyth series held to independent computations.

References: statsmodels' ``Tweedie(eql=False).loglike_obs`` (scipy's
``log_wright_bessel``: a second, independent implementation of the same density), the
compound Poisson–Gamma sum written here with ``scipy.stats``, quadrature (total mass,
mean, variance, CDF, with the atom at 0 added by hand), finite differences (score and
Hessian), direct ``scipy.optimize`` maximisation (fits) and statsmodels' GLM (regression
coefficients at a fixed power).
"""

from __future__ import annotations

import itertools
import warnings

import numpy as np
import pytest
from scipy import integrate, optimize, stats
from scipy.special import expit, logsumexp

import mlekit as mk
from mlekit.errors import NoMaximumError, NotImplementedForFamily, SupportError

T = mk.Tweedie

# (mu, phi, power): ordinary, near 1 (spiky, Poisson-like), near 2 (Gamma-like), small mu
CASES = [(2.0, 1.5, 1.5), (1.0, 1.0, 1.05), (3.0, 0.5, 1.95), (0.1, 0.3, 1.7),
         (10.0, 2.0, 1.3), (5.0, 0.01, 1.99)]


def _compound_sum(y: float, mu: float, phi: float, p: float, terms: int = 20_000) -> float:
    """log f(y) = log Σ_j Pois(j; λ) Gamma(y; j k, scale s), straight from scipy.stats."""
    lam = mu ** (2 - p) / (phi * (2 - p))
    k = (2 - p) / (p - 1)
    s = phi * (p - 1) * mu ** (p - 1)
    j = np.arange(1, terms)
    return float(logsumexp(stats.poisson.logpmf(j, lam) + stats.gamma.logpdf(y, j * k, scale=s)))


def _p0(mu, phi, p):
    return float(np.exp(-(mu ** (2 - p)) / (phi * (2 - p))))


def _quad(fn, mu, phi, p, upper=np.inf):
    """∫_0^upper fn(y) f(y) dy, split at landmarks of the mean and the spread."""
    sd = np.sqrt(phi * mu**p)
    marks = [0.0, mu / 4, mu, mu + 3 * sd, mu + 10 * sd, np.inf]
    marks = sorted({min(m, upper) for m in marks})

    def g(y):
        return float(np.exp(T.logpdf(np.array([y]), mu=mu, phi=phi, power=p))[0] * fn(y))

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", integrate.IntegrationWarning)
        return sum(integrate.quad(g, a, b, limit=400, epsabs=1e-13, epsrel=1e-12)[0]
                   for a, b in itertools.pairwise(marks))


# ------------------------------------------------------------------ the density
@pytest.mark.parametrize("mu,phi,p", CASES)
def test_logpdf_matches_statsmodels_wright_bessel(mu, phi, p):
    from statsmodels.genmod.families import Tweedie as SmTweedie

    y = np.array([0.0, 1e-4, 0.01, 0.5, 1.0, 3.0, 10.0, 50.0])
    ref = SmTweedie(var_power=p, eql=False).loglike_obs(y, np.full(y.shape, mu), scale=phi)
    got = T.logpdf(y, mu=mu, phi=phi, power=p)
    np.testing.assert_allclose(got, ref, rtol=2e-12, atol=2e-12)
    assert got[0] == pytest.approx(-(mu ** (2 - p)) / (phi * (2 - p)), rel=1e-15)  # log P(0)


@pytest.mark.parametrize("mu,phi,p", CASES)
def test_logpdf_matches_the_compound_poisson_gamma_sum(mu, phi, p):
    # (scipy's own sum rounds to ~1e-11 at k = (2-p)/(p-1) ~ 0.01: see the mpmath test)
    y = np.array([1e-6, 0.01, 0.5, 1.0, 3.0, 10.0, 50.0])
    ref = np.array([_compound_sum(v, mu, phi, p) for v in y])
    np.testing.assert_allclose(T.logpdf(y, mu=mu, phi=phi, power=p), ref, rtol=5e-11,
                               atol=5e-11)


def _mp_logf(y, mu, phi, p, width):
    """log f(y) in 30-digit arithmetic: Σ over j within ``width`` of the top term."""
    import mpmath as mp

    with mp.workdps(30):
        y, mu, phi, p = map(mp.mpf, (y, mu, phi, p))
        lam, k = mu ** (2 - p) / (phi * (2 - p)), (2 - p) / (p - 1)
        s = phi * (p - 1) * mu ** (p - 1)
        top = int(y ** (2 - p) / (phi * (2 - p)))
        a = mp.log(lam) + k * mp.log(y) - k * mp.log(s)
        total = mp.fsum(mp.exp(j * a - mp.loggamma(j + 1) - mp.loggamma(j * k))
                        for j in range(max(1, top - width), top + width))
        return float(-lam - y / s - mp.log(y) + mp.log(total))


@pytest.mark.parametrize("y,mu,phi,p,width", [
    (3.0, 2.0, 1.5, 1.5, 60), (0.01, 5.0, 0.01, 1.99, 1200), (50.0, 5.0, 0.01, 1.99, 1200),
    (2.0, 1.0, 1.0, 1.02, 60),
    # peaks thousands of terms wide: summed on a grid of step h > 1 (9e3: every term)
    (9e3, 1e4, 1e-3, 1.9, 1500), (45.0, 50.0, 1e-3, 1.99, 2600)])
def test_logpdf_matches_30_digit_arithmetic(y, mu, phi, p, width):
    got = float(T.logpdf(np.array([y]), mu=mu, phi=phi, power=p)[0])
    assert got == pytest.approx(_mp_logf(y, mu, phi, p, width), rel=1e-13, abs=1e-12)


@pytest.mark.parametrize("mu,phi,p", CASES[:5])
def test_total_mass_mean_and_variance_by_quadrature(mu, phi, p):
    p0 = _p0(mu, phi, p)
    assert p0 + _quad(lambda y: 1.0, mu, phi, p) == pytest.approx(1.0, abs=1e-8)
    d = T(mu=mu, phi=phi, power=p)
    assert float(d.mean) == mu
    assert _quad(lambda y: y, mu, phi, p) == pytest.approx(mu, rel=1e-8)
    var = p0 * mu**2 + _quad(lambda y: (y - mu) ** 2, mu, phi, p)   # the atom's (0 − μ)²
    assert float(d.var) == pytest.approx(phi * mu**p, rel=1e-14)
    assert var == pytest.approx(phi * mu**p, rel=1e-7)


def test_cdf_and_logsf_against_quadrature():
    mu, phi, p = 2.0, 1.5, 1.5
    d = T(mu=mu, phi=phi, power=p)
    p0 = _p0(mu, phi, p)
    assert float(d.cdf(0.0)) == pytest.approx(p0, rel=1e-13)
    assert float(d.cdf(-1.0)) == 0.0 and float(d.logsf(-1.0)) == 0.0
    for y in (0.3, 2.0, 7.0):
        ref = p0 + _quad(lambda t: 1.0, mu, phi, p, upper=y)
        assert float(d.cdf(y)) == pytest.approx(ref, abs=1e-10)
        assert float(d.logsf(y)) == pytest.approx(np.log1p(-ref), rel=1e-8)
    # far right tail: log S(60) from the series, not 1 − F (which is 0 in doubles)
    tail = _quad(lambda t: 1.0, mu, phi, p, upper=np.inf) - _quad(lambda t: 1.0, mu, phi, p,
                                                                     upper=60.0)
    direct = integrate.quad(lambda t: float(np.exp(d.logpdf(t))), 60.0, np.inf,
                            epsabs=0, epsrel=1e-10)[0]
    assert float(d.logsf(60.0)) == pytest.approx(np.log(direct), rel=1e-7)
    assert abs(tail) < 1e-9


def test_sample_matches_mean_variance_and_zero_mass():
    mu, phi, p = 2.0, 1.5, 1.5
    x = T(mu=mu, phi=phi, power=p).sample(200_000, rng=7)
    n, var = x.size, phi * mu**p
    assert np.all(x >= 0)
    assert abs(x.mean() - mu) < 5 * np.sqrt(var / n)
    p0 = _p0(mu, phi, p)
    assert abs(np.mean(x == 0) - p0) < 5 * np.sqrt(p0 * (1 - p0) / n)
    m4 = np.mean((x - mu) ** 4)
    assert abs(x.var() - var) < 5 * np.sqrt((m4 - var**2) / n)


# ------------------------------------------------------------------ derivatives
@pytest.mark.parametrize("mu,phi,p", [(2.0, 1.5, 1.5), (1.0, 1.0, 1.1), (3.0, 0.5, 1.9)])
def test_score_and_hessian_match_finite_differences(mu, phi, p):
    P = {"mu": mu, "phi": phi, "power": p}
    x = np.concatenate([T.sample((12,), np.random.default_rng(1),
                                 **{k: np.asarray(v) for k, v in P.items()}), [0.0, 1e-3, 20.0]])
    score, hess = T.score(x, **P), T.hessian(x, **P)
    assert set(hess) == {("mu", "mu"), ("mu", "phi"), ("mu", "power"), ("phi", "phi"),
                         ("phi", "power"), ("power", "power")}
    np.testing.assert_allclose(score["mu"], (x - mu) / (phi * mu**p), rtol=1e-13)
    for n in P:
        h = 1e-6 * P[n]
        fd = (T.logpdf(x, **{**P, n: P[n] + h}) - T.logpdf(x, **{**P, n: P[n] - h})) / (2 * h)
        np.testing.assert_allclose(score[n], fd, rtol=1e-6, atol=1e-6, err_msg=n)
    for (a, b), v in hess.items():
        h = 1e-6 * P[b]
        fd = (T.score(x, **{**P, b: P[b] + h})[a] - T.score(x, **{**P, b: P[b] - h})[a]) / (2 * h)
        np.testing.assert_allclose(v, fd, rtol=1e-6, atol=1e-6, err_msg=f"{a},{b}")


# ------------------------------------------------------------------ fitting
def _data(n=400, seed=3):
    return T(mu=2.0, phi=1.5, power=1.5).sample(n, rng=seed)


def test_fit_with_fixed_power_matches_direct_optimisation():
    y = _data()
    res = mk.fit(y, family="tweedie", fixed={"power": 1.5})
    assert res.params["mu"] == pytest.approx(y.mean(), rel=1e-8)   # μ̂ = ȳ for any φ, p

    def nll(u):
        return -np.sum(T.logpdf(y, mu=y.mean(), phi=np.exp(u), power=1.5))

    ref = optimize.minimize_scalar(nll, bracket=(-1.0, 1.0), tol=1e-12)
    assert res.params["phi"] == pytest.approx(np.exp(ref.x), rel=1e-6)
    assert res.llf == pytest.approx(-ref.fun, rel=1e-10)


def test_fit_with_power_estimated_matches_direct_optimisation():
    y = _data()
    res = mk.fit(y, family="tweedie")

    def nll(v):
        return -np.sum(T.logpdf(y, mu=y.mean(), phi=np.exp(v[0]), power=1.0 + expit(v[1])))

    ref = optimize.minimize(nll, [0.0, 0.0], method="Nelder-Mead",
                            options={"xatol": 1e-10, "fatol": 1e-12, "maxiter": 4000})
    assert res.llf >= -ref.fun - 1e-8
    assert res.llf == pytest.approx(-ref.fun, rel=1e-9)
    assert res.params["phi"] == pytest.approx(np.exp(ref.x[0]), rel=1e-4)
    assert res.params["power"] == pytest.approx(1.0 + expit(ref.x[1]), rel=1e-4)
    assert res.params["mu"] == pytest.approx(y.mean(), rel=1e-7)


def _regression_data(n=400, seed=5):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 2))
    mu = np.exp(0.3 + 0.5 * X[:, 0] - 0.4 * X[:, 1])
    return X, T(mu=mu, phi=1.2, power=1.5).sample(rng=rng)


def test_regression_with_fixed_power_matches_statsmodels_glm():
    import statsmodels.api as sm

    X, y = _regression_data()
    m = mk.Regression("tweedie", fixed={"power": 1.5}).fit(X, y)
    ref = sm.GLM(y, sm.add_constant(X), family=sm.families.Tweedie(
        var_power=1.5, link=sm.families.links.Log())).fit(tol=1e-13)
    beta = m.result_.coefs["mu"]["coef"].to_numpy()
    np.testing.assert_allclose(beta, ref.params, rtol=1e-6, atol=1e-8)
    # the ML dispersion: a direct one-dimensional maximisation at statsmodels' means
    mu = ref.fittedvalues

    def nll(u):
        return -np.sum(T.logpdf(y, mu=mu, phi=np.exp(u), power=1.5))

    best = optimize.minimize_scalar(nll, bracket=(-1.0, 1.0), tol=1e-12)
    log_phi = float(m.result_.coefs["phi"]["coef"].iloc[0])
    assert log_phi == pytest.approx(best.x, abs=1e-6)
    assert m.result_.llf == pytest.approx(-best.fun, rel=1e-10)


def _statmod_data():
    """Compound Poisson–Gamma draws made with NumPy alone (not mlekit's sampler)."""
    rng = np.random.default_rng(2026)
    X = rng.normal(size=(300, 2))
    mu = np.exp(0.5 + 0.4 * X[:, 0] - 0.3 * X[:, 1])
    p, phi = 1.5, 0.8
    count = rng.poisson(mu ** (2 - p) / (phi * (2 - p)))
    y = rng.standard_gamma(count * (2 - p) / (p - 1)) * phi * (p - 1) * mu ** (p - 1)
    return X, y


#: R 4 / statmod, on _statmod_data() written with ``pandas.DataFrame({"y": y, "x0": X[:, 0],
#: "x1": X[:, 1]}).to_csv("d.csv", index=False, float_format="%.17g")``:
#:   library(statmod); d <- read.csv("d.csv")
#:   f <- glm(y ~ x0 + x1, data = d, family = tweedie(var.power = 1.5, link.power = 0),
#:            control = glm.control(epsilon = 1e-14, maxit = 100))
#:   sprintf("%.15g", coef(f)); sprintf("%.15g", summary(f)$dispersion)
STATMOD_COEF = [0.547316825853343, 0.338956646617476, -0.312288354504717]
STATMOD_DISPERSION = 0.721876593487028   # Pearson X² / (n − p)


def test_regression_with_fixed_power_matches_r_statmod():
    X, y = _statmod_data()
    assert np.sum(y == 0) == 8   # (the data R saw: 8 zeros)
    m = mk.Regression("tweedie", fixed={"power": 1.5}).fit(X, y)
    np.testing.assert_allclose(m.result_.coefs["mu"]["coef"].to_numpy(), STATMOD_COEF,
                               rtol=1e-6, atol=1e-9)
    assert m.result_.scale == pytest.approx(STATMOD_DISPERSION, rel=1e-6)


def test_regression_with_a_design_for_phi_nests_the_constant_one():
    X, y = _regression_data()
    m0 = mk.Regression("tweedie", fixed={"power": 1.5}).fit(X, y)
    m1 = mk.Regression("tweedie", fixed={"power": 1.5}).fit(X, y, designs={"phi": X[:, :1]})
    assert list(m1.result_.coefs["phi"].index) == ["Intercept", "z0"]
    gain = m1.result_.llf - m0.result_.llf
    assert -1e-8 <= gain < stats.chi2.ppf(0.999, 1) / 2   # one useless coefficient


def test_regression_with_power_free_estimates_it_on_the_scaled_logit():
    """The power lives on (1, 2): its default link is the scaled logit
    power = 1 + expit(eta); a constant power's regression estimate equals the
    unconditional ML power of the same model (a profile check: the mean coefficients
    at that power equal the fixed-power fit's)."""
    X, y = _regression_data()
    free = mk.Regression("tweedie").fit(X, y).result_
    c = free.coefs["power"]["coef"].to_numpy()
    power = 1.0 + 1.0 / (1.0 + np.exp(-c[0]))
    assert 1.0 < power < 2.0 and abs(power - 1.5) < 0.15
    held = mk.Regression("tweedie", fixed={"power": power}).fit(X, y).result_
    np.testing.assert_allclose(held.coefs["mu"]["coef"], free.coefs["mu"]["coef"],
                               rtol=1e-6, atol=1e-8)
    assert free.llf >= held.llf - 1e-8 * abs(held.llf)


# ------------------------------------------------------------------ no maximum, bad data
def test_all_zero_data_have_no_maximum():
    with pytest.raises(NoMaximumError):
        mk.fit(np.zeros(20), family="tweedie", fixed={"power": 1.5})
    with pytest.raises(NoMaximumError, match="every observation is 0"):
        T.mle(np.zeros(20), fixed={"phi": 1.0, "power": 1.5})
    with pytest.raises(NoMaximumError):
        mk.Regression("tweedie", fixed={"power": 1.5}).fit(
            np.random.default_rng(0).normal(size=(20, 1)), np.zeros(20))


def test_counts_have_no_maximum_as_the_power_falls_to_one():
    """Integer data: as p -> 1 the Gamma summands become spikes on the lattice {0, φ, 2φ …}
    and the density at every count grows without bound."""
    y = np.random.default_rng(0).poisson(3.0, 300).astype(float)
    with pytest.raises(NoMaximumError, match="power -> 1"):
        T.mle(y)
    nll = [-np.sum(T.logpdf(y, mu=y.mean(), phi=1.0, power=p)) for p in (1.01, 1.001, 1.0001)]
    assert nll[0] > nll[1] > nll[2]   # (the likelihood does rise towards p = 1)


def test_negative_data_are_a_support_error_naming_the_row():
    y = _data(n=10)
    y[6] = -0.5
    with pytest.raises(SupportError, match="index 6"):
        mk.fit(y, family="tweedie", fixed={"power": 1.5})
    with pytest.raises(SupportError, match="index 6"):
        mk.Regression("tweedie", fixed={"power": 1.5}).fit(np.ones((10, 1)), y)


# ------------------------------------------------------------------ derive, kl, declarations
def test_no_symbolic_density_is_a_named_refusal():
    """No closed SymPy density (torch, combinators and symbolic checks refuse by name);
    derive works from the derive-only density with the series as a(y, phi, p) (issue #21:
    tests/derive/test_tweedie_ordinal_derive.py)."""
    assert T.has_symbolic_density is False and T.atoms == (0.0,)
    with pytest.raises(NotImplementedForFamily, match="series"):
        T.sympy_density()
    assert mk.derive("tweedie").loss_name == "Tweedie deviance"


def test_kl_by_monte_carlo_matches_quadrature_with_the_atom():
    p, q = (2.0, 1.5, 1.5), (3.0, 1.0, 1.6)

    def lp(args, y):
        return T.logpdf(np.array([y]), mu=args[0], phi=args[1], power=args[2])[0]

    p0, q0 = _p0(*p), _p0(*q)
    ref = p0 * np.log(p0 / q0) + _quad(lambda y: lp(p, y) - lp(q, y), *p)
    res = mk.kl(T(*p), T(*q), method="mc", seed=1, n_samples=20_000)
    assert res.method == "mc"
    assert abs(float(res) - ref) < 5 * float(res.error)
    assert ref > 0


def test_power_running_to_the_gamma_limit_is_named():
    """Gamma draws (no zeros) whose likelihood still rises as the power reaches 2, the
    Gamma limit: a NoMaximumError naming it (it was reported as converged at power =
    1.999996), while data drawn from a Tweedie fit inside (1, 2)."""
    rng = np.random.default_rng(0)
    with pytest.raises(NoMaximumError, match=r"power = 2, the Gamma limit.*the data have no zeros"):
        mk.fit(rng.gamma(2.0, 1.0, 300), "tweedie")
    y = np.asarray(mk.Tweedie.sample((300,), rng, mu=2.0, phi=1.0, power=1.5), float)
    r = mk.fit(y, "tweedie")
    assert r.converged and 1.3 < r.params["power"] < 1.7
