r"""Published closed forms that SymPy does not find quickly, each checked numerically.

A closed form here is never just asserted: before it is returned, it is compared with the
defining expectation, built from the family's own symbolic log-density, at three seeded
random parameter points (relative tolerance 1e-7): ``scipy.integrate.quad`` over a
continuous support, a sum over the integers of a discrete one (all of 0..n for the
Binomial, block by block until the terms stop contributing otherwise). For the Fisher
information the check is :math:`I_{ab} = E[s_a s_b]` with the scores s from the symbolic
log-density. A mismatch raises :class:`~mlekit.errors.DerivationError`.

Fisher information of one observation (γ is Euler's constant, ψ' the trigamma):

- Cauchy(μ, σ): :math:`\operatorname{diag}(1/(2\sigma^2),\ 1/(2\sigma^2))` (SymPy finds it
  in the standard variable; this is its fallback).
- LogNormal(μ, σ): :math:`\operatorname{diag}(1/\sigma^2,\ 2/\sigma^2)`.
- Logistic(μ, s): :math:`\operatorname{diag}(1/(3s^2),\ (\pi^2+3)/(9s^2))`.
- Gumbel(μ, β): :math:`\frac{1}{\beta^2}\begin{pmatrix}1 & -(1-\gamma)\\ -(1-\gamma) &
  (1-\gamma)^2+\pi^2/6\end{pmatrix}`.
- Weibull(k, λ): :math:`I_{kk} = (\pi^2/6+(1-\gamma)^2)/k^2`,
  :math:`I_{k\lambda} = -(1-\gamma)/\lambda`, :math:`I_{\lambda\lambda} = k^2/\lambda^2`.
- Student-t(ν, μ, σ): :math:`I_{\mu\mu} = \frac{\nu+1}{(\nu+3)\sigma^2}`,
  :math:`I_{\sigma\sigma} = \frac{2\nu}{(\nu+3)\sigma^2}`,
  :math:`I_{\nu\sigma} = -\frac{2}{(\nu+1)(\nu+3)\sigma}`,
  :math:`I_{\nu\nu} = \tfrac14[\psi'(\tfrac\nu2) - \psi'(\tfrac{\nu+1}2)]
  - \frac{\nu+5}{2\nu(\nu+1)(\nu+3)}`, the others 0.
- Binomial(n, p): :math:`n/(p(1-p))`; Geometric(p) on {0, 1, …}: :math:`1/(p^2(1-p))`.
- NegativeBinomial(μ, α), r = 1/α: :math:`I_{\mu\mu} = 1/(\mu(1+\alpha\mu))`,
  :math:`I_{\mu\alpha} = 0`, :math:`I_{\alpha\alpha} = r^4[\psi'(r) - E\,\psi'(X+r)
  - 1/r + 1/(r+\mu)]`, the expectation left as an unevaluated series (no closed form).

KL divergences:

- Cauchy (Chyzak & Nielsen 2019):
  :math:`D(C(\mu_1,\sigma_1)\|C(\mu_2,\sigma_2)) =
  \log\frac{(\sigma_1+\sigma_2)^2 + (\mu_1-\mu_2)^2}{4\sigma_1\sigma_2}`.
- Laplace: :math:`D(L(\mu_1,b_1)\|L(\mu_2,b_2)) = \log\frac{b_2}{b_1}
  + \frac{|\mu_1-\mu_2|}{b_2} + \frac{b_1}{b_2}e^{-|\mu_1-\mu_2|/b_1} - 1`
  (quadrature split at the kinks μ₁, μ₂).

Imported only from inside the derive functions (it imports SymPy and SciPy).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any

import numpy as np
import sympy as sp

from ..errors import DerivationError

__all__ = ["KNOWN_FISHER", "KNOWN_KL", "known_fisher", "known_kl"]


def _cauchy_fisher(p: dict[str, Any]) -> dict[tuple[str, str], Any]:
    s = p["sigma"]
    return {("mu", "mu"): 1 / (2 * s**2), ("sigma", "sigma"): 1 / (2 * s**2),
            ("mu", "sigma"): sp.Integer(0)}


def _lognormal_fisher(p: dict[str, Any]) -> dict[tuple[str, str], Any]:
    s = p["sigma"]
    return {("mu", "mu"): 1 / s**2, ("sigma", "sigma"): 2 / s**2, ("mu", "sigma"): sp.Integer(0)}


def _logistic_fisher(p: dict[str, Any]) -> dict[tuple[str, str], Any]:
    s = p["s"]
    return {("mu", "mu"): 1 / (3 * s**2), ("s", "s"): (sp.pi**2 + 3) / (9 * s**2),
            ("mu", "s"): sp.Integer(0)}


def _gumbel_fisher(p: dict[str, Any]) -> dict[tuple[str, str], Any]:
    b, g = p["beta"], sp.EulerGamma
    return {("mu", "mu"): 1 / b**2, ("mu", "beta"): -(1 - g) / b**2,
            ("beta", "beta"): ((1 - g) ** 2 + sp.pi**2 / 6) / b**2}


def _weibull_fisher(p: dict[str, Any]) -> dict[tuple[str, str], Any]:
    k, lam, g = p["shape"], p["scale"], sp.EulerGamma
    return {("shape", "shape"): (sp.pi**2 / 6 + (1 - g) ** 2) / k**2,
            ("shape", "scale"): -(1 - g) / lam, ("scale", "scale"): k**2 / lam**2}


def _studentt_fisher(p: dict[str, Any]) -> dict[tuple[str, str], Any]:
    nu, s = p["nu"], p["sigma"]
    return {("nu", "nu"): (sp.polygamma(1, nu / 2) - sp.polygamma(1, (nu + 1) / 2)) / 4
            - (nu + 5) / (2 * nu * (nu + 1) * (nu + 3)),
            ("nu", "mu"): sp.Integer(0), ("nu", "sigma"): -2 / ((nu + 1) * (nu + 3) * s),
            ("mu", "mu"): (nu + 1) / ((nu + 3) * s**2), ("mu", "sigma"): sp.Integer(0),
            ("sigma", "sigma"): 2 * nu / ((nu + 3) * s**2)}


def _binomial_fisher(p: dict[str, Any]) -> dict[tuple[str, str], Any]:
    return {("p", "p"): p["n"] / (p["p"] * (1 - p["p"]))}


def _geometric_fisher(p: dict[str, Any]) -> dict[tuple[str, str], Any]:
    # support {0, 1, 2, ...}, p(x) = p (1-p)^x: E[x] = (1-p)/p
    return {("p", "p"): 1 / (p["p"] ** 2 * (1 - p["p"]))}


def _negativebinomial_fisher(p: dict[str, Any]) -> dict[tuple[str, str], Any]:
    r"""NB(μ, α), r = 1/α: I_μμ = 1/(μ(1+αμ)), I_μα = 0 and
    I_αα = r⁴ [ψ'(r) − E ψ'(X+r) − 1/r + 1/(r+μ)], where E ψ'(X+r) is a series (no
    closed form; it is kept as an unevaluated sum over the pmf)."""
    mu, a = p["mu"], p["alpha"]
    k = sp.Symbol("k", integer=True, nonnegative=True)
    r = 1 / a
    pmf = sp.exp(sp.loggamma(k + r) - sp.loggamma(r) - sp.loggamma(k + 1)
                 - sp.log(1 + a * mu) / a + k * sp.log(a * mu / (1 + a * mu)))
    series = sp.Sum(sp.polygamma(1, k + r) * pmf, (k, 0, sp.oo))
    return {("mu", "mu"): 1 / (mu * (1 + a * mu)), ("mu", "alpha"): sp.Integer(0),
            ("alpha", "alpha"): (sp.polygamma(1, r) - series - a + a / (1 + a * mu)) / a**4}


def _cauchy_kl(p1: dict[str, Any], p2: dict[str, Any]):
    return sp.log(((p1["sigma"] + p2["sigma"]) ** 2 + (p1["mu"] - p2["mu"]) ** 2)
                  / (4 * p1["sigma"] * p2["sigma"]))


def _laplace_kl(p1: dict[str, Any], p2: dict[str, Any]):
    d = sp.Abs(p1["mu"] - p2["mu"])
    b1, b2 = p1["b"], p2["b"]
    return sp.log(b2 / b1) + d / b2 + b1 / b2 * sp.exp(-d / b1) - 1


#: family name -> builder(param symbols) -> {(name_a, name_b): I_ab}
KNOWN_FISHER: dict[str, Callable[..., dict[tuple[str, str], Any]]] = {
    "cauchy": _cauchy_fisher, "lognormal": _lognormal_fisher, "logistic": _logistic_fisher,
    "gumbel": _gumbel_fisher, "weibull": _weibull_fisher, "studentt": _studentt_fisher,
    "binomial": _binomial_fisher, "geometric": _geometric_fisher,
    "negativebinomial": _negativebinomial_fisher}
#: families whose symbolic integral is fast (the known form is then only a fallback);
#: for the others SymPy does not finish within the time limit, so the checked known form
#: is used straight away
SYMBOLIC_FIRST: frozenset[str] = frozenset({"cauchy"})
#: family name -> builder(P's symbols, Q's symbols) -> KL expression
KNOWN_KL: dict[str, Callable[..., Any]] = {"cauchy": _cauchy_kl, "laplace": _laplace_kl}

_RTOL = 1e-7
_SUM_BLOCK = 512
_SUM_MAX = 1 << 20


def _random_params(family, rng) -> list[dict[str, float]]:
    ex = dict(getattr(family, "example_params", {}) or {})
    out = []
    for _ in range(3):
        pt = {}
        for p in family.parameters:
            v = float(ex.get(p.name, 1.0))
            if not p.estimable:  # e.g. Binomial's n (an integer): keep the example value
                pt[p.name] = v
            elif p.domain.name in ("UnitInterval", "ClosedUnitInterval") or (
                    p.domain.name.startswith("Interval") and 0 < v < 1):
                pt[p.name] = float(rng.uniform(0.1, 0.9))
            elif p.domain.name == "Positive":
                pt[p.name] = v * float(rng.uniform(0.5, 2.0))
            else:
                pt[p.name] = v + float(rng.normal())
        out.append(pt)
    return out


def _quad(f, lo, hi) -> float:
    import warnings

    from scipy.integrate import IntegrationWarning, quad

    def g(t):
        # far in the tails exp(-z) overflows where the density is 0: inf * 0 -> count 0
        with np.errstate(all="ignore"):
            v = float(f(t))
        return v if np.isfinite(v) else 0.0

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", IntegrationWarning)
        val, _err = quad(g, lo, hi, limit=400, epsabs=1e-13, epsrel=1e-11)
    return float(val)


def _series(f, lo: int) -> float:
    """Σ_{k ≥ lo} f(k) for a vectorised ``f``, block by block until a block adds nothing
    (relative 1e-16) — the terms here decay at least geometrically (pmf tails)."""
    total, start = 0.0, lo
    while start - lo < _SUM_MAX:
        k = np.arange(start, start + _SUM_BLOCK, dtype=float)
        with np.errstate(all="ignore"):
            t = np.asarray(f(k), float) * np.ones_like(k)
        t = np.where(np.isfinite(t), t, 0.0)
        block = float(np.sum(t))
        total += block
        start += _SUM_BLOCK
        if abs(block) <= 1e-16 * max(abs(total), 1e-300) and start - lo > _SUM_BLOCK:
            return total
    raise DerivationError("a series in a known closed form did not converge")


def numeric_value(expr, subs: dict) -> float:
    """``expr`` at numeric parameter values, an unevaluated infinite ``Sum`` summed
    numerically (:func:`_series`)."""
    e = sp.sympify(expr, strict=True).subs(subs)  # an expression or number, never text
    for s in e.atoms(sp.Sum):
        (k, lo, hi), = s.limits
        if hi != sp.oo:
            continue
        f = sp.lambdify(k, s.function, modules=["scipy", "numpy"])
        e = e.subs(s, sp.Float(_series(f, int(lo)), 30))
    return float(sp.N(e, 20))


def _check(what: str, got: float, want: float, how: str = "quadrature") -> None:
    if not np.isclose(got, want, rtol=_RTOL, atol=1e-10):
        raise DerivationError(f"{what}: the known closed form gives {got!r} but {how} "
                              f"gives {want!r}; not used")


def _bounds(family):
    from ._calculus import support_range

    rng = support_range(family)
    if rng is None:
        return None
    return float(rng[0]), float(rng[1]), bool(rng[2])


def _expect(f, bounds) -> float:
    """E[f(X)] with ``f`` already multiplied by the density: quadrature, or a sum over the
    integers of a discrete support (truncated where the terms stop contributing)."""
    lo, hi, discrete = bounds
    if not discrete:
        return _quad(f, lo, hi)
    if np.isfinite(hi):
        k = np.arange(lo, hi + 1)
        with np.errstate(all="ignore"):
            t = np.asarray(f(k), float) * np.ones_like(k)
        return float(np.sum(np.where(np.isfinite(t), t, 0.0)))
    return _series(f, int(lo))


def known_fisher(d):
    """The known Fisher information for ``d.wrt``, checked against E[s_a s_b] (quadrature, or
    a truncated sum for a discrete support) at three seeded parameter points; ``None`` when
    there is no known form for the family."""
    fam = d.family
    build = KNOWN_FISHER.get(getattr(fam, "name", ""))
    bounds = _bounds(fam)
    if build is None or bounds is None:
        return None
    psyms = d.param_symbols
    table = build(psyms)
    fixed = {psyms[n]: v for n, v in d.fixed.items() if isinstance(v, (int, float))}
    wrt = list(d.wrt)
    n = len(wrt)
    M = sp.zeros(n, n)
    for a in range(n):
        for b in range(a, n):
            key = (wrt[a], wrt[b]) if (wrt[a], wrt[b]) in table else (wrt[b], wrt[a])
            M[a, b] = M[b, a] = sp.sympify(table[key], strict=True).subs(fixed)
    # check: I_ab = E[s_a s_b] = integral (sum) of the score product times the density
    x = d.data_symbol
    names = list(fam.param_names)
    args = [x, *[psyms[k] for k in names]]
    lp = fam.sympy_density().logdensity
    logp = sp.lambdify(args, lp, modules=["scipy", "numpy"])
    scores = [sp.lambdify(args, sp.diff(lp, psyms[w]), modules=["scipy", "numpy"]) for w in wrt]
    how = "a truncated sum" if bounds[2] else "quadrature"
    for pt in _random_params(fam, np.random.default_rng(20240611)):
        for k, v in d.fixed.items():
            if isinstance(v, (int, float)):
                pt[k] = float(v)
        vals = [pt[k] for k in names]
        sub = {psyms[k]: pt[k] for k in names}
        lo, hi, disc = bounds
        if disc and "n" in pt and not np.isfinite(hi):
            bounds_pt = (lo, pt["n"], True)  # a bounded count (Binomial): 0..n
        else:
            bounds_pt = bounds
        for a in range(n):
            for b in range(a, n):
                def f(t, a=a, b=b, vals=vals):
                    return scores[a](t, *vals) * scores[b](t, *vals) * np.exp(logp(t, *vals))

                _check(f"{fam.title} Fisher information [{wrt[a]}, {wrt[b]}]",
                       numeric_value(M[a, b], sub), _expect(f, bounds_pt), how)
    return M


def known_kl(family, s1: dict[str, Any], s2: dict[str, Any]):
    """The known KL(P‖Q) in P's symbols ``s1`` and Q's ``s2`` (checked by quadrature), or
    ``None`` when there is none for this family."""
    build = KNOWN_KL.get(getattr(family, "name", ""))
    bounds = _bounds(family)
    if build is None or bounds is None or bounds[2]:
        return None
    expr = build(s1, s2)
    sd = family.sympy_density()
    names = list(family.param_names)
    args = [sd.x, *[sd.params[k] for k in names]]
    logp = sp.lambdify(args, sd.logdensity, modules=["scipy", "numpy"])
    kl = sp.lambdify([*[s1[k] for k in names], *[s2[k] for k in names]], expr,
                     modules=["scipy", "numpy"])
    rng = np.random.default_rng(20240612)
    for p, q in zip(_random_params(family, rng), _random_params(family, rng), strict=True):
        pv, qv = [p[k] for k in names], [q[k] for k in names]

        def f(t, pv=pv, qv=qv):
            lp = logp(t, *pv)
            return np.exp(lp) * (lp - logp(t, *qv))

        # kinks (|x - mu| for Laplace) at the locations: split the integral there
        cuts = sorted({float(v) for k, v in (*p.items(), *q.items()) if k in ("mu", "loc")
                       and bounds[0] < float(v) < bounds[1]})
        edges = [bounds[0], *cuts, bounds[1]]
        want = sum(_quad(f, a, b) for a, b in itertools.pairwise(edges))
        _check(f"{family.title} KL", float(kl(*pv, *qv)), want)
    return expr
