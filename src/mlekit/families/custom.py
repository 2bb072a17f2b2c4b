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
optimiser, ``kl`` its numeric fallbacks. At construction the density is
checked to integrate (or sum) to one at the example parameters; with
``check="raise"`` (default) a density that does not is refused, ``"warn"``
warns, ``"off"`` skips the check.
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
    Interval,
    NonNegative,
    Positive,
    PositiveIntegers,
    Real,
    UnitInterval,
    _Integers,
)
from ..errors import FormulaError
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
        import sympy as sp

        sd = self._sd
        args = [sd.x, *[sd.params[n] for n in self.param_names]]
        from scipy import special

        mods = [{"loggamma": special.gammaln, "gamma": special.gamma,
                 "digamma": special.digamma, "beta": special.beta,
                 "factorial": lambda v: special.gamma(np.asarray(v, float) + 1.0),
                 "binomial": special.binom,
                 "Heaviside": lambda v, h0=0.5: np.heaviside(v, h0)}, "scipy", "numpy"]
        return sp.lambdify(args, sd.logdensity, modules=mods)

    def logpdf(self, x, **params):
        x = np.asarray(x, float)
        vals = [np.asarray(params[n], float) for n in self.param_names]
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            out = np.asarray(self._logpdf_fn(x, *vals), dtype=float)
            out = np.broadcast_to(out, np.broadcast_shapes(x.shape, *[v.shape for v in vals]))
            inside = self.support.contains(x)
            return np.where(inside & ~np.isnan(out), out, -np.inf)

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
    check : the density must integrate/sum to 1 at ``example_params`` within ``rtol``:
        ``"raise"`` (FormulaError), ``"warn"`` (UserWarning) or ``"off"``
    mean_parameter : the parameter a regression would model (optional)

    Returns
    -------
    CustomFamily

    Raises
    ------
    FormulaError
        if the formula uses anything outside the whitelist (naming the piece and
        its column), or does not normalise (``check="raise"``).

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
        why = ""
        try:
            with np.errstate(all="ignore"), warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                mass = fam.total_mass(**ex)
            if caught:
                why = f" (quadrature: {str(caught[0].message).splitlines()[0]})"
        except Exception as exc:  # quadrature failed: report, do not hide
            mass, why = float("nan"), f" ({type(exc).__name__}: {exc})"
        if not (np.isfinite(mass) and abs(mass - 1.0) <= rtol * 10 + 1e-8):
            at = ", ".join(f"{k}={v:g}" for k, v in ex.items())
            msg = (f"the {'log-density' if fam.is_log else 'density'} of {fam.title} "
                   f"{'sums' if fam.discrete else 'integrates'} to {mass:.10g} at {at}, not 1"
                   f"{why}: is a normalising constant missing, or the support wrong? "
                   "(check='warn' or 'off' to accept it)")
            if check == "raise":
                raise FormulaError(msg)
            warnings.warn(msg, UserWarning, stacklevel=2)
    return fam
