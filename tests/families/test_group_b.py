"""Group B families: Poisson, Binomial, Geometric, NegativeBinomial, Pareto, Uniform,
InverseGaussian, Rayleigh, MultivariateNormal, Dirichlet.

Values are held against scipy.stats, the lambdified SymPy densities, finite differences,
exact sums / quadrature / seeded Monte Carlo, and scipy's own fits.
"""

from __future__ import annotations

import numpy as np
import pytest
import scipy.stats as st
from scipy import integrate, optimize

import mlekit.families as F
from mlekit.errors import DataError, ParameterError, SingularMatrixError, SupportError

P, B, G, NB = F.Poisson, F.Binomial, F.Geometric, F.NegativeBinomial
PA, U, IG, R = F.Pareto, F.Uniform, F.InverseGaussian, F.Rayleigh
MVN, DIR = F.MultivariateNormal, F.Dirichlet


def a(v):
    return np.asarray(v, dtype=float)


# ------------------------------------------------------------------ logpdf vs scipy
COUNTS = np.arange(0, 120, dtype=float)

SCIPY_CASES = [
    ("poisson-0.01", P, {"rate": 0.01}, st.poisson(0.01), COUNTS),
    ("poisson-3.5", P, {"rate": 3.5}, st.poisson(3.5), COUNTS),
    ("poisson-80", P, {"rate": 80.0}, st.poisson(80.0), COUNTS),
    ("binom-10", B, {"n": 10, "p": 0.3}, st.binom(10, 0.3), np.arange(0, 11.0)),
    ("binom-500", B, {"n": 500, "p": 0.02}, st.binom(500, 0.02), np.arange(0, 501.0)),
    ("geom", G, {"p": 0.3}, st.geom(0.3, loc=-1), COUNTS),
    ("geom-small", G, {"p": 1e-4}, st.geom(1e-4, loc=-1), COUNTS),
    ("nbinom", NB, {"mu": 4.0, "alpha": 0.5}, st.nbinom(2.0, 1 / 3), COUNTS),
    ("nbinom-heavy", NB, {"mu": 30.0, "alpha": 5.0}, st.nbinom(0.2, 1 / 151), COUNTS),
    ("pareto", PA, {"alpha": 2.5, "scale": 1.5}, st.pareto(2.5, scale=1.5),
     np.linspace(1.5, 40, 50)),
    ("uniform", U, {"low": -1.0, "high": 2.5}, st.uniform(-1.0, 3.5), np.linspace(-1, 2.5, 20)),
    ("invgauss", IG, {"mu": 1.5, "lam": 4.0}, st.invgauss(1.5 / 4.0, scale=4.0),
     np.linspace(0.05, 8, 40)),
    ("rayleigh", R, {"sigma": 1.7}, st.rayleigh(scale=1.7), np.linspace(0.01, 9, 40)),
]


@pytest.mark.parametrize("label,fam,params,ref,x", SCIPY_CASES, ids=[c[0] for c in SCIPY_CASES])
def test_logpdf_cdf_logsf_entropy_match_scipy(label, fam, params, ref, x):
    pr = {k: a(v) for k, v in params.items()}
    np.testing.assert_allclose(fam.logpdf(x, **pr), ref.logpmf(x) if fam.discrete
                               else ref.logpdf(x), rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(fam.cdf(x, **pr), ref.cdf(x), rtol=1e-9, atol=1e-13)
    sf = ref.logsf(x)
    fin = np.isfinite(sf)
    np.testing.assert_allclose(fam.logsf(x, **pr)[fin], sf[fin], rtol=1e-8, atol=1e-12)
    q = np.array([0.01, 0.3, 0.5, 0.9, 0.999])
    np.testing.assert_allclose(fam.ppf(q, **pr), ref.ppf(q), rtol=1e-8)
    if fam.discrete:  # an exact long sum (scipy's own entropy() stops early on heavy tails)
        m, v = ref.stats()
        lp = ref.logpmf(np.arange(0, float(np.ceil(m + 60 * np.sqrt(v) + 1000))))
        with np.errstate(invalid="ignore"):
            h_ref = -np.sum(np.where(lp > -np.inf, np.exp(lp) * lp, 0.0))
    else:
        h_ref = float(ref.entropy())
    assert float(fam.entropy(**pr)) == pytest.approx(h_ref, rel=1e-9, abs=1e-12)
    m, v = ref.stats()
    assert float(fam.mean(**pr)) == pytest.approx(float(m), rel=1e-12)
    assert float(fam.var(**pr)) == pytest.approx(float(v), rel=1e-12)


@pytest.mark.parametrize("fam,params,bad", [
    (P, {"rate": 2.0}, [-1, 0.5, 2.5]),
    (B, {"n": 5, "p": 0.4}, [-1, 6, 2.5]),
    (G, {"p": 0.4}, [-1, 0.5]),
    (NB, {"mu": 2.0, "alpha": 0.3}, [-1, 0.5]),
    (PA, {"alpha": 2.0, "scale": 1.5}, [1.49, 0, -1]),
    (U, {"low": 0.0, "high": 1.0}, [-0.01, 1.01]),
    (IG, {"mu": 1.0, "lam": 1.0}, [0.0, -1.0]),
    (R, {"sigma": 1.0}, [0.0, -1.0]),
], ids=lambda v: getattr(v, "name", None))
def test_off_support_is_minus_inf_without_warnings(fam, params, bad):
    with np.errstate(all="raise"):
        lp = fam.logpdf(a(bad), **{k: a(v) for k, v in params.items()})
    assert np.all(lp == -np.inf)


# ------------------------------------------------------------------ stability
def test_poisson_huge_counts_and_rate():
    # log P(λ; λ) ≈ −½ log(2πλ) − 1/(12λ): naive x log λ − λ − log x! loses all digits here
    lam = 1e12
    assert float(P.logpdf(a(lam), a(lam))) == pytest.approx(
        -0.5 * np.log(2 * np.pi * lam) - 1 / (12 * lam), rel=1e-13)
    assert float(P.logpdf(a(0.0), a(1e-300))) == pytest.approx(-1e-300)


def test_binomial_logits_extremes_and_boundaries():
    x = a([0, 3, 10])
    lp = B(n=10, logits=1000.0).logpdf(x)
    np.testing.assert_allclose(lp, [-10000.0, -7000.0 + np.log(120.0), 0.0], rtol=1e-12)
    lp = B(n=10, logits=-2.0).logpdf(x)
    np.testing.assert_allclose(lp, st.binom.logpmf(x, 10, 1 / (1 + np.exp(2.0))), rtol=1e-12)
    d = B(n=[5, 10], logits=[0.0, 1.0])
    assert "logits" in d.aux and d.batch_shape == (2,)
    np.testing.assert_allclose(B.logpdf(a([0, 1]), a(1), a(0.0)), [0.0, -np.inf])
    np.testing.assert_allclose(B.logpdf(a([1, 0]), a(1), a(1.0)), [0.0, -np.inf])


def test_negative_binomial_tiny_alpha_is_poisson():
    x = a([0, 1, 5, 50])
    np.testing.assert_allclose(NB.logpdf(x, a(5.0), a(1e-12)), st.poisson.logpmf(x, 5.0),
                               rtol=1e-9)


def test_binomial_support_and_array_n():
    sup = B.support_of(n=a([3, 5]))
    assert list(sup.contains(a([3, 4]))) == [True, True]
    assert list(sup.contains(a([4, 6]))) == [False, False]
    with pytest.raises(SupportError, match="index 1"):
        B.check_data([1, 7], n=a([3, 5]))
    lp = B.logpdf(a([2, 4]), a([3, 5]), a(0.4))
    np.testing.assert_allclose(lp, st.binom.logpmf([2, 4], [3, 5], 0.4), rtol=1e-12)


# ------------------------------------------------------------------ entropy beyond scipy
def test_discrete_entropy_large_parameters():
    # Poisson: the asymptotic branch (λ > 1e5) against the exact sum
    lam = 2e5
    k = np.arange(np.floor(lam - 15 * np.sqrt(lam)), lam + 15 * np.sqrt(lam))
    lp = P.logpdf(k, a(lam))
    assert float(P.entropy(a(lam))) == pytest.approx(-np.sum(np.exp(lp) * lp), rel=1e-12)
    # Binomial: the Edgeworth branch (σ² > 1e7) against the exact sum
    n, p = 5e7, 0.4
    m, s = n * p, np.sqrt(n * p * (1 - p))
    k = np.arange(np.floor(m - 15 * s), np.ceil(m + 15 * s))
    lp = B.logpdf(k, a(n), a(p))
    assert float(B.entropy(a(n), a(p))) == pytest.approx(-np.sum(np.exp(lp) * lp), rel=1e-12)
    # heavy NegativeBinomial: exact part + Euler–Maclaurin remainder against a long sum
    mu, al = 1000.0, 10.0
    k = np.arange(0, 800_000, dtype=float)  # tail beyond: below e^-80
    lp = NB.logpdf(k, a(mu), a(al))
    assert float(NB.entropy(a(mu), a(al))) == pytest.approx(-np.sum(np.exp(lp) * lp), rel=1e-11)
    # batches are vectorised and agree with the scalar calls
    rates = a([[0.1, 4.0], [300.0, 3e5]])
    h = P.entropy(rates)
    assert h.shape == (2, 2)
    assert h[1, 0] == pytest.approx(float(P.entropy(a(300.0))), rel=1e-14)
    hb = NB.entropy(a([4.0, 30.0]), a([0.5, 5.0]))
    np.testing.assert_allclose(hb, [float(NB.entropy(a(4.0), a(0.5))),
                                    float(NB.entropy(a(30.0), a(5.0)))], rtol=1e-14)


# ------------------------------------------------------------------ derivatives
def _fd(f, v, h):
    return (f(v + h) - f(v - h)) / (2 * h)


@pytest.mark.parametrize("fam,params,x", [
    (NB, {"mu": 4.0, "alpha": 0.5}, a([0, 1, 3, 9, 25])),
    (NB, {"mu": 0.3, "alpha": 4.0}, a([0, 1, 2, 40])),
    (IG, {"mu": 1.5, "lam": 4.0}, a([0.2, 1.0, 3.0, 9.0])),
    (PA, {"alpha": 2.5, "scale": 1.5}, a([1.6, 2.0, 9.0])),
    (R, {"sigma": 1.7}, a([0.1, 1.0, 4.0])),
    (B, {"n": 12, "p": 0.3}, a([0, 4, 12])),
], ids=lambda v: getattr(v, "name", None))
def test_score_and_hessian_by_finite_differences(fam, params, x):
    pr = {k: a(v) for k, v in params.items()}
    sc = fam.score(x, **pr)
    hs = fam.hessian(x, **pr)
    for n in fam.estimable_names:
        v, h = float(pr[n]), 1e-6 * max(float(pr[n]), 1e-3)
        fd = _fd(lambda t, n=n: fam.logpdf(x, **{**pr, n: a(t)}), v, h)
        np.testing.assert_allclose(sc[n], fd, rtol=1e-6, atol=1e-7, err_msg=n)
    for (i, j), val in hs.items():
        v, h = float(pr[j]), 1e-6 * max(float(pr[j]), 1e-3)
        fd = _fd(lambda t, i=i, j=j: fam.score(x, **{**pr, j: a(t)})[i], v, h)
        np.testing.assert_allclose(val, fd, rtol=1e-5, atol=1e-6, err_msg=f"{i},{j}")


MEAN2 = a([0.5, -1.0])
COV2 = a([[2.0, 0.6], [0.6, 1.0]])


def test_mvn_score_by_finite_differences():
    x = a([[0.3, 0.2], [2.0, -3.0]])
    sc = MVN.score(x, MEAN2, COV2)
    np.testing.assert_allclose(sc["mean"], np.linalg.solve(COV2, (x - MEAN2).T).T, rtol=1e-12)
    h = 1e-6
    for i in range(2):
        e = np.zeros(2)
        e[i] = h
        fd = (MVN.logpdf(x, MEAN2 + e, COV2) - MVN.logpdf(x, MEAN2 - e, COV2)) / (2 * h)
        np.testing.assert_allclose(sc["mean"][:, i], fd, rtol=1e-6)
    for i, j in [(0, 0), (1, 1), (1, 0)]:
        e = np.zeros((2, 2))
        e[i, j] = e[j, i] = h
        fd = (MVN.logpdf(x, MEAN2, COV2 + e) - MVN.logpdf(x, MEAN2, COV2 - e)) / (2 * h)
        mult = 1.0 if i == j else 2.0  # a symmetric perturbation moves both entries
        np.testing.assert_allclose(mult * sc["cov"][:, i, j], fd, rtol=1e-6)


def test_dirichlet_score_hessian_fisher():
    alpha = a([2.0, 3.5, 1.5])
    x = DIR.sample((4,), np.random.default_rng(0), alpha)
    sc = DIR.score(x, alpha)["alpha"]
    hs = DIR.hessian(x, alpha)[("alpha", "alpha")]
    h = 1e-6
    for j in range(3):
        e = np.zeros(3)
        e[j] = h
        fd = (DIR.logpdf(x, alpha + e) - DIR.logpdf(x, alpha - e)) / (2 * h)
        np.testing.assert_allclose(sc[:, j], fd, rtol=1e-6)
        fd2 = (DIR.score(x, alpha + e)["alpha"] - DIR.score(x, alpha - e)["alpha"]) / (2 * h)
        np.testing.assert_allclose(hs[:, :, j], fd2, rtol=1e-5, atol=1e-8)
    np.testing.assert_allclose(DIR.fisher_information(alpha), -hs[0])


# ------------------------------------------------------------------ symbolic
def test_symbolic_mvn_and_dirichlet_match_numeric():
    import sympy as sp

    sd = MVN.sympy_density()
    X, MU, S = sp.MatrixSymbol("x", 2, 1), sp.MatrixSymbol("mu", 2, 1), sp.MatrixSymbol("S", 2, 2)
    e = sd.log_expr.xreplace({sd.params["d"]: 2, sd.x: X, sd.params["mean"]: MU,
                              sd.params["cov"]: S})
    x = a([0.3, 0.2])
    val = e.subs({X: sp.Matrix(x), MU: sp.Matrix(MEAN2), S: sp.Matrix(COV2)}).doit()
    assert float(sp.N(val)) == pytest.approx(float(MVN.logpdf(x, MEAN2, COV2)), rel=1e-12)

    sd = DIR.sympy_density()
    e = sd.log_expr.subs(sd.params["k"], 3).doit()
    xv, av = [0.2, 0.3, 0.5], [2.0, 3.5, 1.5]
    vals = {sd.x[i + 1]: xv[i] for i in range(3)}
    vals.update({sd.params["alpha"][i + 1]: av[i] for i in range(3)})
    assert float(sp.N(e.subs(vals))) == pytest.approx(float(DIR.logpdf(a(xv), a(av))),
                                                      rel=1e-12)


# ------------------------------------------------------------------ multivariate families
def test_mvn_logpdf_entropy_batches_vs_scipy():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(6, 2))
    np.testing.assert_allclose(MVN.logpdf(x, MEAN2, COV2),
                               st.multivariate_normal(MEAN2, COV2).logpdf(x), rtol=1e-12)
    means = rng.normal(size=(3, 2))
    covs = np.stack([COV2, 2 * COV2, np.eye(2)])
    lp = MVN.logpdf(x[:, None, :], means, covs)
    assert lp.shape == (6, 3)
    for i in range(3):
        ref = st.multivariate_normal(means[i], covs[i])
        np.testing.assert_allclose(lp[:, i], ref.logpdf(x), rtol=1e-12)
        assert MVN.entropy(means, covs)[i] == pytest.approx(ref.entropy(), rel=1e-12)
    d = MVN(mean=means, cov=covs)
    assert d.batch_shape == (3,)
    s = d.sample((50_000,), rng=1)
    assert s.shape == (50_000, 3, 2)
    np.testing.assert_allclose(s.mean(axis=0), means, atol=0.05)
    np.testing.assert_allclose(np.cov(s[:, 1].T), 2 * COV2, rtol=0.05)
    assert d[1].mean.shape == (2,)
    with pytest.raises(ParameterError, match="dimension"):
        MVN(mean=[0.0, 0.0, 0.0], cov=COV2)
    with pytest.raises(ParameterError, match="positive-definite"):
        MVN(mean=[0.0, 0.0], cov=[[1.0, 2.0], [2.0, 1.0]])


def test_dirichlet_logpdf_entropy_moments_vs_scipy():
    rng = np.random.default_rng(0)
    alpha = a([2.0, 3.5, 1.5])
    x = DIR.sample((7,), rng, alpha)
    np.testing.assert_allclose(DIR.logpdf(x, alpha), st.dirichlet(alpha).logpdf(x.T),
                               rtol=1e-12)
    assert float(DIR.entropy(alpha)) == pytest.approx(st.dirichlet(alpha).entropy(), rel=1e-12)
    np.testing.assert_allclose(DIR.var(alpha), st.dirichlet(alpha).var(), rtol=1e-12)
    big = DIR.sample((100_000,), rng, alpha)
    se = np.sqrt(DIR.var(alpha) / big.shape[0])
    assert np.all(np.abs(big.mean(axis=0) - DIR.mean(alpha)) < 5 * se)
    tiny = DIR.sample((1000,), rng, a([0.01, 0.02, 0.05]))  # exact in logs: no 0/0
    assert np.all(np.isfinite(tiny)) and np.allclose(tiny.sum(axis=1), 1.0)
    lp = DIR.logpdf(a([[0.5, 0.5, 0.0], [0.2, 0.2, 0.5]]), alpha)
    assert np.all(lp == -np.inf)  # a zero entry; a row not summing to one
    with pytest.raises(SupportError, match="open simplex"):
        DIR.check_data([[0.5, 0.5, 0.0]])
    batch = DIR.sample((2,), rng, a([[1.0, 1.0], [2.0, 3.0], [5.0, 5.0]]))
    assert batch.shape == (2, 3, 2)


# ------------------------------------------------------------------ KL
def _kl_sum(fam, p, q, k):
    lp, lq = fam.logpdf(k, **p), fam.logpdf(k, **q)
    w = np.exp(lp)
    with np.errstate(invalid="ignore"):
        return float(np.sum(np.where(w > 0, w * (lp - lq), 0.0)))


def _kl_quad(fam, p, q, lo, hi):
    def f(t):
        lp = float(fam.logpdf(a(t), **p))
        return 0.0 if lp == -np.inf else np.exp(lp) * (lp - float(fam.logpdf(a(t), **q)))

    return integrate.quad(f, lo, hi, epsabs=1e-13, epsrel=1e-12, limit=500)[0]


def _pp(d):
    return {k: a(v) for k, v in d.items()}


@pytest.mark.parametrize("fam,p,q", [
    (P, {"rate": 3.5}, {"rate": 1.2}),
    (B, {"n": 20, "p": 0.3}, {"n": 20, "p": 0.55}),
    (G, {"p": 0.3}, {"p": 0.6}),
    (G, {"p": 1.0}, {"p": 0.6}),
], ids=["poisson", "binomial", "geometric", "geometric-pointmass"])
def test_discrete_kl_vs_exact_sum(fam, p, q):
    p, q = _pp(p), _pp(q)
    fn = F.lookup_kl(fam, fam)
    assert float(fn(p, q)) == pytest.approx(_kl_sum(fam, p, q, np.arange(0, 400.0)), rel=1e-10)
    assert float(fn(p, p)) == pytest.approx(0.0, abs=1e-14)


@pytest.mark.parametrize("fam,p,q,lo,hi", [
    (PA, {"alpha": 2.5, "scale": 2.0}, {"alpha": 1.5, "scale": 1.5}, 2.0, np.inf),
    (U, {"low": 0.0, "high": 1.0}, {"low": -1.0, "high": 3.0}, 0.0, 1.0),
    (IG, {"mu": 1.5, "lam": 4.0}, {"mu": 0.8, "lam": 2.0}, 0.0, np.inf),
    (R, {"sigma": 1.7}, {"sigma": 0.9}, 0.0, np.inf),
], ids=["pareto", "uniform", "invgauss", "rayleigh"])
def test_continuous_kl_vs_quadrature(fam, p, q, lo, hi):
    p, q = _pp(p), _pp(q)
    fn = F.lookup_kl(fam, fam)
    assert float(fn(p, q)) == pytest.approx(_kl_quad(fam, p, q, lo, hi), rel=1e-8)
    assert float(fn(p, p)) == pytest.approx(0.0, abs=1e-14)


def test_kl_infinite_where_supports_do_not_nest():
    kl_u = F.lookup_kl(U, U)
    out = kl_u({"low": a([0.0, -1.0]), "high": a([1.0, 1.0])},
               {"low": a([-1.0, 0.0]), "high": a([2.0, 2.0])})
    assert out[0] == pytest.approx(np.log(3.0)) and out[1] == np.inf
    kl_pa = F.lookup_kl(PA, PA)
    assert float(kl_pa(_pp({"alpha": 2.0, "scale": 1.0}), _pp({"alpha": 2.0, "scale": 2.0}))) \
        == np.inf
    kl_b = F.lookup_kl(B, B)
    assert float(kl_b(_pp({"n": 10, "p": 0.3}), _pp({"n": 5, "p": 0.3}))) == np.inf
    kl_g = F.lookup_kl(G, G)
    assert float(kl_g(_pp({"p": 0.5}), _pp({"p": 1.0}))) == np.inf


def test_kl_uniform_beta_vs_quadrature():
    fn = F.lookup_kl(U, F.Beta)
    for (lo, hi), (al, be) in [((0.1, 0.7), (2.0, 3.5)), ((0.0, 1.0), (0.5, 0.7))]:
        p, q = _pp({"low": lo, "high": hi}), _pp({"alpha": al, "beta": be})

        def f(t, lo=lo, hi=hi, q=q):
            return (-np.log(hi - lo) - float(F.Beta.logpdf(a(t), **q))) / (hi - lo)

        ref = integrate.quad(f, lo, hi, epsabs=1e-13, epsrel=1e-12, limit=200)[0]
        assert float(fn(p, q)) == pytest.approx(ref, rel=1e-8)
    assert float(fn(_pp({"low": -0.5, "high": 0.5}), _pp({"alpha": 2.0, "beta": 2.0}))) == np.inf


def test_kl_mvn_and_dirichlet_vs_monte_carlo_and_batches():
    rng = np.random.default_rng(11)
    kl = F.lookup_kl(MVN, MVN)
    p = {"mean": MEAN2, "cov": COV2}
    q = {"mean": a([0.0, 0.5]), "cov": a([[1.0, -0.3], [-0.3, 2.0]])}
    x = MVN.sample((200_000,), rng, **p)
    diff = MVN.logpdf(x, **p) - MVN.logpdf(x, **q)
    val = float(kl(p, q))
    assert abs(val - diff.mean()) < 4 * diff.std() / np.sqrt(diff.size)
    assert float(kl(p, p)) == pytest.approx(0.0, abs=1e-12)
    covs = np.stack([COV2, q["cov"]])
    batch = kl({"mean": MEAN2, "cov": covs}, {"mean": q["mean"], "cov": q["cov"][None]})
    assert batch.shape == (2,) and batch[0] == pytest.approx(val) and batch[1] > 0

    kd = F.lookup_kl(DIR, DIR)
    pa, qa = {"alpha": a([2.0, 3.5, 1.5])}, {"alpha": a([1.0, 1.0, 4.0])}
    x = DIR.sample((200_000,), rng, **pa)
    diff = DIR.logpdf(x, **pa) - DIR.logpdf(x, **qa)
    val = float(kd(pa, qa))
    assert abs(val - diff.mean()) < 4 * diff.std() / np.sqrt(diff.size)
    out = kd({"alpha": a([[2.0, 3.5, 1.5], [1.0, 1.0, 4.0]])}, qa)
    assert out[0] == pytest.approx(val) and out[1] == pytest.approx(0.0, abs=1e-12)


# ------------------------------------------------------------------ MLE
def test_mle_closed_forms_beat_scipy_fit():
    rng = np.random.default_rng(3)
    cases = [
        (PA, rng.pareto(3.0, 2000) * 2.0 + 2.0,
         lambda x: st.pareto.fit(x, floc=0), lambda x, b, loc, s: st.pareto.logpdf(x, b, loc, s)),
        (U, rng.uniform(-2, 5, 2000), st.uniform.fit,
         lambda x, loc, s: st.uniform.logpdf(x, loc, s)),
        (IG, rng.wald(1.5, 4.0, 2000), lambda x: st.invgauss.fit(x, floc=0),
         lambda x, m, loc, s: st.invgauss.logpdf(x, m, loc, s)),
        (R, rng.rayleigh(1.7, 2000), lambda x: st.rayleigh.fit(x, floc=0),
         lambda x, loc, s: st.rayleigh.logpdf(x, loc, s)),
    ]
    for fam, x, fit, logpdf in cases:
        est = fam.mle(x)
        ours = -np.sum(fam.logpdf(x, **{k: a(v) for k, v in est.items()}))
        theirs = -np.sum(logpdf(x, *fit(x)))
        assert ours <= theirs + 1e-9 * abs(theirs), fam.name


def test_mle_discrete_vs_scipy_fit_and_truth():
    rng = np.random.default_rng(4)
    x = rng.poisson(3.5, 5000).astype(float)
    assert P.mle(x)["rate"] == pytest.approx(x.mean())
    x = rng.geometric(0.3, 5000) - 1.0
    assert G.mle(x)["p"] == pytest.approx(1 / (1 + x.mean()))
    x = NB.sample((20_000,), rng, a(4.0), a(0.5))
    est = NB.mle(x)
    ours = -np.sum(NB.logpdf(x, a(est["mu"]), a(est["alpha"])))
    res = st.fit(st.nbinom, x, bounds={"n": (0.01, 100), "p": (1e-6, 1 - 1e-9)})
    theirs = -np.sum(st.nbinom.logpmf(x, res.params.n, res.params.p))
    assert ours <= theirs + 1e-9 * abs(theirs)
    sc = NB.score(x, a(est["mu"]), a(est["alpha"]))
    assert abs(np.mean(sc["mu"])) < 1e-10 and abs(np.mean(sc["alpha"])) < 1e-8
    assert est["alpha"] == pytest.approx(0.5, abs=0.05) and est["mu"] == pytest.approx(4, abs=0.1)
    fixed = NB.mle(x, fixed={"alpha": 0.7})
    assert fixed == {"mu": x.mean(), "alpha": 0.7}
    assert NB.mle(x, fixed={"mu": 4.0}) is None  # no specialised solver: the engine fits it


def test_mle_binomial_needs_n_and_supports_array_n():
    rng = np.random.default_rng(5)
    n = rng.integers(1, 20, 3000).astype(float)
    x = rng.binomial(n.astype(int), 0.3).astype(float)
    est = B.mle(x, fixed={"n": n})
    assert est["p"] == pytest.approx(x.sum() / n.sum())
    assert est["p"] == pytest.approx(0.3, abs=0.02)
    with pytest.raises(ParameterError, match="fixed=\\{'n'"):
        B.mle(x)
    with pytest.raises(SupportError):
        B.mle(a([1, 30]), fixed={"n": 10})


def test_mle_boundaries_are_returned_or_reported():
    assert B.mle(np.zeros(5), fixed={"n": 4})["p"] == 0.0
    assert B.mle(np.full(5, 4.0), fixed={"n": 4})["p"] == 1.0
    assert G.mle(np.zeros(5))["p"] == 1.0
    assert P.mle(np.zeros(5))["rate"] == 0.0
    with pytest.raises(DataError, match="Poisson"):
        NB.mle(np.random.default_rng(0).binomial(10, 0.5, 500).astype(float))  # var < mean
    with pytest.raises(DataError, match="boundary"):
        NB.mle(np.zeros(10))
    with pytest.raises(DataError, match="does not exist"):
        PA.mle(np.full(4, 2.0))
    with pytest.raises(DataError, match="does not exist"):
        U.mle(np.full(4, 2.0))
    with pytest.raises(DataError, match="does not exist"):
        IG.mle(np.full(4, 2.0))
    with pytest.raises(DataError, match="identical"):
        DIR.mle(np.tile([0.2, 0.8], (5, 1)))
    with pytest.raises(SingularMatrixError):
        MVN.mle(np.array([[1.0, 2.0], [2.0, 4.0], [3.0, 6.0]]))
    with pytest.raises(SupportError):
        PA.mle(a([1.0, 3.0]), fixed={"scale": 2.0})


def test_mle_fixed_and_weights():
    rng = np.random.default_rng(6)
    x = rng.pareto(3.0, 500) + 1.0
    est = PA.mle(x, fixed={"scale": 0.9})
    assert est["alpha"] == pytest.approx(x.size / np.sum(np.log(x / 0.9)))
    x = rng.wald(1.5, 4.0, 500)
    est = IG.mle(x, fixed={"mu": 1.4})
    assert np.mean(IG.score(x, a(1.4), a(est["lam"]))["lam"]) == pytest.approx(0, abs=1e-12)
    w = rng.integers(0, 3, x.size).astype(float)
    a1, a2 = IG.mle(x, weights=w), IG.mle(np.repeat(x, w.astype(int)))
    assert a1["mu"] == pytest.approx(a2["mu"]) and a1["lam"] == pytest.approx(a2["lam"])
    u = U.mle(rng.uniform(0, 1, 50), fixed={"low": -1.0})
    assert u["low"] == -1.0
    cov = U.mle_covariance({"low": 0.0, "high": 1.0}, 10)
    assert cov[0, 0] == pytest.approx(10 / (121 * 12))


def test_mle_multivariate_recovers_parameters():
    rng = np.random.default_rng(8)
    x = MVN.sample((50_000,), rng, MEAN2, COV2)
    est = MVN.mle(x)
    np.testing.assert_allclose(est["mean"], x.mean(axis=0), rtol=1e-12)
    np.testing.assert_allclose(est["cov"], np.cov(x.T, bias=True), rtol=1e-10)
    np.testing.assert_allclose(est["cov"], COV2, atol=0.05)
    assert MVN.mle(x, fixed={"mean": MEAN2})["cov"] == pytest.approx(
        (x - MEAN2).T @ (x - MEAN2) / x.shape[0])

    cov = MVN.mle_covariance(est, x.shape[0])
    assert cov.shape == (6, 6)
    np.testing.assert_allclose(cov[:2, :2], est["cov"] / x.shape[0])
    s = est["cov"]
    assert cov[2 + 1, 2 + 1] == pytest.approx((s[0, 1] ** 2 + s[0, 0] * s[1, 1]) / x.shape[0])

    alpha = a([2.0, 3.5, 1.5])
    y = DIR.sample((20_000,), rng, alpha)
    est = DIR.mle(y)["alpha"]
    se = np.sqrt(np.diag(np.linalg.inv(DIR.fisher_information(est))) / y.shape[0])
    assert np.all(np.abs(est - alpha) < 5 * se)
    sc = DIR.score(y, est)["alpha"].mean(axis=0)
    assert np.max(np.abs(sc)) < 1e-9

    def nll(la):
        return -np.sum(DIR.logpdf(y, np.exp(la)))

    ref = optimize.minimize(nll, np.log(alpha), method="Nelder-Mead",
                            options={"xatol": 1e-10, "fatol": 1e-10, "maxiter": 4000})
    assert nll(np.log(est)) <= ref.fun + 1e-9 * abs(ref.fun)
    small = DIR.sample((5000,), rng, a([0.05, 0.02, 0.3]))
    est = DIR.mle(small)["alpha"]
    np.testing.assert_allclose(est, [0.05, 0.02, 0.3], rtol=0.1)


def test_registry_names_and_aliases():
    for name in ("poisson", "binom", "geom", "nbinom", "pareto", "uniform", "invgauss",
                 "rayleigh", "mvn", "dirichlet"):
        assert isinstance(F.get_family(name), F.Family)
    d = F.parse_distribution("binomial(n=10, p=0.3)")
    assert d.mean == pytest.approx(3.0)
    with pytest.raises(ParameterError, match="low must be < high"):
        U(low=[0.0, 2.0], high=[1.0, 1.0])
