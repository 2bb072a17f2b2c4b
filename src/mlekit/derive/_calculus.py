r"""Score equations, closed-form MLEs, Fisher information and expectations, symbolically.

Score equations. With :math:`s_j(x;\theta) = \partial_{\theta_j}\log p(x;\theta)`
the MLE solves :math:`\sum_i s_j(x_i;\theta) = 0`. Where each term of
:math:`s_j` factors as (a function of θ) × (a function of x), the sums become
sample means :math:`\overline{f(x)} = \frac1m\sum_i f(x_i)` and the equations
are algebraic in θ; SymPy's ``solve`` then gives the closed form (Normal:
:math:`\hat\mu = \bar x`, :math:`\hat\sigma^2 = \overline{x^2} - \bar x^2`).
Otherwise — terms such as :math:`\operatorname{sign}(x-\mu)` or a digamma of
the shape — there is "no closed form" and the equations are returned to be
solved numerically.

Expectations :math:`E_\theta[f(X)]` are integrals over the support (sums for
a discrete one), computed term by term after expanding into
θ-coefficient × f(x) products; they give the Fisher information
:math:`I(\theta) = -E[\partial^2 \log p]` and the symbolic KL.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import sympy as sp

from .._utils.cpu_limit import CpuLimit
from ..errors import DerivationError

__all__ = ["SampleMean", "closed_form_mle", "evaluate_mle", "expectation",
           "fisher_information", "score_equations"]

_HARD = (sp.polygamma, sp.loggamma, sp.gamma, sp.digamma, sp.Heaviside, sp.sign, sp.Abs,
         sp.erf, sp.erfc, sp.beta, sp.Max, sp.Min)


class SampleMean(sp.Function):
    r"""The sample mean :math:`\overline{f(x)} = \frac1m\sum_i f(x_i)` (printed with a bar)."""

    nargs = 1

    def _latex(self, printer):
        return r"\overline{" + printer._print(self.args[0]) + "}"

    def _sympystr(self, printer):
        return "mean(" + printer._print(self.args[0]) + ")"

    def _pretty(self, printer):
        from sympy.printing.pretty.stringpict import prettyForm

        return prettyForm("mean(" + sp.sstr(self.args[0]) + ")")


def _check_unconditional(d, what: str) -> None:
    if d.link:
        raise DerivationError(f"{what} is available for unconditional derivations; a "
                              "conditional model's score equations are the weighted normal "
                              "equations X^T (dl/deta) = 0, solved by Newton/IRLS")


def score_equations(d) -> list:
    r"""``[Eq(Σ_i ∂_θ log p(x_i;θ), 0) for θ in wrt]``."""
    _check_unconditional(d, "score_equations")
    if "score" in d._cache:
        return d._cache["score"]
    i, m = d.symbols["i"], d.symbols["m"]
    x = d.data_symbol
    out = []
    for w in d.wrt_symbols:
        if isinstance(w, sp.IndexedBase):
            w = w[d.vector_info["c"]]  # one equation per class c
        s = sp.diff(d.logdensity, w)
        if d.vector:
            body = _at_sample(s, d.vector_info["y"], i)
        else:
            body = s.subs(x, sp.IndexedBase(x.name)[i])
        out.append(sp.Eq(sp.Sum(body, (i, 1, m)), 0, evaluate=False))
    d._cache["score"] = out
    return out


def _at_sample(expr, yb, i):
    return expr.replace(lambda e: isinstance(e, sp.Indexed) and e.base == yb,
                        lambda e: e.base[(i, *e.indices)])


def _moment_form(expr, x) -> Any | None:
    """Write Σ_i expr(x_i)/m as θ-terms times sample means; ``None`` if not separable."""
    expr = sp.expand(sp.expand_log(expr, force=True))
    total = sp.Integer(0)
    for term in sp.Add.make_args(expr):
        coeff, dep = term.as_independent(x, as_Add=False)
        if dep == 1:
            total += coeff
            continue
        total += coeff * SampleMean(dep)
    return total


def closed_form_mle(d) -> dict | None:
    """Solve the score equations symbolically; ``None`` when there is no closed form."""
    _check_unconditional(d, "mle")
    if "mle" in d._cache:
        return d._cache["mle"]
    result = _solve(d)
    d._cache["mle"] = result
    return result


def _solve(d) -> dict | None:
    if d.vector and getattr(d.family, "event_ndim", 0):
        return None  # vector data (Dirichlet): digamma equations, no closed form
    if d.vector:
        # maximise Σ_c (Σ_i y_ic) log p_c subject to Σ_c p_c = 1 (Lagrange): p_c = mean(y_c)
        yb, c = d.vector_info["y"], d.vector_info["c"]
        return {"p": SampleMean(yb[c])}
    x = d.data_symbol
    wrt = list(d.wrt_symbols)
    eqs = []
    for w in wrt:
        s = sp.diff(d.logdensity, w)
        form = _moment_form(s, x)
        for mean in form.atoms(SampleMean):
            if any(mean.has(v) for v in wrt):
                return None  # e.g. sign(x - mu), log(1 + (x - mu)^2): not separable
        if any(form.has(h) for h in _HARD):
            hard = [a for a in form.atoms(sp.Function) if not isinstance(a, SampleMean)
                    and any(a.has(v) for v in wrt)]
            if hard:
                return None
        eqs.append(sp.together(form))
    numers = [sp.numer(e) for e in eqs]
    if any(n == 0 for n in numers):
        return None
    try:
        sols = sp.solve(numers, wrt, dict=True)
    except (NotImplementedError, ValueError, TypeError):
        return None
    datasets = _probe_data(d)
    good = [s for s in sols if all(w in s for w in wrt) and _plausible(s, wrt, d, datasets)]
    if not good:
        return None
    best = good[0]
    return {str(w): sp.simplify(best[w]) for w in wrt}


def _plausible(sol: dict, wrt: list, d=None, datasets: list | None = None) -> bool:
    r"""Is a root of the score equations an admissible estimate?

    Complex roots and roots that are certainly :math:`\le 0` for a positive parameter are
    rejected symbolically. The sign of the rest is decided on data: the root is evaluated
    on samples from the family (or points of its support) and must lie in each parameter's
    domain. A rule on the form alone (no leading minus sign) refused
    :math:`\hat\theta = -1/\overline{\log x}` for the power-function density on (0, 1),
    positive because :math:`\log x < 0` there, and :math:`\hat v = \overline{x^2} -
    \bar x^2`.
    """
    for w in wrt:
        v = sol.get(w)
        if v is None or v.has(sp.I) or v.has(sp.zoo, sp.nan):
            return False
        if w.is_positive and v.is_nonpositive:
            return False
    if d is None or not datasets:
        return all(not (w.is_positive and sol[w].could_extract_minus_sign()) for w in wrt)
    names = {v: n for n, v in d.param_symbols.items()}
    ex = dict(getattr(d.family, "example_params", {}) or {})
    fixed = {s: sp.Float(float(ex[n])) for s, n in names.items()
             if s not in wrt and n in ex and np.ndim(ex[n]) == 0}
    seen = 0
    for x in datasets:
        for w in wrt:
            val = _eval_on(sol[w], d.data_symbol, x, fixed)
            if val is None:
                break
            dom = d.family.parameter(names[w]).domain if w in names else None
            if dom is not None and not bool(dom.contains(np.asarray(val))):
                return False
        else:
            seen += 1
    return seen > 0


def _eval_on(expr, x_sym, x: np.ndarray, fixed: dict) -> float | None:
    """``expr`` with its sample means computed on the data ``x`` (``None`` if not real)."""
    e = expr
    for mean in e.atoms(SampleMean):
        f = sp.lambdify(x_sym, mean.args[0], modules=["scipy", "numpy"])
        with np.errstate(all="ignore"):
            val = float(np.mean(np.broadcast_to(np.asarray(f(x), float), x.shape)))
        if not np.isfinite(val):
            return None
        e = e.subs(mean, sp.Float(val))
    try:
        v = complex(e.xreplace(fixed).evalf())
    except (TypeError, ValueError, ZeroDivisionError):
        return None
    if not np.isfinite(v.real) or abs(v.imag) > 1e-12 * (1 + abs(v.real)):
        return None
    return v.real


def _probe_data(d) -> list[np.ndarray]:
    """One or two small data sets for :func:`_plausible`: a sample of the family at its
    example parameters and points spread over its support."""
    fam = d.family
    rng = np.random.default_rng(31337)
    out = []
    ex = {k: np.asarray(v, float) for k, v in (getattr(fam, "example_params", {}) or {}).items()}
    try:
        x = np.asarray(fam.sample((40,), rng, **ex), float).ravel()
        if np.all(np.isfinite(x)):
            out.append(x)
    except Exception:  # no sampler (custom families): points of the support below
        pass
    try:
        with np.errstate(all="ignore"):
            x = np.asarray(fam.support.example(rng, (40,)), float).ravel()
        x = x[np.isfinite(x)]
        if x.size < 10 and hasattr(fam.support, "low"):  # (low, inf): low + e^z
            x = float(fam.support.low) + np.exp(rng.normal(size=40))
        x = x[np.asarray(fam.support.contains(x), bool)]
        if x.size >= 10:
            out.append(x)
    except Exception:  # pragma: no cover - a support without examples
        pass
    return out


def evaluate_mle(d, x: Any, fixed: dict) -> dict[str, float] | None:
    """Plug sample means of the data into the closed-form MLE."""
    sol = d.mle
    if sol is None:
        return None
    x = np.asarray(x, float)
    subs = {}
    for s in d.param_symbols.values():
        name = next((n for n, v in d.param_symbols.items() if v is s), None)
        if name in fixed:
            subs[s] = sp.Float(float(fixed[name]))
    out = {}
    for name, expr in sol.items():
        e = expr
        if d.vector:
            k = int(x.max()) + 1
            out[name] = np.bincount(x.astype(np.intp), minlength=k) / x.size
            continue
        for mean in e.atoms(SampleMean):
            f = sp.lambdify(d.data_symbol, mean.args[0], modules=["scipy", "numpy"])
            with np.errstate(divide="ignore", invalid="ignore"):
                val = float(np.mean(np.broadcast_to(f(x), x.shape)))
            e = e.subs(mean, sp.Float(val))
        e = e.subs(subs)
        if e.free_symbols:
            missing = ", ".join(sorted(str(s) for s in e.free_symbols))
            raise DerivationError(f"the closed-form MLE needs the fixed value(s) of {missing}")
        out[name] = float(e)
    return out


# ------------------------------------------------------------------ expectations
class _TimeLimit(CpuLimit):
    """Raise DerivationError if a symbolic integral uses more than ``seconds`` of CPU time
    (:class:`~mlekit._utils.cpu_limit.CpuLimit`, which says why a BaseException and the
    virtual timer)."""

    def __init__(self, seconds: float, what: str):
        super().__init__(seconds)
        self.what = what

    def __exit__(self, exc_type, exc, tb):
        swallowed = super().__exit__(exc_type, exc, tb)
        if self.expired:
            raise DerivationError(f"{self.what}: no closed form found within "
                                  f"{self.seconds:g} s of CPU time") from None
        return swallowed


TIME_LIMIT = 15.0  # CPU seconds for one Fisher information / symbolic KL / mean computation


def support_range(family) -> tuple[Any, Any, bool] | None:
    """(low, high, discrete) of the support for integration / summation."""
    s = family.support
    name = s.name
    if name == "Real":
        return -sp.oo, sp.oo, False
    if name in ("Positive", "NonNegative"):
        return 0, sp.oo, False
    if hasattr(s, "low") and hasattr(s, "high") and not s.discrete:
        return sp.nsimplify(s.low), sp.nsimplify(s.high), False
    if name == "Binary":
        return 0, 1, True
    if name == "Counts":
        return 0, sp.oo, True
    if name == "PositiveIntegers":
        return 1, sp.oo, True
    if name == "Signs":
        return None
    return None


def expectation(f, x, density, rng: tuple, cache: dict | None = None):
    r""":math:`E[f(X)] = \int f(x)\,p(x)\,dx` (or the sum over a discrete support)."""
    key = (f, density)
    if cache is not None and key in cache:
        return cache[key]
    lo, hi, discrete = rng
    if discrete and (hi - lo) <= 2 and hi != sp.oo:
        val = sum(f.subs(x, v) * density.subs(x, v) for v in range(int(lo), int(hi) + 1))
    elif discrete:
        val = sp.summation(f * density, (x, lo, hi))
    else:
        val = sp.integrate(f * density, (x, lo, hi), conds="none")
    val = sp.simplify(val)
    if val.has(sp.Integral) or val.has(sp.Sum) or val.has(sp.nan):
        raise DerivationError(f"no closed form for E[{sp.sstr(f)}]")
    if cache is not None:
        cache[key] = val
    return val


def expect_linear(expr, x, density, rng, cache=None):
    """E of an expression that is a sum of θ-coefficients × f(x) terms."""
    expr = sp.expand(sp.expand_log(expr, force=True))
    total = sp.Integer(0)
    for term in sp.Add.make_args(expr):
        coeff, dep = term.as_independent(x, as_Add=False)
        total += coeff if dep == 1 else coeff * expectation(dep, x, density, rng, cache)
    return total


def standardise(family, logdensity, x, syms: dict, rng: tuple):
    r"""A location-scale form :math:`X = \ell + s Z` whose density :math:`p_0(z)` is free of
    :math:`\ell` and :math:`s`, or ``None``.

    :math:`\ell` is a real parameter (or 0) and :math:`s` a positive parameter, its
    reciprocal (a rate) or 1; the check is symbolic
    (:math:`\partial_\ell, \partial_s [\log p(\ell + s z) + \log s] = 0`). Integrals
    over :math:`z` then have no location or scale in them: Cauchy's Fisher information
    becomes a rational integral SymPy does in well under a second instead of a
    Meijer-G search that does not finish. Returns ``(z, loc, scale, log p0(z), z-range)``.
    """
    lo, hi, discrete = rng
    if discrete:
        return None
    reals = [v for v in syms.values() if isinstance(v, sp.Symbol) and v.is_real
             and not v.is_positive and not v.is_integer]
    poss = [v for v in syms.values() if isinstance(v, sp.Symbol) and v.is_positive
            and not v.is_integer]
    locs = [*reals, sp.Integer(0)] if (lo, hi) == (-sp.oo, sp.oo) else [sp.Integer(0)]
    if (lo, hi) not in ((-sp.oo, sp.oo), (0, sp.oo)):
        return None
    scales = [*poss, *[1 / v for v in poss], sp.Integer(1)]
    z = sp.Dummy("z", real=True)
    for loc in locs:
        for scale in scales:
            if loc == 0 and scale == 1:
                continue
            lp0 = sp.expand(sp.expand_log(logdensity.subs(x, loc + scale * z) + sp.log(scale),
                                          force=True))
            ok = True
            for v in {*loc.free_symbols, *scale.free_symbols}:
                dv = sp.diff(lp0, v)
                if dv != 0 and sp.cancel(sp.together(dv)) != 0:
                    ok = False
                    break
            if ok:
                return z, loc, scale, lp0, (lo, hi, False)
    return None


def _separate(expr, z):
    """``[(coeff, f(z))]`` with expr = Σ coeff·f(z): numerator terms over the z-part of the
    denominator (rational functions), after expanding logs and exponentials."""
    expr = sp.expand(sp.expand_log(expr, force=True))
    out = []
    for term in sp.Add.make_args(expr):
        coeff, dep = term.as_independent(z, as_Add=False)
        if dep == 1 or not (dep.free_symbols - {z}):
            out.append((coeff, dep))
            continue
        num, den = sp.fraction(sp.factor(sp.cancel(dep)))
        den_c, den_z = den.as_independent(z, as_Add=False)
        for t in sp.Add.make_args(sp.expand(num)):
            c, dz = t.as_independent(z, as_Add=False)
            out.append((coeff * c / den_c, dz / den_z))
    return out


def expect_standardised(expr, x, std, cache=None):
    """E[expr(X)] with X = loc + scale Z, Z with the parameter-free density p0."""
    z, loc, scale, lp0, zr = std
    p0 = sp.exp(lp0)
    total = sp.Integer(0)
    for coeff, dep in _separate(expr.subs(x, loc + scale * z), z):
        total += coeff if dep == 1 else coeff * expectation(dep, z, p0, zr, cache)
    return total


def fisher_information(d):
    r"""Symbolic :math:`I(\theta)_{jk} = -E[\partial_j\partial_k \log p(X;\theta)]` (one
    observation) as a SymPy Matrix in the order of ``wrt``.

    A location-scale family is integrated in its standard variable (:func:`standardise`).
    Where SymPy still finds no closed form within the time limit, a published closed form
    (:mod:`._known`) is used after checking it by quadrature at random parameter values.
    """
    _check_unconditional(d, "fisher_information")
    if "fisher" in d._cache:
        return d._cache["fisher"]
    if d.vector:
        M = _vector_fisher(d)
        d.fisher_method = "symbolic (the Hessian is free of the data)"
        d._cache["fisher"] = M
        return M
    if getattr(d.family, "support_parameters", ()):
        raise DerivationError(
            f"{d.family.title} is not a regular family: its support depends on "
            f"{', '.join(d.family.support_parameters)}, so the score does not have mean zero "
            "and there is no Fisher information (the MLE is an order statistic)")
    rng = support_range(d.family)
    if rng is None:
        raise DerivationError(f"no symbolic expectation over the support {d.family.support!r}")
    from ._known import KNOWN_FISHER, SYMBOLIC_FIRST, known_fisher

    checked = ("known closed form (checked by "
               + ("a truncated sum)" if rng[2] else "quadrature)"))
    name = getattr(d.family, "name", "")
    if name in KNOWN_FISHER and name not in SYMBOLIC_FIRST:
        # SymPy does not finish these within the time limit: the published form, checked
        M = known_fisher(d)
        if M is not None:
            d.fisher_method = checked
            d._cache["fisher"] = M
            return M
    x = d.data_symbol
    wrt = list(d.wrt_symbols)
    cache: dict = {}
    n = len(wrt)
    M = sp.zeros(n, n)
    try:
        with _TimeLimit(TIME_LIMIT, f"Fisher information of {d.family.title}"):
            std = standardise(d.family, d.logdensity, x, d.param_symbols, rng)
            if std is not None:
                try:
                    _fill(M, d, wrt, lambda h: expect_standardised(h, x, std, cache))
                except DerivationError:  # no closed form in z: integrate in x as before
                    std = None
            if std is None:
                density = sp.simplify(sp.exp(d.logdensity))
                _fill(M, d, wrt, lambda h: expect_linear(h, x, density, rng, cache))
        d.fisher_method = "symbolic integral" + (" (standardised)" if std else "")
    except DerivationError:
        M = known_fisher(d)
        if M is None:
            raise
        d.fisher_method = checked
    d._cache["fisher"] = M
    return M


def _vector_fisher(d):
    r"""Vector data (Dirichlet): where :math:`\partial^2\log p/\partial\theta_j\partial\theta_l`
    does not involve the data, :math:`I_{jl}` is minus that, as a k × k ``FunctionMatrix``:
    Dirichlet :math:`I_{jl} = \delta_{jl}\,\psi'(\alpha_j) - \psi'(\sum_c \alpha_c)`."""
    info = d.vector_info
    w = d.wrt_symbols[0] if len(d.wrt_symbols) == 1 else None
    if not getattr(d.family, "event_ndim", 0) or not isinstance(w, sp.IndexedBase):
        raise DerivationError("the Fisher information of a simplex parameter needs a "
                              "parameterisation of the constraint (k - 1 free "
                              "probabilities); use the family's own")
    k = info["k"]
    j, l = sp.symbols("j l", integer=True, positive=True)
    h = sp.diff(d.logdensity, w[j], w[l]).doit()
    if h.has(info["y"]):
        raise DerivationError(f"the Hessian of {d.family.title} involves the data: no "
                              "symbolic expectation over the simplex")
    h = sp.simplify(h)
    if isinstance(h, sp.Piecewise):  # branch for 1 <= j, l <= k, which always holds here
        h = next(e for e, c in h.args if c != sp.true and c.free_symbols <= {j, l, k})
    return sp.FunctionMatrix(k, k, sp.Lambda((j, l), -h))


def _fill(M, d, wrt, expect) -> None:
    n = len(wrt)
    for a in range(n):
        for b in range(a, n):
            h = sp.diff(d.logdensity, wrt[a], wrt[b])
            M[a, b] = M[b, a] = sp.simplify(-expect(h))
