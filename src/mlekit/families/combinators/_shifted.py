r"""``mk.Shifted(F)``: F moved to start at a threshold ``loc`` (the three-parameter Weibull,
Gamma, log-normal …).

.. math::

    p(y;\,\gamma, \theta) = f(y - \gamma;\,\theta), \qquad y > \gamma ,

for a continuous F supported on the positive half-line. Everything follows from F's
own file: the numeric log-density, CDF, quantiles, sampler and moments by the shift,
and the **symbolic density** by substituting :math:`x \to x - \gamma` in F's, so the
score and Hessian (in ``loc`` too) and ``derive`` come from the symbolic machinery with
no new formula.

**The threshold is not a regular parameter.** The support depends on it, and as
:math:`\gamma \to \min_i y_i` the log-likelihood behaves like
:math:`(k - 1)\log(y_{(1)} - \gamma)` for a Weibull or Gamma of shape :math:`k`: it
grows **without bound** when the shape is below 1, and for the log-normal always
(Hill 1963) — only a local maximum can then be an estimate. :meth:`ShiftedFamily.mle`
therefore profiles the threshold: for each :math:`\gamma` below the smallest value it
fits F to :math:`y - \gamma` (F's own MLE) and follows the profile log-likelihood
:math:`\ell_p(\gamma)` over :math:`u = \log(y_{(1)} - \gamma)` on a grid from
:math:`10^{-12}` to :math:`10^{4}` times the data's spread, then refines the best
interior local maximum (Brent) and polishes all parameters jointly (damped Newton).

* No interior local maximum, the profile rising towards :math:`y_{(1)}`: the
  likelihood is unbounded there; :class:`~mlekit.errors.NoMaximumError` says so and
  offers the constrained fits (a threshold held below the data with
  ``fixed={"loc": ...}``, or F itself, threshold 0).
* The profile still rising as :math:`\gamma \to -\infty`: the data are better
  described by F's limit (a Normal-like shape); NoMaximumError, use F or a Normal.
* An interior local maximum below the value near :math:`y_{(1)}`: returned (it is
  the estimate the literature uses), with a :class:`~mlekit.errors.NumericalWarning`
  that the likelihood is unbounded at the threshold.

A regression may model F's parameters with ``loc`` held fixed; ``loc`` itself cannot
take a linear predictor (its support moves with it: ``support_parameters``).
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from ...domains import Domain, GreaterThan, Real
from ...errors import NoMaximumError, NumericalWarning, ParameterError
from ..base import Family, Parameter, SymbolicDensity
from ._common import Combinator, number_word, weighted

__all__ = ["Shifted", "ShiftedFamily"]

#: the profile grid: gaps y_(1) - loc from 1e-12 to 1e4 times the spread of the data
_GRID = np.linspace(np.log(1e-12), np.log(1e4), 81)


class ShiftedFamily(Combinator):
    r"""Shifted(F): f(y − loc) on y > loc, F continuous on the positive half-line.

    Examples
    --------
    >>> import numpy as np, mlekit as mk
    >>> w3 = mk.Shifted(mk.Weibull)
    >>> w3.name, w3.param_names
    ('shifted(weibull)', ('loc', 'shape', 'scale'))
    >>> d = w3(loc=10.0, shape=2.0, scale=3.0)
    >>> float(d.logpdf(12.0)) == float(mk.Weibull(shape=2.0, scale=3.0).logpdf(2.0))
    True
    >>> float(d.mean) == 10.0 + float(mk.Weibull(shape=2.0, scale=3.0).mean)
    True
    """

    kind = "shifted"

    @property
    def derivation_loss_name(self) -> str:  # type: ignore[override]
        """The name ``derive`` gives the derived NLL: "three-parameter Weibull NLL"."""
        return f"{number_word(len(self.estimable_names))}-parameter {self.base.title} NLL"
    own = (Parameter("loc", Real, r"\gamma"),)
    support_parameters = ("loc",)

    def __init__(self, base: Family) -> None:
        super().__init__(base, ())
        lo, hi = base.support.edges
        if base.discrete or lo != 0 or hi != np.inf:
            where = "counts" if base.discrete else f"supported on [{lo:g}, {hi:g}]"
            raise ParameterError(
                f"Shifted({base.title}): a threshold moves a continuous family supported on "
                f"the positive half-line (Weibull, Gamma, LogNormal, Exponential …), and "
                f"{base.title} is {where}; for a location on the whole line the family has "
                "its own (Normal mu)")
        if "loc" in base.param_names:
            raise ParameterError(f"Shifted({base.title}): {base.title} already has a 'loc'")
        self.name = f"shifted({base.name})"
        self.title = f"Shifted({base.title})"
        self.parameters = self._param_list()
        self.discrete = False
        self.support = Real
        self.mean_parameter = None
        self.location_parameter = base.location_parameter or base.mean_parameter
        self.example_params = {"loc": 1.0, **base.example_params}

    # ------------------------------------------------------------------ support
    def support_of(self, **params: Any) -> Domain:
        loc = np.asarray(params.get("loc", -np.inf), float)
        return GreaterThan(name="GreaterThan(loc)", rule="value > loc", lower=loc,
                           closed=False)

    def _x(self, x: Any, params: dict[str, Any]) -> tuple[np.ndarray, dict[str, Any]]:
        return np.asarray(x, float) - np.asarray(params["loc"], float), self._split(params)

    # ------------------------------------------------------------------ numerics
    def logpdf(self, x, **params):
        z, base = self._x(x, params)
        with np.errstate(all="ignore"):
            out = np.asarray(self.base.logpdf(np.where(z > 0, z, 1.0), **base), float)
        return np.where(z > 0, out, -np.inf)

    def cdf(self, x, **params):
        z, base = self._x(x, params)
        return np.where(z > 0, self.base.cdf(np.where(z > 0, z, 1.0), **base), 0.0)

    def logcdf(self, x, **params):
        z, base = self._x(x, params)
        with np.errstate(all="ignore"):
            v = self.base.logcdf(np.where(z > 0, z, 1.0), **base)
        return np.where(z > 0, v, -np.inf)

    def logsf(self, x, **params):
        z, base = self._x(x, params)
        return np.where(z > 0, self.base.logsf(np.where(z > 0, z, 1.0), **base), 0.0)

    def ppf(self, q, **params):
        return np.asarray(params["loc"], float) + self.base.ppf(q, **self._split(params))

    def sample(self, size, rng, **params):
        return np.asarray(params["loc"], float) + self.base.sample(size, rng,
                                                                   **self._split(params))

    def mean(self, **params):
        return np.asarray(params["loc"], float) + self.base.mean(**self._split(params))

    def var(self, **params):
        return self.base.var(**self._split(params)) + 0.0 * np.asarray(params["loc"], float)

    def entropy(self, **params):
        return self.base.entropy(**self._split(params)) + 0.0 * np.asarray(params["loc"],
                                                                              float)

    def fisher_information(self, **params):
        return None  # (not a regular family: the support moves with loc)

    def edge_exponent(self, params: dict[str, Any]) -> float:
        r"""The exponent :math:`a` of :math:`f(z) \sim z^{a}` as :math:`z \to 0^+` (F's
        density at its edge, :math:`a = k - 1` for a Weibull or Gamma of shape k; ``inf``
        for the log-normal, whose density vanishes faster than any power), read off F's own
        log-density at :math:`z = 10^{-9}s` and :math:`10^{-10}s` (s: F's standard
        deviation)."""
        base = self._split(params)
        base = {k: np.asarray(v, float) for k, v in base.items()}
        with np.errstate(all="ignore"):
            s = float(np.sqrt(np.asarray(self.base.var(**base), float)))
            s = s if np.isfinite(s) and s > 0 else 1.0
            z = np.array([1e-9, 1e-10]) * s
            lf = np.asarray(self.base.logpdf(z, **base), float)
        if not np.all(np.isfinite(lf)):
            return np.inf if np.all(lf == -np.inf) else -np.inf
        return float((lf[0] - lf[1]) / np.log(10.0))

    def support_regular(self, params):
        """A threshold estimate is regular (√n, the observed information applies) when F's
        density vanishes at its edge faster than ``z``: exponent > 1 (Weibull and Gamma
        shape > 2, Smith 1985; every log-normal)."""
        return self.edge_exponent(dict(params)) > 1.0

    # ------------------------------------------------------------------ symbolic
    def _symbolic(self) -> SymbolicDensity:
        """F's density with x → x − loc (its log-density too): one source, F's file."""
        import sympy

        sd = self._base_symbolic()
        loc = sympy.Symbol("loc", real=True)
        shift = {sd.x: sd.x - loc}
        return SymbolicDensity(
            expr=sd.expr.subs(shift), x=sd.x, params={"loc": loc, **sd.params},
            log_expr=None if sd.log_expr is None else sd.log_expr.subs(shift))

    # ------------------------------------------------------------------ fitting
    def _profile(self, x: np.ndarray, w: np.ndarray, loc: float,
                 fixed: dict[str, float]) -> tuple[float, dict[str, float] | None]:
        """ℓ_p(loc) = max over F's parameters of Σ w log f(x − loc), and the maximiser."""
        bfixed = {k: v for k, v in fixed.items() if k != "loc"} or None
        try:
            with np.errstate(all="ignore"), warnings.catch_warnings():
                warnings.simplefilter("ignore")
                est = self.base.mle(x - loc, weights=w, fixed=bfixed)
                if est is None:
                    res = self.base.fit(x - loc, weights=w, fixed=bfixed)
                    est = dict(res.params)
                est = {k: float(np.asarray(v, float)) for k, v in dict(est).items()}
                ll = float(w @ np.asarray(self.base.logpdf(x - loc, **est), float))
        except Exception:  # (F has no MLE for this shift: off the profile)
            return -np.inf, None
        return (ll, est) if np.isfinite(ll) else (-np.inf, None)

    def mle(self, x, weights=None, fixed=None):
        r"""The threshold by its profile likelihood, then every parameter jointly (module
        docstring); an unbounded likelihood is a named NoMaximumError."""
        from scipy.optimize import minimize_scalar

        fixed = {k: float(v) for k, v in dict(fixed or {}).items()}
        x, w = weighted(x, weights)
        if x.size == 0 or not np.all(np.isfinite(x)):
            return None
        if "loc" in fixed:
            if np.any(x <= fixed["loc"]):
                return None
            est = self._profile(x, w, fixed["loc"], fixed)[1]
            return None if est is None else {"loc": fixed["loc"], **est}
        x1 = float(np.min(x))
        spread = float(np.max(x) - x1)
        if spread <= 0:
            raise NoMaximumError(f"{self.title}: every value equals {x1:g}, so the threshold "
                                 "and the spread are not identified (the MLE does not exist)")
        prof = np.array([self._profile(x, w, x1 - spread * np.exp(u), fixed)[0]
                         for u in _GRID])
        ok = np.isfinite(prof)
        if not ok.any():
            raise NoMaximumError(f"{self.title}: {self.base.title} could not be fitted to the "
                                 "data for any threshold below the smallest value")
        interior = [i for i in range(1, len(_GRID) - 1)
                    if ok[i] and prof[i] >= prof[i - 1] and prof[i] >= prof[i + 1]]
        best_edge = float(np.max(prof[:3][ok[:3]], initial=-np.inf))
        fix_hint = (f"fit with the threshold held below the data (fixed={{'loc': ...}}, "
                    f"e.g. loc = {x1 - 0.05 * spread:.6g}) or {self.base.title} itself "
                    "(threshold 0)")
        if not interior:
            rises = prof[1] - prof[0] if ok[0] and ok[1] else np.inf
            if int(np.nanargmax(np.where(ok, prof, -np.inf))) >= len(_GRID) - 3:
                raise NoMaximumError(
                    f"{self.title}: the likelihood keeps increasing as the threshold goes to "
                    f"-infinity (the data look like {self.base.title}'s limiting, "
                    f"symmetric shape): no MLE; use {self.base.title} itself or a Normal")
            if abs(rises) <= 1e-7 * max(1.0, abs(prof[0])):
                raise NoMaximumError(
                    f"{self.title}: the likelihood is largest at the edge loc = {x1:g} (the "
                    "smallest value: its density does not vanish there), an order statistic "
                    "rather than a stationary point, so no regular MLE exists; " + fix_hint)
            raise NoMaximumError(
                f"{self.title}: the likelihood grows without bound as the threshold loc "
                f"approaches the smallest value {x1:g} (the density is infinite at its "
                "threshold there: a shape below 1), so the MLE does not exist; " + fix_hint)
        i = max(interior, key=lambda j: prof[j])

        def neg(u: float) -> float:
            return -self._profile(x, w, x1 - spread * np.exp(u), fixed)[0]

        r = minimize_scalar(neg, bracket=(_GRID[i - 1], _GRID[i], _GRID[i + 1]),
                            options={"xtol": 1e-12})
        u = float(r.x) if np.isfinite(r.fun) and -r.fun >= prof[i] else float(_GRID[i])
        loc = x1 - spread * np.exp(u)
        ll, est = self._profile(x, w, loc, fixed)
        if est is None:
            return None
        if best_edge > ll:
            warnings.warn(
                f"{self.title}: a local maximum of the likelihood (loc = {loc:.6g}); the "
                f"likelihood is unbounded as loc approaches the smallest value {x1:g}, so "
                "this interior maximum is the estimate (as in the literature); compare "
                f"with {self.base.title} itself", NumericalWarning, stacklevel=3)
        if not self.support_regular({"loc": loc, **est}):
            warnings.warn(
                f"{self.title}: at the estimate F's density vanishes slowly at the threshold "
                f"(edge exponent {self.edge_exponent({'loc': loc, **est}):.3g} <= 1, e.g. a "
                "Weibull or Gamma shape <= 2): the MLE is not regular, so no Wald standard "
                "errors are given; use conf_int(method='profile') or the bootstrap",
                NumericalWarning, stacklevel=3)
        self._polish_start = {"loc": loc, **est}
        try:
            out = super().mle(x, w, fixed)
        finally:
            self.__dict__.pop("_polish_start", None)
        if out is None or not np.all(x > out["loc"]) or \
                float(w @ self.logpdf(x, **out)) < ll - 1e-9 * abs(ll):
            from .._mle_tools import MLEstimate

            return MLEstimate({"loc": loc, **est},
                              method="profile likelihood in the threshold (Brent)")
        return out

    def _start(self, x, w, fixed):
        return dict(self._polish_start)


def Shifted(family: Any) -> ShiftedFamily:
    r"""``F`` with a threshold: p(y) = f(y − loc) on y > loc (module docstring).

    ``mk.Shifted(mk.Weibull)`` is the three-parameter Weibull; ``mk.Shifted(mk.Gamma)``
    and ``mk.Shifted(mk.LogNormal)`` the three-parameter Gamma and log-normal.
    """
    from ._common import instance

    base = ShiftedFamily._require_univariate(family, "Shifted")
    key = ("shifted", base)
    return instance(key, lambda: ShiftedFamily(base))  # type: ignore[return-value]
