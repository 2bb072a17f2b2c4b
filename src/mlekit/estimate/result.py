r"""The result of an unconditional maximum-likelihood fit.

A :class:`FitResult` holds the estimate :math:`\hat\theta`, its covariance
(the inverse information), the maximised log-likelihood and the model
criteria

.. math:: \mathrm{AIC} = 2k - 2\ell(\hat\theta), \qquad
          \mathrm{BIC} = k\log n - 2\ell(\hat\theta),

with :math:`k` the number of free parameters (a probability vector over
:math:`K` classes counts :math:`K-1`) and :math:`n` the number of
observations (the sum of the frequency weights). Rendering goes through
:class:`mlekit._utils.tables.ResultsTable`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np
from scipy.special import ndtri

from .._utils.tables import ResultsTable
from ..errors import ParameterError

__all__ = ["FitResult"]


def _as_out(v: np.ndarray) -> float | np.ndarray:
    v = np.asarray(v, float)
    return float(v) if v.ndim == 0 else v.copy()


class FitResult:
    """Maximum-likelihood fit of a family to data.

    Attributes
    ----------
    family : the fitted :class:`~mlekit.families.base.Family`
    params : dict name -> float (array for vector parameters), fixed ones included
    fixed : dict of the parameters held fixed (not estimated)
    bse : dict name -> standard error (``nan`` for fixed parameters)
    cov : covariance matrix of the estimates, rows/columns in :attr:`param_names` order
    param_names : flattened names of the estimated parameters (``"p[0]"`` …)
    llf, aic, bic, nobs, df_model : log-likelihood, criteria, number of observations
        (sum of weights), number of free parameters. ``nobs`` is an ``int`` when there are
        no weights or the weights sum to a whole number (frequency weights count rows),
        else a ``float`` (fractional weights)
    method : ``"closed form"``, a family's specialised solver, or ``"generic (…)"``
    converged : whether the solver met its convergence criterion
    information : which information matrix the standard errors come from
    at_boundary : names of parameters estimated on the edge of their domain
    notes : remarks shown under the summary table

    Examples
    --------
    >>> import mlekit as mk
    >>> nile = mk.datasets.load("nile")["volume"]
    >>> res = mk.fit(nile, "normal")
    >>> res
    <FitResult Normal(mu=919.35, sigma=168.379); llf=-654.516, method='closed form', converged=True>
    >>> round(res.bse["mu"], 3), round(res.aic, 3), res.nobs
    (16.838, 1313.031, 100)
    >>> lo, hi = res.conf_int()["mu"]
    >>> round(lo, 2), round(hi, 2)
    (886.35, 952.35)
    >>> res.distribution
    Normal(mu=919.35, sigma=168.379)
    """

    def __init__(self, *, family, params: Mapping[str, Any], fixed: Mapping[str, Any],
                 cov: np.ndarray, param_names: list[str], free_shapes: dict[str, tuple],
                 llf: float, nobs: float, df_model: int, method: str, converged: bool,
                 information: str, at_boundary: tuple[str, ...] = (),
                 notes: list[str] | None = None,
                 message: str = "", nit: int = 0, objective: Any = None, refit: Any = None,
                 censored: bool = False):
        self.family = family
        self.params: dict[str, Any] = {k: _as_out(v) for k, v in params.items()}
        self.fixed: dict[str, Any] = {k: _as_out(v) for k, v in fixed.items()}
        self.cov = np.asarray(cov, float)
        self.param_names = list(param_names)
        self._free_shapes = dict(free_shapes)
        self.llf = float(llf)
        self.nobs: int | float = _count(nobs)
        self.df_model = int(df_model)
        self.method = method
        self.converged = bool(converged)
        self.information = information
        self.at_boundary = tuple(at_boundary)
        self.notes = list(notes or [])
        self.message = message
        self.nit = nit
        self.censored = censored
        self._objective = objective
        self._refit = refit
        diag = np.sqrt(np.where(np.diag(self.cov) >= 0, np.diag(self.cov), np.nan)) \
            if self.cov.size else np.zeros(0)
        self.bse: dict[str, Any] = {}
        i = 0
        for name in self.params:
            if name in self._free_shapes:
                shape = self._free_shapes[name]
                size = math.prod(shape)
                self.bse[name] = _as_out(diag[i:i + size].reshape(shape))
                i += size
            else:
                self.bse[name] = float("nan")

    # ------------------------------------------------------------------ criteria
    @property
    def aic(self) -> float:
        """Akaike information criterion 2k − 2ℓ."""
        return 2.0 * self.df_model - 2.0 * self.llf

    @property
    def bic(self) -> float:
        """Bayesian information criterion k log n − 2ℓ."""
        return self.df_model * float(np.log(self.nobs)) - 2.0 * self.llf

    @property
    def distribution(self):
        """The fitted member ``family(**params)``."""
        return self.family(**self.params)

    def nllf(self, params: Mapping[str, Any] | None = None) -> float:
        """Negative log-likelihood of the fitted data at ``params`` (default: the MLE).

        Parameters not given take their fitted (or fixed) values.
        """
        if params is None:
            return -self.llf
        unknown = set(params) - set(self.params)
        if unknown:
            raise ParameterError(f"{self.family.title} has no parameter {sorted(unknown)[0]!r}")
        bad = set(params) & set(self.fixed)
        theta = {n: np.asarray(params.get(n, self.params[n]), float) for n in self._free_shapes}
        if bad and any(not np.array_equal(params[b], self.fixed[b]) for b in bad):
            raise ParameterError(f"parameter {sorted(bad)[0]!r} was fixed in this fit")
        return -self._objective.loglik(theta)

    # ------------------------------------------------------------------ intervals
    def conf_int(self, level: float = 0.95, method: str = "wald", *, n_boot: int = 999,
                 bootstrap: str = "parametric", ci: str = "percentile", rng: Any = 0,
                 n_jobs: int = 1, progress: bool = False) -> dict[str, tuple]:
        r"""Confidence intervals, name -> (low, high).

        ``method="wald"``: :math:`\hat\theta \pm z_{(1+\text{level})/2}\,\mathrm{se}`.
        ``method="profile"``: the set of θ_j whose profile likelihood-ratio statistic
        :math:`2(\ell(\hat\theta) - \max_{\theta_{-j}}\ell(\theta_j, \theta_{-j}))` stays
        below the χ²₁ quantile at ``level`` (found by root finding; valid at a boundary
        estimate, where Wald is not). ``method="bootstrap"``: refit ``n_boot`` resamples
        (``bootstrap="parametric"``: drawn from the fitted distribution; ``"nonparametric"``:
        the data resampled with replacement), as fitdistrplus ``bootdist``; ``ci`` is
        ``"percentile"`` or ``"bca"``; ``rng`` seeds it, ``n_jobs`` worker processes give the
        same result, ``progress=True`` shows a bar (see :mod:`mlekit.estimate._bootstrap`).
        A fixed parameter's interval is its value.
        """
        if not 0 < level < 1:
            raise ParameterError(f"level must lie in (0, 1), got {level}")
        method = method.lower()
        if method == "profile":
            from .profile import profile_conf_int

            return profile_conf_int(self, level)
        if method == "bootstrap":
            from ._bootstrap import bootstrap_conf_int

            return bootstrap_conf_int(self, level, n_boot=n_boot, bootstrap=bootstrap, ci=ci,
                                      rng=rng, n_jobs=n_jobs, progress=progress)
        if method != "wald":
            raise ParameterError(f"conf_int method must be 'wald', 'profile' or 'bootstrap', "
                                 f"not {method!r}")
        z = float(ndtri(0.5 + level / 2))
        out = {}
        for name, value in self.params.items():
            if name in self.fixed:
                out[name] = (value, value)
                continue
            se = np.asarray(self.bse[name])
            v = np.asarray(value)
            out[name] = (_as_out(v - z * se), _as_out(v + z * se))
        return out

    def to_dict(self, level: float = 0.95) -> dict[str, Any]:
        """Plain-Python (JSON-ready) view: params, bse, Wald intervals, criteria, flags."""
        def plain(v):
            v = np.asarray(v, float)
            out = v.tolist()
            if v.ndim == 0:
                return None if not np.isfinite(v) else float(v)
            return out

        ci = self.conf_int(level)
        return {
            "family": self.family.name, "method": self.method, "converged": self.converged,
            "nobs": self.nobs, "df_model": self.df_model, "llf": self.llf, "aic": self.aic,
            "bic": self.bic, "params": {k: plain(v) for k, v in self.params.items()},
            "bse": {k: plain(v) for k, v in self.bse.items()},
            "conf_int": {k: [plain(lo), plain(hi)] for k, (lo, hi) in ci.items()},
            "fixed": sorted(self.fixed), "information": self.information,
            "at_boundary": list(self.at_boundary), "censored": self.censored,
            "notes": list(self.notes),
        }

    # ------------------------------------------------------------------ rendering
    def summary(self, level: float = 0.95) -> ResultsTable:
        """A :class:`ResultsTable` (text/HTML/LaTeX/Markdown) of the fit."""
        ci = self.conf_int(level)
        lo, hi = f"[{(1 - level) / 2:.3g}", f"{(1 + level) / 2:.3g}]"
        rows = []
        for name, value in self.params.items():
            v, se = np.ravel(np.asarray(value, float)), np.ravel(np.asarray(self.bse[name]))
            if name in self.fixed:
                for j, vj in enumerate(v):
                    label = name if v.size == 1 and np.ndim(value) == 0 else f"{name}[{j}]"
                    rows.append((label, [float(vj), "fixed", None, None]))
                continue
            clo, chi = np.ravel(ci[name][0]), np.ravel(ci[name][1])
            labels = [name] if np.ndim(value) == 0 else \
                [lab for lab in self.param_names if lab.startswith(f"{name}[")]
            for j, vj in enumerate(v):
                rows.append((labels[j], [float(vj), float(se[j]), float(clo[j]), float(chi[j])]))
        info = [("Family", self.family.title), ("Method", self.method),
                ("Observations", _num(self.nobs)), ("Log-likelihood", self.llf),
                ("AIC", self.aic), ("BIC", self.bic), ("Converged", self.converged),
                ("Std. errors", self.information)]
        if self.censored:
            info.append(("Censored data", True))
        notes = list(self.notes)
        if self.at_boundary:
            notes.append(f"Estimate on the boundary of its domain: {', '.join(self.at_boundary)}; "
                         "Wald intervals are not valid there, use conf_int(method='profile').")
        return ResultsTable(title=f"{self.family.title} maximum-likelihood fit", info=info,
                            columns=["estimate", "std err", lo, hi], rows=rows, notes=notes)

    def __repr__(self) -> str:
        def fmt(v):
            v = np.asarray(v)
            return f"{float(v):.6g}" if v.ndim == 0 else np.array2string(
                v, precision=4, separator=", ", threshold=6)

        inner = ", ".join(f"{k}={fmt(v)}" for k, v in self.params.items())
        return (f"<FitResult {self.family.title}({inner}); llf={self.llf:.6g}, "
                f"method={self.method!r}, converged={self.converged}>")

    def __str__(self) -> str:
        return self.summary().to_text()

    def _repr_html_(self) -> str:
        return self.summary().to_html()


def _num(v: float) -> float | int:
    return int(v) if float(v).is_integer() else float(v)


def _count(v: float) -> int | float:
    """A number of observations: an ``int`` when it is a whole number n with |n| < 2⁵³
    (rows, or frequency weights), else a ``float`` (fractional weights, or a sum too large
    to be an exact count)."""
    f = float(v)
    return int(f) if f.is_integer() and abs(f) < 2.0**53 else f
