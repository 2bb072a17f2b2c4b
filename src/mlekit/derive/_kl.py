r"""Symbolic KL divergence between two members of one family.

.. math:: D(P\|Q) = E_P[\log p(X) - \log q(X)]

The log-ratio is expanded into (parameter coefficient) × f(x) terms and each
:math:`E_P[f(X)]` is integrated over the support (summed for a discrete one);
for the one-hot Categorical, :math:`E[y_c] = p_c`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import sympy as sp

from ..errors import DerivationError, ParameterError
from ._calculus import (
    TIME_LIMIT,
    _TimeLimit,
    expect_linear,
    expect_standardised,
    standardise,
    support_range,
)


@dataclass
class SymbolicKL:
    """KL(P‖Q) as a SymPy expression in the parameters of P (suffix 1) and Q (suffix 2)."""

    family: Any
    expr: Any
    p_symbols: dict[str, Any]
    q_symbols: dict[str, Any]
    method: str = "symbolic integral"

    def evaluate(self, p: dict[str, Any], q: dict[str, Any]) -> np.ndarray:
        """Numeric value for parameter dicts ``p`` and ``q`` (arrays broadcast); a missing
        value or one outside its parameter's domain is a ParameterError naming it."""
        names = list(self.p_symbols)
        fam = self.family
        for label, vals in (("P", p), ("Q", q)):
            for n in names:
                if n not in vals:
                    raise ParameterError(f"{fam.title}: give {n} of {label} "
                                         f"(needed: {', '.join(names)})")
                fam.parameter(n).domain.check(vals[n], what=f"{n} of {label}",
                                              owner=fam.title, error=ParameterError)
        if isinstance(next(iter(self.p_symbols.values())), sp.IndexedBase):
            pv, qv = np.asarray(p["p"], float), np.asarray(q["p"], float)
            from scipy.special import xlogy

            return np.sum(xlogy(pv, pv) - xlogy(pv, qv), axis=-1)
        f = sp.lambdify([*self.p_symbols.values(), *self.q_symbols.values()], self.expr,
                        modules=["scipy", "numpy"])
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.asarray(f(*[p[n] for n in names], *[q[n] for n in names]), dtype=float)

    def __str__(self) -> str:
        return f"KL({self.family.title}_1 || {self.family.title}_2) = {sp.sstr(self.expr)}"

    def _repr_latex_(self) -> str:
        return f"$D_{{KL}}(P_1\\|P_2) = {sp.latex(self.expr)}$"


def symbolic_kl(family, simplify: bool = True) -> SymbolicKL:
    sd = family.sympy_density()
    x = sd.x
    names = list(family.param_names)
    if isinstance(x, sp.IndexedBase):  # one-hot categorical: E[y_c] = p_c
        c, k = sd.params["c"], sd.params["k"]
        p1 = sp.IndexedBase("p_1", positive=True)
        p2 = sp.IndexedBase("p_2", positive=True)
        expr = sp.Sum(p1[c] * (sp.log(p1[c]) - sp.log(p2[c])), (c, 1, k))
        return SymbolicKL(family, expr, {"p": p1}, {"p": p2})
    rng = support_range(family)
    if rng is None:
        raise DerivationError(f"no symbolic expectation over the support of {family.title}")
    s1 = {n: sp.Symbol(f"{n}_1", **sd.params[n].assumptions0) for n in names}
    s2 = {n: sp.Symbol(f"{n}_2", **sd.params[n].assumptions0) for n in names}
    lp = sd.logdensity
    lp1 = lp.subs({sd.params[n]: s1[n] for n in names}, simultaneous=True)
    lp2 = lp.subs({sd.params[n]: s2[n] for n in names}, simultaneous=True)
    from ._known import known_kl

    known = known_kl(family, s1, s2)  # a published closed form, checked by quadrature
    if known is not None:
        return SymbolicKL(family, known, s1, s2, method="known closed form (checked by "
                          "quadrature)")
    std = standardise(family, sd.logdensity.subs({sd.params[n]: s1[n] for n in names},
                                                 simultaneous=True), x, s1, rng)
    with _TimeLimit(TIME_LIMIT, f"symbolic KL of {family.title}"):
        if std is not None:
            try:
                val = expect_standardised(lp1 - lp2, x, std, {})
            except DerivationError:  # no closed form in z: integrate in x as before
                val = None
            if val is not None:
                if simplify:
                    val = sp.simplify(val)
                return SymbolicKL(family, val, s1, s2,
                                  method="symbolic integral (standardised)")
        density = sp.simplify(sp.exp(lp1))
        val = expect_linear(lp1 - lp2, x, density, rng, {})
        if simplify:
            val = sp.simplify(val)
    return SymbolicKL(family, val, s1, s2)
