"""Every registered family's derivation gives its Fisher information (or says clearly why a
family has none), held against the family's own numeric ``fisher_information`` and,
independently, against E[score scoreᵀ] by quadrature / a truncated sum of the family's
numeric score; the Laplace KL is a checked closed form equal to the registry's."""

from __future__ import annotations

import itertools
import subprocess
import sys

import numpy as np
import pytest
from scipy import integrate

import mlekit as mk
from mlekit.derive import derive, symbolic_kl
from mlekit.errors import DerivationError

# (a family without a SymPy density, Tweedie, is refused by derive: tests/families/test_tweedie)
FAMS = sorted(n for n, f in mk.FAMILIES.items() if f.has_symbolic_density)


def _params(fam, scale: float) -> dict[str, np.ndarray]:
    """The example parameters, positive ones times ``scale`` (a second point)."""
    out = {}
    for p in fam.parameters:
        v = np.asarray(fam.example_params[p.name], float)
        if p.estimable and p.domain.name == "Positive" and not p.event_ndim:
            v = v * scale
        out[p.name] = v
    return out


def _score_outer(fam, params) -> np.ndarray:
    """E[s sᵀ] from the family's numeric score: quadrature (split at a location, where
    |x − μ| has a kink) or a sum over the counts until the pmf is negligible."""
    names = fam.estimable_names
    k = len(names)
    sup = fam.support.name
    out = np.zeros((k, k))
    if sup in ("Counts", "PositiveIntegers", "Binary"):
        hi = int(params["n"]) if "n" in params else (1 if sup == "Binary" else 20_000)
        xs = np.arange(1 if sup == "PositiveIntegers" else 0, hi + 1, dtype=float)
        pmf = np.exp(fam.logpdf(xs, **params))
        assert pmf.sum() == pytest.approx(1.0, abs=1e-12)
        s = fam.score(xs, **params)
        for a in range(k):
            for b in range(k):
                out[a, b] = np.sum(pmf * s[names[a]] * s[names[b]])
        return out
    lo, hi = {"Real": (-np.inf, np.inf)}.get(sup, (0.0, np.inf))
    mu = float(params.get("mu", np.nan))
    edges = [lo, mu, hi] if sup == "Real" and np.isfinite(mu) else [lo, hi]

    def f(t, a, b):
        x = np.array([t])
        with np.errstate(all="ignore"):
            v = float(np.exp(fam.logpdf(x, **params))[0])
            if v == 0.0:
                return 0.0
            s = fam.score(x, **params)
            return v * float(s[names[a]][0]) * float(s[names[b]][0])

    for a in range(k):
        for b in range(a, k):
            out[a, b] = out[b, a] = sum(
                integrate.quad(f, e0, e1, args=(a, b), limit=400, epsabs=1e-13,
                               epsrel=1e-11)[0] for e0, e1 in itertools.pairwise(edges))
    return out


@pytest.mark.parametrize("name", FAMS)
def test_every_family_derives_its_fisher_information(name):
    fam = mk.FAMILIES[name]
    d = derive(fam, wrt=fam.estimable_names)
    if getattr(fam, "support_parameters", ()):  # Uniform, Pareto: not regular
        with pytest.raises(DerivationError, match="not a regular family"):
            d.fisher_information()
        return
    if name == "categorical":  # probabilities on the simplex: k - 1 free, no unique form
        with pytest.raises(DerivationError, match="parameterisation of the constraint"):
            d.fisher_information()
        return
    d.fisher_information()
    assert d.fisher_method or name == "multivariatenormal"
    for scale in (1.0, 1.7):
        params = _params(fam, scale)
        got = d.fisher_information_value(**params)
        want = fam.fisher_information(**params)
        if name == "multivariatenormal":  # I = diag(Σ⁻¹, ½ Σ⁻¹ ⊗ Σ⁻¹)
            inv = np.linalg.inv(params["cov"])
            dim = len(inv)
            np.testing.assert_allclose(got[:dim, :dim], inv, rtol=1e-12)
            np.testing.assert_allclose(got[dim:, dim:], 0.5 * np.kron(inv, inv), rtol=1e-12)
            continue
        if want is not None:
            np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-14)
        if name == "dirichlet":
            continue  # data on the simplex: the family's closed form is the check
        np.testing.assert_allclose(got, _score_outer(fam, params), rtol=1e-7, atol=1e-10)


@pytest.mark.parametrize("name, method", [
    ("lognormal", "quadrature"), ("logistic", "quadrature"), ("gumbel", "quadrature"),
    ("weibull", "quadrature"), ("studentt", "quadrature"), ("binomial", "a truncated sum"),
    ("geometric", "a truncated sum"), ("negativebinomial", "a truncated sum")])
def test_known_forms_say_how_they_were_checked(name, method):
    fam = mk.FAMILIES[name]
    d = derive(fam, wrt=fam.estimable_names)
    d.fisher_information()
    assert d.fisher_method == f"known closed form (checked by {method})"


def test_gumbel_sign_convention_is_checked(monkeypatch):
    """The Gumbel cross term is −(1 − γ)/β²; the opposite sign is refused by quadrature."""
    import sympy as sp

    from mlekit.derive import _known

    g = sp.EulerGamma
    d = derive("gumbel", wrt=("mu", "beta"))
    b = d.param_symbols["beta"]
    assert sp.simplify(d.fisher_information()[0, 1] + (1 - g) / b**2) == 0
    monkeypatch.setitem(_known.KNOWN_FISHER, "gumbel", lambda p: {
        ("mu", "mu"): 1 / p["beta"] ** 2, ("mu", "beta"): (1 - g) / p["beta"] ** 2,
        ("beta", "beta"): ((1 - g) ** 2 + sp.pi**2 / 6) / p["beta"] ** 2})
    monkeypatch.setattr(_known, "SYMBOLIC_FIRST", frozenset({"cauchy"}))
    d._cache.pop("fisher")  # derive() is cached: recompute
    with pytest.raises(DerivationError, match="quadrature"):
        d.fisher_information()


def test_negative_binomial_information_keeps_its_series():
    """I_αα has no closed form: E ψ'(X + 1/α) stays an unevaluated sum over the pmf, and
    the numeric value equals −E[∂²log p/∂α²] from the family's Hessian."""
    import sympy as sp

    d = derive("negativebinomial", wrt=("mu", "alpha"))
    M = d.fisher_information()
    assert M[0, 1] == 0 and M[1, 1].has(sp.Sum)
    mu, a = d.param_symbols["mu"], d.param_symbols["alpha"]
    assert sp.simplify(M[0, 0] - 1 / (mu * (1 + a * mu))) == 0
    xs = np.arange(0, 20_000, dtype=float)
    pmf = np.exp(mk.NegativeBinomial.logpdf(xs, mu=4.0, alpha=0.5))
    h = mk.NegativeBinomial.hessian(xs, mu=4.0, alpha=0.5)
    got = d.fisher_information_value(mu=4.0, alpha=0.5)
    assert got[1, 1] == pytest.approx(-np.sum(pmf * h[("alpha", "alpha")]), rel=1e-9)
    assert got[0, 0] == pytest.approx(-np.sum(pmf * h[("mu", "mu")]), rel=1e-9)


@pytest.mark.parametrize("p, q", [((0.0, 1.0), (0.0, 1.0)), ((0.3, 1.2), (-1.0, 0.5)),
                                  ((-2.0, 0.4), (1.5, 3.0)), ((5.0, 2.0), (5.0, 0.7))])
def test_laplace_symbolic_kl_is_the_checked_closed_form(p, q):
    k = symbolic_kl("laplace")
    assert k.method == "known closed form (checked by quadrature)"
    P, Q = {"mu": p[0], "b": p[1]}, {"mu": q[0], "b": q[1]}
    got = float(k.evaluate(P, Q))
    want = float(getattr(r := mk.kl(mk.Laplace(**P), mk.Laplace(**Q)), "value", r))
    assert got == pytest.approx(want, rel=1e-12, abs=1e-15)
    d = abs(p[0] - q[0])
    by_hand = np.log(q[1] / p[1]) + d / q[1] + p[1] / q[1] * np.exp(-d / p[1]) - 1
    assert got == pytest.approx(by_hand, rel=1e-12, abs=1e-15)
    assert got >= 0 and (got == 0) == (p == q)


def test_time_limit_then_the_known_form():
    """With SymPy tried first and a 2 s limit, Student-t stops at the limit (SymPy does not
    swallow the timeout) and falls back to the checked known form."""
    code = ("import time, mlekit as mk\n"
            "from mlekit.derive import derive, _calculus, _known\n"
            "_calculus.TIME_LIMIT = 2.0\n"
            "_known.SYMBOLIC_FIRST = frozenset({'cauchy', 'studentt'})\n"
            "d = derive('studentt', wrt=mk.FAMILIES['studentt'].estimable_names)\n"
            "t = time.process_time()\n"
            "d.fisher_information()\n"
            "print(round(time.process_time() - t, 1), d.fisher_method)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=120, check=True).stdout.split(maxsplit=1)
    assert 1.5 < float(out[0]) < 8
    assert out[1].strip() == "known closed form (checked by quadrature)"
