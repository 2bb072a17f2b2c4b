r"""The generic link-space engine: a row model derived from any family file.

Each free parameter :math:`\theta_k` of a family gets its own linear predictor

.. math:: \theta_{ik} = g_k^{-1}(\eta_{ik}), \qquad \eta_{ik} = x_{ik}^\top \beta_k ,

with a link :math:`g_k` that maps the parameter's domain onto the real line
(identity on the reals, log on the positives, logit on the unit interval, unless
chosen otherwise) and a design :math:`x_{ik}` of its own (all columns, some of
them, or the intercept alone). Nothing about the distribution is written here:

* the per-row NLL is the family's stable :meth:`~mlekit.families.base.Family.logpdf`,
  :math:`\ell_i = -\log p(y_i; \theta_i)`;
* the gradient is the family's score :math:`s_{ik} = \partial \log p / \partial\theta_k`
  (analytic, or the symbolic one lambdified once), chained through the links,
  :math:`\partial \ell_i / \partial \eta_{ik} = -s_{ik}\, g_k^{-1\prime}(\eta_{ik})`;
* the curvature is the family's observed Hessian :math:`H_{ikl}`,

  .. math:: \frac{\partial^2 \ell_i}{\partial\eta_{ik}\partial\eta_{il}}
      = -H_{ikl}\, g_k^{-1\prime} g_l^{-1\prime} - \delta_{kl}\, s_{ik}\, g_k^{-1\prime\prime},

  or, with ``information="expected"``, its Fisher information
  :math:`\mathcal I_{kl}(\theta_i)` in place of :math:`-H_{ikl}` (the second term,
  whose expectation is zero, dropped): Fisher scoring.

A family may also declare other coordinates for a regression
(:class:`~mlekit.families._parametrisation.Parametrisation`: the Gamma's
``(mean, shape)``, the Beta's ``(mean, precision)``); its score and Hessian then
follow by one more chain rule through :math:`\theta = T(\varphi)`.

The solver (``solver.newton``: Newton with a backtracking line search, warm-started
from the unconditional fit) sees only row sums of these quantities, exactly as it
sees the hand-written fast paths of ``_models.py``; a registry-driven test holds each
fast path against this engine.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..errors import (
    DataError,
    NoMaximumError,
    NotImplementedForFamily,
    ParameterError,
    SupportError,
)
from ..families import Family, get_family
from ..families._rowmodel import RowModel, Slot
from ..links import LINKS, Link, get_link

__all__ = ["FamilyModel", "default_link_for", "link_fits", "location_of", "regressable"]

#: the range of each registered inverse link, as an interval (lo, hi) of its values
_LINK_RANGES: dict[str, tuple[float, float]] = {
    "identity": (-1e300, 1e300),
    "log": (1e-300, 1e300),
    "logit": (1e-300, 1.0 - 1e-16),
    "probit": (1e-300, 1.0 - 1e-16),
    "cloglog": (1e-300, 1.0 - 1e-16),
    "inverse": (-1e300, 1e300),
    "inverse_squared": (1e-300, 1e300),
    "sqrt": (0.0, 1e300),
}


def link_range(link: str) -> tuple[float, float] | None:
    """The values ``link``'s inverse takes (a scaled logit ``"logit(a, b)"``: inside (a, b)),
    or None for a link that does not apply to a scalar parameter."""
    rng = _LINK_RANGES.get(link)
    if rng is None and link.startswith("logit("):
        try:
            g = get_link(link)
        except Exception:  # (not a scaled logit)
            return None
        lo, hi = float(g.inverse(np.array(-745.0))), float(g.inverse(np.array(37.0)))
        w = hi - lo
        rng = (lo + 1e-15 * w, hi - 1e-15 * w)
    return rng


def link_fits(link: str, domain: Any) -> bool:
    """Does every value of ``link``'s inverse lie in ``domain``?"""
    rng = link_range(link)
    if rng is None:
        return False
    try:
        return bool(domain.range_within(*rng))
    except (TypeError, ValueError):
        return False


def link_meets(link: str, domain: Any) -> bool:
    """Do the values of ``link``'s inverse meet ``domain`` at all (GLM links such as the
    identity on a positive mean: rows that leave the domain are refused by the solver)?"""
    rng = link_range(link)
    if rng is None:
        return False
    probe = np.array([rng[0], 1e-8, 0.5, 1.0, 2.0, rng[1]])
    probe = probe[(probe >= rng[0]) & (probe <= rng[1])]
    with np.errstate(all="ignore"):
        return bool(np.any(domain.contains(probe)))


def default_link_for(domain: Any) -> str | None:
    """Identity on the reals, log on the positives, logit on the unit interval, the scaled
    logit ``"logit(a, b)"`` on a bounded interval (a, b); else None."""
    for name in ("identity", "log", "logit"):
        if link_fits(name, domain):
            return name
    try:
        a, b = (float(v) for v in domain.edges)
    except (AttributeError, TypeError, ValueError):
        return None
    if np.isfinite(a) and np.isfinite(b) and a < b:
        name = get_link(f"logit({a!r}, {b!r})").name
        if link_fits(name, domain):
            return name
    return None


def location_of(family: Family) -> str:
    """The parameter a plain link string refers to: the mean, else the location."""
    if family.mean_parameter is not None:
        return family.mean_parameter
    if family.location_parameter is not None:
        return family.location_parameter
    par = family.parametrisations.get("mean")
    if par is not None and par.mean_parameter is not None:
        return par.mean_parameter
    est = [p for p in family.parameters if p.estimable]
    for p in est:
        if default_link_for(p.domain) == "identity":
            return p.name
    if not est:
        raise NotImplementedForFamily(f"{family.title} has no parameter to regress")
    return est[0].name


def regressable(family: Family) -> None:
    """Raise NotImplementedForFamily, saying why, when ``family`` cannot be regressed."""
    if family.regression_refusal is not None:
        raise NotImplementedForFamily(f"{family.title}: {family.regression_refusal}")
    if family.event_ndim or any(p.event_ndim for p in family.parameters if p.estimable):
        raise NotImplementedForFamily(
            f"{family.title} is multivariate (a vector per observation or per parameter): "
            "the regression engine models scalar parameters, one linear predictor each; "
            "fit it unconditionally with mk.fit")


class _DerivedCumulant:
    r"""The canonical form ``ℓ = A(η) - yη + C(y)`` of a one-slot model, derived from the
    family file and *verified* against it (:func:`_derive_cumulant`).

    When ``∂ℓ/∂η = E[y] - y`` for every ``y`` and ``η`` (an exponential family on its
    canonical link: Poisson-log, Bernoulli-logit, a Normal of known unit variance on the
    identity), the NLL splits into a part in ``η`` alone, a part ``-yη`` and a part in
    ``y`` alone. Every piece comes from the family's own methods:

    .. math:: A(\eta) = y_0\,\eta - \log p(y_0;\,\theta(\eta)), \qquad
        C(y) = -\log p(y;\,\theta(0)) - A(0), \qquad
        A'(\eta) = \operatorname{mean}(\theta(\eta)), \quad
        A''(\eta) = \operatorname{var}(\theta(\eta)),

    with ``θ(η) = g⁻¹(η)`` and a point ``y₀`` of the support at which ``log p`` stays
    finite over ``|η| <= 40``. The row-sum backend then runs its lean passes
    (``_sums.InMemorySums._lean_chunk``): a gradient pass costs one ``mean`` per row and
    no log-density at all, ``Σ w C(y)`` is summed once per fit, and ``A`` (one
    log-density at ``y₀`` per row) only when the solver asks for the value.

    Same methods as the fast paths' ``Cumulant`` (duck-typed: ``mean``, ``value_sum``,
    ``variance``, ``const``, ``value_is_free``).
    """

    value_is_free = False

    def __init__(self, family: Family, name: str, link: str, fixed: Mapping[str, float],
                 y0: float) -> None:
        self.family = family
        self.name = name
        self.link = get_link(link)
        self.fixed = {k: float(v) for k, v in fixed.items()}
        self.y0 = float(y0)
        self._a0 = float(self._a(np.zeros(1))[0])
        self._last: tuple[float, float] | None = None  # (η, A(η)) of the last constant η

    def __getstate__(self) -> dict[str, Any]:  # (links hold lambdas: pickled by name)
        state = dict(self.__dict__)
        state["link"] = self.link.name
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        state = dict(state)
        state["link"] = get_link(state["link"])
        self.__dict__.update(state)

    def _params(self, eta: np.ndarray) -> dict[str, Any]:
        return {self.name: self.link.inverse(eta), **self.fixed}

    def _a(self, eta: np.ndarray) -> np.ndarray:
        """``A(η) = y₀ η - log p(y₀; θ(η))``."""
        with np.errstate(all="ignore"):
            return self.y0 * eta - np.asarray(
                self.family.logpdf(self.y0, **self._params(eta)), float)

    def mean(self, eta: np.ndarray, out: np.ndarray) -> np.ndarray:
        with np.errstate(all="ignore"):  # e^η = inf: the NLL is +inf and the step backtracks
            m = self.family.mean(**self._params(eta))
        out[...] = m
        return out

    def value_sum(self, eta: np.ndarray, mean: np.ndarray | None, w: np.ndarray | None,
                  out: np.ndarray) -> float:
        if eta.size and eta.min() == eta.max():  # one η for every row (an intercept-only
            e = float(eta[0])                     # model): A once, not once per row or chunk
            last = self._last                     # (one tuple: safe across the threads)
            if last is None or last[0] != e:
                last = self._last = (e, float(self._a(eta[:1])[0]))
            a = last[1]
            return float(a * eta.size) if w is None else float(a * np.sum(w))
        a = self._a(eta)
        return float(np.sum(a)) if w is None else float(w @ a)

    def variance(self, eta: np.ndarray, mean: np.ndarray, out: np.ndarray) -> np.ndarray:
        with np.errstate(all="ignore"):
            v = self.family.var(**self._params(eta))
        out[...] = v
        return out

    def const(self, y: np.ndarray) -> np.ndarray:
        """``C(y) = -log p(y; θ(0)) - A(0)``."""
        with np.errstate(all="ignore"):
            lp = np.asarray(self.family.logpdf(y, **self._params(np.zeros(np.shape(y)))),
                            float)
        return -lp - self._a0


#: η at which the canonical identities are checked, and the wider range over which
#: ``A(η)`` must stay finite for a reference point ``y₀`` to be chosen
_PROBE_ETA = np.array([-2.0, -0.5, 0.3, 1.5])
_WIDE_ETA = np.array([-40.0, -10.0, 0.0, 10.0, 40.0])
_PROBE_Q = (0.5, 0.1, 0.9)


def _derive_cumulant(model: FamilyModel) -> _DerivedCumulant | None:
    """The verified canonical form of ``model``, or None where it does not hold.

    Conditions: one free parameter (the others fixed), no parametrisation, no known
    per-row parameter, a link whose inverse stays in the parameter's domain, and the
    family's ``mean`` and ``var``. Then, at η in :data:`_PROBE_ETA` and ``y`` at the
    50/10/90 % quantiles of each ``θ(η)`` (or 8 seeded draws, without a ``ppf``), with
    ``θ = g⁻¹(η)``, ``m₁ = g⁻¹'``, ``m₂ = g⁻¹''``, ``s`` and ``H`` the family's score and
    Hessian:

    * ``-s m₁ = mean(θ) - y`` (the canonical score) to 1e-9 relative,
    * ``-H m₁² - s m₂ = var(θ)`` (the curvature, free of ``y``) to 1e-8 relative,
    * ``-log p(y; θ) = A(η) - yη + C(y)`` (the value) to 1e-9 relative;

    ``y₀`` is the first of those points at which ``A``, ``mean`` and ``var`` are finite
    over :data:`_WIDE_ETA`. A family that is not canonical on this link (Laplace, a
    Normal of unknown or non-unit variance, Poisson on the identity) fails a check and
    keeps the general row pass.
    """
    fam = model.family
    free = model._free
    if model.parametrisation is not None or len(free) != 1:
        return None
    if any(not p.estimable for p in fam.parameters):
        return None
    name = free[0]
    if set(fam.param_names) != {name} | set(model.fixed):
        return None
    lk = model.links[name]
    if not link_fits(lk, fam.parameter(name).domain):
        return None
    link = get_link(lk)
    fixed = dict(model.fixed)
    try:
        with np.errstate(all="ignore"):
            theta = link.inverse(_PROBE_ETA)
            pars = {name: theta, **fixed}
            try:
                ys = np.stack([np.asarray(fam.ppf(np.full(_PROBE_ETA.shape, q), **pars),
                                          float) for q in _PROBE_Q])     # (q, eta)
            except NotImplementedError:  # no quantile function: seeded draws instead
                ys = np.asarray(fam.sample((8,), np.random.default_rng(0), **pars), float)
            if not np.all(np.isfinite(ys)):
                return None
            eta = np.broadcast_to(_PROBE_ETA, ys.shape)
            pars = {name: link.inverse(eta), **fixed}
            m1, m2 = link.inverse_deriv(eta), link.inverse_deriv2(eta)
            s = np.asarray(fam.score(ys, **pars)[name], float)
            h = np.asarray(fam.hessian(ys, **pars)[(name, name)], float)
            mean = np.asarray(fam.mean(**pars), float)
            var = np.asarray(fam.var(**pars), float)
            nll = -np.asarray(fam.logpdf(ys, **pars), float)
            g = -s * m1
            curv = -h * m1 * m1 - s * m2
            if not (np.all(np.abs(g - (mean - ys)) <= 1e-9 * (1.0 + np.abs(mean) + np.abs(ys)))
                    and np.all(np.abs(curv - var) <= 1e-8 * (np.abs(var) + np.abs(h * m1 * m1)
                                                              + np.abs(s * m2)) + 1e-300)):
                return None
            for y0 in dict.fromkeys(float(v) for v in ys.ravel()):
                cum = _DerivedCumulant(fam, name, lk, fixed, y0)
                wide = {name: link.inverse(_WIDE_ETA), **fixed}
                if not (np.all(np.isfinite(cum._a(_WIDE_ETA)))
                        and np.all(np.isfinite(np.asarray(fam.mean(**wide), float)))
                        and np.all(np.isfinite(np.asarray(fam.var(**wide), float)))
                        and np.isfinite(cum._a0)):
                    continue
                a = cum._a(eta)
                c = cum.const(ys)
                split = a - ys * eta + c
                scale = np.abs(nll) + np.abs(a) + np.abs(ys * eta) + np.abs(c) + 1.0
                return cum if np.all(np.abs(split - nll) <= 1e-9 * scale) else None
    except (NotImplementedError, ValueError, TypeError, KeyError, ArithmeticError):
        return None
    return None


def _location_in(family: Family, space: Any, parametrisation: str | None) -> str:
    """The location parameter among the parameters of ``space`` (the family or one of its
    parametrisations): its mean, else :func:`location_of`, else its first parameter."""
    names = [p.name for p in space.parameters if getattr(p, "estimable", True)]
    loc = space.mean_parameter if parametrisation is not None else location_of(family)
    return loc if loc in names else names[0]


@dataclass
class FamilyModel(RowModel):
    """The row model of ``family`` with a link and a design per free parameter.

    Fields beyond :class:`RowModel`'s:

    links : ``{parameter: link name}`` for every free parameter
    designs : ``{parameter: "X" | "1" | tuple of column indices}`` (missing: ``"1"``,
        except the location parameter, which defaults to ``"X"``)
    parametrisation : the name of a declared :class:`Parametrisation` (``"mean"``), or None
    censored : the response is censored (:mod:`._censored`): the censored rows' terms are
        log S / log F / log of an interval's probability, differentiated in link space;
        no cumulant pass, no deviance, observed information only
    """

    links: dict[str, str] = field(default_factory=dict)
    designs: dict[str, Any] = field(default_factory=dict)
    parametrisation: str | None = None
    censored: bool = False

    def __post_init__(self) -> None:
        # (RowModel's checks speak of nuisance names; this model checks its own)
        self._free = [n for n in self._order() if n not in self.fixed]

    # ------------------------------------------------------------------ pickling
    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        try:
            registered = get_family(self.family.name) is self.family
        except Exception:  # a custom family: pickle the object itself
            registered = False
        state["family"] = self.family.name if registered else self.family
        state["link"] = self.link.name
        state.pop("_cumulant_cache", None)  # (derived again on first use)
        state.pop("_links_cache", None)     # (links hold lambdas)
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        state = dict(state)
        if isinstance(state["family"], str):
            state["family"] = get_family(state["family"])
        state["link"] = get_link(state["link"])
        self.__dict__.update(state)

    # ------------------------------------------------------------------ layout
    @property
    def space(self) -> Any:
        """The parameters regressed on: the family's own, or a declared parametrisation."""
        if self.parametrisation is None:
            return self.family
        return self.family.parametrisations[self.parametrisation]

    def _order(self) -> list[str]:
        """Estimable parameters, the location first, then in the family's order."""
        names = [p.name for p in self.space.parameters if getattr(p, "estimable", True)]
        loc = self.location
        return [loc] + [n for n in names if n != loc]

    @property
    def location(self) -> str:
        """The location (mean) parameter: slot 0, the one a plain link string means."""
        return _location_in(self.family, self.space, self.parametrisation)

    @property
    def free(self) -> list[str]:
        """The parameters with a linear predictor, in slot order."""
        return list(self._free)

    @property
    def nuisance_names(self) -> tuple[str, ...]:  # type: ignore[override]
        return tuple(n for n in self._order() if n != self.location)

    @property
    def mean_slots(self) -> list[Slot]:
        return self.slots[:1] if self._free and self._free[0] == self.location else []

    @property
    def slots(self) -> list[Slot]:
        out = []
        for name in self._free:
            spec = self.designs.get(name, "X" if name == self.location else "1")
            if isinstance(spec, str):
                out.append(Slot(name, spec, None if name == self.location else name,
                                self.links[name]))
            else:
                out.append(Slot(name, "X", None if name == self.location else name,
                                self.links[name], tuple(int(c) for c in spec)))
        return out

    def link_of(self, name: str) -> Link:
        return get_link(self.links[name])

    def cumulant(self) -> _DerivedCumulant | None:
        """The canonical form ``ℓ = A(η) - yη + C(y)`` when the family, on this model's one
        link, verifiably has it (:func:`_derive_cumulant`); else None. Derived once per
        layout of links and fixed values, then cached."""
        if self.censored:  # (the lean passes read y as exact values)
            return None
        key = (tuple(self.links.items()), tuple(sorted(self.fixed.items())),
               self.parametrisation, tuple(self._free))
        cached = self.__dict__.get("_cumulant_cache")
        if cached is None or cached[0] != key:
            cached = self._cumulant_cache = (key, _derive_cumulant(self))
        return cached[1]

    def nuisance_values(self, eta: np.ndarray) -> dict[str, np.ndarray]:
        out = {k: np.asarray(v, float) for k, v in self.fixed.items()}
        for j, name in enumerate(self._free):
            if name != self.location:
                out[name] = self.link_of(name).inverse(eta[:, j])
        return out

    # ------------------------------------------------------------------ parameters
    def _link_objects(self) -> tuple[list[Link], list[Any]]:
        """The links and parameter domains of the free slots, resolved once (cached)."""
        key = tuple(self.links[n] for n in self._free)
        cached = self.__dict__.get("_links_cache")
        if cached is None or cached[0] != key:
            cached = self._links_cache = (
                key, [get_link(k) for k in key],
                [self.space.parameter(n).domain for n in self._free])
        return cached[1], cached[2]

    def _phi(self, eta: np.ndarray) -> tuple[dict[str, np.ndarray], np.ndarray]:
        """Parameters in the model's coordinates per row, and the rows where all are valid."""
        n = eta.shape[0]
        phi: dict[str, np.ndarray] = {}
        ok = np.ones(n, bool)
        links, domains = self._link_objects()
        with np.errstate(all="ignore"):
            for j, name in enumerate(self._free):
                v = np.asarray(links[j].inverse(eta[:, j]), float)
                ok &= np.isfinite(v) & domains[j].contains(v)
                phi[name] = v
        for name, v in self.fixed.items():
            phi[name] = np.broadcast_to(np.asarray(v, float), (n,))
        if not np.all(ok):  # a safe value where a row leaves the domain (its NLL is +inf)
            for name in self._free:
                safe = float(np.ravel(self._example()[name])[0])
                phi[name] = np.where(ok, phi[name], safe)
        return phi, ok

    def _example(self) -> dict[str, Any]:
        ex = dict(self.family.example_params)
        if self.parametrisation is not None:
            ex = self.space.from_base(**{k: np.asarray(v, float) for k, v in ex.items()
                                         if k in self.family.param_names})
        return ex

    def _base(self, phi: Mapping[str, np.ndarray], aux: Mapping[str, np.ndarray]
              ) -> dict[str, np.ndarray]:
        """The family's own parameters per row (known ones, such as Binomial ``n``, from
        the per-row data ``aux``)."""
        base = dict(self.space.to_base(**phi)) if self.parametrisation is not None \
            else dict(phi)
        for p in self.family.parameters:
            if not p.estimable and p.name not in base:
                key = p.name if p.name in aux else ("trials" if "trials" in aux else None)
                if key is None:
                    raise DataError(f"{self.family.title} regression needs the known parameter "
                                    f"{p.name!r} per row: pass it to fit as {p.name}=...")
                base[p.name] = np.asarray(aux[key], float)
        return base

    # ------------------------------------------------------------------ data
    def check_y(self, y, aux):
        known = {p.name: aux.get(p.name, aux.get("trials")) for p in self.family.parameters
                 if not p.estimable}
        known = {k: v for k, v in known.items() if v is not None}
        return self.family.support_of(**known).check(
            y, what="y", owner=f"{self.family.title} regression", error=SupportError)

    @property
    def information_kind(self) -> str | None:  # type: ignore[override]
        """``"expected"`` once :meth:`init_eta` switched to Fisher scoring (a parameter
        without observed curvature: the Laplace), so inference says which it used."""
        return "expected" if getattr(self, "_scoring", False) else None

    def init_eta(self, y, w, aux):
        """The unconditional MLE of the family (``mk.fit(y, family)``) on the link scale.

        Also decides the curvature the solver uses: where the observed Hessian of a free
        parameter is zero on every row (a density in ``|y - mu|``: the Laplace), Newton has
        no curvature to follow and the model switches to Fisher scoring, the expected
        information (positive there), for the solve and the covariance; those parameters
        are listed in ``scoring_parameters``.
        """
        start = self._unconditional(y, w, aux)
        self._scoring = False
        self.scoring_parameters: tuple[str, ...] = ()
        if not self.censored and self.family.fisher_information(**{
                k: np.asarray(v, float) for k, v in self._base(
                    {n: np.asarray(start[n], float) for n in self.space.param_names
                     if n in start}, aux).items()}) is not None:
            probe = y[:256]
            phi = {n: np.broadcast_to(np.asarray(start[n], float), probe.shape)
                   for n in self.space.param_names if n in start}
            base = self._base(phi, {k: v[:256] for k, v in aux.items()})
            with np.errstate(all="ignore"):
                h = self.family.hessian(probe, **base)
            for name in self._free:
                if self.parametrisation is None:
                    d = np.asarray(h.get((name, name), 1.0), float)
                    if d.size and np.all(d == 0):
                        self._scoring = True
                        # (the parameters whose observed information is replaced by the
                        # expected one: for inference to name when observed was asked for)
                        self.scoring_parameters += (name,)
        out = []
        for name in self._free:
            v = np.asarray(start[name], float)
            with np.errstate(all="ignore"):
                e = float(np.ravel(self.link_of(name).link(v))[0])
            out.append(e if np.isfinite(e) else 0.0)
        return np.array(out)

    def _unconditional(self, y: np.ndarray, w: np.ndarray,
                       aux: Mapping[str, np.ndarray] | None = None) -> dict[str, Any]:
        import warnings

        fixed_base = None
        if self.parametrisation is None and self.fixed:
            fixed_base = dict(self.fixed)
        weights = None if np.all(np.asarray(w) == 1.0) else np.asarray(w, float)
        known = {p.name for p in self.family.parameters if not p.estimable}
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                if known:
                    raise NotImplementedForFamily("known per-row parameters")
                if self.censored and aux is not None and "censor_low" in aux:
                    params = self._censored_start(aux, weights, fixed_base)
                else:
                    # the family's closed form when it has one (what mk.fit would use,
                    # without its log-likelihood pass over y); else the full fit
                    params = self._closed_form_start(y, weights, fixed_base)
                if params is None:
                    res = self.family.fit(y, weights=weights, fixed=fixed_base)
                    params = {k: np.asarray(v, float) for k, v in res.params.items()}
        except NoMaximumError:
            if self.censored:  # (all censored on one side: no regression can fix that)
                raise
            params = {k: np.asarray(v, float) for k, v in self.family.example_params.items()}
        except Exception:  # (no unconditional fit: degenerate data, per-row n …)
            params = {k: np.asarray(v, float) for k, v in self.family.example_params.items()}
        if self.parametrisation is not None:
            params = self.space.from_base(**{k: params[k] for k in self.family.param_names
                                             if k in params})
        for k, v in self.fixed.items():
            params[k] = np.asarray(v, float)
        return params

    def _censored_start(self, aux: Mapping[str, np.ndarray], weights: np.ndarray | None,
                        fixed: Mapping[str, float] | None) -> dict[str, np.ndarray]:
        """The unconditional censored MLE (``mk.fit(Censored(low, high), family)``)."""
        from ..estimate import Censored

        data = Censored(aux["censor_low"], aux["censor_high"])
        res = self.family.fit(data, weights=weights, fixed=fixed)
        return {k: np.asarray(v, float) for k, v in res.params.items()}

    @property
    def edge(self):
        """The family's nuisance edge, checked on exact responses only (None when censored:
        the edge score is the exact rows' derivative)."""
        return None if self.censored else self.family.nuisance_edge

    def saturated_nll(self, y, aux):
        return None if self.censored else super().saturated_nll(y, aux)

    def unit_deviance(self, y, eta, aux):
        """The family's unit deviance (:meth:`Family.unit_deviance`) at the row's
        parameters; None for a censored fit or a family that declares none."""
        if self.censored:
            return None
        return self.family.unit_deviance(y, **self.distribution_params(eta, aux))

    def _closed_form_start(self, y: np.ndarray, weights: np.ndarray | None,
                           fixed: Mapping[str, float] | None) -> dict[str, np.ndarray] | None:
        """``family.mle(y)`` when it returns finite estimates inside every free parameter's
        domain, else None (then ``family.fit`` decides)."""
        fam = self.family
        try:
            with np.errstate(all="ignore"):
                est = fam.mle(y, weights=weights, fixed=fixed)
        except Exception:  # (the full fit reports or works around it)
            return None
        if est is None:
            return None
        out = {k: np.asarray(v, float) for k, v in dict(est).items()}
        for p in fam.parameters:
            if not p.estimable or (fixed and p.name in fixed):
                continue
            v = out.get(p.name)
            if v is None or not np.all(np.isfinite(v)) or not np.all(p.domain.contains(v)):
                return None
        return out

    # ------------------------------------------------------------------ the loss
    def rows(self, y, eta, aux, order=2):
        """Per-row NLL, link-space gradient and Hessian (see the module docstring); the
        censored rows of a censored response replaced by their terms (:mod:`._censored`)."""
        out = self._exact_rows(y, eta, aux, order)
        if self.censored and "censor_low" in aux:
            from ._censored import patch_censored_rows

            patch_censored_rows(self, eta, aux, order, *out)
        return out

    def _exact_rows(self, y, eta, aux, order=2):
        """Per-row NLL, link-space gradient and Hessian of exactly observed ``y``.

        One evaluation of the family's pieces per call: ``θ = g⁻¹(η)`` and ``g⁻¹'``,
        ``g⁻¹''`` once per slot (for the log link all three are ``e^η``, computed once),
        the score only for ``order >= 1``, the observed Hessian only for ``order = 2``
        without Fisher scoring; the outputs are written straight into their (n,), (n, m),
        (n, m, m) arrays, and the masking of rows outside the parameters' domains is
        skipped when every row is inside.
        """
        phi, ok = self._phi(eta)
        base = self._base(phi, aux)
        fam = self.family
        with np.errstate(all="ignore"):
            ll = np.asarray(fam.logpdf(y, **base), float)
        all_ok = bool(ok.all())
        nll = -np.where(ok & ~np.isnan(ll), ll, -np.inf)
        if order == 0:
            return nll, None, None
        free = self._free
        m = len(free)
        links, _ = self._link_objects()
        expected = self.information == "expected" or getattr(self, "_scoring", False)
        n = eta.shape[0]
        with np.errstate(all="ignore"):
            hess_base = fam.hessian(y, **base) if order >= 2 and not expected else None
            score_base = fam.score(y, **base)
            base_names = fam.estimable_names
            if self.parametrisation is not None:
                score, hess = self.space.chain(phi, score_base, hess_base, base_names)
            else:
                score, hess = score_base, hess_base
            # g⁻¹'(η) per slot (the log link's is θ itself: e^η, already computed)
            m1 = [phi[name] if links[j].name == "log" else links[j].inverse_deriv(eta[:, j])
                  for j, name in enumerate(free)]
            g = np.empty((n, m))
            for j, name in enumerate(free):
                g[:, j] = score[name] * m1[j]
            if not all_ok:
                g[~ok] = 0.0
            np.negative(g, out=g)
            if order == 1:
                return nll, g, None
            h = np.empty((n, m, m))
            info = self._information(phi, base) if expected else None
            if expected and info is None:
                self._warn_observed_fallback()
            if info is not None:
                for a, na in enumerate(free):
                    for b in range(a, m):
                        v = -info[na, free[b]] * m1[a] * m1[b]
                        h[:, a, b] = v
                        if b != a:
                            h[:, b, a] = v
            else:
                if hess is None:
                    hess = fam.hessian(y, **base) if self.parametrisation is None else \
                        self.space.chain(phi, score_base, fam.hessian(y, **base),
                                         base_names)[1]
                names = (self.space.param_names if self.parametrisation is not None
                         else base_names)
                for a, na in enumerate(free):
                    m2 = phi[na] if links[a].name == "log" else \
                        links[a].inverse_deriv2(eta[:, a])
                    for b in range(a, m):
                        nb = free[b]
                        key = (na, nb) if names.index(na) <= names.index(nb) else (nb, na)
                        v = np.asarray(hess[key], float) * m1[a] * m1[b]
                        if a == b:
                            v = v + score[na] * m2
                        h[:, a, b] = v
                        if b != a:
                            h[:, b, a] = v
            if not all_ok:
                h[~ok] = 0.0
            np.negative(h, out=h)
        return nll, g, h

    def _warn_observed_fallback(self) -> None:
        """Say, once per model, that the expected information asked for is not available
        and the observed one is used in its place (for the steps and the standard errors).
        """
        if self.__dict__.get("_warned_observed"):
            return
        self._warned_observed = True
        import warnings

        from ..errors import NumericalWarning

        fam = self.family
        why = ("its sum over the support did not give finite terms within "
               f"{self._DISCRETE_MAX_CELLS:,} points per block (a mean or spread too large, "
               "or a quantile function that fails)" if getattr(fam, "discrete", False)
               else "mlekit does not integrate it numerically")
        names = ", ".join(repr(n) for n in self._free)
        warnings.warn(
            f"{fam.title} regression: the expected (Fisher) information of {names} was asked "
            f"for (information='expected'), but the family has no closed form for it and "
            f"{why}; the observed information (the Hessian of the NLL at the estimate) is "
            "used instead. The standard errors are therefore observed-information ones: "
            "valid asymptotically like the expected ones, but different in finite samples "
            "(and from software that reports expected-information SEs, e.g. VGAM's Fisher "
            "scoring). Pass information='observed' to ask for them explicitly, or give the "
            "family a fisher_information to have the expected ones.",
            NumericalWarning, stacklevel=2)

    def _information(self, phi: Mapping[str, np.ndarray], base: Mapping[str, np.ndarray]
                     ) -> dict[tuple[str, str], np.ndarray] | None:
        """Fisher information per row in the model's coordinates, or None (not known)."""
        est = self.family.estimable_names
        info = self.family.fisher_information(**{k: base[k] for k in self.family.param_names})
        if info is None:
            info = self._discrete_information(base)
        if info is None:
            return None
        info = np.asarray(info, float)
        names = list(est)
        if self.parametrisation is not None:
            info = self.space.chain_information(phi, info, est)
            names = list(self.space.param_names)
        n = next(iter(phi.values())).shape[0]
        info = np.broadcast_to(info, (n, len(names), len(names)))
        return {(a, b): info[:, names.index(a), names.index(b)] for a in names for b in names}

    _DISCRETE_TAIL = 1e-12       # mass left out of each tail of the expectation
    _DISCRETE_MAX_CELLS = 4_000_000    # rows × support points summed, at most

    def _discrete_information(self, base: Mapping[str, np.ndarray]) -> np.ndarray | None:
        """Expected information of a discrete family without a closed form, by summation.

        ``I(θ) = Σ_y p(y; θ) · (−∂²log p(y; θ)/∂θ∂θᵀ)`` over the integers between the
        ``ε`` and ``1 − ε`` quantiles of every row (ε = 1e-12, the tail VGAM's
        ``cutoff.prob = 1 − 1e-12`` leaves out of the negative binomial's), in blocks of
        rows (sorted by range) of at most ``_DISCRETE_MAX_CELLS`` terms. Returns (n, k, k)
        in the order of :attr:`estimable_names`, or None (continuous family, a non-finite
        quantile, one row's range above the cap, or non-finite terms).
        """
        fam = self.family
        if not getattr(fam, "discrete", False):
            return None
        est = list(fam.estimable_names)
        params = {k: np.asarray(base[k], float) for k in fam.param_names}
        with np.errstate(all="ignore"):
            lo = np.asarray(fam.ppf(self._DISCRETE_TAIL, **params), float)
            hi = np.asarray(fam.ppf(1.0 - self._DISCRETE_TAIL, **params), float)
        if not (np.all(np.isfinite(lo)) and np.all(np.isfinite(hi))):
            return None
        n = max(lo.size, hi.size)
        lo, hi = np.broadcast_to(lo, (n,)), np.broadcast_to(hi, (n,))
        params = {k: np.broadcast_to(v, (n,)) for k, v in params.items()}
        info = np.empty((n, len(est), len(est)))
        order = np.argsort(hi, kind="stable")   # rows with similar ranges share a grid
        start = 0
        while start < n:
            width = hi[order[start:]].min() - lo[order[start:]].min() + 1.0
            stop = start + max(1, int(self._DISCRETE_MAX_CELLS // max(width, 1.0)))
            rows = order[start:min(stop, n)]
            grid = np.arange(np.floor(lo[rows].min()), np.ceil(hi[rows].max()) + 1.0)
            while grid.size * rows.size > self._DISCRETE_MAX_CELLS and rows.size > 1:
                rows = rows[: rows.size // 2]
                grid = np.arange(np.floor(lo[rows].min()), np.ceil(hi[rows].max()) + 1.0)
            if grid.size > self._DISCRETE_MAX_CELLS:
                return None
            ys = grid[:, None]
            cols = {k: v[rows][None, :] for k, v in params.items()}
            with np.errstate(all="ignore"):
                p = np.exp(np.asarray(fam.logpdf(ys, **cols), float))
                h = fam.hessian(ys, **cols)
            for i, a in enumerate(est):
                for j in range(i, len(est)):
                    hij = np.broadcast_to(np.asarray(h[(a, est[j])], float), p.shape)
                    v = -np.sum(np.where(p > 0, p * hij, 0.0), axis=0)
                    info[rows, i, j] = info[rows, j, i] = v
            start += rows.size
        return info if np.all(np.isfinite(info)) else None

    # ------------------------------------------------------------------ outputs
    def mean(self, eta: np.ndarray) -> np.ndarray:
        phi, _ = self._phi(eta)
        if self.parametrisation is not None and self.space.mean_parameter in phi:
            return phi[self.space.mean_parameter]
        base = self._base(phi, {})
        return np.asarray(self.family.mean(**base), float)

    def distribution_params(self, eta, aux):
        phi, _ = self._phi(eta)
        return self._base(phi, aux)


def build_family_model(family: str | Family, link: Any = None,
                       fixed: Mapping[str, float] | None = None,
                       designs: Mapping[str, Any] | None = None,
                       information: str = "observed") -> FamilyModel:
    """The :class:`FamilyModel` of ``family``: links and designs checked, by name.

    ``link`` is a link name (for the location parameter) or ``{parameter: link}``;
    ``designs`` maps parameter names to ``"X"``, ``"1"`` or column indices.
    """
    fam = get_family(family)
    regressable(fam)
    links_in = {} if link is None else ({location_of(fam): link} if isinstance(link, (str, Link))
                                          else dict(link))
    designs = dict(designs or {})
    own_location = designs.pop("__location__", None)  # (the estimator: X's own columns)
    fixed = {k: float(v) for k, v in (fixed or {}).items()}
    named = set(links_in) | set(designs) | set(fixed)
    par_name = None
    own = set(fam.param_names)
    if named - own:
        for pname, par in fam.parametrisations.items():
            if named <= set(par.param_names) | {location_of(fam)} and \
                    named - own <= set(par.param_names):
                par_name = pname
                break
    if par_name is None and "mean" in fam.parametrisations and fam.mean_parameter is None \
            and location_of(fam) == fam.parametrisations["mean"].mean_parameter \
            and location_of(fam) not in own \
            and named <= set(fam.parametrisations["mean"].param_names) | {location_of(fam)}:
        par_name = "mean"  # (Gamma, Beta: a plain link string is on the mean)
    space = fam if par_name is None else fam.parametrisations[par_name]
    names = [p.name for p in space.parameters if getattr(p, "estimable", True)]
    valid = ", ".join(names)
    for kind, keys in (("link", links_in), ("design", designs), ("fixed", fixed)):
        for k in keys:
            if k not in names:
                extra = ""
                if fam.parametrisations:
                    extra = "; or in the parametrisation " + "; ".join(
                        f"{n!r}: {', '.join(p.param_names)}"
                        for n, p in fam.parametrisations.items())
                raise ParameterError(
                    f"{fam.title} regression: unknown parameter {k!r} in the {kind}s "
                    f"(its parameters: {valid}{extra})")
    moving = [n for n in fam.support_parameters if n not in fixed and n in names]
    if moving:
        raise NotImplementedForFamily(
            f"{fam.title} cannot be regressed on {', '.join(moving)}: the support of the data "
            f"depends on {'it' if len(moving) == 1 else 'them'}, so the likelihood is not "
            "smooth there and has no score; hold "
            f"{'it' if len(moving) == 1 else 'them'} fixed (fixed={{{moving[0]!r}: ...}}) "
            "to regress the other parameters")
    loc = _location_in(fam, space, par_name)
    if own_location is not None and loc not in designs:
        designs[loc] = own_location
    links: dict[str, str] = {}
    for n in names:
        if n in fixed:
            continue
        dom = space.parameter(n).domain
        lk = links_in.get(n)
        if lk is None:
            lk = default_link_for(dom)
            if lk is None:
                raise NotImplementedForFamily(
                    f"{fam.title}: parameter {n!r} lives on {dom.name}, which no link maps "
                    "onto the real line; hold it fixed (fixed={...})")
        lk = get_link(lk).name
        if link_range(lk) is None:
            raise ParameterError(f"{fam.title} regression: the {lk!r} link does not apply to "
                                 f"the scalar parameter {n!r} (links: "
                                 f"{', '.join(k for k in LINKS if k in _LINK_RANGES)})")
        fits = link_fits(lk, dom) or (n == loc and link_meets(lk, dom))
        if not fits:
            good = [k for k in _LINK_RANGES if link_fits(k, dom)]
            raise ParameterError(
                f"{fam.title} regression: the {lk!r} link does not fit parameter {n!r}, "
                f"which must satisfy {dom.rule} ({dom.name}); its inverse takes values "
                f"outside that; links that fit: {', '.join(good)}")
        links[n] = lk
    if not links:
        raise ParameterError(f"{fam.title} regression: every parameter is fixed; nothing to fit")
    main = links.get(loc, next(iter(links.values())))
    return FamilyModel(fam, get_link(main), fixed, information, links=links,
                       designs=designs, parametrisation=par_name)
