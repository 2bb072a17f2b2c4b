r"""``mk.Truncated(F, low=None, high=None)``: F restricted to a range of its support.

.. math::

    p(y) = \frac{f(y)}{Z(\theta)}, \qquad y \in [\mathrm{low}, \mathrm{high}],

with the normalising mass Z the probability F gives to that range:

* continuous F: :math:`Z = F(\mathrm{high}) - F(\mathrm{low})`;
* count F: :math:`Z = P(a \le Y \le b) = F(b) - F(a-1)` with a = ⌈low⌉, b = ⌊high⌋, so
  ``low=1`` is the zero-truncated model, Z = 1 − F(0) = P(Y ≥ 1).

log Z is computed in log space from F's own ``logsf``/``logcdf`` (one tail:
``logsf(a⁻)`` or ``logcdf(b)``; both: ``log F(b) + log1mexp(log F(a⁻) − log F(b))`` on the
lower side of the median, the mirror image in ``logsf`` above it), so a range far in a
tail keeps its digits. The score and Hessian are F's minus those of log Z:

* count F: exact finite sums, ∂ log Z = Σ_k e_k s_k and
  ∂² log Z = Σ_k e_k (s_k s_kᵀ + H_k) − ∂ log Z ∂ log Zᵀ with e_k = f(k)/Z over the kept
  range {a..b} (or, with no upper end, minus the same sums over the cut {0..a−1});
* continuous F: F's family file has no derivative of its CDF in θ, so those of log Z
  are taken by fourth-order central differences of F's ``logcdf``/``logsf`` in the
  unconstrained coordinates of its parameters (relative error ~1e-10 in the score).

Moments: zero- or left-truncated counts from F's ``mean``/``var`` minus the cut finite
sums (``E[Y] = (m − Σ_{k<a} k f(k))/Z``); otherwise sums over the kept range, or
adaptive quadrature for a continuous F.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..._utils.cpu_limit import CpuLimit
from ...domains import Domain
from ...errors import NoMaximumError, NotImplementedForFamily, ParameterError
from ..base import Family
from ._common import Combinator, base_location, log1mexp

__all__ = ["Truncated", "TruncatedFamily", "sample_truncated"]

#: the most support points a count truncation sums over per evaluation
_MAX_TERMS = 100_000


@dataclass(frozen=True, repr=False)
class Within(Domain):
    """The values of ``inner`` between ``low`` and ``high`` (both ends included)."""

    inner: Any = None
    low: float = -np.inf
    high: float = np.inf

    def contains(self, x):
        x = np.asarray(x, float)
        return self.inner.contains(x) & (x >= self.low) & (x <= self.high)

    def range_within(self, lo, hi):
        return bool(self.inner.range_within(lo, hi) and lo >= self.low and hi <= self.high)

    @property
    def edges(self) -> tuple[float, float]:
        a, b = self.inner.edges
        return (max(float(a), float(self.low)), min(float(b), float(self.high)))

    @property
    def bounds(self) -> tuple[Any, Any]:
        return self.edges


def _fmt(v: float) -> str:
    return f"{v:g}"


def sample_truncated(base: Family, size: tuple[int, ...], rng: np.random.Generator,
                     lo: float, hi: float, theta: dict[str, Any]) -> np.ndarray:
    """Draws of ``base`` restricted to F(lo) < U ≤ F(hi), by the inverse CDF (``lo``/``hi``
    are cut points of the CDF: for counts kept from a, ``lo = a − ½``)."""
    shape = tuple(size) + np.broadcast_shapes(*(np.shape(v) for v in theta.values()))
    with np.errstate(all="ignore"):
        flo = np.asarray(base.cdf(np.asarray(lo, float), **theta), float) if np.isfinite(lo) \
            else np.zeros(())
        fhi = np.asarray(base.cdf(np.asarray(hi, float), **theta), float) if np.isfinite(hi) \
            else np.ones(())
        u = flo + (fhi - flo) * rng.random(shape)
        u = np.clip(u, np.nextafter(flo, 1.0), fhi)
        out = np.asarray(base.ppf(u, **theta), float)
    lo_v, hi_v = (np.ceil(lo), np.floor(hi)) if base.discrete else (lo, hi)
    return np.clip(out, lo_v, hi_v)


def _exact(v: float) -> Any:
    """A cut point as an exact SymPy number (an integer or the float's exact rational)."""
    import sympy

    return sympy.Integer(int(v)) if float(v).is_integer() else sympy.Rational(float(v))


#: CPU seconds SymPy may spend finding one base family's CDF
_CDF_SECONDS = 10.0


def _closed_cdf(base: Family, sd: Any):
    r"""F's CDF as a function of a SymPy number, in closed form, or None.

    The density is standardised first, f(x) = (1/s) g((x − m)/s), with m a real parameter
    (or 0) and s a positive parameter, its reciprocal (a rate) or 1:

    * a **location-scale** family (g free of every parameter: Normal, Logistic, Cauchy,
      Gumbel, HalfNormal, Rayleigh, Exponential): :math:`G(t) = \int_{z_0}^{t} g`,
      integrated once;
    * on the half-line, a **scale** family with shape parameters left in g (Gamma:
      the regularised lower incomplete gamma; Weibull: 1 − exp(−t^k)): G from g's
      antiderivative (``manualintegrate``), G(t) − G(0⁺);

    and F(x) = G((x − m)/s). None when no such form is found within ``_CDF_SECONDS`` of
    CPU time (LogNormal, StudentT, Beta, InverseGaussian …).
    """
    import sympy
    from sympy.integrals.manualintegrate import manualintegrate

    x = sd.x
    lo = base.support.edges[0]
    half_line = bool(np.isfinite(lo))
    z = sympy.Symbol("z", positive=True) if half_line and lo >= 0 else \
        sympy.Symbol("z", real=True)
    t = sympy.Symbol("t", positive=True) if half_line and lo >= 0 else \
        sympy.Symbol("t", real=True)
    reals = [v for v in sd.params.values() if v.is_real and not v.is_positive]
    pos = [v for v in sd.params.values() if v.is_positive]
    scales = [sympy.Integer(1), *pos, *[1 / v for v in pos]]
    z0 = _exact(lo) if half_line else -sympy.oo
    n_free = len(sd.expr.free_symbols - {x})

    def standard(loc, sc):
        g = sd.expr.subs(x, loc + sc * z) * sc
        return sympy.powsimp(sympy.expand_power_base(g, force=True), force=True)

    big = None
    with CpuLimit(_CDF_SECONDS):
        for loc in [sympy.Integer(0), *reals]:
            for sc in scales:
                g = standard(loc, sc)
                if g.free_symbols - {z}:
                    continue
                big = sympy.integrate(g, (z, z0, t), conds="none")
                break
            if big is not None:
                break
        else:
            if half_line:
                for sc in scales[1:]:
                    g = standard(sympy.Integer(0), sc)
                    if len(g.free_symbols - {z}) >= n_free:
                        continue  # this parameter is not a scale
                    anti = manualintegrate(g, z)
                    if not anti.has(sympy.Integral):
                        big = anti.subs(z, t) - sympy.limit(anti, z, z0, "+")
                        loc = sympy.Integer(0)
                    break
    if big is None or big.has(sympy.Integral, sympy.Limit) or big.has(sympy.nan):
        return None
    return lambda v, big=big, loc=loc, sc=sc: big.subs(t, (v - loc) / sc)


class TruncatedFamily(Combinator):
    r"""Truncated(F, low, high): p(y) = f(y)/Z on [low, high], Z the mass F gives it.

    Examples
    --------
    >>> import numpy as np, mlekit as mk
    >>> from scipy import stats
    >>> tn = mk.Truncated(mk.Normal, low=0.0)
    >>> tn.name, tn.param_names
    ('truncated(normal, low=0)', ('mu', 'sigma'))
    >>> d = tn(mu=1.0, sigma=2.0)
    >>> round(float(d.logpdf(0.5)), 10) == round(float(stats.truncnorm.logpdf(
    ...     0.5, -0.5, np.inf, loc=1.0, scale=2.0)), 10)
    True
    >>> ztp = mk.Truncated(mk.Poisson, low=1)          # zero-truncated Poisson
    >>> round(float(ztp(rate=2.0).pmf(1)), 6), round(float(2 * np.exp(-2) / (1 - np.exp(-2))), 6)
    (0.313035, 0.313035)
    """

    kind = "truncated"

    @property
    def derivation_loss_name(self) -> str:  # type: ignore[override]
        """The name ``derive`` gives the derived NLL: "zero-truncated Poisson NLL" for a
        count family from 0 cut below 1, else "truncated Normal NLL"."""
        base, lo, hi = self.base, self.low, self.high
        if (base.discrete and hi is None and lo is not None and float(lo) == 1.0
                and base.support.edges[0] == 0):
            return f"zero-truncated {base.title} NLL"
        return f"truncated {base.title} NLL"

    def __init__(self, base: Family, low: float | None, high: float | None) -> None:
        super().__init__(base, (low, high))
        self.low, self.high = low, high
        bits = [f"low={_fmt(low)}"] if low is not None else []
        bits += [f"high={_fmt(high)}"] if high is not None else []
        self.name = f"truncated({base.name}, {', '.join(bits)})"
        self.title = f"Truncated({base.title}, {', '.join(bits)})"
        self.parameters = self._param_list()
        self.discrete = base.discrete
        s_lo, s_hi = base.support.edges
        if base.discrete:
            a = -np.inf if low is None else float(math.ceil(low))
            b = np.inf if high is None else float(math.floor(high))
            # the CDF cut points: mass below a is F(a - 1); kept up to F(b)
            self._cut_lo = None if a <= s_lo else a - 1.0
            self._cut_hi = None if b >= s_hi else b
            lo_v, hi_v = max(a, s_lo), min(b, s_hi)
            rule = f"value in {{{_fmt(lo_v)}, ..., {_fmt(hi_v)}}}" if np.isfinite(hi_v) \
                else f"value in {{{_fmt(lo_v)}, {_fmt(lo_v + 1)}, ...}}"
        else:
            lo_v = -np.inf if low is None else float(low)
            hi_v = np.inf if high is None else float(high)
            self._cut_lo = None if lo_v <= s_lo else lo_v
            self._cut_hi = None if hi_v >= s_hi else hi_v
            lo_v, hi_v = max(lo_v, s_lo), min(hi_v, s_hi)
            rule = (f"{_fmt(lo_v)} <= value <= {_fmt(hi_v)}" if np.isfinite(lo_v)
                    and np.isfinite(hi_v) else f"value >= {_fmt(lo_v)}" if np.isfinite(lo_v)
                    else f"value <= {_fmt(hi_v)}")
        if self._cut_lo is None and self._cut_hi is None:
            raise ParameterError(
                f"Truncated({base.title}, {', '.join(bits) or 'no bounds'}): the range covers "
                f"the whole support of {base.title} ({base.support.rule}), so nothing is "
                "truncated; give low= and/or high= inside the support")
        if lo_v > hi_v:
            raise ParameterError(f"{self.title}: the range [{_fmt(lo_v)}, {_fmt(hi_v)}] holds "
                                 f"no value of the support of {base.title}")
        self.support = Within(name=f"Truncated{base.support.name}[{_fmt(lo_v)}, {_fmt(hi_v)}]",
                              rule=rule, discrete=base.discrete,
                              sympy_assumptions=dict(base.support.sympy_assumptions),
                              inner=base.support, low=lo_v, high=hi_v)
        self.mean_parameter = base.mean_parameter
        self.location_parameter = base_location(base)
        self.canonical_link = None
        self.mean_edges_in_data = ()
        self.y_power = base.y_power
        self.example_params = dict(base.example_params)

    # ------------------------------------------------------------------ log Z
    def log_mass(self, **theta: Any) -> np.ndarray:
        """log Z(θ): the log of the probability F gives to the kept range (stable)."""
        base, lo, hi = self.base, self._cut_lo, self._cut_hi
        with np.errstate(all="ignore"):
            if hi is None:
                return np.asarray(base.logsf(np.asarray(lo), **theta), float)
            lcdf_hi = np.asarray(base.logcdf(np.asarray(hi), **theta), float)
            if lo is None:
                return lcdf_hi
            lcdf_lo = np.asarray(base.logcdf(np.asarray(lo), **theta), float)
            lsf_lo = np.asarray(base.logsf(np.asarray(lo), **theta), float)
            lsf_hi = np.asarray(base.logsf(np.asarray(hi), **theta), float)
            low_side = lcdf_hi + log1mexp(np.minimum(lcdf_lo - lcdf_hi, 0.0))
            high_side = lsf_lo + log1mexp(np.minimum(lsf_hi - lsf_lo, 0.0))
            return np.where(lcdf_lo < np.log(0.5), low_side, high_side)

    def _count_terms(self) -> tuple[np.ndarray, float]:
        """The support points summed for the derivatives of log Z, and their sign: the
        kept range (+1) when it is finite, else the cut {lo..a−1} (−1)."""
        s_lo = self.base.support.edges[0]
        if self._cut_hi is not None:
            a = self.support.edges[0]
            ks, sign = np.arange(a, self._cut_hi + 1.0), 1.0
        else:
            ks, sign = np.arange(s_lo, self._cut_lo + 1.0), -1.0
        if ks.size > _MAX_TERMS:
            raise NotImplementedForFamily(
                f"{self.title}: the derivatives of the normalising mass need {ks.size:,} "
                f"terms (more than {_MAX_TERMS:,}); truncate to a shorter range")
        return ks, sign

    def _dlogz(self, theta: dict[str, Any], order: int):
        """(∂ log Z, ∂² log Z) in the base's estimable parameters."""
        if self.base.discrete:
            return self._dlogz_counts(theta, order)
        return self._dlogz_numeric(theta, order)

    def _dlogz_counts(self, theta, order):
        base = self.base
        names = base.estimable_names
        logz = self.log_mass(**theta)
        ks, sign = self._count_terms()
        shape = np.broadcast_shapes(np.shape(logz), *(np.shape(v) for v in theta.values()))
        g = {n: np.zeros(shape) for n in names}
        h = {(a, b): np.zeros(shape) for i, a in enumerate(names) for b in names[i:]}
        with np.errstate(all="ignore"):
            for k in ks:
                kk = np.full(shape, k)
                e = sign * np.exp(np.asarray(base.logpdf(kk, **theta), float) - logz)
                s = base.score(kk, **theta)
                for n in names:
                    g[n] = g[n] + e * s[n]
                if order >= 2:
                    hk = base.hessian(kk, **theta)
                    for key in h:
                        h[key] = h[key] + e * (s[key[0]] * s[key[1]] + hk[key])
        if order >= 2:
            for key in h:
                h[key] = h[key] - g[key[0]] * g[key[1]]
        return g, h

    def _dlogz_numeric(self, theta, order):
        """Fourth-order central differences of log Z in the unconstrained coordinates."""
        base = self.base
        names = list(base.estimable_names)
        params = {p.name: p for p in base.parameters}
        th = {k: np.asarray(v, float) for k, v in theta.items()}
        shape = np.broadcast_shapes(*(v.shape for v in th.values()))
        th = {k: np.broadcast_to(v, shape) for k, v in th.items()}
        u = {n: np.asarray(params[n].domain.to_unconstrained(th[n]), float) for n in names}
        step = {}
        for n in names:
            dom = params[n].domain
            if getattr(dom, "bijection", None) == "identity":
                with np.errstate(all="ignore"):
                    sd = np.sqrt(np.asarray(base.var(**th), float))
                spread = np.where(np.isfinite(sd) & (sd > 0), sd, np.maximum(np.abs(th[n]), 1.0))
                step[n] = 1e-3 * np.broadcast_to(spread, shape)
            else:
                step[n] = np.full(shape, 1e-3)

        def f(shift: dict[str, float]) -> np.ndarray:
            moved = dict(th)
            for n, t in shift.items():
                moved[n] = params[n].domain.from_unconstrained(u[n] + t * step[n])
            return np.asarray(self.log_mass(**moved), float)

        f0 = f({})
        gu, hu = {}, {}
        for n in names:
            fp1, fm1, fp2, fm2 = f({n: 1.0}), f({n: -1.0}), f({n: 2.0}), f({n: -2.0})
            hs = step[n]
            gu[n] = (-fp2 + 8 * fp1 - 8 * fm1 + fm2) / (12 * hs)
            if order >= 2:
                hu[(n, n)] = (-fp2 + 16 * fp1 - 30 * f0 + 16 * fm1 - fm2) / (12 * hs * hs)
        if order >= 2:
            for i, a in enumerate(names):
                for b in names[i + 1:]:
                    def d(t, a=a, b=b):
                        return (f({a: t, b: t}) - f({a: t, b: -t}) - f({a: -t, b: t})
                                + f({a: -t, b: -t})) / (4 * t * t * step[a] * step[b])
                    hu[(a, b)] = (4 * d(1.0) - d(2.0)) / 3.0
        from ._common import _second_bijection

        jac = {n: np.asarray(params[n].domain.dtheta_du(th[n]), float) for n in names}
        g = {n: gu[n] / jac[n] for n in names}
        h = {}
        if order >= 2:
            for i, a in enumerate(names):
                for b in names[i:]:
                    v = hu[(a, b)]
                    if a == b:
                        v = v - g[a] * _second_bijection(params[a].domain, th[a])
                    h[(a, b)] = v / (jac[a] * jac[b])
        return g, h

    # ------------------------------------------------------------------ symbolic
    def _symbolic(self):
        r"""F's own SymPy density over the mass F gives the kept range:
        :math:`p(x) = f(x)/Z(\theta)`, ``log_expr`` = log f(x) − log Z.

        * count F: Z is an exact finite sum of F's pmf, over the kept range {a..b} when it
          is finite, else 1 − Σ_{k<a} f(k) (``low=1``: Z = 1 − f(0));
        * continuous F: Z = F(high) − F(low) with F's CDF from SymPy (:func:`_closed_cdf`:
          location-scale families, and Gamma and Weibull on the half-line). Any other F
          (LogNormal, StudentT …) is a NotImplementedForFamily naming it; its numbers come
          from F's ``logcdf``/``logsf``.
        """
        import sympy

        from ..base import SymbolicDensity

        sd = self._base_symbolic()
        x = sd.x
        if self.base.discrete:
            mass = self._symbolic_count_mass(sd)
        else:
            mass = self._symbolic_continuous_mass(sd)
        return SymbolicDensity(expr=sd.expr / mass, x=x, params=dict(sd.params),
                               log_expr=sd.logdensity - sympy.log(mass))

    def _symbolic_count_mass(self, sd: Any) -> Any:
        import sympy

        s_lo = self.base.support.edges[0]
        if self._cut_hi is not None:
            ks = np.arange(self.support.edges[0], self._cut_hi + 1.0)
            sign, total = 1, sympy.Integer(0)
        else:
            ks = np.arange(s_lo, self._cut_lo + 1.0)
            sign, total = -1, sympy.Integer(1)
        if ks.size > 200:
            raise NotImplementedForFamily(
                f"{self.title}: its normalising mass is a sum of {ks.size:,} terms (more than "
                "200 in a symbolic density); truncate to a shorter range, or use the numeric "
                "logpdf")
        return total + sign * sympy.Add(*[self._pmf_at(sd, int(k)) for k in ks])

    def _symbolic_continuous_mass(self, sd: Any) -> Any:
        import sympy

        cdf = _closed_cdf(self.base, sd)
        if cdf is None:
            raise NotImplementedForFamily(
                f"{self.title}: SymPy gives no closed CDF for {self.base.title} here (a "
                "truncated density needs F(high) - F(low) in closed form; it is derived for "
                "location-scale families such as Normal, Logistic, Cauchy, Gumbel, "
                "HalfNormal, Exponential, and for Gamma and Weibull), so "
                f"{self.title} has no symbolic density; its NLL is the numeric sum of "
                "-logpdf")
        hi = sympy.Integer(1) if self._cut_hi is None else cdf(_exact(self._cut_hi))
        lo = sympy.Integer(0) if self._cut_lo is None else cdf(_exact(self._cut_lo))
        return hi - lo

    # ------------------------------------------------------------------ numerics
    def logpdf(self, x, **theta):
        x = np.asarray(x, float)
        lf = np.asarray(self.base.logpdf(x, **theta), float)
        with np.errstate(invalid="ignore"):
            inside = self.support.contains(x)
        return np.where(inside, lf - self.log_mass(**theta), -np.inf)

    def cdf(self, x, **theta):
        x = np.asarray(x, float)
        lo_e, hi_e = self.support.edges
        z = np.exp(self.log_mass(**theta))
        flo = self.base.cdf(np.asarray(self._cut_lo), **theta) if self._cut_lo is not None \
            else 0.0
        fx = self.base.cdf(np.clip(x, lo_e, hi_e), **theta)
        out = np.clip((fx - flo) / z, 0.0, 1.0)
        return np.where(x < lo_e, 0.0, np.where(x >= hi_e, 1.0, out))

    def logsf(self, x, **theta):
        x = np.asarray(x, float)
        lo_e, hi_e = self.support.edges
        base = self.base
        xs = np.clip(x, lo_e, hi_e)
        with np.errstate(all="ignore"):
            lsx = np.asarray(base.logsf(xs, **theta), float)
            if self._cut_hi is None:
                num = lsx
            else:
                lsh = np.asarray(base.logsf(np.asarray(self._cut_hi), **theta), float)
                num = lsx + log1mexp(np.minimum(lsh - lsx, 0.0))
            out = num - self.log_mass(**theta)
        return np.where(x < lo_e, 0.0, np.where(x >= hi_e, -np.inf, np.minimum(out, 0.0)))

    def ppf(self, q, **theta):
        base = self.base
        q = np.asarray(q, float)
        flo = base.cdf(np.asarray(self._cut_lo), **theta) if self._cut_lo is not None else 0.0
        fhi = base.cdf(np.asarray(self._cut_hi), **theta) if self._cut_hi is not None else 1.0
        lo_e, hi_e = self.support.edges
        return np.clip(base.ppf(flo + q * (fhi - flo), **theta), lo_e, hi_e)

    def sample(self, size, rng, **theta):
        lo = -np.inf if self._cut_lo is None else self._cut_lo + (0.5 if self.discrete else 0)
        hi = np.inf if self._cut_hi is None else self._cut_hi
        return sample_truncated(self.base, size, rng, lo, hi, theta)

    def _moments(self, theta):
        base = self.base
        logz = self.log_mass(**theta)
        shape = np.broadcast_shapes(np.shape(logz), *(np.shape(v) for v in theta.values()))
        if base.discrete:
            ks, sign = self._count_terms()
            m1, m2 = np.zeros(shape), np.zeros(shape)
            for k in ks:
                e = np.exp(np.asarray(base.logpdf(np.full(shape, k), **theta), float) - logz)
                m1, m2 = m1 + e * k, m2 + e * k * k
            if sign < 0:  # (m - cut sums)/Z
                z = np.exp(logz)
                m = np.asarray(base.mean(**theta), float)
                v = np.asarray(base.var(**theta), float)
                m1, m2 = m / z - m1, (v + m * m) / z - m2
            return m1, m2
        from scipy import integrate

        lo_e, hi_e = self.support.edges
        flat = {k: np.broadcast_to(np.asarray(v, float), shape).ravel() for k, v in theta.items()}
        lz = np.broadcast_to(logz, shape).ravel()
        m1, m2 = np.empty(lz.size), np.empty(lz.size)
        for i in range(lz.size):
            pars = {k: v[i] for k, v in flat.items()}

            def dens(t, pars=pars, i=i):
                return float(np.exp(self.base.logpdf(np.asarray(t), **pars) - lz[i]))

            c = integrate.quad(lambda t, dens=dens: t * dens(t), lo_e, hi_e, limit=200)[0]
            m1[i] = c
            m2[i] = integrate.quad(lambda t, dens=dens, c=c: (t - c) ** 2 * dens(t), lo_e, hi_e,
                                   limit=200)[0] + c * c
        return m1.reshape(shape), m2.reshape(shape)

    def mean(self, **theta):
        return self._moments(theta)[0]

    def var(self, **theta):
        m1, m2 = self._moments(theta)
        return m2 - m1 * m1

    # ------------------------------------------------------------------ derivatives
    def score(self, x, **theta):
        x = np.asarray(x, float)
        shape = np.broadcast(x, *theta.values()).shape
        s = self.base.score(x, **theta)
        g, _ = self._dlogz(theta, 1)
        return {n: np.broadcast_to(s[n] - g[n], shape) for n in self.base.estimable_names}

    def hessian(self, x, **theta):
        x = np.asarray(x, float)
        shape = np.broadcast(x, *theta.values()).shape
        hb = self.base.hessian(x, **theta)
        _, h = self._dlogz(theta, 2)
        return {k: np.broadcast_to(hb[k] - h[k], shape) for k in h}

    # ------------------------------------------------------------------ fitting
    def _check_existence(self, x, w, fixed):
        live = x[w > 0]
        if live.size and np.all(live == live[0]) and \
                len(set(fixed) & set(self.base.estimable_names)) < len(self.base.estimable_names):
            raise NoMaximumError(
                f"{self.title}: every observation equals {live[0]:g}, so the likelihood rises "
                "as the fitted distribution piles all its mass there, a limit no parameter "
                "value reaches: the MLE does not exist for these data")

    def _start(self, x, w, fixed):
        return self._base_start(x, w, fixed)


def Truncated(family: Any, low: float | None = None, high: float | None = None
              ) -> TruncatedFamily:
    """``family`` restricted to ``[low, high]`` (None: no bound on that side).

    For a count family the range is {⌈low⌉, …, ⌊high⌋}: ``low=1`` is zero-truncated.
    """
    from ._common import instance

    base = TruncatedFamily._require_univariate(family, "Truncated")
    ends = []
    for what, v in (("low", low), ("high", high)):
        if v is None:
            ends.append(None)
            continue
        try:
            fv = float(v)
        except (TypeError, ValueError):
            raise ParameterError(f"Truncated({base.title}): {what} must be a number or None, "
                                 f"not {v!r}") from None
        if np.isnan(fv) or (np.isinf(fv) and (fv > 0) == (what == "low")):
            raise ParameterError(f"Truncated({base.title}): {what} = {v!r} is not a valid "
                                 "bound; give a finite number, or None for no bound")
        ends.append(None if np.isinf(fv) else fv)
    low_f, high_f = ends
    if low_f is not None and high_f is not None and not low_f < high_f:
        raise ParameterError(f"Truncated({base.title}): low ({low_f:g}) must be below high "
                             f"({high_f:g})")
    key = ("truncated", base, low_f, high_f)
    return instance(key, lambda: TruncatedFamily(base, low_f, high_f))  # type: ignore[return-value]
