r"""Published closed forms that SymPy does not find quickly, each checked by quadrature.

A closed form here is never just asserted: before it is returned, it is compared with
``scipy.integrate.quad`` of the defining integral, built from the family's own symbolic
log-density, at three seeded random parameter points (relative tolerance 1e-7). A
mismatch raises :class:`~mlekit.errors.DerivationError`.

- Cauchy(μ, σ), Fisher information of one observation:
  :math:`I = \operatorname{diag}(1/(2\sigma^2),\ 1/(2\sigma^2))`.
- Cauchy KL (Chyzak & Nielsen 2019):
  :math:`D(C(\mu_1,\sigma_1)\|C(\mu_2,\sigma_2)) =
  \log\frac{(\sigma_1+\sigma_2)^2 + (\mu_1-\mu_2)^2}{4\sigma_1\sigma_2}`.

Imported only from inside the derive functions (it imports SymPy and SciPy).
"""

from __future__ import annotations

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


def _cauchy_kl(p1: dict[str, Any], p2: dict[str, Any]):
    return sp.log(((p1["sigma"] + p2["sigma"]) ** 2 + (p1["mu"] - p2["mu"]) ** 2)
                  / (4 * p1["sigma"] * p2["sigma"]))


#: family name -> builder(param symbols) -> {(name_a, name_b): I_ab}
KNOWN_FISHER: dict[str, Callable[..., dict[tuple[str, str], Any]]] = {"cauchy": _cauchy_fisher}
#: family name -> builder(P's symbols, Q's symbols) -> KL expression
KNOWN_KL: dict[str, Callable[..., Any]] = {"cauchy": _cauchy_kl}

_RTOL = 1e-7


def _random_params(family, rng) -> list[dict[str, float]]:
    ex = dict(getattr(family, "example_params", {}) or {})
    out = []
    for _ in range(3):
        pt = {}
        for p in family.parameters:
            v = float(ex.get(p.name, 1.0))
            pt[p.name] = v * float(rng.uniform(0.5, 2.0)) if p.domain.name == "Positive" \
                else v + float(rng.normal())
        out.append(pt)
    return out


def _quad(f, lo, hi) -> float:
    from scipy.integrate import quad

    val, _err = quad(f, lo, hi, limit=400, epsabs=1e-13, epsrel=1e-11)
    return float(val)


def _check(what: str, got: float, want: float) -> None:
    if not np.isclose(got, want, rtol=_RTOL, atol=1e-10):
        raise DerivationError(f"{what}: the known closed form gives {got!r} but quadrature "
                              f"gives {want!r}; not used")


def _bounds(family):
    from ._calculus import support_range

    rng = support_range(family)
    if rng is None or rng[2]:
        return None
    return float(rng[0]), float(rng[1])


def known_fisher(d):
    """The known Fisher information for ``d.wrt`` (checked by quadrature), or ``None``."""
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
            M[a, b] = M[b, a] = sp.sympify(table[key]).subs(fixed)
    # check: I_ab = E[s_a s_b] = integral of the score product times the density
    x = d.data_symbol
    names = list(fam.param_names)
    args = [x, *[psyms[k] for k in names]]
    lp = fam.sympy_density().logdensity
    logp = sp.lambdify(args, lp, modules=["scipy", "numpy"])
    scores = [sp.lambdify(args, sp.diff(lp, psyms[w]), modules=["scipy", "numpy"]) for w in wrt]
    mfun = sp.lambdify([psyms[k] for k in names], M, modules=["scipy", "numpy"])
    for pt in _random_params(fam, np.random.default_rng(20240611)):
        for k, v in d.fixed.items():
            if isinstance(v, (int, float)):
                pt[k] = float(v)
        vals = [pt[k] for k in names]
        want = np.asarray(mfun(*vals), float)
        for a in range(n):
            for b in range(a, n):
                def f(t, a=a, b=b, vals=vals):
                    return scores[a](t, *vals) * scores[b](t, *vals) * np.exp(logp(t, *vals))

                _check(f"{fam.title} Fisher information [{wrt[a]}, {wrt[b]}]",
                       float(want[a, b]), _quad(f, *bounds))
    return M


def known_kl(family, s1: dict[str, Any], s2: dict[str, Any]):
    """The known KL(P‖Q) in P's symbols ``s1`` and Q's ``s2`` (checked by quadrature), or
    ``None`` when there is none for this family."""
    build = KNOWN_KL.get(getattr(family, "name", ""))
    bounds = _bounds(family)
    if build is None or bounds is None:
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

        _check(f"{family.title} KL", float(kl(*pv, *qv)), _quad(f, *bounds))
    return expr
