"""Derivations typeset like a textbook, in LaTeX and in MathML (one source: the MathML is
converted from the LaTeX by latex2mathml).

For every registered family with a symbolic density and every named-loss derivation
(links, priors): the MathML shows ∏ and Σ with limits, ℓ(θ), an upright NLL(θ), hats on
the estimates and argmin with its variable under it — never SymPy's ``product(``,
``ell``, ``nll``, ``muhat``/``what``; the density is in the family's declared textbook
form, whose product equals the density (checked numerically); and the LaTeX compiles
with pdflatex (skipped with the reason when no TeX engine is installed).
"""

from __future__ import annotations

import re

import numpy as np
import pytest
import sympy as sp

import mlekit as mk
from mlekit.derive import derive
from mlekit.derive._display import Factors, hat
from mlekit.derive._print import latex, latex_to_mathml
from mlekit.errors import DerivationError, NotImplementedForFamily

from ._latex import compiles, needs_pdflatex, run_pdflatex


def _has_symbolic(family) -> bool:
    try:
        family.sympy_density()
    except NotImplementedForFamily:  # an infinite series (Tweedie): nothing to typeset
        return False
    return True


SYMBOLIC = [n for n, f in mk.FAMILIES.items() if _has_symbolic(f)]

# named losses in link space and with priors (the conditional derivations users see)
LINKED = {
    "normal-identity": {"family": "normal", "link": "identity"},
    "normal-mu-sigma": {"family": "normal", "link": {"mu": "identity", "sigma": "log"}},
    "bernoulli-logit": {"family": "bernoulli", "link": "logit"},
    "binomial-logit": {"family": "binomial", "link": "logit"},
    "poisson-log": {"family": "poisson", "link": "log"},
    "gamma-mean-log": {"family": "gamma", "link": {"mean": "log"}},
    "categorical-softmax": {"family": "categorical", "link": "softmax"},
    "bernoulli-logit-l2": {"family": "bernoulli", "link": "logit", "prior": "gaussian"},
    "normal-mu-l1": {"family": "normal", "wrt": "mu", "prior": "laplace"},
    "normal-mu-sigma-unconditional": {"family": "normal", "wrt": ("mu", "sigma")},
    "normal-sigma-fixed": {"family": "normal", "fixed": {"sigma": 2.0}},
}

MATH = re.compile(r"<math\b.*?</math>", re.S)
HAT = re.compile(r'<mover accent="true"><mrow><mi>[^<]+</mi></mrow><mo>&#x0005E;</mo></mover>')


def _derivations() -> dict:
    out = {n: derive(n) for n in SYMBOLIC}
    out.update({k: derive(**kw) for k, kw in LINKED.items()})
    return out


@pytest.fixture(scope="module")
def derivations():
    return _derivations()


def _math_text(mml: str) -> str:
    """The letters inside the <math> elements (tags dropped)."""
    return " ".join(re.sub(r"<[^>]+>", " ", m) for m in MATH.findall(mml))


@pytest.mark.parametrize("name", [*SYMBOLIC, *LINKED])
def test_mathml_reads_like_a_textbook(derivations, name):
    d = derivations[name]
    mml = d.to_mathml()
    maths = MATH.findall(mml)
    assert len(maths) >= len(d.steps)
    likelihood = next(m for st, m in zip(d.steps, maths, strict=False) if st.title == "Likelihood")
    loglik = next(m for st, m in zip(d.steps, maths, strict=False)
                  if st.title == "Log-likelihood")
    # L(θ) = ∏_{i=1}^m …   and   ℓ(θ) = Σ_{i=1}^m …
    assert re.search(r"<mi>L</mi>.*<munderover><mo>&#x0220F;</mo>", likelihood), likelihood
    assert re.search(r"<mi>&#x02113;</mi>.*<munderover><mo>&#x02211;</mo>", loglik), loglik
    assert re.search(r"<mo [^>]*>NLL</mo>", mml)  # upright, an operator name
    # the estimate has a hat, and argmin has the variable under it
    last = maths[len(d.steps) - 1] if d.family.name != "multivariatenormal" else \
        next(m for st, m in zip(d.steps, maths, strict=False) if "minimum loss" in st.title)
    assert HAT.search(last), last
    assert re.search(r"<munder><mrow><mo>argmin</mo></mrow><mrow>.+?</mrow></munder>", last)
    # nothing SymPy-ish spelled in letters inside the formulas
    words = _math_text(mml)
    for bad in ("product", "ell", "nll", "hat", "argmin (", "muhat", "what"):
        assert not re.search(rf"(?<![A-Za-z]){re.escape(bad)}(?![A-Za-z])", words), \
            (bad, words[:400])
    assert "product(" not in mml and ">ell<" not in mml and ">nll<" not in mml
    assert "\\" not in words  # no LaTeX command left as text


def test_normal_density_is_one_over_sigma_root_two_pi(derivations):
    model = MATH.findall(derivations["normal"].to_mathml())[0]
    # 1/(σ√(2π)) e^{−(x−μ)²/(2σ²)}
    frac = re.search(r"<mfrac><mrow><mn>1</mn></mrow><mrow><mi>&#x003C3;</mi>"
                     r"<msqrt><mrow><mn>2</mn><mi>&#x003C0;</mi></mrow></msqrt></mrow></mfrac>",
                     model)
    assert frac, model
    # the exponent keeps its minus sign (SymPy's MathML printer dropped it)
    assert re.search(r"<msup><mi>e</mi><mrow><mo>&#x02212;</mo><mfrac>", model[frac.end():])
    assert r"\frac{1}{\sigma \sqrt{2 \pi}} \, e^{- \frac{\left(x - \mu\right)^{2}}" \
        in derivations["normal"].to_latex()
    # ℓ(μ) = Σ (−log σ − …): the leading minus is a sign, log(σ) a function of σ
    loglik = MATH.findall(derivations["normal"].to_mathml())[2]
    assert re.search(r'&#x00028;</mo><mo form="prefix">&#x02212;</mo><mo [^>]*>log</mo>'
                     r'<mrow><mrow><mo stretchy="false"[^>]*>&#x00028;</mo><mi>&#x003C3;</mi>',
                     loglik)


@pytest.mark.parametrize("key, y", [("bernoulli", "x"), ("bernoulli-logit", "y")])
def test_bernoulli_density_is_p_to_the_y(derivations, key, y):
    model = MATH.findall(derivations[key].to_mathml())[0]
    # p^y (1 − p)^{1 − y}
    pat = (rf"<msup><mi>p</mi><mrow><mi>{y}</mi></mrow></msup><msup><mrow><mo[^>]*>&#x00028;</mo>"
           rf"<mn>1</mn><mo>&#x02212;</mo><mi>p</mi><mo[^>]*>&#x00029;</mo></mrow>"
           rf"<mrow><mn>1</mn><mo>&#x02212;</mo><mi>{y}</mi></mrow></msup>")
    assert re.search(pat, model), model


def test_declared_symbols_and_hats(derivations):
    # Poisson's rate prints as λ (its declared symbol), the estimate as λ̂; never "rate"
    p = derivations["poisson"]
    tex = p.to_latex()
    assert r"\frac{\lambda^{x} e^{- \lambda}}{x!}" in tex and r"\hat{\lambda}" in tex
    assert "rate" not in _math_text(p.to_mathml())
    # Gamma: shape k and rate r, the density r^k/Γ(k) x^{k-1} e^{-r x}
    g = derivations["gamma"].to_latex()
    assert r"\frac{r^{k}}{\Gamma\left(k\right)} \, x^{k - 1} \, e^{- r x}" in g
    assert r"\log \Gamma\left(k\right)" in g and "loggamma" not in g
    assert r"\lambda \, e^{- \lambda x}" in derivations["exponential"].to_latex()
    # weights of a two-parameter regression: the hat on w, the parameter as a subscript
    two = derivations["normal-mu-sigma"].to_latex()
    assert r"\hat{w}_{\mu}" in two and r"\hat{w}_{\sigma}" in two
    assert r"\underset{w_{\mu}, w_{\sigma}}{\operatorname{argmin}}" in two
    # a multi-letter name without a declared symbol is set upright under its hat
    assert latex(hat("rate")) == r"\hat{\mathrm{rate}}"
    assert str(hat("mu")) == "mu_hat"  # text output unchanged


def test_result_labels_compile():
    d = derive("normal")
    tex = d.to_latex()
    assert r"\text{loss_i}" not in tex
    assert r"\mathrm{loss}_{i} = \left(x - \mu\right)^{2}" in tex
    assert r"a = \frac{1}{2 \sigma^{2}}" in tex


@pytest.mark.parametrize("name", [n for n in SYMBOLIC
                                  if mk.FAMILIES[n].sympy_density().display is not None])
def test_declared_display_form_equals_the_density(name):
    """The textbook factors multiply to the density, at random admissible points."""
    fam = mk.FAMILIES[name]
    sd = fam.sympy_density()
    shown = Factors(*sd.display).doit()
    rng = np.random.default_rng(7)
    params = {k: np.asarray(v, float) for k, v in fam.example_params.items()}
    x = np.ravel(fam.sample((4,), rng, **params))
    for xv in x:
        pt = {sd.x: sp.Float(float(xv))}
        for n, s in sd.params.items():
            pt[s] = sp.Float(float(params[n]) * float(rng.uniform(0.8, 1.2))
                             if n != "n" else float(params[n]))
        if name == "pareto":  # x must stay above the scale
            pt[sd.params["scale"]] = sp.Float(float(params["scale"]))
        a = complex(shown.xreplace(pt).evalf(30))
        b = complex(sd.expr.xreplace(pt).evalf(30))
        assert a == pytest.approx(b, rel=1e-12), (name, xv)


def test_unknown_command_is_refused_not_shown_as_text():
    with pytest.raises(DerivationError, match=r"\\frobnicate"):
        latex_to_mathml(r"\frobnicate{x} + 1")
    assert "<munderover><mo>&#x0220F;</mo>" in latex_to_mathml(r"\prod_{i=1}^{m} x_i")


@needs_pdflatex
def test_every_derivation_compiles_with_pdflatex(derivations, tmp_path):
    pdf = compiles([(name, d.to_latex()) for name, d in derivations.items()], tmp_path, "all")
    assert pdf.stat().st_size > 10_000
    # a negative control: the old \text{loss_i} does not compile
    bad = run_pdflatex("\\documentclass{article}\\begin{document}"
                       "\\[ \\text{loss_i} = 1 \\]\\end{document}\n", tmp_path, "bad")
    assert bad.returncode != 0


def test_a_display_form_given_as_text_is_refused_not_parsed(tmp_path):
    """The textbook display factors reach SymPy with ``sympify(strict=True)``: a string
    (were one ever to arrive there) is refused, never evaluated."""
    import sympy as sp

    from mlekit.derive._engine import _textbook_density
    from mlekit.families.base import SymbolicDensity

    marker = tmp_path / "display.marker"
    x = sp.Symbol("x")
    sd = SymbolicDensity(expr=x, x=x, params={},
                         display=(f"__import__('pathlib').Path(r'{marker}').touch()",))
    with pytest.raises(sp.SympifyError):
        _textbook_density(sd, {}, x, x)
    assert not marker.exists(), "INJECTION EXECUTED"
