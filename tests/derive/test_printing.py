"""Rendered differences read x − μ (data first), not SymPy's canonical −μ + x, in every
format; the expressions themselves are unchanged."""

from __future__ import annotations

import sympy as sp

from mlekit.derive import derive
from mlekit.derive._print import latex, mathml, pretty, sstr


def test_difference_prints_data_first():
    x, i, mu = sp.IndexedBase("x"), sp.Symbol("i"), sp.Symbol("mu")
    e = (x[i] - mu) ** 2
    assert sstr(e) == "(x[i] - mu)**2"
    assert latex(e) == r"\left({x}_{i} - \mu\right)^{2}"
    assert "(x[i] - μ)" in pretty(e)
    assert mathml(x[i] - mu) == ("<mrow><msub><mi>x</mi><mi>i</mi></msub><mo>-</mo>"
                                 "<mi>&#956;</mi></mrow>")
    # all-negative sums keep SymPy's order; only leading-minus terms move back
    s = sp.Symbol("sigma", positive=True)
    assert sstr(-sp.log(s) - mu) == sp.sstr(-sp.log(s) - mu, order="none")


def test_normal_derivation_renders_x_minus_mu_everywhere():
    d = derive("normal", wrt="mu")
    text, plain, tex, md, mml = (d.to_text(), d.to_text(pretty=False), d.to_latex(),
                                 d.to_markdown(), d.to_mathml())
    assert "(x[i] - mu)**2" in plain and "-mu + x" not in plain
    assert "x[i] - μ" in text and "-μ + x" not in text
    assert r"{x}_{i} - \mu" in tex and r"- \mu + {x}_{i}" not in tex
    assert r"{x}_{i} - \mu" in md
    # the MathML is converted from the LaTeX (latex2mathml): x_i − μ there too
    assert ("<msub><mrow><mi>x</mi></mrow><mrow><mi>i</mi></mrow></msub><mo>&#x02212;</mo>"
            "<mi>&#x003BC;</mi>") in mml
    assert "(x[i] - mu)" in str(d.steps[1])
