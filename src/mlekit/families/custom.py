r"""A :class:`~mlekit.families.base.Family` from a density the user types as a formula.

.. code-block:: python

    laplace = mk.custom_family(
        "exp(-abs(x - mu)/b) / (2*b)",
        params={"mu": "real", "b": "positive"},
        support="real",
        name="my_laplace",
    )
    laplace(mu=0, b=1).logpdf([0.5])     # numeric, from the formula
    mk.derive(laplace)                   # -> absolute error, a = 1/b
    laplace.fit(x)                       # generic MLE, symbolic score and Hessian

The formula is parsed by :func:`mlekit.grammar.parse_density`, a
whitelist over Python's :mod:`ast` — the text never reaches ``eval``,
``sympify`` or ``parse_expr``. The variable is ``x``; the parameters are the
names declared in ``params``.

Everything numeric is derived from the formula: :meth:`CustomFamily.logpdf`
lambdifies the log-density (``-inf`` off the support), ``score``/``hessian``
come from the symbolic derivatives of the base class, ``fit`` uses the generic
optimiser, ``kl`` its numeric fallbacks. At construction the formula is
checked to be a density at the example parameters and at five more points
spread over every parameter's domain: :math:`p(x;\theta) \ge 0` on a grid of the
support and :math:`\int p(x;\theta)\,dx = 1` (a sum when discrete). With
``check="raise"`` (default) a formula that fails is refused with a
:class:`~mlekit.errors.DensityError` naming the parameter point (and x) and the value
found, ``"warn"`` issues a :class:`~mlekit.errors.NumericalWarning`, ``"off"`` skips
the check. ``logpdf`` itself refuses a negative density value (it never keeps the real
part of the log of a negative number).
"""

from __future__ import annotations

import functools
import itertools
import warnings
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..domains import (
    Binary,
    Counts,
    Domain,
    GreaterThan,
    Interval,
    NonNegative,
    Positive,
    PositiveIntegers,
    Real,
    UnitInterval,
    _Integers,
)
from ..errors import DensityError, FormulaError, NumericalWarning
from ..grammar import parse_density as parse_formula
from .base import Family, Parameter, SymbolicDensity

__all__ = ["CustomFamily", "custom_family"]


@dataclass(frozen=True, repr=False)
class _Signs(_Integers):
    """Labels -1 and +1 (the margin form of binary classification)."""

    def contains(self, x):
        return (x == -1) | (x == 1)

    def example(self, rng, size=()):
        return rng.choice([-1.0, 1.0], size=size)


Signs = _Signs(name="Signs", rule="value in {-1, 1}", discrete=True,
               sympy_assumptions={"integer": True, "nonzero": True}, low=-1, high=1)

DOMAINS: dict[str, Domain] = {
    "real": Real, "positive": Positive, "nonnegative": NonNegative,
    "unit": UnitInterval, "unit_interval": UnitInterval, "probability": UnitInterval,
    "binary": Binary, "counts": Counts, "positive_integers": PositiveIntegers,
    "signs": Signs,
}

_EXAMPLE = {"Real": 0.5, "Positive": 1.5, "NonNegative": 1.5, "UnitInterval": 0.3}
_LATEX = {"alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta", "kappa",
          "lambda", "lam", "mu", "nu", "xi", "rho", "sigma", "tau", "phi", "chi", "psi", "omega"}


def _domain(spec: Any, what: str) -> Domain:
    if isinstance(spec, Domain):
        return spec
    if isinstance(spec, tuple) and len(spec) == 2:
        lo, hi = float(spec[0]), float(spec[1])
        if not lo < hi:
            raise FormulaError(f"{what}: interval {spec} needs low < high")
        assumptions = {"positive": True} if lo >= 0 else {"real": True}
        if np.isfinite(lo) and hi == np.inf:  # a half-line (lo, inf): lo + exp(u)
            return GreaterThan(name=f"GreaterThan({lo:g})", rule=f"value > {lo:g}",
                               sympy_assumptions=assumptions, lower=lo, closed=False)
        if not (np.isfinite(lo) and np.isfinite(hi)):
            raise FormulaError(f"{what}: interval {spec} needs a finite lower end (use "
                               "'real' for the whole line, or (low, inf) for a half-line)")
        return Interval(name=f"Interval({lo:g}, {hi:g})", rule=f"{lo:g} < value < {hi:g}",
                        sympy_assumptions=assumptions, low=lo, high=hi)
    key = str(spec).strip().lower().replace("-", "_").replace(" ", "_")
    if key not in DOMAINS:
        from ..errors import did_you_mean

        raise did_you_mean(spec, DOMAINS, what=f"domain for {what}")
    return DOMAINS[key]


def _parse_params(params: Mapping[str, Any] | Iterable[str]) -> dict[str, Domain]:
    if isinstance(params, Mapping):
        items = list(params.items())
    else:
        items = []
        for p in params:
            name, _, dom = str(p).partition("=")
            items.append((name.strip(), dom.strip() or "real"))
    out = {}
    for name, dom in items:
        if not str(name).isidentifier() or str(name).startswith("_") or name == "x":
            raise FormulaError(f"parameter name {name!r} is not allowed (a Python identifier, "
                               "not starting with '_', not 'x')")
        if name in out:
            raise FormulaError(f"parameter {name!r} declared twice")
        out[str(name)] = _domain(dom, f"parameter {name!r}")
    if not out:
        raise FormulaError("a custom family needs at least one parameter")
    return out


class CustomFamily(Family):
    """A family whose density is a user formula (see :func:`custom_family`)."""

    def __init__(self, formula: str, params: dict[str, Domain], support: Domain,
                 name: str, title: str, log: bool, example_params: dict[str, Any],
                 mean_parameter: str | None):
        self.formula = formula
        self.is_log = log
        self.name = name
        self.title = title
        self.parameters = tuple(
            Parameter(n, d, ("\\" + n) if n in _LATEX and n != "lam" else n)
            for n, d in params.items()
        )
        self.support = support
        self.discrete = bool(support.discrete)
        self.example_params = example_params
        self.mean_parameter = mean_parameter
        self.canonical_link = None
        # parse now: a bad formula fails at construction, with its column
        sd = self._symbolic()
        self._sd = sd

    def _symbolic(self) -> SymbolicDensity:
        sp, x, syms = self._make_symbols()
        expr = parse_formula(self.formula, {"x": x, **syms},
                             what="log-density" if self.is_log else "density")
        unknown = expr.free_symbols - {x, *syms.values()}
        if unknown:  # pragma: no cover - the parser only admits declared names
            raise FormulaError(f"unexpected symbols {unknown}")
        if self.is_log:
            return SymbolicDensity(sp.exp(expr), x, syms, expr)
        if not expr.has(x):
            raise FormulaError("the density does not depend on x")
        log_expr = sp.expand_log(sp.log(expr), force=True)
        return SymbolicDensity(expr, x, syms, log_expr)

    def sympy_density(self) -> SymbolicDensity:
        return self._sd

    @functools.cached_property
    def _logpdf_fn(self):
        return self._lambdify(self._sd.logdensity)

    @functools.cached_property
    def _pdf_fn(self):
        """The density itself (not its log), to tell a negative density from an underflow."""
        return self._lambdify(self._sd.expr)

    def _lambdify(self, expr):
        import sympy as sp

        sd = self._sd
        args = [sd.x, *[sd.params[n] for n in self.param_names]]
        from scipy import special

        mods = [{"loggamma": special.gammaln, "gamma": special.gamma,
                 "digamma": special.digamma, "beta": special.beta,
                 "factorial": lambda v: special.gamma(np.asarray(v, float) + 1.0),
                 "binomial": special.binom,
                 "Heaviside": lambda v, h0=0.5: np.heaviside(v, h0)}, "scipy", "numpy"]
        return sp.lambdify(args, expr, modules=mods)

    def logpdf(self, x, **params):
        r""":math:`\log p(x;\theta)` from the formula; ``-inf`` off the support.

        The expanded log-density is evaluated first. Where it is complex (the log of a
        negative number) or NaN at a point of the support, the density itself is evaluated
        there: a negative value raises :class:`~mlekit.errors.DensityError` naming x and the
        parameters (an imaginary part is never dropped silently); a positive one gives its
        log (``log(a*b)`` expanded to ``log a + log b`` is NaN when a, b < 0 though a·b > 0).
        """
        x = np.asarray(x, float)
        vals = [np.asarray(params[n], float) for n in self.param_names]
        shape = np.broadcast_shapes(x.shape, *[v.shape for v in vals])
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            raw = np.asarray(self._logpdf_fn(x, *vals))
            if raw.dtype == object:  # SymPy numbers left in the result
                raw = raw.astype(complex)
            inside = np.broadcast_to(self.support.contains(x), shape)
            if np.iscomplexobj(raw):
                re_part = np.broadcast_to(raw.real.astype(float), shape)
                odd = np.broadcast_to(
                    np.abs(raw.imag) > 1e-9 * (1.0 + np.abs(raw.real)), shape) | np.isnan(
                    re_part)
                out = np.array(re_part, dtype=float)
            else:
                out = np.array(np.broadcast_to(raw.astype(float), shape), dtype=float)
                odd = np.isnan(out)
            odd = odd & inside
            if odd.any():
                out = self._repair(out, odd, x, vals, shape)
            return np.where(inside & ~np.isnan(out), out, -np.inf)

    def _repair(self, out, odd, x, vals, shape):
        """Evaluate the density where its expanded log is complex or NaN (see :meth:`logpdf`)."""
        xb = np.broadcast_to(x, shape)[odd]
        vb = [np.broadcast_to(v, shape)[odd] for v in vals]
        p = np.asarray(self._pdf_fn(xb, *vb))
        p = np.broadcast_to(p, xb.shape)
        if np.iscomplexobj(p):
            neg = (p.real < 0) | (np.abs(p.imag) > 1e-9 * np.abs(p))
            p = p.real
        else:
            neg = p < 0
        if neg.any():
            j = int(np.argmin(np.where(neg, p, np.inf)))  # the most negative value
            at = ", ".join(f"{n} = {float(v[j]):.6g}" for n, v in
                           zip(self.param_names, vb, strict=True))
            raise DensityError(
                f"the density of {self.title} is negative (p = {float(p[j]):.6g}) at "
                f"x = {float(xb[j]):.6g}, {at}: a density must be >= 0 on the whole support "
                "(check the signs in the formula, or the parameters' domains)")
        fixed = np.where(p > 0, np.log(np.where(p > 0, p, 1.0)),
                         np.where(p == 0, -np.inf, np.nan))
        out[odd] = fixed
        return out

    # numeric moments (used by start values, CLI and reports)
    def _grid_or_quad(self, fn, **params):
        from scipy import integrate

        if self.discrete:
            return float(np.sum(fn(self._support_points(**params))))
        lo, hi = _bounds(self.support)
        cuts = {v for v in _scalars(params) if lo < v < hi} | ({0.0} if lo < 0 < hi else set())
        cuts = sorted(cuts)
        pts = [lo, *cuts, hi]
        total = 0.0
        for a, b in itertools.pairwise(pts):
            val, _ = integrate.quad(fn, a, b, limit=200)
            total += val
        return total

    def _support_points(self, **params):
        s = self.support
        if s is Signs:
            return np.array([-1.0, 1.0])
        if s is Binary:
            return np.array([0.0, 1.0])
        lo = int(getattr(s, "low", 0))
        hi = getattr(s, "high", None)
        if hi is not None:
            return np.arange(lo, int(hi) + 1, dtype=float)
        # unbounded counts: sum until the tail is negligible
        n = 200
        while n <= 200_000:
            k = np.arange(lo, lo + n, dtype=float)
            p = np.exp(self.logpdf(k, **params))
            if p[-50:].sum() < 1e-15 * max(p.sum(), 1e-300):
                return k
            n *= 4
        return k

    def total_mass(self, **params) -> float:
        """∫ p(x) dx over the support (a sum for discrete families) at ``params``."""
        params = {n: np.asarray(v, float) for n, v in params.items()}
        return self._grid_or_quad(lambda x: np.exp(self.logpdf(np.asarray(x, float),
                                                               **params)), **params)

    def mean(self, **params):
        params = {n: np.asarray(v, float) for n, v in params.items()}
        return np.asarray(self._grid_or_quad(
            lambda x: np.asarray(x, float) * np.exp(self.logpdf(np.asarray(x, float), **params)),
            **params))

    def var(self, **params):
        params = {n: np.asarray(v, float) for n, v in params.items()}
        m = float(self.mean(**params))
        return np.asarray(self._grid_or_quad(
            lambda x: (np.asarray(x, float) - m) ** 2
            * np.exp(self.logpdf(np.asarray(x, float), **params)), **params))

    def __repr__(self) -> str:
        return f"<custom family {self.title}({', '.join(self.param_names)}): {self.formula}>"


def _scalars(params):
    for v in params.values():
        if np.ndim(v) == 0:
            yield float(v)


def _bounds(support: Domain) -> tuple[float, float]:
    if isinstance(support, Interval):
        return float(support.low), float(support.high)
    if support is Positive or support is NonNegative:
        return 0.0, np.inf
    return -np.inf, np.inf


def custom_family(density: str | None = None, params: Mapping[str, Any] | Iterable[str] = (),
                  support: str | Domain | tuple[float, float] = "real", name: str = "custom",
                  title: str | None = None, *, log_density: str | None = None,
                  example_params: Mapping[str, float] | None = None, check: str = "raise",
                  mean_parameter: str | None = None, rtol: float = 1e-6) -> CustomFamily:
    r"""A family from a density formula in ``x`` and the declared parameters.

    Parameters
    ----------
    density : the density p(x; θ) (a pmf for a discrete support), e.g.
        ``"exp(-abs(x - mu)/b) / (2*b)"``. Allowed: numbers, ``x``, the parameter
        names, ``pi``, ``E``, ``+ - * / **``, and the functions in
        :data:`mlekit.grammar.DENSITY_FUNCTIONS`.
    params : ``{"mu": "real", "b": "positive"}`` or ``["mu=real", "b=positive"]``;
        domains: real, positive, nonnegative, unit (0 < θ < 1), or a ``Domain``
    support : where x lives: real, positive, nonnegative, unit, binary, counts,
        positive_integers, signs ({-1, 1}), a ``(low, high)`` interval, or a ``Domain``
    name, title : registry-style name and display name (the family is not registered)
    log_density : give log p(x; θ) instead of ``density`` (exactly one of the two)
    example_params : a typical member; default 0.5 (real), 1.5 (positive), 0.3 (unit)
    check : the formula must be >= 0 on the support and integrate/sum to 1 (within
        ``10 rtol`` at ``example_params``, 1e-4 at the other points of the design) at the
        example parameters and five points spread over the parameters' domains:
        ``"raise"`` (DensityError, a FormulaError), ``"warn"`` (NumericalWarning) or ``"off"``
    mean_parameter : the parameter a regression would model (optional)

    Returns
    -------
    CustomFamily

    Raises
    ------
    FormulaError
        if the formula uses anything outside the whitelist (naming the piece and
        its column); :class:`~mlekit.errors.DensityError` (a FormulaError) if it is
        negative somewhere or does not normalise at some parameter point
        (``check="raise"``), naming the point and the value found.

    Examples
    --------
    >>> import mlekit as mk
    >>> expo = mk.custom_family("lam * exp(-lam * x)", {"lam": "positive"}, support="positive",
    ...                         name="myexp")
    >>> expo
    <custom family myexp(lam): lam * exp(-lam * x)>
    >>> round(float(expo(lam=0.5).logpdf(2.0)), 4)   # log 0.5 - 1
    -1.6931
    >>> days = mk.datasets.load("strikes")["duration"]
    >>> res = expo.fit(days)                         # generic ML: matches 1 / mean
    >>> round(res.params["lam"], 5), round(float(1 / days.mean()), 5)
    (0.02344, 0.02344)
    """
    if (density is None) == (log_density is None):
        raise FormulaError("give exactly one of density= and log_density=")
    pdoms = _parse_params(params)
    sup = _domain(support, "support")
    ex = {}
    for n, d in pdoms.items():
        if example_params and n in example_params:
            ex[n] = float(example_params[n])
        else:
            ex[n] = _EXAMPLE.get(d.name, 0.5)
    if example_params:
        extra = set(example_params) - set(pdoms)
        if extra:
            raise FormulaError(f"example_params names unknown parameter(s) {sorted(extra)}")
    if mean_parameter is not None and mean_parameter not in pdoms:
        raise FormulaError(f"mean_parameter {mean_parameter!r} is not a parameter")
    if check not in ("raise", "warn", "off"):
        raise FormulaError(f"check must be 'raise', 'warn' or 'off'; got {check!r}")
    fam = CustomFamily(density if density is not None else log_density, pdoms, sup,
                       str(name), title or str(name), log_density is not None, ex,
                       mean_parameter)
    if check != "off":
        _check_density(fam, check, rtol)
    return fam


# ------------------------------------------------------------------ the density check
_LEVELS = (-2.0, -0.5, 0.0, 0.7, 2.0)  # points on each parameter's unconstrained scale


def _design(fam: CustomFamily) -> list[dict[str, float]]:
    r"""The example parameters, then 5 points spread over every parameter's domain.

    Each parameter runs through :data:`_LEVELS` mapped by its domain's bijection from
    the reals (``Positive``: :math:`e^{-2}, \dots, e^{2}`; ``UnitInterval``: expit);
    parameter :math:`j` takes level :math:`(r + 2j) \bmod 5` at point :math:`r`, so each
    parameter sees every level once and pairs of parameters vary together (a small
    design instead of the :math:`5^k` grid). A domain without a bijection (integers)
    keeps its example value.
    """
    per: dict[str, list[float]] = {}
    for p in fam.parameters:
        vals: list[float] = []
        try:
            for u in _LEVELS:
                with np.errstate(all="ignore"):
                    v = float(p.domain.from_unconstrained(np.asarray(u)))
                if np.isfinite(v) and bool(p.domain.contains(np.asarray(v))):
                    vals.append(v)
        except (NotImplementedError, TypeError, ValueError):
            vals = []
        per[p.name] = vals or [float(fam.example_params[p.name])]
    points = [dict(fam.example_params)]
    for r in range(len(_LEVELS)):
        pt = {n: vals[(r + 2 * j) % len(vals)] for j, (n, vals) in enumerate(per.items())}
        if pt not in points:
            points.append(pt)
    return points


def _support_grid(fam: CustomFamily, pt: dict[str, float]) -> np.ndarray:
    """Points of the support where the density is checked for a negative value."""
    s = fam.support
    if fam.discrete:
        if s is Signs:
            return np.array([-1.0, 1.0])
        lo = int(getattr(s, "low", 0))
        hi = getattr(s, "high", None)
        top = lo + 400 if hi is None or np.ndim(hi) else min(int(hi), lo + 400)
        return np.arange(lo, top + 1, dtype=float)
    lo, hi = _bounds(s)
    if np.isfinite(lo) and np.isfinite(hi):
        g = lo + (hi - lo) * _expit(np.linspace(-14.0, 14.0, 281))
    elif np.isfinite(lo):
        g = lo + np.exp(np.linspace(-14.0, 7.0, 281))
    else:
        g = np.sinh(np.linspace(-7.0, 7.0, 281))
        # and around each parameter value (a location far from 0)
        g = np.concatenate([g, *[v + np.sinh(np.linspace(-4.0, 4.0, 41))
                                 for v in pt.values()]])
    g = np.unique(g)
    return g[s.contains(g)]


def _expit(u: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + np.tanh(0.5 * u))


def _fmt(pt: Mapping[str, float]) -> str:
    return ", ".join(f"{k} = {v:.6g}" for k, v in pt.items())


def _negative_at(fam: CustomFamily, pt: dict[str, float]) -> tuple[float, float] | None:
    """The first support point (x, p(x)) of the grid where the density is negative."""
    g = _support_grid(fam, pt)
    vals = [np.asarray(pt[n], float) for n in fam.param_names]
    with np.errstate(all="ignore"):
        p = np.asarray(fam._pdf_fn(g, *vals))
        p = np.broadcast_to(p, g.shape)
        if np.iscomplexobj(p):
            neg = (p.real < 0) | (np.abs(p.imag) > 1e-9 * np.abs(p))
            p = p.real
        else:
            neg = p < 0
        neg &= ~np.isnan(p)
    if not neg.any():
        return None
    j = int(np.argmin(np.where(neg, p, np.inf)))  # the most negative value
    return float(g[j]), float(p[j])


def _mass(fam: CustomFamily, pt: dict[str, float]) -> tuple[float, str]:
    """Total mass at ``pt`` and the quadrature's complaint (``""`` when it had none)."""
    why = ""
    try:
        with np.errstate(all="ignore"), warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            mass = fam.total_mass(**pt)
        if caught:
            why = f"quadrature: {str(caught[0].message).splitlines()[0]}"
    except DensityError:
        raise
    except Exception as exc:  # quadrature failed: report, do not hide
        mass, why = float("nan"), f"{type(exc).__name__}: {exc}"
    return float(mass), why


def _check_density(fam: CustomFamily, check: str, rtol: float) -> None:
    r"""Refuse (``check="raise"``) or warn about a formula that is not a density.

    At the parameter points of :func:`_design`:

    * :math:`p(x;\theta) \ge 0` on a grid of the support (281 points, denser in the
      middle, plus points around each location; all points of a discrete support up to
      400 values), and
    * :math:`\int p(x;\theta)\,dx = 1` (a sum for a discrete support) by adaptive
      quadrature split at the parameter values — within ``10 rtol`` at the example point,
      within ``1e-4`` elsewhere (``1e-2`` where the quadrature reported trouble).

    The first failure raises :class:`~mlekit.errors.DensityError` naming the parameter
    point and the value found; ``check="warn"`` issues a
    :class:`~mlekit.errors.NumericalWarning` instead. Non-finite masses at points other
    than the example are skipped (the density may overflow at extreme parameters).
    """
    kind = "log-density" if fam.is_log else "density"
    what = "sums" if fam.discrete else "integrates"
    problems: list[str] = []
    for n, pt in enumerate(_design(fam)):
        try:
            neg = _negative_at(fam, pt)
        except Exception:  # the formula cannot be evaluated on a grid: the mass check decides
            neg = None
        if neg is not None:
            problems.append(
                f"the {kind} of {fam.title} is negative (p = {neg[1]:.6g}) at x = {neg[0]:.6g}, "
                f"{_fmt(pt)}: a density must be >= 0 on the whole support (check the signs "
                "in the formula, or the parameters' domains)")
            break
        mass, why = _mass(fam, pt)
        tol = rtol * 10 + 1e-8 if n == 0 else (1e-2 if why else max(1e-4, rtol * 10 + 1e-8))
        if n > 0 and not np.isfinite(mass):
            continue
        if not (np.isfinite(mass) and abs(mass - 1.0) <= tol):
            hint = ("is a normalising constant missing, or the support wrong?" if n == 0 else
                    "is a normalising constant missing or a parameter in it?")
            problems.append(
                f"the {kind} of {fam.title} {what} to {mass:.10g} at {_fmt(pt)}, not 1 "
                f"(total mass {mass:.6g}{'; ' + why if why else ''}): {hint}")
            break
    if not problems:
        return
    msg = problems[0] + " (check='warn' or 'off' to accept it)"
    if check == "raise":
        raise DensityError(msg)
    warnings.warn(msg, NumericalWarning, stacklevel=3)
