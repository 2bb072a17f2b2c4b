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

from ..errors import DataError, NotImplementedForFamily, ParameterError, SupportError
from ..families import Family, get_family
from ..links import LINKS, Link, get_link
from ._models import RowModel, Slot, _pack

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


def link_fits(link: str, domain: Any) -> bool:
    """Does every value of ``link``'s inverse lie in ``domain``?"""
    rng = _LINK_RANGES.get(link)
    if rng is None:
        return False
    try:
        return bool(domain.range_within(*rng))
    except (TypeError, ValueError):
        return False


def link_meets(link: str, domain: Any) -> bool:
    """Do the values of ``link``'s inverse meet ``domain`` at all (GLM links such as the
    identity on a positive mean: rows that leave the domain are refused by the solver)?"""
    rng = _LINK_RANGES.get(link)
    if rng is None:
        return False
    probe = np.array([rng[0], 1e-8, 0.5, 1.0, 2.0, rng[1]])
    probe = probe[(probe >= rng[0]) & (probe <= rng[1])]
    with np.errstate(all="ignore"):
        return bool(np.any(domain.contains(probe)))


def default_link_for(domain: Any) -> str | None:
    """Identity on the reals, log on the positives, logit on the unit interval; else None."""
    for name in ("identity", "log", "logit"):
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
    if family.event_ndim or any(p.event_ndim for p in family.parameters if p.estimable):
        raise NotImplementedForFamily(
            f"{family.title} is multivariate (a vector per observation or per parameter): "
            "the regression engine models scalar parameters, one linear predictor each; "
            "fit it unconditionally with mk.fit")


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
    """

    links: dict[str, str] = field(default_factory=dict)
    designs: dict[str, Any] = field(default_factory=dict)
    parametrisation: str | None = None

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

    def nuisance_values(self, eta: np.ndarray) -> dict[str, np.ndarray]:
        out = {k: np.asarray(v, float) for k, v in self.fixed.items()}
        for j, name in enumerate(self._free):
            if name != self.location:
                out[name] = self.link_of(name).inverse(eta[:, j])
        return out

    # ------------------------------------------------------------------ parameters
    def _phi(self, eta: np.ndarray) -> tuple[dict[str, np.ndarray], np.ndarray]:
        """Parameters in the model's coordinates per row, and the rows where all are valid."""
        n = eta.shape[0]
        phi: dict[str, np.ndarray] = {}
        ok = np.ones(n, bool)
        with np.errstate(all="ignore"):
            for j, name in enumerate(self._free):
                v = np.asarray(self.link_of(name).inverse(eta[:, j]), float)
                dom = self.space.parameter(name).domain
                good = np.isfinite(v) & dom.contains(v)
                ok &= good
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

    def init_eta(self, y, w, aux):
        """The unconditional MLE of the family (``mk.fit(y, family)``) on the link scale.

        Also decides the curvature the solver uses: where the observed Hessian of a free
        parameter is zero on every row (a density in ``|y - mu|``: the Laplace), Newton has
        no curvature to follow and the model switches to Fisher scoring, the expected
        information (positive there), for the solve and the covariance.
        """
        start = self._unconditional(y, w)
        self._scoring = False
        if self.family.fisher_information(**{
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
        out = []
        for name in self._free:
            v = np.asarray(start[name], float)
            with np.errstate(all="ignore"):
                e = float(np.ravel(self.link_of(name).link(v))[0])
            out.append(e if np.isfinite(e) else 0.0)
        return np.array(out)

    def _unconditional(self, y: np.ndarray, w: np.ndarray) -> dict[str, Any]:
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
                res = self.family.fit(y, weights=weights, fixed=fixed_base)
            params = {k: np.asarray(v, float) for k, v in res.params.items()}
        except Exception:  # (no unconditional fit: degenerate data, per-row n …)
            params = {k: np.asarray(v, float) for k, v in self.family.example_params.items()}
            if known and self.family.mean_parameter is not None:
                pass
        if self.parametrisation is not None:
            params = self.space.from_base(**{k: params[k] for k in self.family.param_names
                                             if k in params})
        for k, v in self.fixed.items():
            params[k] = np.asarray(v, float)
        return params

    # ------------------------------------------------------------------ the loss
    def rows(self, y, eta, aux, order=2):
        phi, ok = self._phi(eta)
        base = self._base(phi, aux)
        fam = self.family
        with np.errstate(all="ignore"):
            ll = np.asarray(fam.logpdf(y, **base), float)
        ll = np.where(ok & ~np.isnan(ll), ll, -np.inf)
        if order == 0:
            return _pack(ll, [], {}, 0)
        free = self._free
        with np.errstate(all="ignore"):
            hess_base = fam.hessian(y, **base) if order >= 2 and \
                self.information == "observed" and not getattr(self, "_scoring", False) \
                else None
            score_base = fam.score(y, **base)
            base_names = fam.estimable_names
            if self.parametrisation is not None:
                score, hess = self.space.chain(phi, score_base, hess_base, base_names)
            else:
                score, hess = dict(score_base), hess_base
            m1 = [self.link_of(n).inverse_deriv(eta[:, j]) for j, n in enumerate(free)]
            grads = [np.where(ok, score[n] * m1[j], 0.0) for j, n in enumerate(free)]
            if order == 1:
                return _pack(ll, grads, {}, 1)
            hd: dict[tuple[int, int], np.ndarray] = {}
            info = None
            if self.information == "expected" or getattr(self, "_scoring", False):
                info = self._information(phi, base)
            if info is not None:
                for a, na in enumerate(free):
                    for b in range(a, len(free)):
                        hd[(a, b)] = -info[na, free[b]] * m1[a] * m1[b]
            else:
                if hess is None:
                    hess = fam.hessian(y, **base) if self.parametrisation is None else \
                        self.space.chain(phi, score_base, fam.hessian(y, **base),
                                         base_names)[1]
                names = (self.space.param_names if self.parametrisation is not None
                         else base_names)
                for a, na in enumerate(free):
                    m2 = self.link_of(na).inverse_deriv2(eta[:, a])
                    for b in range(a, len(free)):
                        nb = free[b]
                        key = (na, nb) if names.index(na) <= names.index(nb) else (nb, na)
                        v = np.asarray(hess[key], float) * m1[a] * m1[b]
                        if a == b:
                            v = v + score[na] * m2
                        hd[(a, b)] = v
            hd = {k: np.where(ok, v, 0.0) for k, v in hd.items()}
        return _pack(ll, grads, hd, 2)

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
            and location_of(fam) not in own:
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
        if lk not in _LINK_RANGES:
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
