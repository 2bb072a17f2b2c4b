"""The SymPy → torch compiler behind the generic fallback."""

from __future__ import annotations

import math

import numpy as np
import pytest

torch = pytest.importorskip("torch")
sp = pytest.importorskip("sympy")

from mlekit.errors import NotImplementedForFamily  # noqa: E402
from mlekit.torch import compile_sympy  # noqa: E402

x = sp.Symbol("x", positive=True)
y = sp.Symbol("y", real=True)


def _t(*v):
    return torch.tensor(v, dtype=torch.float64)


def test_logs_of_products_are_sums_of_logs():
    # log Γ(x) for x = 500 overflows as a gamma but not as lgamma
    f = compile_sympy(sp.log(sp.gamma(x)) + sp.log(sp.beta(x, 2)) + sp.log(sp.factorial(x))
                      + sp.log(sp.binomial(x, 3)), [x])
    v = float(f(_t(500.0)))
    ref = (math.lgamma(500) + math.lgamma(500) + math.lgamma(2) - math.lgamma(502)
           + math.lgamma(501) + math.lgamma(501) - math.lgamma(4) - math.lgamma(498))
    assert v == pytest.approx(ref, rel=1e-12)


def test_log_sigmoid_substitution_is_exact_at_pm1000():
    p = 1 / (1 + sp.exp(-y))
    f = compile_sympy(sp.log(p) + sp.log(1 - p), [y])
    v = f(_t(1000.0, -1000.0, 0.0))
    np.testing.assert_allclose(v.numpy(), [-1000.0, -1000.0, 2 * math.log(0.5)], rtol=1e-12)


def test_log1p_constants_piecewise_minmax_and_special_functions():
    expr = (sp.log(1 + x**2) + sp.pi + sp.log(2) / 2 + sp.Min(x, 1) + sp.Max(x, 2)
            + sp.Piecewise((x, x > 1), (-x, True)) + sp.erfc(x) + sp.polygamma(1, x)
            + sp.digamma(x) + sp.sqrt(x) + sp.Abs(x - 2) + 2**x)
    f = compile_sympy(expr, [x])
    for v in (0.5, 3.0):
        ref = float(expr.subs(x, v).evalf())
        assert float(f(_t(v))) == pytest.approx(ref, rel=1e-8)  # torch polygamma: ~1e-10


def test_constant_and_gradient():
    f = compile_sympy(sp.Integer(3) + 0 * x, [x])
    assert f(_t(1.0, 2.0)).tolist() == [3.0, 3.0]
    g = compile_sympy(sp.loggamma(x) * x, [x])
    t = _t(2.5).requires_grad_(True)
    (d,) = torch.autograd.grad(g(t).sum(), t)
    from scipy.special import digamma, gammaln

    assert float(d) == pytest.approx(gammaln(2.5) + 2.5 * digamma(2.5), rel=1e-12)


def test_unsupported_function_is_named():
    with pytest.raises(NotImplementedForFamily, match="uppergamma"):
        compile_sympy(sp.uppergamma(x, 2), [x])
    with pytest.raises(NotImplementedForFamily, match="neither the data nor parameters"):
        compile_sympy(x + y, [x])
