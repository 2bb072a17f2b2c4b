r"""What the combinators share: checks on the base family, parameter bookkeeping, the
maximum-likelihood solver (damped Newton on the analytic score and Hessian, in the
unconstrained coordinates of the parameter domains), one instance per construction,
and pickling by construction.

A combinator is a :class:`~mlekit.families.base.Family` *instance* built from another
family (its *base*): its parameters are its own (``pi``) followed by the base's, and
every method follows from the base's ``logpdf``/``logsf``/``score``/``hessian``/
``mean``/``var``/``ppf``/``sample``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from ...errors import DataError, NotImplementedForFamily, ParameterError
from .._mle_tools import MLEstimate, damped_newton
from .._registry import get_family
from ..base import Family, Parameter

__all__ = ["Combinator", "base_location", "log1mexp", "number_word", "weighted"]


def number_word(n: int) -> str:
    """``n`` in words for a model's name ("two-component", "three-parameter"), digits above
    five."""
    return {2: "two", 3: "three", 4: "four", 5: "five"}.get(n, str(n))


def log1mexp(a: np.ndarray) -> np.ndarray:
    r"""``log(1 − e^a)`` for ``a ≤ 0``, accurate everywhere (Mächler 2012):
    ``log(−expm1(a))`` for ``a > −log 2``, else ``log1p(−e^a)``."""
    a = np.asarray(a, float)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(a > -0.6931471805599453, np.log(-np.expm1(a)), np.log1p(-np.exp(a)))


def weighted(x: Any, weights: Any) -> tuple[np.ndarray, np.ndarray]:
    """``(x, w)`` as flat float arrays (``w`` all ones without weights)."""
    x = np.asarray(x, float).ravel()
    if x.size == 0:
        raise DataError("x is empty: at least one observation is needed")
    w = np.ones_like(x) if weights is None else \
        np.broadcast_to(np.asarray(weights, float), x.shape).ravel()
    return x, w


def _second_bijection(domain: Any, theta: np.ndarray) -> np.ndarray:
    r"""d²θ/du² of the domain's bijection θ = g(u), written in θ."""
    kind = getattr(domain, "bijection", None)
    theta = np.asarray(theta, float)
    if kind == "identity":
        return np.zeros_like(theta)
    if kind in ("exp", "lower + exp"):
        return np.asarray(domain.dtheta_du(theta), float)
    if kind == "scaled expit":
        a, b = (float(e) for e in domain.edges)
        return (theta - a) * (b - theta) * (a + b - 2.0 * theta) / (b - a) ** 2
    h = 1e-6 * np.maximum(1.0, np.abs(theta))  # any other bijection: d/dθ (dθ/du) · dθ/du
    d = (domain.dtheta_du(theta + h) - domain.dtheta_du(theta - h)) / (2 * h)
    return d * domain.dtheta_du(theta)


_INSTANCES: dict[tuple, Family] = {}


def instance(key: tuple, make: Callable[[], Family]) -> Family:
    """The one combinator built for ``key`` (``make()`` on first use): ``mk.ZeroInflated(
    mk.Poisson) is mk.ZeroInflated(mk.Poisson)``, so caches keyed by family identity hold."""
    if key not in _INSTANCES:
        _INSTANCES[key] = make()
    return _INSTANCES[key]


def _rebuild(kind: str, base: Any, options: tuple) -> Family:
    """Unpickle: the combinator of ``kind`` over ``base`` (a registered name or a family)."""
    from . import Hurdle, Shifted, Truncated, ZeroInflated

    maker: Callable[..., Family] = {"zeroinflated": ZeroInflated, "hurdle": Hurdle,
                                    "truncated": Truncated, "shifted": Shifted}[kind]
    return maker(get_family(base), *options)


def base_location(base: Family) -> str | None:
    """The base family's parameter a regression puts on X by default (its mean, else its
    declared location, else its first real-valued, else its first estimable parameter),
    so that a combinator's own ``pi`` never takes that place."""
    if base.mean_parameter is not None:
        return base.mean_parameter
    if base.location_parameter is not None:
        return base.location_parameter
    est = [p for p in base.parameters if p.estimable]
    for p in est:
        if getattr(p.domain, "default_link", None) == "identity":
            return p.name
    return est[0].name if est else None


class Combinator(Family):
    """Base class of the combinators: bookkeeping shared by all of them.

    Subclasses set :attr:`kind`, build their parameters in ``_setup`` and implement the
    numerics. Instances are cached per construction (``mk.ZeroInflated(mk.Poisson) is
    mk.ZeroInflated(mk.Poisson)``), immutable, and pickled by construction.
    """

    kind = "combinator"
    #: the combinator's own parameters, in front of the base family's
    own: tuple[Parameter, ...] = ()

    def __init__(self, base: Family, options: tuple = ()) -> None:
        self.base = base
        self.options = options

    # ------------------------------------------------------------------ identity
    def __reduce__(self):
        try:
            ref: Any = self.base.name if get_family(self.base.name) is self.base else self.base
        except Exception:  # a custom family: pickled as itself
            ref = self.base
        return (_rebuild, (self.kind, ref, self.options))

    def __copy__(self):
        return self

    def __deepcopy__(self, memo):
        return self

    def __repr__(self) -> str:
        return f"<family {self.title}({', '.join(self.param_names)})>"

    # ------------------------------------------------------------------ checks
    @classmethod
    def _require_univariate(cls, base: Any, what: str) -> Family:
        if isinstance(base, str):
            base = get_family(base)
        if not isinstance(base, Family):
            raise ParameterError(f"{what} takes a family (e.g. mk.Poisson), not "
                                 f"{type(base).__name__} {base!r}")
        if base.event_ndim or any(p.event_ndim for p in base.parameters):
            raise ParameterError(
                f"{what}({base.title}): {base.title} is multivariate (a vector per observation "
                "or per parameter); the combinators take a univariate family")
        if base.classifier is not None:
            raise ParameterError(
                f"{what}({base.title}): {base.title} models class labels, not values; "
                "the combinators take a family of counts or of real values")
        if base.support_parameters:
            raise ParameterError(
                f"{what}({base.title}): the support of {base.title} depends on its parameters "
                f"({', '.join(base.support_parameters)}), so its likelihood is not smooth; "
                "the combinators take a family with a fixed support")
        return base

    @classmethod
    def _require_counts(cls, base: Family, what: str) -> None:
        lo, hi = base.support.edges
        if not base.discrete or lo != 0:
            kind = "continuous" if not base.discrete else f"supported from {lo:g}"
            raise ParameterError(
                f"{what}({base.title}): {what} is for count families (support 0, 1, 2, ...), "
                f"and {base.title} is {kind}; use a count family (Poisson, NegativeBinomial, "
                "Geometric, Binomial), or mk.Truncated for a continuous one")
        if hi <= 1:
            raise ParameterError(
                f"{what}({base.title}): {base.title} takes only the values 0 and 1, so the "
                f"extra zeros of {what} cannot be told apart from its own (the model is not "
                "identified); use a count family with more values (Binomial, Poisson)")

    def _param_list(self) -> tuple[Parameter, ...]:
        names = {p.name for p in self.base.parameters}
        for p in self.own:
            if p.name in names:
                raise ParameterError(
                    f"{self.kind}({self.base.title}): the base family already has a parameter "
                    f"named {p.name!r}")
        return (*self.own, *self.base.parameters)

    def _split(self, params: Mapping[str, Any]) -> dict[str, Any]:
        """The base family's parameters out of all of them."""
        return {p.name: params[p.name] for p in self.base.parameters}

    # ------------------------------------------------------------------ symbolic
    @property  # type: ignore[override]
    def has_symbolic_density(self) -> bool:
        """The combinator's SymPy density is built from its base's (``derive`` and the
        torch fallback work from it): True when that build succeeds (False over a base
        without one, Tweedie's series, or where a piece has no closed form; the answer is
        kept, so a refusal that took SymPy seconds is not searched for again)."""
        known = self.__dict__.get("_symbolic_ok")
        if known is None:
            try:
                self.sympy_density()
                known = True
            except NotImplementedForFamily:
                known = False
            self.__dict__["_symbolic_ok"] = known
        return known

    def _symbolic(self):
        raise NotImplementedForFamily(
            f"{self.title} has no symbolic density; its NLL is the numeric sum of -logpdf")

    def _base_symbolic(self, base: Family | None = None) -> Any:
        """The base family's :class:`~mlekit.families.base.SymbolicDensity`, or a
        NotImplementedForFamily naming this combinator and why the base has none."""
        base = self.base if base is None else base
        try:
            return base.sympy_density()
        except NotImplementedForFamily as exc:
            raise NotImplementedForFamily(
                f"{self.title} has no symbolic density because {base.title} has none: {exc}; "
                "its NLL is the numeric sum of -logpdf (derive and the torch fallback need "
                "a closed density)") from None

    def _pmf_at(self, sd: Any, k: Any) -> Any:
        """The base's density at the number ``k``, as a SymPy expression (``f(0)``)."""
        import sympy

        lp = sd.logdensity.subs(sd.x, k)
        options = [sympy.exp(sympy.expand_log(lp, force=True)), sd.expr.subs(sd.x, k)]
        # the shortest of the two, simplified: exp(n log(1 - p)) -> (1 - p)**n, and
        # Γ(k + 1/α)/Γ(1/α) -> a polynomial in 1/α
        # (simplify is slow: f(0) only, which zero-inflation and hurdles show)
        if k == 0:
            options += [sympy.simplify(sympy.gammasimp(o)) for o in options]
        return min(options, key=sympy.count_ops)

    def entropy(self, **params: Any) -> np.ndarray:
        raise NotImplementedForFamily(f"{self.title} has no closed-form entropy")

    # ------------------------------------------------------------------ fitting
    def _start(self, x: np.ndarray, w: np.ndarray, fixed: Mapping[str, float]
               ) -> dict[str, float]:
        raise NotImplementedError

    def _check_existence(self, x: np.ndarray, w: np.ndarray,
                         fixed: Mapping[str, float]) -> None:
        """Raise NoMaximumError where the data admit no MLE (before any fit)."""

    def _check_estimate(self, est: dict[str, float], x: np.ndarray, w: np.ndarray,
                        fixed: Mapping[str, float]) -> None:
        """Raise NoMaximumError where the fit ran to an edge (after the fit)."""

    def _base_start(self, x: np.ndarray, w: np.ndarray, fixed: Mapping[str, float]
                    ) -> dict[str, float]:
        """The base family's own MLE on ``x`` (the positives, say): its closed form, else a
        moment start (mean parameter = mean of x, the rest from ``example_params``)."""
        base = self.base
        bfixed = {k: v for k, v in fixed.items() if k in base.param_names} or None
        est = None
        try:
            with np.errstate(all="ignore"):
                est = base.mle(x, weights=w, fixed=bfixed)
        except Exception:  # (no closed form for these data: the moment start below)
            est = None
        out = {k: float(np.asarray(v, float)) for k, v in dict(est or {}).items()}
        ok = est is not None and all(
            p.name in out and np.isfinite(out[p.name]) and bool(p.domain.contains(
                np.asarray(out[p.name]))) for p in base.parameters if p.estimable)
        if not ok:
            out = {k: float(np.ravel(v)[0]) for k, v in base.example_params.items()}
            m = float(np.sum(w * x) / np.sum(w))
            mp = base.mean_parameter
            if mp is not None and bool(base.parameter(mp).domain.contains(np.asarray(m))):
                out[mp] = m
        out.update({k: float(v) for k, v in fixed.items() if k in base.param_names})
        return out

    def mle(self, x, weights=None, fixed=None):
        r"""Maximum likelihood by damped Newton on the analytic score and Hessian.

        The parameters move in the unconstrained coordinates of their domains
        (``logit pi``, ``log rate`` …), from a start that fits the parts separately (the
        base family's own MLE on the positive counts, ``pi`` from the share of zeros).
        Data that admit no MLE raise :class:`~mlekit.errors.NoMaximumError` naming why.
        """
        fixed = {k: float(v) for k, v in dict(fixed or {}).items()}
        x, w = weighted(x, weights)
        with np.errstate(all="ignore"):
            if not np.all(np.isfinite(x)) or not np.all(self.support.contains(x)):
                return None  # (estimate.fit then names the bad value)
        self._check_existence(x, w, fixed)
        start = self._start(x, w, fixed)
        free = [p for p in self.parameters if p.estimable and p.name not in fixed]
        known = {p.name: float(fixed.get(p.name, start.get(p.name, np.nan)))
                 for p in self.parameters if not (p.estimable and p.name not in fixed)}
        if any(not np.isfinite(v) for v in known.values()):
            return None
        wsum = float(np.sum(w))
        # group equal values: one evaluation per distinct value
        vals, inv = np.unique(x, return_inverse=True)
        wv = np.bincount(inv.ravel(), weights=w)

        def theta(u):
            return {p.name: p.domain.from_unconstrained(u[i]) for i, p in enumerate(free)}

        def fun(u):
            th = theta(u)
            pars = {**known, **th}
            with np.errstate(all="ignore"):
                ll = np.asarray(self.logpdf(vals, **pars), float)
                f = -float(wv @ ll) / wsum
                if not np.isfinite(f):
                    return np.inf, np.zeros(u.size), np.eye(u.size)
                s = self.score(vals, **pars)
                h = self.hessian(vals, **pars)
            names = [p.name for p in free]
            order = list(self.estimable_names)
            g = np.empty(u.size)
            hh = np.empty((u.size, u.size))
            for i, p in enumerate(free):
                ji = float(p.domain.dtheta_du(np.asarray(th[p.name])))
                gi = float(wv @ np.broadcast_to(s[p.name], vals.shape))
                g[i] = gi * ji
                for j in range(i, len(free)):
                    b = names[j]
                    key = (p.name, b) if order.index(p.name) <= order.index(b) else (b, p.name)
                    jj = float(free[j].domain.dtheta_du(np.asarray(th[b])))
                    v = float(wv @ np.broadcast_to(h[key], vals.shape)) * ji * jj
                    if i == j:
                        v += gi * float(_second_bijection(p.domain, np.asarray(th[p.name])))
                    hh[i, j] = hh[j, i] = v
            return f, -g / wsum, -hh / wsum

        def objective(u):
            with np.errstate(all="ignore"):
                v = -float(wv @ np.asarray(self.logpdf(vals, **known, **theta(u)), float))
            return v / wsum if np.isfinite(v) else np.inf

        u0 = np.array([float(p.domain.to_unconstrained(np.asarray(start[p.name])))
                       for p in free])
        if not free:
            return MLEstimate(dict(known))
        u, converged = damped_newton(fun, u0, gtol=1e-20, maxiter=500, objective=objective)
        est = {**known, **{k: float(v) for k, v in theta(u).items()}}
        self._check_estimate(est, x, w, fixed)
        return MLEstimate(est, method="damped Newton (analytic score and Hessian)",
                          converged=converged)


def logit_start(share: float) -> float:
    """A probability start kept inside (0, 1)."""
    return float(np.clip(share, 1e-6, 1 - 1e-6))
