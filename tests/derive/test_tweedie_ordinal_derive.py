"""``derive`` for Tweedie and for the Ordinal (issue #21): the NLL derived, shown and named.

Tweedie (1 < p < 2) derives from :meth:`TweedieFamily.derivation_density`, the
exponential-dispersion form with the Dunn–Smyth series kept as the function a(y, φ, p):
the loss in μ is the Tweedie unit deviance with scale 1/(2φ), the constant keeps
−log a. The Ordinal derives from :meth:`OrdinalFamily.derivation_density` (K = 4 classes,
the cut points theta[1] … theta[3]): the cumulative-logit NLL. Each NLL equals the
family's own ``-sum(logpdf)``; the losses are held to independent computations
(the deviance as 2φ times the log-likelihood ratio to the saturated model, an
mpmath sum of the series, the logistic CDF by hand).
"""

from __future__ import annotations

import re

import numpy as np
import pytest

import mlekit as mk
from mlekit.derive._print import latex_to_mathml
from mlekit.errors import NotImplementedForFamily

from ._latex import compiles, needs_pdflatex

sp = pytest.importorskip("sympy")

Y_TW = np.array([0.0, 0.0, 0.3, 1.2, 2.5, 0.0, 4.0, 7.5, 0.05, 11.0])
Y_ORD = np.array([0, 1, 2, 3, 3, 2, 1, 0, 2, 2, 1])
ORD = mk.FAMILIES["ordinal"]


@pytest.fixture(scope="module")
def tweedie():
    return mk.derive(mk.Tweedie, wrt="mu", fixed=["phi", "power"])


@pytest.fixture(scope="module")
def ordinal():
    return mk.derive(ORD)


# ------------------------------------------------------------------ Tweedie
def test_tweedie_derivation_names_the_deviance(tweedie):
    d = tweedie
    assert d.loss_name == "Tweedie deviance"
    phi, p = d.param_symbols["phi"], d.param_symbols["power"]
    assert sp.simplify(d.scale - 1 / (2 * phi)) == 0
    assert [s.title for s in d.steps][-2:] == ["Separate the constant",
                                              "Maximum likelihood = minimum loss"]
    # the constant keeps -log a(y_i, phi, p) (a function of the data and the fixed params)
    assert any(isinstance(f, sp.log) and f.args[0].func.__name__ == "a"
               for f in d.constant.atoms(sp.log))
    assert not d.constant.has(d.param_symbols["mu"])
    del p


@pytest.mark.parametrize("mu,phi,power", [(2.0, 1.5, 1.5), (0.7, 0.4, 1.2), (5.0, 3.0, 1.8)])
def test_tweedie_nll_is_the_familys_and_splits_exactly(tweedie, mu, phi, power):
    d = tweedie
    ref = -np.sum(mk.Tweedie(mu=mu, phi=phi, power=power).logpdf(Y_TW))
    got = d.nll(Y_TW, mu=mu, phi=phi, power=power)
    assert got == pytest.approx(ref, rel=1e-10, abs=1e-10)
    # the loss is the unit deviance, 2 phi (log p(y; mu = y) - log p(y; mu)) from the
    # family's own series (a cancels; at y = 0 the saturated log P(0) -> 0 as mu -> 0)
    loss = d.loss(Y_TW, mu=mu, phi=phi, power=power)
    sat = np.where(Y_TW > 0, mk.Tweedie.logpdf(Y_TW, np.where(Y_TW > 0, Y_TW, 1.0), phi,
                                               power), 0.0)
    dev = float(np.sum(2 * phi * (sat - mk.Tweedie.logpdf(Y_TW, mu, phi, power))))
    assert float(np.sum(loss)) == pytest.approx(dev, rel=1e-12)
    assert d.scale_value(phi=phi, power=power) == pytest.approx(1 / (2 * phi), rel=1e-15)
    # NLL = a sum(loss) + c
    c = d.constant_value(Y_TW, phi=phi, power=power)
    assert dev / (2 * phi) + c == pytest.approx(ref, rel=1e-10)


def test_tweedie_series_function_against_mpmath(tweedie):
    """log a(y, phi, p) as the derivation evaluates it, against the series summed by mpmath
    (a = (1/y) sum_j W_j, log W_j of Dunn & Smyth), and a(0) = 1 (the atom)."""
    import mpmath as mp

    phi, p = 1.3, 1.6
    k = (2 - p) / (p - 1)

    def log_a(y):
        with mp.workdps(30):
            lz = k * mp.log(y) - k * mp.log(p - 1) - (1 + k) * mp.log(phi) - mp.log(2 - p)
            s = mp.nsum(lambda j: mp.exp(j * lz - mp.loggamma(j + 1) - mp.loggamma(j * k)),
                        [1, mp.inf])
            return float(mp.log(s) - mp.log(y))

    d = tweedie
    c_of = d.term_constant  # -log a(y, phi, p) - y^(2-p)/(phi (1-p)(2-p))
    for y in (0.0, 0.4, 3.0, 9.0):
        expected = -(log_a(y) if y > 0 else 0.0) - y ** (2 - p) / (phi * (1 - p) * (2 - p))
        got = float(d.constant_value(np.array([y]), phi=phi, power=p))
        assert got == pytest.approx(expected, rel=1e-11, abs=1e-12), (y, c_of)


def test_tweedie_fixed_power_number():
    d = mk.derive(mk.Tweedie, fixed={"power": 1.5})
    assert d.loss_name == "Tweedie deviance"
    ref = -np.sum(mk.Tweedie(mu=1.7, phi=0.9, power=1.5).logpdf(Y_TW))
    assert d.nll(Y_TW, mu=1.7, phi=0.9) == pytest.approx(ref, rel=1e-10)


def test_tweedie_mathml_shows_a_as_a_function(tweedie):
    mml = tweedie.to_mathml()
    # a(y, φ, p): the letter a applied to (y, phi, p), not a Python name
    assert "<mi>a</mi><mrow><mrow><mo stretchy=\"false\" fence=\"true\" form=\"prefix\">" \
        "&#x00028;</mo><mi>y</mi><mo>&#x0002C;</mo><mi>&#x003D5;</mi><mo>&#x0002C;</mo>" \
        "<mi>p</mi>" in mml
    maths = " ".join(re.findall(r"<math\b.*?</math>", mml, re.S))
    words = re.sub(r"<[^>]+>", " ", maths)
    for bad in ("log_a", "_imp_", "power", "phi"):  # p and φ, not the Python names
        assert not re.search(rf"(?<![A-Za-z]){bad}(?![A-Za-z])", words), bad
    assert "<strong>Tweedie deviance</strong>" in mml


# ------------------------------------------------------------------ Ordinal
def test_ordinal_derivation_names_the_cumulative_logit_nll(ordinal):
    d = ordinal
    assert d.loss_name == "cumulative-logit NLL"
    assert d.scale == 1 and d.constant == 0
    assert d.wrt == ("theta",)


@pytest.mark.parametrize("theta", [[-1.0, 0.5, 2.0], [-3.0, -2.9, 5.0], [0.1, 0.2, 0.3]])
def test_ordinal_nll_is_the_familys_and_the_logistic_by_hand(ordinal, theta):
    ref = -np.sum(ORD(theta=theta).logpdf(Y_ORD))
    got = ordinal.nll(Y_ORD, theta=theta)
    assert got == pytest.approx(ref, rel=1e-10)
    cut = np.concatenate([[-np.inf], theta, [np.inf]])
    F = 1.0 / (1.0 + np.exp(-cut))
    by_hand = -np.sum(np.log(F[Y_ORD + 1] - F[Y_ORD]))
    assert got == pytest.approx(by_hand, rel=1e-12)


def test_ordinal_wrong_number_of_cut_points_is_named(ordinal):
    from mlekit.errors import ParameterError

    with pytest.raises(ParameterError, match=r"theta has 4 entries; .* written for 3"):
        ordinal.nll(Y_ORD, theta=[0.0, 1.0, 2.0, 3.0])
    with pytest.raises(ParameterError, match=r"theta has 2 entries; .* written for 3"):
        ordinal.nll([0, 1, 2, 0], theta=[0.0, 1.0])


def test_ordinal_other_class_counts():
    """``derivation_density(k)`` writes the pmf for any K >= 2 (derive uses K = 4)."""
    sd = ORD.derivation_density(3)
    th = sd.params["theta"]
    y = sd.x
    for j, (lo, hi) in enumerate([(-np.inf, 0.2), (0.2, 1.1), (1.1, np.inf)]):
        val = float(sd.expr.subs({y: j, th[1]: 0.2, th[2]: 1.1}))
        assert val == pytest.approx(1 / (1 + np.exp(-hi)) - 1 / (1 + np.exp(-lo)), rel=1e-14)


# ------------------------------------------------------------------ the refusals that stay
def test_torch_and_combinators_keep_refusing():
    """The derive-only densities leave sympy_density (torch, combinators, checks) refusing."""
    with pytest.raises(NotImplementedForFamily, match="infinite series"):
        mk.Tweedie.sympy_density()
    with pytest.raises(NotImplementedForFamily, match="cut points"):
        ORD.sympy_density()
    assert mk.Tweedie.has_symbolic_density is False and ORD.has_symbolic_density is False


# ------------------------------------------------------------------ rendering
def test_mathml_converts(tweedie, ordinal):
    for d in (tweedie, ordinal):
        mml = d.to_mathml()
        assert mml.count("<math") >= len(d.steps)
        assert "<munderover><mo>&#x0220F;</mo>" in mml
    assert latex_to_mathml(ordinal._tex(ordinal.steps[0].shown)).count("&#x003C3;") >= 4  # σ




@needs_pdflatex
def test_latex_compiles(tweedie, ordinal, tmp_path):
    compiles([("Tweedie", tweedie.to_latex()), ("Ordinal", ordinal.to_latex())], tmp_path)
