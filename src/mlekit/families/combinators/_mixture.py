r"""``mk.Mixture([F1, F2, ...])`` and ``mk.Mixture(F, k=2)``: finite mixtures of families.

.. math::

    p(y) = \sum_{j=1}^{k} w_j\, f_j(y; \theta_j), \qquad w_j \ge 0,\ \sum_j w_j = 1,

with each f_j a univariate family (all continuous, or all counts). The parameters are
``weights`` (one probability vector of k entries on the Simplex, summing to 1: a
*declared simplex parametrisation*, unconstrained as the additive log-ratios
v_j = log(w_j / w_k)) followed by each component's own parameters with the component's
number as a suffix: ``mu_1, sigma_1, mu_2, sigma_2`` for ``Mixture(Normal, k=2)``. Its NLL
is −Σ_i log Σ_j w_j f_j(y_i), computed by log-sum-exp of log w_j + log f_j(y_i).

CDF, sampler, mean and variance follow from the components':
F(y) = Σ w_j F_j(y), E[Y] = Σ w_j m_j, Var[Y] = Σ w_j (v_j + m_j²) − E[Y]². The score and
Hessian follow by the chain rule from the components' own, through the responsibilities
r_j = w_j f_j / p (the posterior chance that y came from component j): with s_j, H_j the
component's score and Hessian at y, and the weights taken as free coordinates,

.. math::

    \partial_{w_a} = \frac{f_a}{p}, \quad \partial_{\theta_j} = r_j s_j, \quad
    \partial^2_{w_a w_b} = -\frac{f_a f_b}{p^2}, \quad
    \partial^2_{w_a \theta_j} = \Big(\delta_{aj}\frac{f_j}{p} - \frac{f_a}{p} r_j\Big) s_j,

    \partial^2_{\theta_j \theta_l} = \delta_{jl}\,\big(r_j H_j + r_j s_j s_j^\top\big)
    - r_j r_l\, s_j s_l^\top .

**Fitting** (:meth:`MixtureFamily.mle`, used by ``mk.fit`` and ``Family.fit``): EM from
``n_starts`` seeded starts (one from the quantiles of the data, the rest k-means++
seeds drawn with ``rng``; each start assigns the data to its nearest seed and fits each
component to its group), where each M-step is each component family's own weighted
``mle(x, weights=r_j)``; the start with the highest log-likelihood is then polished by
damped Newton on the full likelihood (analytic score and Hessian in (v, unconstrained
θ)), so that ``mk.fit``'s standard errors come from the observed information: the
polish hands its last Hessian back (``details["information_u"]``, −∂²ℓ in (v, unconstrained
θ), carried through the relabelling below), so no numerical Hessian is needed. The E-step
and the Newton sums run over the data in blocks of 65,536 values.
``FitResult.method`` names the start that won and the EM iterations it ran.

**Label switching**: components are interchangeable where they are of the same family.
The rule: within each group of components of one family, components are ordered by
their mean, ascending (ties by their parameters); components of different families keep
the order given. Nothing is reordered when a parameter is held ``fixed`` (the fixed
values pin the labels).

**Degenerate components**: a continuous mixture's likelihood is unbounded — a component
collapsing on one data value (σ → 0) sends it to +∞ — so its "MLE" is the largest
*non-degenerate* local maximum. A start whose EM collapses a component (less than one
observation's worth of its responsibility off a single data value, fewer than 2
effective observations, or its standard deviation below 1e-6 of the data's) is
discarded with a :class:`~mlekit.errors.ConvergenceWarning`; if every start collapses,
:class:`~mlekit.errors.NoMaximumError`. Such a point is never reported as the MLE. A
best fit with a weight → 0 or two identical components (the data do not support k
components) is also a NoMaximumError.
"""

from __future__ import annotations

import contextlib
import contextvars
import warnings
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import numpy as np

from ...domains import Simplex
from ...errors import (
    ConvergenceWarning,
    DataError,
    NoMaximumError,
    ParameterError,
)
from .._mle_tools import MLEstimate, damped_newton
from .._registry import get_family
from ..base import Family, Parameter
from ._common import Combinator, _second_bijection, instance, number_word, weighted

__all__ = ["Mixture", "MixtureFamily"]

#: (n_starts, rng) handed from ``MixtureFamily.fit`` to ``mle`` through ``mlekit.fit``
_FIT_OPTIONS: contextvars.ContextVar[tuple[Any, Any] | None] = contextvars.ContextVar(
    "mixture_fit_options", default=None)

_DEFAULT_STARTS = 10
_MAX_K = 50
_EM_MAXITER = 300
_EM_SHORT = 40
_POLISH = 3
_EM_TOL = 1e-9
_SCALE_FLOOR = 1e-6
#: above this many distinct values the seeded starts are screened (short EM) on a
#: stratified subsample of this size; only the best distinct ones run on the full data
_SCREEN = 20_000
#: values per block of the E-step and Newton sums (see :meth:`_Fit.blocks`)
_BLOCK = 1 << 16


def _lse(a: np.ndarray, axis: int = -1) -> np.ndarray:
    """log Σ exp(a) along ``axis``; −inf where every term is −inf (no warning).

    The reduction runs over the first axis of ``np.moveaxis(a, axis, 0)``: for the (n, k)
    stacks of :meth:`MixtureFamily._parts` each step is then a contiguous elementwise pass
    over n values rather than a strided sum over a short last axis (the same numbers)."""
    b = np.moveaxis(np.asarray(a, float), axis, 0)
    with np.errstate(all="ignore"):
        m = np.max(b, axis=0)
        fin = np.isfinite(m)
        safe = np.where(fin, m, 0.0)
        out = np.log(np.sum(np.exp(b - safe), axis=0)) + safe
        out = np.where(fin, out, m)
    return out


def _log_prod(t: np.ndarray, k: int) -> float:
    """Σ log t for t in [1, k]: the logarithms of products of blocks of B values, with
    k^B < 1e260 so that no product overflows (B = 863 for k = 2)."""
    block = max(1, int(600.0 / np.log(max(k, 2))))
    nb = t.size // block
    head = t[:nb * block].reshape(block, nb)  # each column a product of ``block`` values
    out = float(np.log(np.prod(head, axis=0)).sum()) if nb else 0.0
    return out + float(np.log(t[nb * block:]).sum())


def _inside(comp: Family, x: Any, support: Any) -> Any:
    """The SymPy condition that ``x`` lies in ``comp``'s support, or None when that
    support is the mixture's own (no condition needed)."""
    import sympy

    lo, hi = (float(e) for e in comp.support.edges)
    mlo, mhi = (float(e) for e in support.edges)
    conds = []
    if lo > mlo:
        closed = bool(np.all(comp.support.contains(np.asarray(lo))))
        conds.append(x >= lo if closed else x > lo)
    if hi < mhi:
        closed = bool(np.all(comp.support.contains(np.asarray(hi))))
        conds.append(x <= hi if closed else x < hi)
    return sympy.And(*conds) if conds else None


def _rebuild_mixture(components: tuple) -> Family:
    """Unpickle: the mixture of ``components`` (registered names or families)."""
    return Mixture([get_family(c) for c in components])


class MixtureFamily(Combinator):
    r"""Mixture(F1, …, Fk): p(y) = Σ_j w_j f_j(y; θ_j), ``weights`` on the simplex.

    Examples
    --------
    >>> import numpy as np, mlekit as mk
    >>> mix = mk.Mixture(mk.Normal, k=2)
    >>> mix.name, mix.param_names
    ('mixture(normal, k=2)', ('weights', 'mu_1', 'sigma_1', 'mu_2', 'sigma_2'))
    >>> d = mix(weights=[0.3, 0.7], mu_1=0.0, sigma_1=1.0, mu_2=3.0, sigma_2=0.5)
    >>> round(float(d.mean), 4), round(float(d.var), 4)  # 0.7*3; 0.3*1 + 0.7*9.25 - 2.1**2
    (2.1, 2.365)
    >>> p = 0.3 * np.exp(-0.5) / np.sqrt(2 * np.pi) + 0.7 * 2 * np.exp(-8) / np.sqrt(2 * np.pi)
    >>> bool(np.isclose(d.pdf(1.0), p))
    True
    """

    kind = "mixture"

    @property
    def derivation_loss_name(self) -> str:  # type: ignore[override]
        """The name ``derive`` gives the derived NLL: "two-component Normal mixture NLL",
        or with different components "two-component mixture NLL (Normal, Gamma)"."""
        comps = self.components
        words = number_word(len(comps))
        if comps and all(c is comps[0] for c in comps):
            return f"{words}-component {comps[0].title} mixture NLL"
        return f"{words}-component mixture NLL ({', '.join(c.title for c in comps)})"
    regression_refusal = (
        "regression on a mixture is not implemented: its likelihood has local maxima that "
        "need EM from several starts, which the regression engine does not run; fit it "
        "unconditionally with mk.fit")

    def __init__(self, components: tuple[Family, ...]) -> None:
        super().__init__(components[0], ())
        self.components = components
        self.k = len(components)
        same = all(c is components[0] for c in components)
        if same:
            self.name = f"mixture({components[0].name}, k={self.k})"
            self.title = f"Mixture({components[0].title}, k={self.k})"
        else:
            self.name = f"mixture({', '.join(c.name for c in components)})"
            self.title = f"Mixture({', '.join(c.title for c in components)})"
        params = [Parameter("weights", Simplex, "w", event_ndim=1)]
        #: (component index, its parameter name, our parameter name)
        self._slots: list[tuple[int, str, str]] = []
        for j, comp in enumerate(components):
            for p in comp.parameters:
                name = f"{p.name}_{j + 1}"
                params.append(Parameter(name, p.domain, f"{p.latex}_{{{j + 1}}}"))
                self._slots.append((j, p.name, name))
        self.parameters = tuple(params)
        self.support = _union_support(components)
        self.discrete = bool(components[0].discrete)
        self.y_power = max(int(c.y_power) for c in components)
        ex: dict[str, Any] = {"weights": np.full(self.k, 1.0 / self.k)}
        for j, comp in enumerate(components):
            for p in comp.parameters:
                v = float(np.ravel(comp.example_params[p.name])[0])
                if comp.mean_parameter == p.name or (comp.location_parameter == p.name):
                    v = v + 3.0 * j if getattr(p.domain, "default_link", "") == "identity" \
                        else v * (1.0 + j)
                ex[f"{p.name}_{j + 1}"] = v
        self.example_params = ex

    # ------------------------------------------------------------------ identity
    def __reduce__(self):
        refs = []
        for c in self.components:
            try:
                refs.append(c.name if get_family(c.name) is c else c)
            except Exception:  # a custom family: pickled as itself
                refs.append(c)
        return (_rebuild_mixture, (tuple(refs),))

    def fit(self, x: Any, weights: Any = None, *, n_starts: int = _DEFAULT_STARTS,
            rng: Any = 0, **kwargs: Any):
        """Maximum-likelihood fit (see :func:`mlekit.fit`) by EM from ``n_starts`` seeded
        starts (``rng``: a seed or a Generator) and a Newton polish."""
        with self.fit_options(n_starts=n_starts, rng=rng):
            return super().fit(x, weights=weights, **kwargs)

    @contextlib.contextmanager
    def fit_options(self, n_starts: int = _DEFAULT_STARTS, rng: Any = 0) -> Iterator[None]:
        """Within this block, fits of this mixture (``mk.fit``, profile refits) use
        ``n_starts`` EM starts seeded by ``rng`` (a context variable: thread-safe)."""
        token = _FIT_OPTIONS.set((n_starts, rng))
        try:
            yield
        finally:
            _FIT_OPTIONS.reset(token)

    # ------------------------------------------------------------------ symbolic
    def _symbolic(self):
        r"""The components' own SymPy densities, weighted:
        :math:`p(x) = \sum_{j=1}^{k} w_j f_j(x; \theta_j)`.

        ``weights`` is the vector symbol ``w`` (an ``IndexedBase``: ``w[1] … w[k]``, on the
        simplex as the family declares it); each component's parameters carry its number
        (``mu_1``, ``sigma_1`` …), and x the assumptions of the mixture's support."""
        import sympy

        from ..base import SymbolicDensity

        x = sympy.Symbol("x", **self.support.sympy_assumptions)
        w = sympy.IndexedBase("w", positive=True)
        params: dict[str, Any] = {"weights": w}
        terms = []
        for j, comp in enumerate(self.components):
            sd = self._base_symbolic(comp)
            rename: dict[Any, Any] = {sd.x: x}
            for (i, b, ours) in self._slots:
                if i == j:
                    old = sd.params[b]
                    new = sympy.Symbol(ours, **old.assumptions0)
                    rename[old] = new
                    params[ours] = new
            f = sd.expr.xreplace(rename)
            cond = _inside(comp, x, self.support)
            if cond is not None:  # 0 off this component's own support (a Gamma at x < 0)
                f = sympy.Piecewise((f, cond), (0, True))
            terms.append(w[j + 1] * f)
        return SymbolicDensity(expr=sympy.Add(*terms), x=x, params=params,
                               log_expr=sympy.log(sympy.Add(*terms)))

    # ------------------------------------------------------------------ pieces
    def _theta(self, params: Mapping[str, Any], j: int) -> dict[str, Any]:
        return {b: params[ours] for (i, b, ours) in self._slots if i == j}

    def _parts(self, x, weights, theta):
        """log w_j + log f_j(x) stacked on a last axis of k, and log p."""
        x = np.asarray(x, float)
        w = np.asarray(weights, float)
        with np.errstate(all="ignore"):
            lw = np.log(w)
            lf = [np.asarray(c.logpdf(x, **self._theta(theta, j)), float)
                  for j, c in enumerate(self.components)]
            shape = np.broadcast_shapes(lw.shape[:-1], *(a.shape for a in lf))
            lf = np.stack([np.broadcast_to(a, shape) for a in lf], axis=-1)
            a = lw + lf
            a = np.where(lw == -np.inf, -np.inf, a)   # a zero weight: no term (even at f = inf)
            return a, lf, _lse(a)

    def logpdf(self, x, weights, **theta):
        return self._parts(x, weights, theta)[2]

    def cdf(self, x, weights, **theta):
        w = np.asarray(weights, float)
        return sum(w[..., j] * np.asarray(c.cdf(x, **self._theta(theta, j)), float)
                   for j, c in enumerate(self.components))

    def logsf(self, x, weights, **theta):
        """log S(y): log1p(−F(y)) where F < 1/2 (exact for small F), else the log-sum-exp of
        log w_j + log S_j(y) (exact where S underflows)."""
        w = np.asarray(weights, float)
        with np.errstate(all="ignore"):
            terms = [np.log(w[..., j]) + np.asarray(c.logsf(x, **self._theta(theta, j)), float)
                     for j, c in enumerate(self.components)]
            shape = np.broadcast_shapes(*(t.shape for t in terms))
            upper = _lse(np.stack([np.broadcast_to(t, shape) for t in terms], axis=-1))
            cdf = np.asarray(self.cdf(x, weights, **theta), float)
            return np.where(cdf < 0.5, np.log1p(-np.minimum(cdf, 0.5)), upper)

    def ppf(self, q, weights, **theta):
        """F⁻¹(q) by bisection between the smallest and largest component quantile (the
        mixture's lies between them); for counts the smallest m with F(m) ≥ q."""
        q = np.asarray(q, float)
        with np.errstate(all="ignore"):
            qs = [np.asarray(c.ppf(q, **self._theta(theta, j)), float)
                  for j, c in enumerate(self.components)]
            shape = np.broadcast_shapes(q.shape, np.shape(weights)[:-1], *(a.shape for a in qs))
            qs = np.stack([np.broadcast_to(a, shape) for a in qs], axis=-1)
            lo, hi = np.min(qs, axis=-1), np.max(qs, axis=-1)
            qq = np.broadcast_to(q, shape)
            done = ~(np.isfinite(lo) & np.isfinite(hi)) | (lo == hi)
            out = np.where(qq <= 0, lo, hi)
            lo, hi = np.where(done, 0.0, lo), np.where(done, 0.0, hi)
            if self.discrete:
                lo = lo - 1.0
                for _ in range(200):
                    if not np.any(hi - lo > 1):
                        break
                    mid = np.floor(0.5 * (lo + hi))
                    up = np.asarray(self.cdf(mid, weights, **theta), float) >= qq
                    hi, lo = np.where(up, mid, hi), np.where(up, lo, mid)
            else:
                for _ in range(200):
                    mid = 0.5 * (lo + hi)
                    if not np.any((mid > lo) & (mid < hi)):
                        break
                    up = np.asarray(self.cdf(mid, weights, **theta), float) >= qq
                    hi, lo = np.where(up, mid, hi), np.where(up, lo, mid)
            return np.where(done, out, hi)

    def sample(self, size, rng, weights, **theta):
        w = np.asarray(weights, float)
        batch = np.broadcast_shapes(w.shape[:-1], *(np.shape(v) for v in theta.values()))
        shape = tuple(size) + batch
        draws = []
        for j, c in enumerate(self.components):
            th = {k: np.broadcast_to(np.asarray(v, float), batch)
                  for k, v in self._theta(theta, j).items()}
            draws.append(np.broadcast_to(np.asarray(c.sample(tuple(size), rng, **th), float),
                                         shape))
        cum = np.cumsum(np.broadcast_to(w, batch + (self.k,)), axis=-1)
        u = rng.random(shape)
        idx = np.minimum(np.sum(u[..., None] >= cum / cum[..., -1:], axis=-1), self.k - 1)
        return np.choose(idx, draws)

    def mean(self, weights, **theta):
        w = np.asarray(weights, float)
        return sum(w[..., j] * np.asarray(c.mean(**self._theta(theta, j)), float)
                   for j, c in enumerate(self.components))

    def var(self, weights, **theta):
        w = np.asarray(weights, float)
        m = [np.asarray(c.mean(**self._theta(theta, j)), float)
             for j, c in enumerate(self.components)]
        v = [np.asarray(c.var(**self._theta(theta, j)), float)
             for j, c in enumerate(self.components)]
        mean = sum(w[..., j] * m[j] for j in range(self.k))
        return sum(w[..., j] * (v[j] + m[j] ** 2) for j in range(self.k)) - mean ** 2

    # ------------------------------------------------------------------ derivatives
    def _derivs(self, x, weights, theta):
        """Responsibilities r (…, k), f_j/p (…, k), component scores and Hessians."""
        a, lf, lp = self._parts(x, weights, theta)
        with np.errstate(all="ignore"):
            r = np.exp(a - lp[..., None])
            fp = np.exp(lf - lp[..., None])
            s = [self.components[j].score(x, **self._theta(theta, j)) for j in range(self.k)]
            h = [self.components[j].hessian(x, **self._theta(theta, j))
                 for j in range(self.k)]
        return r, fp, s, h

    def score(self, x, weights, **theta):
        r, fp, s, _ = self._derivs(x, weights, theta)
        shape = r.shape[:-1]
        out: dict[str, np.ndarray] = {"weights": fp}
        with np.errstate(all="ignore"):
            for j, b, ours in self._slots:
                rj = r[..., j]
                out[ours] = np.where(rj > 0, rj * np.broadcast_to(s[j][b], shape), 0.0)
        return out

    def hessian(self, x, weights, **theta):
        r, fp, s, h = self._derivs(x, weights, theta)
        shape = r.shape[:-1]
        out: dict[tuple[str, str], np.ndarray] = {
            ("weights", "weights"): -fp[..., :, None] * fp[..., None, :]}
        with np.errstate(all="ignore"):
            rs = {ours: np.where(r[..., j] > 0, r[..., j] * np.broadcast_to(s[j][b], shape), 0.0)
                  for j, b, ours in self._slots}
            for j, b, ours in self._slots:
                sj = np.where(r[..., j] > 0, np.broadcast_to(s[j][b], shape), 0.0)
                delta = np.zeros(self.k)
                delta[j] = 1.0
                out[("weights", ours)] = sj[..., None] * (delta * fp[..., j:j + 1]
                                                          - fp * r[..., j:j + 1])
            for i1, (j, b1, n1) in enumerate(self._slots):
                for j2, b2, n2 in self._slots[i1:]:
                    val = -rs[n1] * rs[n2]
                    if j2 == j:
                        key = (b1, b2) if (b1, b2) in h[j] else (b2, b1)
                        rj = r[..., j]
                        hj = np.where(rj > 0, np.broadcast_to(h[j][key], shape), 0.0)
                        sb = np.where(rj > 0, np.broadcast_to(s[j][b2], shape), 0.0)
                        val = val + rj * hj + rs[n1] * sb
                    out[(n1, n2)] = val
        return out

    # ------------------------------------------------------------------ fitting
    def mle(self, x, weights=None, fixed=None, n_starts=None, rng=None):
        r"""Maximum likelihood: EM from several seeded starts, then damped Newton.

        ``n_starts`` (default 10) and ``rng`` (default 0: reproducible) come from the
        arguments, else from ``MixtureFamily.fit(..., n_starts=, rng=)``. See the module
        docstring for the starts, the ordering rule and the degenerate components.
        """
        opts = _FIT_OPTIONS.get() or (_DEFAULT_STARTS, 0)
        n_starts = opts[0] if n_starts is None else n_starts
        rng = opts[1] if rng is None else rng
        if isinstance(n_starts, bool) or not isinstance(n_starts, (int, np.integer)) \
                or not 1 <= int(n_starts) <= 1000:
            raise ParameterError(f"{self.title}: n_starts must be an integer from 1 to 1000 "
                                 f"(the number of seeded EM starts); got {n_starts!r}")
        try:
            gen = np.random.default_rng(rng)
        except (TypeError, ValueError) as exc:
            raise ParameterError(f"{self.title}: rng must be None, a non-negative integer seed "
                                 f"or a numpy.random.Generator; got {rng!r} ({exc})") from None
        fixed = dict(fixed or {})
        unknown = set(fixed) - set(self.param_names)
        if unknown:
            raise ParameterError(f"{self.title} has no parameter {sorted(unknown)[0]!r} "
                                 f"(its parameters: {', '.join(self.param_names)})")
        fw = None
        if "weights" in fixed:
            fw = Simplex.check(np.asarray(fixed["weights"], float), what="weights",
                               owner=self.title)
            if fw.shape != (self.k,):
                raise ParameterError(f"{self.title}: fixed weights must be {self.k} "
                                     f"probabilities; got shape {fw.shape}")
        fixed_th = {k: float(v) for k, v in fixed.items() if k != "weights"}
        x, w = weighted(x, weights)
        with np.errstate(all="ignore"):
            if not np.all(np.isfinite(x)) or not np.all(self.support.contains(x)):
                return None  # (estimate.fit then names the bad value)
        live = w > 0
        if bool(np.all(w == 1.0)):  # counts are the summed unit weights (a sort, no argsort)
            vals, counts = np.unique(x, return_counts=True)
            cw = counts.astype(float)
        else:
            vals, inv = np.unique(x[live], return_inverse=True)
            cw = np.bincount(inv.ravel(), weights=w[live])
        nfree = (0 if fw is not None else self.k - 1) + sum(
            1 for _, _, n in self._slots if n not in fixed_th)
        if vals.size < nfree:
            raise DataError(
                f"{self.title}: the data take only {vals.size} distinct values, fewer than the "
                f"{nfree} free parameters of the mixture; the model is not identified. Use "
                "fewer components, or hold parameters with fixed={...}")
        fit = _Fit(self, vals, cw, fw, fixed_th)
        return fit.run(int(n_starts), gen)

    def _ordered(self, params: dict[str, Any]) -> dict[str, Any]:
        """Label switching: within each family, components by their mean, ascending."""
        order = self._order(params)
        w = np.asarray(params["weights"], float)[order]
        out: dict[str, Any] = {"weights": w / w.sum()}
        for j in range(self.k):
            for (i, b, ours) in self._slots:
                if i == j:
                    out[ours] = params[f"{b}_{order[j] + 1}"]
        return out

    def _order(self, params: Mapping[str, Any]) -> list[int]:
        """The relabelling of :meth:`_ordered`: new component j is old ``order[j]``."""
        order = list(range(self.k))
        groups: dict[int, list[int]] = {}
        for j, c in enumerate(self.components):
            groups.setdefault(id(c), []).append(j)
        keys = []
        for j, c in enumerate(self.components):
            th = {b: np.asarray(v) for b, v in self._theta(params, j).items()}
            try:
                m = float(np.asarray(c.mean(**th), float))
            except Exception:  # no mean (Cauchy): order by the parameters
                m = np.nan
            keys.append((m if np.isfinite(m) else np.inf,
                         tuple(float(v) for v in th.values())))
        for members in groups.values():
            for slot, j in zip(members, sorted(members, key=lambda i: keys[i]), strict=True):
                order[slot] = j
        return order

    def _relabel_u(self, order: Sequence[int]) -> np.ndarray:
        r"""The matrix T with u_new = T u_old for the relabelling ``order`` (all parameters
        free): the additive log-ratios v_j = log(w_j / w_k) map linearly,
        v'_i = v_{π(i)} − v_{π(k)} (with v_k = 0), and each component's unconstrained
        parameters move as a block. An information matrix I in the old coordinates is
        T⁻ᵀ I T⁻¹ in the new ones."""
        k, m = self.k, len(self._slots)
        T = np.zeros((k - 1 + m, k - 1 + m))
        for i in range(k - 1):
            if order[i] < k - 1:
                T[i, order[i]] += 1.0
            if order[k - 1] < k - 1:
                T[i, order[k - 1]] -= 1.0
        pos = {(j, b): c for c, (j, b, _) in enumerate(self._slots)}
        for c, (j, b, _) in enumerate(self._slots):
            T[k - 1 + c, k - 1 + pos[(order[j], b)]] = 1.0
        return T


class _Fit:
    """One mixture fit: distinct values ``vals`` with summed weights ``cw``."""

    def __init__(self, fam: MixtureFamily, vals, cw, fw, fixed_th):
        self.fam, self.vals, self.cw = fam, vals, cw
        self.fw, self.fixed_th = fw, fixed_th
        self.total = float(np.sum(cw))
        mean = float(np.multiply(cw, vals).sum() / self.total)  # (not BLAS: no thread
        self.sd = float(np.sqrt(np.multiply(cw, (vals - mean) ** 2).sum() / self.total))
        self.continuous = not fam.discrete
        #: every count 1 (distinct continuous data): cw · a is a itself, no pass needed
        self.unit = bool(np.all(cw == 1.0))
        self._rbuf: np.ndarray | None = None  # the responsibilities of the last E-step
        #: per component: None when its support holds every value, else the mask of those
        #: it holds (computed once, not in every M-step)
        self.inside: list[np.ndarray | None] = []
        for comp in fam.components:
            with np.errstate(all="ignore"):
                mask = np.asarray(comp.support.contains(vals), bool)
            self.inside.append(None if bool(np.all(mask)) else mask)

    # -------------------------------------------------------------- helpers
    def params_of(self, w, thetas) -> dict[str, Any]:
        out: dict[str, Any] = {"weights": np.asarray(w, float)}
        for j, th in enumerate(thetas):
            out.update({f"{b}_{j + 1}": float(v) for b, v in th.items()})
        return out

    def comp_mle(self, j: int, wts: np.ndarray):
        """Component j's own weighted MLE on the values it covers (None on failure)."""
        fam = self.fam
        comp = fam.components[j]
        inside = self.inside[j]
        if inside is None and bool(np.all(wts > 0)):
            xs, ws = self.vals, wts  # every value counts: no copies (the same sums)
        else:
            keep = wts > 0 if inside is None else (wts > 0) & inside
            if not np.any(keep):
                return None
            xs, ws = self.vals[keep], wts[keep]
        fx = {b: self.fixed_th[ours] for (i, b, ours) in fam._slots
              if i == j and ours in self.fixed_th}
        try:
            with np.errstate(all="ignore"), warnings.catch_warnings():
                warnings.simplefilter("ignore")
                est = comp.mle(xs, weights=ws, fixed=fx or None)
        except Exception:  # no MLE for this group (one value, say): a failed step
            return None
        if est is None:
            return None
        th = {p.name: float(np.asarray(est.get(p.name, fx.get(p.name, np.nan)), float))
              for p in comp.parameters}
        for p in comp.parameters:
            if not (np.isfinite(th[p.name]) and bool(p.domain.contains(np.asarray(th[p.name])))):
                return None
        return th

    def loglik_terms(self, w, thetas):
        pars = self.params_of(w, thetas)
        a, _, lp = self.fam._parts(self.vals, pars["weights"], pars)
        return a, lp

    def logterms(self, w, thetas, lo: int = 0, hi: int | None = None) -> np.ndarray:
        """a[j] = log w_j + log f_j(y), component-major (k, n) for the values lo:hi; −inf
        for a zero weight."""
        k, vals = self.fam.k, self.vals[lo:hi]
        a = np.empty((k, vals.size))
        with np.errstate(all="ignore"):
            lw = np.log(np.asarray(w, float))
            for j, comp in enumerate(self.fam.components):
                if lw[j] == -np.inf:
                    a[j] = -np.inf
                else:
                    np.add(np.asarray(comp.logpdf(vals, **thetas[j]), float), lw[j], out=a[j])
        return a

    def em_terms(self, w, thetas, resp: bool = False):
        """EM's E-step pieces, component-major for speed: ``a[j] = log w_j + log f_j`` (k, n)
        and ``log p`` (n), as :meth:`MixtureFamily._parts` (the same sums); with ``resp``
        the responsibilities r[j] = exp(a_j − log p) (k, n) instead of ``a``."""
        a = self.logterms(w, thetas)
        r, lp, _ = self._reduce(a, resp, True, None if self.unit else self.cw)
        return (r if resp else a), lp

    def blocks(self) -> Iterator[tuple[int, int]]:
        """(lo, hi): the data in blocks of ``_BLOCK`` values. Block by block, every
        temporary is a few hundred kB, reused by the allocator and in cache, where one of
        the full length would be fresh memory (page faults) at every step."""
        n = self.vals.size
        for lo in range(0, n, _BLOCK):
            yield lo, min(lo + _BLOCK, n)

    def estep(self, w, thetas, resp: bool = True) -> tuple[np.ndarray | None, float]:
        """(r, ℓ): the responsibilities (k, n) (None without ``resp``; one buffer per fit,
        overwritten by the next E-step) and ℓ = Σ_i cw_i log p(y_i), the sum without the
        per-value logarithms where every count is 1 (see :meth:`_reduce`); block by block."""
        r = None
        if resp:
            if self._rbuf is None:
                self._rbuf = np.empty((self.fam.k, self.vals.size))
            r = self._rbuf
        ll = 0.0
        if self.vals.size <= _BLOCK:  # one block: its own arrays, no copy into the buffer
            a = self.logterms(w, thetas)
            r, _, ll = self._reduce(a, resp, not self.unit, None if self.unit else self.cw)
            return r, ll
        for lo, hi in self.blocks():
            a = self.logterms(w, thetas, lo, hi)
            rb, _, llb = self._reduce(a, resp, not self.unit,
                                      None if self.unit else self.cw[lo:hi])
            ll += llb
            if resp:
                r[:, lo:hi] = rb
        return r, ll

    def _reduce(self, a: np.ndarray, resp: bool, per_point: bool, cw: np.ndarray | None):
        r"""Log-sum-exp over the components of ``a`` (k, n), overwritten: ``(r, log p, ℓ)``.

        With m = max_j a_j and t = Σ_j exp(a_j − m) ∈ [1, k]: log p = m + log t and
        r_j = exp(a_j − m) / t. For two components one exponential per value does:
        e = exp(−|a_1 − a_2|), t = 1 + e, r = 1/t for the larger term and e/t for the other.
        Without ``per_point`` (every count 1, only ℓ wanted) log p is not formed:
        ℓ = Σ m + Σ_blocks log Π t over blocks of B values with k^B below the overflow
        threshold (each product rounds by at most B ulp, the same as B logarithms).
        ``cw``: the values' counts (None: all 1)."""
        k = a.shape[0]
        lp = None
        r = None
        with np.errstate(all="ignore"):
            m = np.maximum(a[0], a[1]) if k == 2 else np.max(a, axis=0)
            fin = np.isfinite(m)
            every = bool(np.all(fin))
            per_point = per_point or not every
            if k == 2 and every:
                d = a[0] - a[1]
                e = np.abs(d)
                np.negative(e, out=e)
                np.exp(e, out=e)
                tot = e + 1.0
                if per_point:
                    lp = np.log1p(e)
                    lp += m
                    ll = float(lp.sum() if cw is None else np.multiply(cw, lp).sum())
                else:
                    ll = float(m.sum()) + _log_prod(tot, k)
                if resp:
                    inv = np.reciprocal(tot, out=tot)  # the larger term's share
                    e *= inv  # the smaller term's
                    second = d < 0  # a_2 is the larger
                    np.copyto(a[0], inv)
                    np.copyto(a[1], e)
                    np.copyto(a[0], e, where=second)
                    np.copyto(a[1], inv, where=second)
                    r = a
                return r, lp, ll
            else:
                safe = m if every else np.where(fin, m, 0.0)
                e = np.subtract(a, safe, out=a if resp else None)
                np.exp(e, out=e)
                tot = np.sum(e, axis=0)
                if per_point:
                    lp = np.log(tot)
                    lp += safe
                    if not every:
                        lp = np.where(fin, lp, m)
                if resp:
                    e /= tot
                    r = e
            if per_point:
                return r, lp, float(lp.sum() if cw is None else np.multiply(cw, lp).sum())
            return r, None, float(m.sum()) + _log_prod(tot, k)

    def subsample(self, gen: np.random.Generator) -> _Fit:
        """A stratified subsample of ``_SCREEN`` draws (systematic sampling on the
        cumulative weight of the sorted values, one uniform offset from ``gen``), as a fit
        of its own, for screening the starts."""
        cum = np.cumsum(self.cw)
        pos = (np.arange(_SCREEN) + gen.random()) * (cum[-1] / _SCREEN)
        picks = np.minimum(np.searchsorted(cum, pos, side="right"), self.vals.size - 1)
        idx, counts = np.unique(picks, return_counts=True)
        return _Fit(self.fam, self.vals[idx], counts.astype(float), self.fw, self.fixed_th)

    def weigh(self, a: np.ndarray) -> np.ndarray:
        """cw · a along the last axis (``a`` itself when every count is 1: the same values)."""
        return a if self.unit else a * self.cw

    def degenerate(self, rw: np.ndarray, thetas) -> str | None:
        """Why component j collapses (continuous components), or None; ``rw[j]`` is
        cw · r_j, component j's share of each value (k, n)."""
        if not self.continuous:
            return None
        for j, comp in enumerate(self.fam.components):
            mass = rw[j]
            nj = float(np.sum(mass))
            off = nj - float(np.max(mass)) if mass.size else 0.0
            if nj < 2.0 or off < 1.0:
                return (f"component {j + 1} holds {nj:.3g} observations' worth of the data, "
                        f"{off:.3g} of them off its modal value")
            try:
                sd = float(np.sqrt(np.asarray(comp.var(**{k: np.asarray(v) for k, v in
                                                        thetas[j].items()}), float)))
            except Exception:
                sd = np.nan
            if np.isfinite(sd) and sd <= _SCALE_FLOOR * self.sd:
                return (f"component {j + 1} has standard deviation {sd:.3g}, below "
                        f"{_SCALE_FLOOR:g} of the data's ({self.sd:.3g})")
        return None

    # -------------------------------------------------------------- starts
    def starts(self, n_starts: int, gen: np.random.Generator):
        k, vals, cw = self.fam.k, self.vals, self.cw
        out = []
        cum = np.cumsum(cw) / self.total
        labels = np.minimum((cum - 0.5 * cw / self.total) * k, k - 1).astype(int)
        out.append(labels)
        prob = cw / self.total
        for _ in range(n_starts - 1):
            centres = [vals[gen.choice(vals.size, p=prob)]]
            for _ in range(k - 1):  # k-means++: the next seed with chance ∝ weight · D²
                d2 = np.min((vals[:, None] - np.asarray(centres)[None, :]) ** 2, axis=1) * cw
                if not np.any(d2 > 0):
                    break
                centres.append(vals[gen.choice(vals.size, p=d2 / d2.sum())])
            c = np.sort(np.asarray(centres))
            lab = np.argmin((vals[:, None] - c[None, :]) ** 2, axis=1)
            if len(set(id(f) for f in self.fam.components)) > 1:
                lab = gen.permutation(k)[lab]  # which family takes which group: a guess
            out.append(lab)
        return out

    def start_params(self, labels):
        thetas = []
        for j in range(self.fam.k):
            th = self.comp_mle(j, np.where(labels == j, self.cw, 0.0))
            if th is None:
                return None
            thetas.append(th)
        if self.fw is not None:
            w = self.fw.copy()
        else:
            w = np.array([self.cw[labels == j].sum() for j in range(self.fam.k)]) / self.total
            w = np.clip(w, 1e-3, None)
            w = w / w.sum()
        return w, thetas

    # -------------------------------------------------------------- EM
    def em(self, w, thetas, maxiter: int = _EM_MAXITER):
        """EM until the log-likelihood settles: (w, thetas, llf, iterations, why-degenerate)."""
        ll_old = -np.inf
        it = 0
        for it in range(1, maxiter + 1):
            r, ll = self.estep(w, thetas)  # (k, n), Σ cw log p
            if not np.isfinite(ll):
                return w, thetas, ll, it, "the log-likelihood is not finite"
            rw = self.weigh(r)  # cw · r_j: each component's share of each value
            why = self.degenerate(rw, thetas)
            if why is not None:
                return w, thetas, ll, it, why
            if ll - ll_old <= _EM_TOL * (1.0 + abs(ll)):
                break
            ll_old = ll
            if self.fw is None:
                w = rw.sum(axis=1) / self.total
                w = w / w.sum()
            new = []
            for j in range(self.fam.k):
                th = self.comp_mle(j, rw[j])
                new.append(thetas[j] if th is None else th)
            thetas = new
        return w, thetas, ll, it, None

    # -------------------------------------------------------------- Newton
    def newton(self, w, thetas):
        """Damped Newton on the full likelihood in (v = log w_j/w_k, unconstrained θ)."""
        fam, vals, total = self.fam, self.vals, self.total
        k = fam.k
        slots = fam._slots
        free_slots = [i for i, (_, _, ours) in enumerate(slots) if ours not in self.fixed_th]
        free_w = self.fw is None
        nv = k - 1 if free_w else 0
        comp_of = np.array([slots[i][0] for i in free_slots], int)
        doms = [fam.parameter(slots[i][2]).domain for i in free_slots]
        base = self.params_of(w, thetas)

        def params(u):
            p = dict(base)
            if free_w:
                p["weights"] = Simplex.from_unconstrained(u[:nv])
            for c, i in enumerate(free_slots):
                p[slots[i][2]] = float(doms[c].from_unconstrained(u[nv + c]))
            return p

        def inside(p) -> bool:
            """Every component parameter inside its domain (exp(u) may underflow to 0)."""
            return all(np.isfinite(p[slots[i][2]]) and bool(d.contains(np.asarray(p[slots[i][2]])))
                       for d, i in zip(doms, free_slots, strict=True))

        def objective(u):
            p = params(u)
            if not inside(p):
                return np.inf
            try:
                with np.errstate(all="ignore"):
                    v = -self.estep(p["weights"], [fam._theta(p, j) for j in range(k)],
                                    resp=False)[1]
            except ArithmeticError:  # a component's formula at an extreme point
                return np.inf
            return v / total if np.isfinite(v) else np.inf

        m = len(free_slots)
        pairs = []  # (c1, c2, component, Hessian key) for two slots of one component
        for c1, i1 in enumerate(free_slots):
            j1, b1, _ = slots[i1]
            for c2 in range(c1, m):
                j2, b2, _ = slots[free_slots[c2]]
                if j2 == j1:
                    pairs.append((c1, c2, j1, (b1, b2)))

        def sums(wv, ths):
            """ℓ and the sums over the data of the derivatives' pieces, block by block:
            g_θ[c] = Σ cw r_j s_c, H_θ = Σ cw r_j (H_j + s s^T)δ_jl − Σ cw (r s)(r s)^T,
            Σ cw r_a, Σ cw r_a r_b and Σ cw r_a r_j s_c (a < k)."""
            ll = 0.0
            g_th, H_th = np.zeros(m), np.zeros((m, m))
            crv, Hvv, Hvt = np.zeros(nv), np.zeros((nv, nv)), np.zeros((nv, m))
            for lo, hi in self.blocks():
                x = vals[lo:hi]
                nb = hi - lo
                cwb = None if self.unit else self.cw[lo:hi]
                r, _, llb = self._reduce(self.logterms(wv, ths, lo, hi), True,
                                         not self.unit, cwb)  # responsibilities (k, nb)
                ll += llb
                with np.errstate(all="ignore"):
                    s = [c.score(x, **ths[j]) for j, c in enumerate(fam.components)]
                    h = [c.hessian(x, **ths[j]) for j, c in enumerate(fam.components)]
                    pos = r > 0
                    allpos = bool(np.all(pos))
                    RW = r if cwb is None else r * cwb  # cw_i r_j(y_i), (k, nb)
                    # S0[c] = s_c where r_{j(c)} > 0, else 0 (a far point's s may be inf:
                    # 0, not nan); RS[c] = r_{j(c)} s_c, RSw[c] = cw r_{j(c)} s_c
                    S0, RS = np.empty((m, nb)), np.empty((m, nb))
                    RSw = RS if cwb is None else np.empty((m, nb))
                    for c, i in enumerate(free_slots):
                        j, b, _ = slots[i]
                        sc = np.broadcast_to(s[j][b], (nb,))
                        if allpos:
                            S0[c] = sc
                        else:
                            np.copyto(S0[c], np.where(pos[j], sc, 0.0))
                        np.multiply(r[j], S0[c], out=RS[c])
                        if cwb is not None:
                            np.multiply(RW[j], S0[c], out=RSw[c])
                    g_th += RSw.sum(axis=1)
                    H_th -= RSw @ RS.T
                    for c1, c2, j1, (b1, b2) in pairs:
                        key = (b1, b2) if (b1, b2) in h[j1] else (b2, b1)
                        hj = np.broadcast_to(h[j1][key], (nb,))
                        if not allpos:
                            hj = np.where(pos[j1], hj, 0.0)
                        # Σ cw r_j (H_j + s_b1 s_b2) (products summed, not BLAS dot: no
                        # thread wake-ups)
                        extra = (float(np.multiply(RW[j1], hj).sum())
                                 + float(np.multiply(RSw[c1], S0[c2]).sum()))
                        H_th[c1, c2] += extra
                        if c2 != c1:
                            H_th[c2, c1] += extra
                    if nv:
                        crv += RW[:nv].sum(axis=1)
                        Hvv += RW[:nv] @ r[:nv].T
                        Hvt += RW[:nv] @ RS.T
            return ll, g_th, H_th, crv, Hvv, Hvt

        def fun(u):
            p = params(u)
            wv = p["weights"]
            bad = (np.inf, np.zeros(u.size), np.eye(u.size))
            if not inside(p):
                return bad
            try:
                ll, g_th, H_th, crv, Hvv, Hvt = sums(wv, [fam._theta(p, j) for j in range(k)])
            except ArithmeticError:
                return bad
            f = -ll / total
            if not np.isfinite(f):
                return bad
            jac = np.array([float(d.dtheta_du(np.asarray(p[slots[i][2]])))
                            for d, i in zip(doms, free_slots, strict=True)])
            sec = np.array([float(_second_bijection(d, np.asarray(p[slots[i][2]])))
                            for d, i in zip(doms, free_slots, strict=True)])
            g = np.empty(u.size)
            H = np.empty((u.size, u.size))
            g[nv:] = g_th * jac
            H[nv:, nv:] = H_th * np.outer(jac, jac) + np.diag(g_th * sec)
            if nv:
                wk = np.asarray(wv, float)[:nv]
                g[:nv] = crv - total * wk
                H[:nv, :nv] = np.diag(crv) - Hvv - total * (np.diag(wk) - np.outer(wk, wk))
                # Σ cw r_a s_c is g_th[c] where component a owns slot c
                onehot = (comp_of[None, :] == np.arange(nv)[:, None]).astype(float)
                H[:nv, nv:] = (onehot * g_th[None, :] - Hvt) * jac[None, :]
                H[nv:, :nv] = H[:nv, nv:].T
            return f, -g / total, -H / total

        u0 = []
        if free_w:
            u0.extend(np.ravel(Simplex.to_unconstrained(np.clip(np.asarray(w, float), 1e-12,
                                                                None))))
        u0.extend(float(d.to_unconstrained(np.asarray(base[slots[i][2]])))
                  for d, i in zip(doms, free_slots, strict=True))
        u0 = np.asarray(u0, float)
        if not u0.size:
            return base, True, np.zeros((0, 0))
        last: list[Any] = [None]  # −∂²ℓ at the last point where fun ran and was finite

        def fun_kept(u):
            out = fun(u)
            if np.isfinite(out[0]):  # (not a rejected trial point)
                last[0] = out[2] * total
            return out

        # gtol: the decrement (twice the predicted gain, in nats per observation) below
        # which the last Newton step is taken and the polish stops. Below ~1e-15 the gain
        # is under the rounding of the mean log-likelihood, and the line search would halve
        # a rejected step 60 times; after the last step the error is ~ (1e-14)², nil
        u, converged = damped_newton(fun_kept, u0, gtol=1e-14, maxiter=200,
                                     objective=objective)
        # the observed information −∂²ℓ in u: from the last Hessian evaluated, at u itself
        # or one final step away (a decrement below 1e-14 nats per observation: the step is
        # ~1e-7 of a standard error in each direction, and the curvature moves by as little)
        info_u = last[0] if last[0] is not None and np.all(np.isfinite(last[0])) else None
        return params(u), converged, info_u

    # -------------------------------------------------------------- driver
    def run(self, n_starts: int, gen: np.random.Generator):
        fam = self.fam
        results = []
        failed = 0
        collapsed: list[tuple[int, str]] = []
        # many distinct values: the starts are screened on a stratified subsample
        screen = self.subsample(gen) if self.vals.size > _SCREEN else self
        for s, labels in enumerate(screen.starts(n_starts, gen), start=1):
            st = screen.start_params(labels)
            if st is None:
                failed += 1
                continue
            w, thetas, ll, it, why = screen.em(*st, maxiter=_EM_SHORT)
            if why is not None:
                collapsed.append((s, why))
                continue
            results.append((ll, s, it, w, thetas))
        if not results:
            detail = f"; e.g. start {collapsed[0][0]}: {collapsed[0][1]}" if collapsed else ""
            raise NoMaximumError(
                f"{fam.title}: every one of the {n_starts} EM starts collapsed a component onto "
                f"a point or failed ({len(collapsed)} collapsed, {failed} could not start"
                f"{detail}). The likelihood is unbounded there (a component's scale -> 0 on one "
                "value), so the MLE does not exist; use fewer components, more starts "
                "(n_starts=), or hold a scale with fixed={...}")
        # the best few starts: EM on to convergence, then Newton; the highest llf wins
        results.sort(key=lambda t: -t[0])
        best = None
        seen: list[np.ndarray] = []  # (screened) subsample maxima already carried over
        for tried, (_, s0, it0, w0, th0) in enumerate(results):
            if best is not None and tried >= _POLISH:
                break
            if screen is not self:  # on to convergence on the subsample; each maximum once
                w0, th0, _, it_s, why = screen.em(w0, th0)
                it0 += it_s
                if why is not None:
                    collapsed.append((s0, why))
                    continue
                vec = np.r_[w0, [v / self.sd for th in th0 for v in th.values()]]
                if any(float(np.max(np.abs(vec - o))) <= 1e-3 for o in seen):
                    continue  # the same maximum (weights and θ/sd within 1e-3)
                seen.append(vec)
            w, thetas, ll, it, why = self.em(w0, th0)
            if why is not None:
                collapsed.append((s0, why))
                continue
            params, converged, info_u = self.newton(w, thetas)
            thetas_n = [{b: params[f"{b}_{j + 1}"] for (i, b, _) in fam._slots if i == j}
                        for j in range(fam.k)]
            r, llf = self.estep(params["weights"], thetas_n)
            why = self.degenerate(self.weigh(r), thetas_n) if np.isfinite(llf) \
                else "non-finite"
            if why is not None or llf < ll - 1e-6 * (1 + abs(ll)):
                collapsed.append((s0, why or "the Newton polish lost likelihood"))
                continue
            if best is None or llf > best[0]:
                best = (llf, s0, it0 + it, params, converged, info_u)
        if best is None:
            raise NoMaximumError(
                f"{fam.title}: the Newton polish of every EM start ran into a degenerate "
                f"component ({collapsed[-1][1]}); the MLE does not exist inside the parameter "
                "space")
        llf, s, it, params, converged, info_u = best
        self.identified(params)
        ndeg = len({c[0] for c in collapsed})
        if collapsed:
            warnings.warn(
                f"{fam.title}: {ndeg} of {n_starts} EM starts collapsed a component "
                f"onto a point (e.g. start {collapsed[0][0]}: {collapsed[0][1]}) and were "
                "discarded: there the likelihood is unbounded, not maximised. The fit is the "
                "best non-degenerate local maximum", ConvergenceWarning, stacklevel=4)
        if self.fw is None and not self.fixed_th:
            order = fam._order(params)
            params = fam._ordered(params)
            if info_u is not None and order != list(range(fam.k)):
                tinv = np.linalg.inv(fam._relabel_u(order))
                info_u = tinv.T @ info_u @ tinv
        est = {k: (np.asarray(v, float) if k == "weights" else float(v))
               for k, v in params.items()}
        method = f"EM + Newton (start {s} of {n_starts}, {it} EM iterations)"
        message = (f"{len(results)} of {n_starts} starts reached a non-degenerate maximum; "
                   f"start {s} won with llf {llf:.10g}; {ndeg} discarded as "
                   f"degenerate, {failed} could not start")
        extra = {} if info_u is None else {"information_u": info_u}
        return MLEstimate(est, method=method, converged=bool(converged), nit=it,
                          message=message, llf=llf, start=s, em_iterations=it, **extra)

    def identified(self, params) -> None:
        fam = self.fam
        w = np.asarray(params["weights"], float)
        if self.fw is None and float(np.min(w)) < 1e-6:
            j = int(np.argmin(w))
            raise NoMaximumError(
                f"{fam.title}: the best fit gives component {j + 1} weight {w[j]:.3g} -> 0: "
                f"the data do not support {fam.k} components (the maximum is on the edge of "
                f"the parameter space, with no standard errors); fit {fam.k - 1} components")
        for j in range(fam.k):
            for m in range(j + 1, fam.k):
                if fam.components[j] is not fam.components[m]:
                    continue
                a = np.array([float(params[f"{b}_{j + 1}"]) for (i, b, _) in fam._slots
                              if i == j])
                b = np.array([float(params[f"{c}_{m + 1}"]) for (i, c, _) in fam._slots
                              if i == m])
                if np.allclose(a, b, rtol=1e-4, atol=1e-8 * (1 + self.sd)):
                    raise NoMaximumError(
                        f"{fam.title}: components {j + 1} and {m + 1} coincide at the best "
                        f"fit ({', '.join(f'{v:.6g}' for v in a)}): the data do not support "
                        f"{fam.k} components (the weights are not identified); fit "
                        f"{fam.k - 1} components")


def _union_support(components: Sequence[Family]):
    """The support of the mixture: a component support covering all the others."""
    lows = [c.support.edges[0] for c in components]
    highs = [c.support.edges[1] for c in components]
    lo, hi = min(lows), max(highs)
    for c in components:
        if c.support.edges == (lo, hi):
            return c.support
    raise ParameterError(
        "Mixture(" + ", ".join(c.title for c in components) + "): no component's support "
        f"covers the others' (together they span {lo:g} to {hi:g}); mix families whose "
        "supports nest (e.g. Normal with Gamma)")


def Mixture(components: Any, k: int | None = None) -> MixtureFamily:
    """The finite mixture of ``components`` (one instance per construction).

    ``mk.Mixture([F1, F2, ...])`` mixes the given families (names allowed);
    ``mk.Mixture(F, k=2)`` mixes k copies of F. Components are univariate, all continuous
    or all counts, with a fixed support and no known (non-estimated) parameter; anything
    else, fewer than 2 components or more than 50 is a ParameterError naming it.
    """
    if isinstance(components, (list, tuple)):
        if k is not None:
            raise ParameterError(
                "Mixture: give either a list of families (Mixture([F1, F2])) or one family and "
                f"k (Mixture(F, k=2)), not both (got a list of {len(components)} and k={k!r})")
        comps = list(components)
    else:
        if k is None:
            raise ParameterError(
                "Mixture(F) needs the number of components: Mixture(F, k=2), or a list of "
                "families Mixture([F1, F2])")
        if isinstance(k, bool) or not isinstance(k, (int, np.integer)):
            raise ParameterError(f"Mixture: k must be a whole number >= 2; got {k!r}")
        if not 2 <= int(k) <= _MAX_K:
            raise ParameterError(f"Mixture: k must be from 2 to {_MAX_K} components; got {k}")
        comps = [components] * int(k)
    if not 2 <= len(comps) <= _MAX_K:
        raise ParameterError(f"Mixture takes 2 to {_MAX_K} components; got {len(comps)} "
                             "(a one-component mixture is the family itself)")
    fams = [MixtureFamily._require_univariate(c, "Mixture") for c in comps]
    for f in fams:
        if any(not p.estimable for p in f.parameters):
            raise ParameterError(
                f"Mixture({f.title}): {f.title} has a known, not estimated, parameter "
                f"({', '.join(p.name for p in f.parameters if not p.estimable)}); mixtures of "
                "such families are not supported yet")
        if getattr(f, "atoms", ()):
            raise ParameterError(
                f"Mixture({f.title}): {f.title} has point masses inside a continuous support "
                "(a mixed distribution); a mixture needs all densities or all probabilities")
    kinds = {bool(f.discrete) for f in fams}
    if len(kinds) > 1:
        cont = [f.title for f in fams if not f.discrete]
        cnt = [f.title for f in fams if f.discrete]
        raise ParameterError(
            f"Mixture: the components mix continuous ({', '.join(cont)}) and count "
            f"({', '.join(cnt)}) families, so their densities and probabilities cannot be "
            "added; use all continuous or all count families")
    key = ("mixture", *fams)
    return instance(key, lambda: MixtureFamily(tuple(fams)))  # type: ignore[return-value]
