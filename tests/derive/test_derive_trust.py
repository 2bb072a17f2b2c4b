"""derive never answers silently wrong (issue #22, parts 4 and 5).

* a fixed value or a parameter value outside its domain, and data outside the support,
  are named errors (not a complex constant, not NaN);
* NLL = a · Σ loss_i + c holds exactly, for every built-in family and for densities
  written with max(...) / heaviside(...) (the asymmetric Laplace once gave a = 2/3);
* closed-form MLEs whose sign is decided by the data (power function: -1/mean(log x))
  are found, and agree with the numeric fit.
"""

from __future__ import annotations

import zlib

import numpy as np
import pytest
import sympy as sp

import mlekit as mk
from mlekit.derive import derive
from mlekit.errors import DataError, ParameterError, SupportError


# ------------------------------------------------------------------ bad values, named
def test_fixed_value_outside_the_domain_is_refused():
    with pytest.raises(ParameterError, match=r"sigma .*value > 0 \(Positive\); found -1"):
        derive("normal", fixed={"sigma": -1})
    with pytest.raises(ParameterError, match=r"sigma contains a NaN"):
        derive("normal", fixed={"sigma": float("nan")})
    with pytest.raises(ParameterError, match=r"p .*UnitInterval"):
        derive("binomial", fixed={"p": 1.5})
    # a valid fixed value still substitutes: m log(2 pi)/2 + m log 2, real
    c = derive("normal", fixed={"sigma": 2}).constant
    assert not c.has(sp.I)


@pytest.mark.parametrize(("call", "err", "needle"), [
    (lambda d, x: d.nll(x, mu=0.0, sigma=-2.0), ParameterError, "sigma must satisfy value > 0"),
    (lambda d, x: d.nll([1.0, np.nan], mu=0.0, sigma=1.0), SupportError, "NaN value at index 1"),
    (lambda d, x: d.nll(x, mu=np.nan, sigma=1.0), ParameterError, "mu contains a NaN"),
    (lambda d, x: d.loss([0.0, np.inf], mu=0.0, sigma=1.0), SupportError, "index 1"),
    (lambda d, x: d.loss(x, mu=0.0, sigma=0.0), ParameterError, "sigma"),
    (lambda d, x: d.constant_value([1.0, 2.0, np.nan], sigma=1.0), SupportError, "index 2"),
    (lambda d, x: d.scale_value(sigma=-1.0), ParameterError, "sigma"),
    (lambda d, x: d.mle_value([1.0, np.nan]), SupportError, "index 1"),
    (lambda d, x: d.fisher_information_value(mu=0.0, sigma=-1.0), ParameterError, "sigma"),
])
def test_numeric_methods_validate_like_fit(call, err, needle):
    d = derive("normal", wrt=["mu", "sigma"])
    x = np.array([0.5, -1.0, 2.0])
    with pytest.raises(err, match=needle):
        call(d, x)
    assert issubclass(SupportError, DataError)


def test_support_of_the_data_is_checked():
    with pytest.raises(SupportError, match=r"Counts.*found -1 at index 1"):
        derive("poisson").nll([1.0, -1.0], rate=1.0)
    with pytest.raises(SupportError, match=r"found 6 at index 1"):
        derive("binomial", fixed={"n": 5}).nll([0.0, 6.0], p=0.5)
    dl = derive("bernoulli", link="logit")
    with pytest.raises(SupportError, match=r"y must satisfy .*found 2 at index 1"):
        dl.nll([0.0, 2.0], eta=[0.0, 1.0])
    with pytest.raises(ParameterError, match=r"eta contains a non-finite value at index 1"):
        dl.nll([0.0, 1.0], eta=[0.0, np.nan])


def test_multivariate_normal_validates():
    d = derive("multivariatenormal")
    x = np.array([[0.0, 1.0], [np.nan, 0.0]])
    with pytest.raises(SupportError, match=r"index \(1, 0\)"):
        d.nll(x, mean=np.zeros(2), cov=np.eye(2))
    with pytest.raises(ParameterError, match="mean"):
        d.nll(np.zeros((2, 2)), mean=np.array([0.0, np.nan]), cov=np.eye(2))


def test_symbolic_kl_evaluate_validates():
    k = mk.symbolic_kl("normal")
    with pytest.raises(ParameterError, match=r"sigma of P must satisfy value > 0"):
        k.evaluate({"mu": 0.0, "sigma": -1.0}, {"mu": 0.0, "sigma": 1.0})
    with pytest.raises(ParameterError, match=r"give sigma of Q"):
        k.evaluate({"mu": 0.0, "sigma": 1.0}, {"mu": 0.0})
    # KL(N(0, 4) || N(0, 1)) = log(1/2) + (4 + 0)/2 - 1/2
    assert float(k.evaluate({"mu": 0.0, "sigma": 2.0}, {"mu": 0.0, "sigma": 1.0})) == \
        pytest.approx(np.log(0.5) + 1.5, rel=1e-12)


def test_valid_values_still_give_the_numbers():
    from scipy import stats

    x = np.array([0.5, -1.0, 2.0])
    d = derive("normal", wrt=["mu", "sigma"])
    assert d.nll(x, mu=0.3, sigma=1.7) == pytest.approx(-stats.norm.logpdf(x, 0.3, 1.7).sum(),
                                                       rel=1e-12)


# ------------------------------------------------------------------ NLL = a Σ loss + c
def _random_member(fam, rng):
    """The example member with every estimable scalar parameter moved within its domain."""
    out = {}
    for p in fam.parameters:
        v = np.asarray(fam.example_params[p.name], float)
        if p.estimable and not p.event_ndim and v.ndim == 0:
            try:
                u = float(p.domain.to_unconstrained(v)) + rng.uniform(-0.4, 0.4)
                w = np.asarray(p.domain.from_unconstrained(np.asarray(u)), float)
                if np.all(p.domain.contains(w)):
                    v = w
            except NotImplementedError:
                pass
        out[p.name] = v
    return out


def _cases():
    out = []
    for name in sorted(mk.FAMILIES):
        fam = mk.FAMILIES[name]
        if not fam.example_params or any(p.event_ndim for p in fam.parameters) \
                or not fam.has_symbolic_density:
            continue
        out.append((name, None))
        out += [(name, (p,)) for p in fam.estimable_names]
    return out


@pytest.mark.parametrize(("name", "wrt"), _cases())
def test_split_is_exact_for_every_builtin_family(name, wrt):
    fam = mk.FAMILIES[name]
    d = derive(fam, wrt=wrt)
    rng = np.random.default_rng(zlib.crc32(f"{name}{wrt}".encode()))
    done = 0
    for _ in range(3):
        th = _random_member(fam, rng)
        x = np.asarray(fam.sample((15,), rng, **th), float)
        want = -np.sum(fam.logpdf(x, **th))
        if not np.isfinite(want):
            continue
        got = d.scale_value(**th) * np.sum(d.loss(x, **th)) + d.constant_value(x, **th)
        assert got == pytest.approx(want, rel=1e-9, abs=1e-9)
        assert d.nll(x, **th) == pytest.approx(want, rel=1e-9, abs=1e-9)
        done += 1
    assert done


ALD_FORMS = [
    "exp(-max(tau*(x-mu), (tau-1)*(x-mu))/b) * tau*(1-tau)/b",
    "exp(-(x-mu)*(tau - heaviside(mu-x))/b) * tau*(1-tau)/b",
    "exp(-((x-mu)*(tau - 1/2) + abs(x-mu)/2)/b) * tau*(1-tau)/b",
]


@pytest.mark.parametrize("dens", ALD_FORMS)
@pytest.mark.parametrize("fixed", [None, {"tau": 0.25}, {"tau": 0.25, "b": 2.0}])
def test_piecewise_asymmetric_laplace_split_is_exact(dens, fixed):
    fam = mk.custom_family(dens, {"mu": "real", "tau": "unit", "b": "positive"},
                           name="ald")
    d = derive(fam, wrt="mu", fixed=fixed)
    assert d.loss_name == "pinball (quantile) loss"
    b_sym = d.param_symbols["b"]
    want_scale = sp.Rational(1, 2) if fixed and "b" in fixed else 1 / b_sym
    assert sp.simplify(d.scale - want_scale) == 0  # symbolically 1/b, not 2/3
    rng = np.random.default_rng(5)
    for _ in range(5):
        th = {"mu": rng.normal(), "tau": rng.uniform(0.05, 0.95), "b": rng.uniform(0.2, 4.0)}
        th.update(fixed or {})
        x = rng.normal(th["mu"], 2.0, size=20)
        want = -fam.logpdf(x, **th).sum()
        args = {k: v for k, v in th.items() if k not in (fixed or {})}
        got = d.scale_value(**args) * d.loss(x, **args).sum() + d.constant_value(x, **args)
        assert got == pytest.approx(want, rel=1e-11)
        u = x - th["mu"]
        np.testing.assert_allclose(d.loss(x, **args),
                                   np.maximum(th["tau"] * u, (th["tau"] - 1) * u), rtol=1e-12)


# ------------------------------------------------------------------ closed-form MLEs
MLE_CASES = [
    # density, params, support, closed form (numpy) checked against the numeric fit
    ("theta*x**(theta-1)", {"theta": "positive"}, "unit",
     lambda x: {"theta": -1 / np.mean(np.log(x))}, lambda rng: rng.beta(2.5, 1.0, 400)),
    ("x/s**2*exp(-x**2/(2*s**2))", {"s": "positive"}, "positive",
     lambda x: {"s": np.sqrt(np.mean(x**2) / 2)}, lambda rng: rng.rayleigh(1.7, 400)),
    ("lam*exp(-lam*x)", {"lam": "positive"}, "positive",
     lambda x: {"lam": 1 / np.mean(x)}, lambda rng: rng.exponential(0.4, 400)),
    ("alpha*x**(-alpha-1)", {"alpha": "positive"}, (1.0, float("inf")),
     lambda x: {"alpha": 1 / np.mean(np.log(x))}, lambda rng: 1 + rng.pareto(3.0, 400)),
    ("exp(-(x-mu)**2/(2*v))/sqrt(2*pi*v)", {"mu": "real", "v": "positive"}, "real",
     lambda x: {"mu": np.mean(x), "v": np.var(x)}, lambda rng: rng.normal(1.0, 2.0, 400)),
]


@pytest.mark.parametrize(("dens", "params", "support", "closed", "draw"), MLE_CASES,
                         ids=[c[0][:20] for c in MLE_CASES])
def test_closed_form_mle_found_and_equal_to_the_fit(dens, params, support, closed, draw):
    fam = mk.custom_family(dens, params, support=support, name="textbook")
    d = derive(fam, wrt=list(params))
    assert d.mle_status == "closed form", d.score_equations
    x = draw(np.random.default_rng(3))
    got = d.mle_value(x)
    want = closed(x)
    fit = fam.fit(x).params
    for n in params:
        assert got[n] == pytest.approx(want[n], rel=1e-12)
        assert fit[n] == pytest.approx(want[n], rel=1e-5)


def test_power_function_mle_is_minus_one_over_mean_log():
    from mlekit.derive._calculus import SampleMean

    fam = mk.custom_family("theta*x**(theta-1)", {"theta": "positive"}, support="unit")
    mle = derive(fam).mle["theta"]
    assert sp.simplify(mle + 1 / SampleMean(sp.log(fam.sympy_density().x))) == 0


def test_negative_root_still_rejected():
    # Normal sigma: the roots are ±sqrt(mean(x^2) - mean(x)^2); the positive one is kept
    mle = derive("normal", wrt=["mu", "sigma"]).mle
    x = np.random.default_rng(1).normal(3.0, 0.5, 50)
    val = derive("normal", wrt=["mu", "sigma"]).mle_value(x)
    assert val["sigma"] == pytest.approx(np.std(x), rel=1e-12)
    assert "sigma" in mle
