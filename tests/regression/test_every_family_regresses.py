"""Every family regresses (issue #20), driven by the registry ``mlekit.families.FAMILIES``.

For every family except the refused ones (support parameters: Uniform, Pareto; vector
parameters: Dirichlet, multivariate normal) on n = 2000 draws from its ``example_params``:

(a) an intercept-only regression (``X = 1``, ``fit_intercept=False``) reaches the
    unconditional maximum: ``llf == mk.fit(y, family).llf`` to 1e-8 relative;
(b) with two pure-noise columns in X and the same noise as every other parameter's design,
    the llf does not fall below the unconditional one and rises by less than
    ``chi2.ppf(0.999, extra) / 2`` (the likelihood-ratio statistic of ``extra`` useless
    coefficients is asymptotically chi-squared(extra));
(c) a known truth — the location and, for two-parameter families, the second parameter
    linear in x1 on the link scale — is recovered within 4 standard errors.

Plus ``custom_family`` (a typed density) and the named errors for bad input.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from scipy.stats import chi2

import mlekit as mk
from mlekit.errors import (
    ConvergenceWarning,
    NotImplementedForFamily,
    ParameterError,
    SingularMatrixError,
)
from mlekit.families import FAMILIES, get_family
from mlekit.families.custom import custom_family

REFUSED = {"uniform", "pareto", "dirichlet", "multivariatenormal"}
NAMES = sorted(set(FAMILIES) - REFUSED)
N = 2000
# the default engine's fast path for these starts the canonical (inverse) link at eta = 0,
# mu = inf, when there is no intercept column: llf -inf / nan (reported; not this file's fix)
FAST_PATH_NO_INTERCEPT_BUG: set[str] = set()  # (gamma, inverse Gaussian: fixed)


def _fast_only(name: str) -> bool:
    """A family regressed through its declared fast path only (a vector parameter the
    generic engine refuses: Categorical's probabilities, Ordinal's cut points)."""
    from mlekit.regression._engine import regressable

    try:
        regressable(get_family(name))
    except NotImplementedForFamily:
        return True
    return False


def _draw(name: str, seed: int) -> tuple[np.ndarray, dict]:
    fam = get_family(name)
    ex = {k: np.asarray(v) for k, v in fam.example_params.items()}
    return np.asarray(fam.sample((N,), np.random.default_rng(seed), **ex)), ex


def _aux(name: str, ex: dict) -> tuple[dict, dict]:
    """(fit keywords for Regression.fit, keywords for mk.fit): Binomial's trials."""
    if name == "binomial":
        n = int(ex["n"])
        return {"trials": np.full(N, n)}, {"fixed": {"n": n}}
    return {}, {}


def test_registry_covers_the_families():
    assert REFUSED <= set(FAMILIES)
    assert len(NAMES) >= 19


# ------------------------------------------------------------------ (a) intercept only
@pytest.mark.parametrize("engine", ["generic", "auto"])
@pytest.mark.parametrize("name", NAMES)
def test_intercept_only_equals_unconditional_fit(name, engine, request):
    if _fast_only(name) and engine == "generic":
        pytest.skip(f"{name} regresses through its fast path only")
    if not get_family(name).location_intercept:
        pytest.skip(f"{name}: its other parameters carry the intercept (a column of ones is "
                    "not identified); the intercept-only model is its unconditional fit")
    if engine == "auto" and name in FAST_PATH_NO_INTERCEPT_BUG:
        request.applymarker(pytest.mark.xfail(
            strict=True, reason="fast path without intercept starts at mu = inf"))
    y, ex = _draw(name, 11)
    kw, fkw = _aux(name, ex)
    m = mk.Regression(name, fit_intercept=False, engine=engine).fit(np.ones((N, 1)), y, **kw)
    u = mk.fit(y, name, **fkw).llf
    assert m.result_.converged
    assert abs(m.result_.llf - u) <= 1e-8 * abs(u)


# ------------------------------------------------------------------ (b) pure noise
@pytest.mark.parametrize("name", NAMES)
def test_noise_columns_gain_at_most_chi2(name):
    y, ex = _draw(name, 12)
    kw, fkw = _aux(name, ex)
    Z = np.random.default_rng(99).normal(size=(N, 2))
    engine = "auto" if _fast_only(name) else "generic"
    own_intercept = get_family(name).location_intercept
    if own_intercept:
        m0 = mk.Regression(name, fit_intercept=False, engine=engine).fit(np.ones((N, 1)), y,
                                                                          **kw)
        params = list(m0.result_.coefs)
    else:  # (its thresholds are the intercept: the null model is the unconditional fit)
        params = []
    designs = {} if _fast_only(name) else {p: Z for p in params[1:]}
    with warnings.catch_warnings():
        if name == "laplace":   # |y - mu|: Newton meets a kink; the llf is still bounded
            warnings.simplefilter("ignore", ConvergenceWarning)
        m = mk.Regression(name).fit(Z, y, designs=designs, **kw)
    res = m.result_
    extra = (sum(len(v) for v in res.coefs.values())
             - sum(len(v) for v in m0.result_.coefs.values())) if own_intercept else Z.shape[1]
    if not _fast_only(name):
        assert extra == 2 * len(params)
        # (the location's key may differ: a fast path names Poisson's rate "mu")
        assert list(next(iter(res.coefs.values())).index) == ["Intercept", "x0", "x1"]
        assert all(list(res.coefs[p].index) == ["Intercept", "z0", "z1"] for p in params[1:])
    u = mk.fit(y, name, **fkw).llf
    assert res.llf >= u - 1e-8 * abs(u)
    assert res.llf <= u + chi2.ppf(0.999, extra) / 2


# ------------------------------------------------------------------ (c) known truth
def _expit(t):
    return 1.0 / (1.0 + np.exp(-t))


# name -> (links, truth {param: (intercept, slope on x1)}, natural parameters to sample)
TRUTH = {
    "normal": ({"mu": "identity", "sigma": "log"}, {"mu": (1.0, 0.5), "sigma": (-0.2, 0.3)},
               lambda p: p),
    "cauchy": ({"mu": "identity", "sigma": "log"}, {"mu": (1.0, 0.5), "sigma": (-0.2, 0.3)},
               lambda p: p),
    "lognormal": ({"mu": "identity", "sigma": "log"}, {"mu": (0.3, 0.5), "sigma": (-0.5, 0.3)},
                  lambda p: p),
    "gumbel": ({"mu": "identity", "beta": "log"}, {"mu": (1.0, 0.5), "beta": (0.2, 0.3)},
               lambda p: p),
    "logistic": ({"mu": "identity", "s": "log"}, {"mu": (1.0, 0.5), "s": (-0.2, 0.3)},
                 lambda p: p),
    "laplace": ({"mu": "identity", "b": "log"}, {"mu": (1.0, 0.5), "b": (-0.2, 0.3)},
                lambda p: p),
    "studentt": ({"mu": "identity", "sigma": "log"}, {"mu": (1.0, 0.5), "sigma": (-0.2, 0.3)},
                 lambda p: {**p, "nu": np.full(N, 5.0)}),
    "beta": ({"mean": "logit", "precision": "log"}, {"mean": (0.2, 0.5), "precision": (2.0, 0.3)},
             lambda p: {"alpha": p["mean"] * p["precision"],
                        "beta": (1 - p["mean"]) * p["precision"]}),
    "gamma": ({"mean": "log", "shape": "log"}, {"mean": (0.5, 0.3), "shape": (0.8, 0.3)},
              lambda p: {"shape": p["shape"], "rate": p["shape"] / p["mean"]}),
    "weibull": ({"scale": "log", "shape": "log"}, {"scale": (0.5, 0.3), "shape": (0.8, 0.2)},
                lambda p: p),
    "inversegaussian": ({"mu": "log", "lam": "log"}, {"mu": (0.4, 0.3), "lam": (1.3, 0.3)},
                        lambda p: p),
    "negativebinomial": ({"mu": "log", "alpha": "log"}, {"mu": (1.0, 0.5), "alpha": (-0.5, 0.4)},
                         lambda p: p),
    "exponential": ({"rate": "log"}, {"rate": (0.3, 0.5)}, lambda p: p),
    "halfnormal": ({"sigma": "log"}, {"sigma": (0.3, 0.5)}, lambda p: p),
    "rayleigh": ({"sigma": "log"}, {"sigma": (0.3, 0.5)}, lambda p: p),
    "poisson": ({"rate": "log"}, {"rate": (1.0, 0.5)}, lambda p: p),
    "bernoulli": ({"p": "logit"}, {"p": (-0.3, 0.8)}, lambda p: p),
    "binomial": ({"p": "logit"}, {"p": (-0.3, 0.8)}, lambda p: {**p, "n": np.full(N, 10.0)}),
    "geometric": ({"p": "logit"}, {"p": (-0.3, 0.5)}, lambda p: p),
    # every parameter on x, the power through the scaled logit of (1, 2)
    "tweedie": ({"mu": "log", "phi": "log", "power": "logit(1, 2)"},
                {"mu": (0.5, 0.4), "phi": (0.0, 0.3), "power": (0.2, 0.5)}, lambda p: p),
}
_INV = {"identity": lambda t: t, "log": np.exp, "logit": _expit,
        "logit(1, 2)": lambda t: 1.0 + _expit(t)}


def test_truth_table_covers_every_family():
    assert set(TRUTH) == {n for n in NAMES if not _fast_only(n)}


@pytest.mark.parametrize("name", sorted(TRUTH))
def test_known_truth_recovered(name):
    links, truth, natural = TRUTH[name]
    rng = np.random.default_rng(2026)
    x1 = rng.normal(size=N)
    phi = {p: _INV[links[p]](a + b * x1) for p, (a, b) in truth.items()}
    fam = get_family(name)
    y = np.asarray(fam.sample((), rng, **natural(phi)), float)
    assert y.shape == (N,)
    kw = {"trials": np.full(N, 10)} if name == "binomial" else {}
    _loc, *others = list(truth)
    with warnings.catch_warnings():
        if name == "laplace":
            warnings.simplefilter("ignore", ConvergenceWarning)
        m = mk.Regression(name, link=links, engine="generic").fit(
            x1[:, None], y, designs={p: [0] for p in others}, **kw)
    for p, (a, b) in truth.items():
        c = m.result_.coefs[p]
        assert list(c.index) == ["Intercept", "x0"]
        z = (c["coef"].to_numpy() - np.array([a, b])) / c["std err"].to_numpy()
        assert np.all(np.abs(z) < 4), (p, z)


def test_standard_errors_match_the_spread_of_refits():
    """Normal with log sigma ~ x1: the mean reported SE of each coefficient is within 30 %
    of the standard deviation of 60 refits on fresh data (the SD of an SD from 60 draws is
    ~9 %, so 30 % is > 3 of its standard errors)."""
    rng = np.random.default_rng(60)
    n, a, b = 400, np.array([1.0, 0.5]), np.array([-0.2, 0.4])
    coefs, ses = [], []
    for _ in range(60):
        x1 = rng.normal(size=n)
        y = a[0] + a[1] * x1 + np.exp(b[0] + b[1] * x1) * rng.normal(size=n)
        r = mk.Regression("normal", link={"mu": "identity", "sigma": "log"}).fit(
            x1[:, None], y, designs={"sigma": [0]}).result_
        coefs.append(np.r_[r.coefs["mu"]["coef"], r.coefs["sigma"]["coef"]])
        ses.append(np.r_[r.coefs["mu"]["std err"], r.coefs["sigma"]["std err"]])
    ratio = np.mean(ses, axis=0) / np.std(coefs, axis=0, ddof=1)
    assert np.all(np.abs(ratio - 1) < 0.3), ratio


# ------------------------------------------------------------------ a typed density
def test_custom_family_regresses():
    """A typed (logistic) density: intercept-only equals ``mk.fit`` on it, and noise designs
    for both parameters stay inside the chi-squared bound. (The README's typed Laplace is
    not used: its unconditional ``mk.fit`` stops with a ConvergenceWarning at the kink.)"""
    fam = custom_family("exp(-(x - m)/s) / (s*(1 + exp(-(x - m)/s))**2)",
                        params={"m": "real", "s": "positive"}, support="real",
                        name="my_logistic_regression")
    rng = np.random.default_rng(6)
    y = rng.logistic(0.5, 1.3, 800)
    Z = rng.normal(size=(800, 2))
    u = mk.fit(y, fam).llf
    m0 = mk.Regression(fam, fit_intercept=False).fit(np.ones((800, 1)), y)
    assert abs(m0.result_.llf - u) <= 1e-8 * abs(u)
    m = mk.Regression(fam).fit(Z, y, designs={"s": Z})
    assert u - 1e-8 * abs(u) <= m.result_.llf <= u + chi2.ppf(0.999, 4) / 2


# ------------------------------------------------------------------ named errors
def _xy():
    rng = np.random.default_rng(3)
    X = rng.normal(size=(200, 2))
    return X, 1.0 + X[:, 0] + rng.normal(size=200)


def test_unknown_parameter_in_designs_lists_valid_names():
    X, y = _xy()
    with pytest.raises(ParameterError, match="sigma") as e:
        mk.Regression("normal").fit(X, y, designs={"sgima": X})
    assert "sgima" in str(e.value)


def test_unknown_parameter_in_link_lists_valid_names():
    X, y = _xy()
    with pytest.raises(ParameterError, match="sigma") as e:
        mk.Regression("normal", link={"mu": "identity", "scale": "log"}).fit(X, y)
    assert "scale" in str(e.value)


def test_link_outside_the_domain_is_refused():
    X, y = _xy()
    with pytest.raises(ParameterError, match="sigma"):
        mk.Regression("normal", link={"mu": "identity", "sigma": "identity"}).fit(
            X, y, designs={"sigma": X})


def test_collinear_design_names_the_parameter():
    X, y = _xy()
    Z = np.column_stack([X[:, 0], 2.0 * X[:, 0]])
    with pytest.raises(SingularMatrixError, match="sigma"):
        mk.Regression("normal").fit(X, y, designs={"sigma": Z})


def test_uniform_regression_is_refused():
    X, y = _xy()
    with pytest.raises(NotImplementedForFamily):
        mk.Regression("uniform").fit(X, y)
