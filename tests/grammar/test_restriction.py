"""parse_restriction (whitelist, linear only) and RegressionResult.wald_test vs statsmodels."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
import statsmodels.formula.api as smf

import mlekit as mk
from mlekit.errors import FormulaError
from mlekit.grammar import parse_restriction

NAMES = ["Intercept", "x1", "x2", "x3", "C(g)[T.b]", "x1:x2", "I(x1 ** 2)", "x10", "my col"]


@pytest.mark.parametrize("text, R, q", [
    ("x1 = x2", [[0, 1, -1, 0, 0, 0, 0, 0, 0]], [0]),
    ("x1 + 2*x2 = 3, x3 = 0", [[0, 1, 2, 0, 0, 0, 0, 0, 0], [0, 0, 0, 1, 0, 0, 0, 0, 0]], [3, 0]),
    ("C(g)[T.b] = 0", [[0, 0, 0, 0, 1, 0, 0, 0, 0]], [0]),
    ("x1:x2 - I(x1 ** 2) = x10 / 4", [[0, 0, 0, 0, 0, 1, -1, -0.25, 0]], [0]),
    ("`my col` = -1.5e0; `x1` = 2 * (x10 - 1)", [[0, 0, 0, 0, 0, 0, 0, 0, 1],
                                                 [0, 1, 0, 0, 0, 0, 0, -2, 0]], [-1.5, -2]),
    ("x2", [[0, 0, 1, 0, 0, 0, 0, 0, 0]], [0]),
    ("(x1 + x2) / 2 - 1 = x3 * 3 + 1", [[0, 0.5, 0.5, -3, 0, 0, 0, 0, 0]], [2]),
    ("-x1 = -x10\nx3 = 0", [[0, -1, 0, 0, 0, 0, 0, 1, 0], [0, 0, 0, 1, 0, 0, 0, 0, 0]], [0, 0]),
])
def test_parse_restriction_values(text, R, q):
    R_, q_ = parse_restriction(text, NAMES)
    np.testing.assert_allclose(R_, R)
    np.testing.assert_allclose(q_, q)


HOSTILE = [
    ("x1 * x2 = 0", "product of two coefficients", "*"),
    ("x1 / x2 = 0", "dividing by a coefficient", "/"),
    ("x1 = __import__('os').system('touch {m}')", "unknown coefficient", "__import__"),
    ("x1.real = 0", "not allowed", "."),
    ("x1 = open('{m}', 'w')", "unknown coefficient", "open"),
    ("x1 = x2 = x3", "at most one '='", "="),
    ("x1 == x2", "expected a coefficient", "="),
    ("x1 = {{0}}", "not allowed", "{"),
    ("x1[0] = 1", "not allowed", "["),
    ("x1 = 1; exec('open(\"{m}\",\"w\")')", "unknown coefficient", "exec"),
    ("x1 ** 2 = 0", "expected a coefficient", "*"),
    ("x4 = 0", "did you mean", "x4"),
    ("x1 = 1/0", "division by zero", "/"),
    ("2 = 2", "involves no coefficient", "2"),
    ("x1 = (x2", "expected ')'", ""),
    ("lambda: x1", "unknown coefficient", "lambda"),
    ("x1 = \uff582", "unknown coefficient", "\uff582"),
    ("`x1` = `os`", "unknown coefficient", "os"),
    ("x1 @ x2 = 0", "not allowed", "@"),
    ("x1 = 1e999", "number not allowed", "1e999"),
]


@pytest.mark.parametrize("text, needle, token", HOSTILE)
def test_hostile_restrictions(text, needle, token, tmp_path):
    marker = tmp_path / "pwned"
    text = text.format(m=marker)
    with pytest.raises(FormulaError, match=re.escape(needle)) as info:
        parse_restriction(text, NAMES)
    assert repr(token) in str(info.value) or (token == "" and "end of text" in str(info.value))
    assert "at column" in str(info.value)
    assert not marker.exists()


def test_limits():
    with pytest.raises(FormulaError, match="too long"):
        parse_restriction("x1 + " * 500 + "x1 = 0", NAMES)
    with pytest.raises(FormulaError, match="nested too deeply"):
        parse_restriction("(" * 150 + "x1" + ")" * 150, NAMES)
    with pytest.raises(FormulaError, match="no restriction"):
        parse_restriction(" , ", NAMES)


@pytest.fixture(scope="module")
def fits():
    rng = np.random.default_rng(11)
    n = 400
    df = pd.DataFrame({"x1": rng.normal(size=n), "x2": rng.normal(size=n),
                       "x3": rng.normal(size=n), "g": rng.choice(["a", "b", "c"], n)})
    df["y"] = rng.poisson(np.exp(0.3 + 0.25 * df.x1 + 0.2 * df.x2 + 0.3 * (df.g == "b")))
    formula = "y ~ x1 + x2 + x3 + C(g)"
    ours = mk.Regression.from_formula(formula, df, family="poisson").result_
    ref = smf.glm(formula, df, family=sm.families.Poisson()).fit(tol=1e-13)
    return ours, ref


@pytest.mark.parametrize("text", ["x1 = x2", "x1 + 2*x2 = 0.3, C(g)[T.b] = 0",
                                  "x3 = 0", "C(g)[T.b] = C(g)[T.c], x1 - x3 = 0.1, x2 = 0.2"])
def test_wald_test_matches_statsmodels(fits, text):
    ours, ref = fits
    w = ours.wald_test(text)
    sm_w = ref.wald_test(text.replace(";", ","), scalar=True, use_f=False)
    assert w.df == len(text.split(","))
    assert w.statistic == pytest.approx(float(sm_w.statistic), rel=1e-6)
    assert w.pvalue == pytest.approx(float(sm_w.pvalue), rel=1e-5, abs=1e-300)
    assert repr(w).startswith(f"<Wald test of {text!r}: chi2({w.df}) = ")


def test_wald_test_closed_form_single_restriction(fits):
    """One restriction b_x3 = 0: W is the squared z statistic."""
    ours, _ = fits
    w = ours.wald_test("x3 = 0")
    assert w.statistic == pytest.approx(float(ours.tvalues["x3"]) ** 2, rel=1e-10)
    assert w.pvalue == pytest.approx(float(ours.pvalues["x3"]), rel=1e-8)


def test_wald_test_refusals(fits):
    ours, _ = fits
    with pytest.raises(FormulaError, match="not independent"):
        ours.wald_test("x1 = 0, 2*x1 = 0")
    with pytest.raises(FormulaError, match="did you mean"):
        ours.wald_test("x4 = 0")
    with pytest.raises(FormulaError, match="unknown coefficient"):
        ours.wald_test("x1 = __import__('os')")
