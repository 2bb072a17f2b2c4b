"""``derive`` on the combinators, driven by the registry: each combinator over each
eligible registered family (the ones it accepts, with a closed SymPy density) derives its
NLL from the base family's own density, and that NLL equals ``-sum(C(**params).logpdf(y))``
at random parameters and data drawn from them (relative 1e-10).

Which bases run: ZeroInflated, Hurdle, Truncated and Shifted over every registered family
they accept (Truncated: ``low=1`` on counts; ``low`` and ``high`` at the 0.2 and 0.9
quantiles on the real line, ``low`` only on the half-line); a truncated continuous family
whose CDF SymPy gives in no closed form (LogNormal, StudentT, Beta, InverseGaussian,
Laplace) is checked to be refused by name instead. To keep the file fast, Mixture (k=2)
runs over the first three eligible families in name order only, plus one mixture of three
different families.
"""

from __future__ import annotations

import numpy as np
import pytest

import mlekit as mk
from mlekit.errors import NotImplementedForFamily

from ._latex import compiles, needs_pdflatex

pytest.importorskip("sympy")


def _make(kind, fam):
    if kind == "zeroinflated":
        return mk.ZeroInflated(fam)
    if kind == "hurdle":
        return mk.Hurdle(fam)
    if kind == "shifted":
        return mk.Shifted(fam)
    if kind == "mixture":
        return mk.Mixture(fam, k=2)
    if kind == "truncated":
        if fam.discrete:
            return mk.Truncated(fam, low=1)
        d = fam(**fam.example_params)
        lo, hi = (float(np.round(v, 2)) for v in d.ppf(np.array([0.2, 0.9])))
        return mk.Truncated(fam, low=lo) if fam.support.edges[0] == 0 else \
            mk.Truncated(fam, low=lo, high=hi)
    raise AssertionError(kind)


#: truncations of a continuous family whose CDF SymPy gives in no closed form (refused)
REFUSED = []


def _cases():
    out = []
    mixtures = 0
    for name in sorted(mk.FAMILIES):
        fam = mk.FAMILIES[name]
        for kind in ("zeroinflated", "hurdle", "truncated", "shifted", "mixture"):
            if kind == "mixture" and mixtures >= 3:
                continue
            try:
                comb = _make(kind, fam)
            except mk.errors.MlekitError:
                continue  # the combinator does not take this family
            if not fam.has_symbolic_density:
                continue  # (refused by name: test_series_and_regression_only_refuse)
            if not comb.has_symbolic_density:
                REFUSED.append(pytest.param(comb, id=f"{kind}-{name}"))
                continue
            if kind == "mixture":
                mixtures += 1
            out.append(pytest.param(comb, id=f"{kind}-{name}"))
    out.append(pytest.param(mk.Mixture([mk.Normal, mk.Gamma, mk.Laplace]),
                            id="mixture-normal-gamma-laplace"))
    return out


CASES = _cases()


def random_params(fam, rng):
    """Parameters near the family's example, moved in each domain's unconstrained
    coordinates (a mixture's weights: a random point of the simplex)."""
    out = {}
    for p in fam.parameters:
        v = np.asarray(fam.example_params[p.name], float)
        if p.event_ndim:
            w = rng.dirichlet(np.full(v.shape[-1], 4.0))
            out[p.name] = w
        elif not p.estimable:
            out[p.name] = float(v)
        else:
            u = float(p.domain.to_unconstrained(v)) + float(rng.normal(scale=0.3))
            out[p.name] = float(p.domain.from_unconstrained(np.asarray(u)))
    return out


def data_for(fam, params, rng, n=25):
    x = np.asarray(fam(**params).sample(n, rng=rng), float)
    if fam.discrete and getattr(fam, "kind", "") in ("zeroinflated", "hurdle"):
        x[:2] = [0.0, 1.0]  # both cases of the density
    return x


def test_the_sample_covers_every_combinator():
    kinds = {c.values[0].kind for c in CASES}
    assert kinds == {"zeroinflated", "hurdle", "truncated", "shifted", "mixture"}
    assert len(CASES) >= 20


@pytest.mark.parametrize("fam", CASES)
def test_derived_nll_equals_numeric(fam):
    d = mk.derive(fam, wrt=fam.estimable_names)
    rng = np.random.default_rng(abs(hash(fam.name)) % 2**32)
    for _ in range(2):
        params = random_params(fam, rng)
        x = data_for(fam, params, rng)
        ref = -float(np.sum(fam(**params).logpdf(x)))
        got = d.nll(x, **params)
        assert got == pytest.approx(ref, rel=1e-10, abs=1e-12)


@pytest.mark.parametrize("fam", [mk.ZeroInflated(mk.Poisson), mk.Hurdle(mk.Poisson),
                                 mk.Truncated(mk.Poisson, low=1), mk.Shifted(mk.Weibull),
                                 mk.Mixture(mk.Normal, k=2)], ids=lambda f: f.name)
def test_default_derivation_is_named_and_exact(fam):
    """The default derivation (the mean parameter when there is one) names the model and
    its split a·Σ loss + c reproduces the NLL."""
    d = mk.derive(fam)
    names = {"zeroinflated": "zero-inflated Poisson NLL", "hurdle": "hurdle Poisson NLL",
             "truncated": "zero-truncated Poisson NLL", "shifted": "three-parameter Weibull NLL",
             "mixture": "two-component Normal mixture NLL"}
    assert d.loss_name == names[fam.kind]
    params = dict(fam.example_params)
    x = data_for(fam, params, np.random.default_rng(3))
    total = d.scale_value(**_only(d, params)) * float(np.sum(d.loss(x, **_only(d, params))))
    total += d.constant_value(x, **_only(d, params))
    assert d.nll(x, **_only(d, params)) == pytest.approx(total, rel=1e-12)
    assert total == pytest.approx(-float(np.sum(fam(**params).logpdf(x))), rel=1e-10)


def _only(d, params):
    return {k: v for k, v in params.items() if k in d.arg_symbols}


def test_zero_inflated_poisson_reads_like_the_textbook():
    """ZIP: −log(π + (1−π)e^{−λ}) at y = 0, λ − log(1−π) − y log λ at y > 0, and the
    constant Σ_{y>0} log y! kept apart."""
    import sympy as sp

    fam = mk.ZeroInflated(mk.Poisson)
    d = mk.derive(fam, wrt=("pi", "rate"))
    sd = fam.sympy_density()
    x, pi, lam = sd.x, sd.params["pi"], sd.params["rate"]
    want = sp.Piecewise((-sp.log(pi + (1 - pi) * sp.exp(-lam)), sp.Eq(x, 0)),
                        (lam - sp.log(1 - pi) - x * sp.log(lam), True))
    for xv in (0, 1, 4):
        for pv, lv in ((0.2, 1.5), (0.7, 0.3)):
            a = d.term_loss.subs({x: xv, pi: pv, lam: lv})
            b = want.subs({x: xv, pi: pv, lam: lv})
            assert float(a) == pytest.approx(float(b), rel=1e-14)
    assert float(d.term_constant.subs(x, 3)) == pytest.approx(np.log(6.0), rel=1e-14)
    assert float(d.term_constant.subs(x, 0)) == 0.0


def test_series_and_regression_only_refuse():
    """Tweedie (a series density) and Ordinal (a regression family: the difference of
    its cut points' CDFs) have no closed SymPy density: a combinator built on Tweedie is
    refused by name. (Tweedie and the Ordinal themselves derive from their derive-only
    densities since issue #21: tests/derive/test_tweedie_ordinal_derive.py.)"""
    assert mk.derive(mk.Tweedie).loss_name == "Tweedie deviance"
    assert mk.derive(mk.FAMILIES["ordinal"]).loss_name == "cumulative-logit NLL"
    for comb in (mk.Truncated(mk.Tweedie, high=3.0), mk.Shifted(mk.Tweedie)):
        assert comb.has_symbolic_density is False
        with pytest.raises(NotImplementedForFamily, match=r"Tweedie has none.*infinite series"):
            mk.derive(comb)


def test_only_truncations_without_a_closed_cdf_are_refused():
    """Every combinator over a family with a SymPy density derives, except a truncated
    continuous family whose CDF SymPy gives in no closed form; Gamma and Weibull (scale
    families with a shape) and the location-scale families derive."""
    refused = {c.values[0].base.name for c in REFUSED}
    assert all(c.values[0].kind == "truncated" for c in REFUSED)
    assert refused.isdisjoint({"normal", "logistic", "cauchy", "gumbel", "exponential",
                               "gamma", "weibull", "halfnormal", "rayleigh"})
    assert {"gamma", "weibull", "normal"} <= {c.values[0].base.name for c in CASES
                                              if c.values[0].kind == "truncated"}


@pytest.mark.parametrize("comb", REFUSED)
def test_truncated_without_a_closed_cdf_refuses_by_name(comb):
    with pytest.raises(NotImplementedForFamily,
                       match=rf"no closed CDF for {comb.base.title}.*numeric sum of -logpdf"):
        mk.derive(comb)


@needs_pdflatex
def test_latex_of_the_combinators_compiles(tmp_path):
    """As tests/derive/test_textbook_rendering: the LaTeX of one derivation per combinator
    compiles with pdflatex, and its MathML has the textbook ∏/Σ and no LaTeX left as text."""
    fams = (mk.ZeroInflated(mk.Poisson), mk.Hurdle(mk.NegativeBinomial),
            mk.Truncated(mk.Normal, low=0.0), mk.Shifted(mk.Weibull), mk.Mixture(mk.Normal, k=2))
    compiles([(f.name, mk.derive(f).to_latex()) for f in fams], tmp_path, "c")


@pytest.mark.parametrize("fam", [mk.ZeroInflated(mk.Poisson), mk.Truncated(mk.Poisson, low=1),
                                 mk.Mixture(mk.Normal, k=2)], ids=lambda f: f.name)
def test_mathml_reads_like_a_textbook(fam):
    """As tests/derive/test_textbook_rendering: ∏ and Σ with limits, an upright NLL, the
    estimates with hats (the mixture's weights as ŵ) under argmin, no LaTeX left as text."""
    import re

    mml = mk.derive(fam).to_mathml()
    maths = re.findall(r"<math\b.*?</math>", mml, re.S)
    assert any(re.search(r"<mi>L</mi>.*<munderover><mo>&#x0220F;</mo>", m) for m in maths)
    assert any(re.search(r"<munderover><mo>&#x02211;</mo>", m) for m in maths)
    assert re.search(r"<mo [^>]*>NLL</mo>", mml)
    assert re.search(r"<munder><mrow><mo>argmin</mo></mrow><mrow>.+?</mrow></munder>", mml)
    assert "mathrm{weights}" not in mml and "weights_hat" not in mml
    words = " ".join(re.sub(r"<[^>]+>", " ", m) for m in maths)
    assert "\\" not in words


def test_cpu_limit_stops_a_runaway_computation():
    """The CPU-time limit (``_utils.cpu_limit.CpuLimit``, shared by the truncated
    combinator's CDF search and ``derive``) really stops the work; an inner limit gives the
    enclosing one its timer back; derive's limit turns into a named DerivationError."""
    import signal
    import time

    from mlekit._utils.cpu_limit import CpuLimit
    from mlekit.derive._calculus import _TimeLimit
    from mlekit.errors import DerivationError

    if not hasattr(signal, "setitimer"):
        pytest.skip("no CPU timer on this platform (the limit does not apply)")
    t0 = time.process_time()
    with CpuLimit(0.2) as lim:
        while time.process_time() - t0 < 5.0:
            pass
    assert lim.expired and time.process_time() - t0 < 2.0
    t0 = time.process_time()
    with CpuLimit(0.4) as outer:
        with CpuLimit(5.0) as inner:  # ends first, unexpired
            pass
        while time.process_time() - t0 < 5.0:  # the outer limit still fires
            pass
    assert outer.expired and not inner.expired and time.process_time() - t0 < 2.0
    with pytest.raises(DerivationError, match=r"spin: no closed form found within 0.2 s"):
        with _TimeLimit(0.2, "spin"):
            t0 = time.process_time()
            while time.process_time() - t0 < 5.0:
                pass


def test_conditional_zero_inflated_poisson_in_link_space():
    """With links (log rate, logit pi: the regression's), the derived NLL is the
    zero-inflated Poisson NLL in the linear predictors and equals the numeric one."""
    fam = mk.ZeroInflated(mk.Poisson)
    d = mk.derive(fam, link={"rate": "log", "pi": "logit"})
    assert d.loss_name == "zero-inflated Poisson NLL"
    rng = np.random.default_rng(11)
    y = np.array([0.0, 0.0, 1.0, 3.0, 0.0, 7.0])
    eta_rate, eta_pi = rng.normal(size=6), rng.normal(size=6)
    ref = -float(np.sum(fam.logpdf(y, pi=1 / (1 + np.exp(-eta_pi)), rate=np.exp(eta_rate))))
    assert d.nll(y, eta_rate=eta_rate, eta_pi=eta_pi) == pytest.approx(ref, rel=1e-10)


@pytest.mark.parametrize(("fam", "far"), [
    (mk.Mixture(mk.Normal, k=2), [60.0, -80.0]),               # every component underflows
    (mk.Mixture([mk.Poisson, mk.NegativeBinomial]), [600.0]),    # Γ(601) overflows
], ids=["normal-mixture-tails", "count-mixture-600"])
def test_derived_mixture_nll_is_finite_far_out(fam, far):
    """The derived NLL evaluates log Σ_j w_j f_j as a log-sum-exp of the terms' logs (log y!
    as gammaln): finite and equal to the numeric NLL where the plain sum underflows."""
    d = mk.derive(fam, wrt=fam.estimable_names)
    params = dict(fam.example_params)
    x = np.array([0.0, 3.0, *far])
    ref = -float(np.sum(fam(**params).logpdf(x)))
    assert np.isfinite(ref)
    assert d.nll(x, **params) == pytest.approx(ref, rel=1e-12)
