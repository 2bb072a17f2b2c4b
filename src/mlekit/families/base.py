r"""The one abstraction: a parametric :class:`Family` and its frozen :class:`Distribution`.

A family file declares, once, everything mlekit knows about a distribution:

* its parameters, each with a :class:`~mlekit.domains.Domain`, and the support
  of the data;
* its density **symbolically** (:meth:`Family.sympy_density`, SymPy imported
  lazily) — the derivation engine, the generic score/Hessian and symbolic KL
  all come from it;
* its numeric :meth:`Family.logpdf`, written for stability (``xlogy``,
  ``log1p``, ``log_expit``, ``gammaln`` …);
* whatever it knows in closed form (MLE, Fisher information, entropy, moments,
  sampler). What it does not declare is derived: :meth:`Family.score` and
  :meth:`Family.hessian` fall back to the symbolic derivatives, lambdified once
  and cached.

``Normal`` is the family; ``Normal(mu=0, sigma=1)`` is a frozen
:class:`Distribution`; ``Normal.fit(x)`` returns a ``FitResult``. Parameters may
be arrays: ``Normal(mu=np.zeros(3), sigma=[1, 2, 3])`` is a batch of three
distributions that broadcasts like NumPy.
"""

from __future__ import annotations

import datetime as _dt
import functools
import math
import operator
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from ..domains import Domain, as_float_array, first_bad_index
from ..errors import DataError, MlekitError, NotImplementedForFamily, ParameterError, SupportError

__all__ = ["Distribution", "Family", "Parameter", "SymbolicDensity", "as_real_array"]

#: the most values :meth:`Distribution.sample` draws in one call (8 GB of float64)
MAX_SAMPLE_VALUES = 1_000_000_000


def as_real_array(x: Any, what: str = "x", owner: str = "", *, allow_bool: bool = True,
                  error: type[MlekitError] = DataError) -> np.ndarray:
    """``x`` as a float64 array, refusing what a float conversion would silently change.

    * complex values: accepted only when every imaginary part is exactly 0 (then the real
      part is the value); a non-zero imaginary part is an error naming its index;
    * text (``str``/``bytes`` arrays, or strings inside an object array), even text that
      reads as a number: convert it first (``pandas.to_numeric``, ``np.asarray(x, float)``);
    * dates and durations (``datetime64``/``timedelta64``, ``datetime`` objects);
    * booleans when ``allow_bool`` is False (continuous families: True/False is a
      category, not a measurement);
    * ``None`` itself, ragged or otherwise non-numeric input (a ``None`` inside a list is
      a missing value: NaN).

    Every refusal is an ``error`` (``DataError`` by default) naming ``what`` (and
    ``owner``), the first offending index and what to try.

    Examples
    --------
    >>> from mlekit.families.base import as_real_array
    >>> as_real_array([1, 2.5])
    array([1. , 2.5])
    >>> as_real_array(["1.5"], "x", "Normal")
    Traceback (most recent call last):
        ...
    mlekit.errors.DataError: Normal: x must be numeric: it holds text (dtype <U3; ...
    """
    who = f"{owner}: " if owner else ""
    if x is None:
        raise error(f"{who}{what} is None: pass an array of numbers (NaN marks a missing value)")
    if isinstance(x, np.ndarray):
        arr = x
    else:
        try:
            arr = np.asarray(x)
        except (TypeError, ValueError) as exc:  # ragged nested lists
            raise error(f"{who}{what} must be numeric (a rectangular array of numbers): "
                        f"{exc}") from None
    kind = arr.dtype.kind
    if kind in "fiu":
        return arr.astype(np.float64, copy=False) if kind != "f" or arr.dtype != np.float64 \
            else arr
    if kind in "US":
        flat = arr.ravel().tolist()
        i = 0  # name the first entry that is not even a number's text (else the first)
        for j, e in enumerate(flat):
            try:
                float(e)
            except (TypeError, ValueError):
                i = j
                break
        first = flat[i] if flat else ""
        where = str(i) if arr.ndim <= 1 else \
            str(tuple(int(j) for j in np.unravel_index(i, arr.shape)))
        raise error(f"{who}{what} must be numeric: it holds text (dtype {arr.dtype}; "
                    f"{what}[{where}] = {first!r}); convert it to numbers first (for example "
                    "pandas.to_numeric or np.asarray(x, dtype=float))")
    if kind in "mM":
        raise error(f"{who}{what} holds dates or durations (dtype {arr.dtype}), not numbers; "
                    "convert them to a number of units first (e.g. days since a reference "
                    "date: (t - t0) / np.timedelta64(1, 'D'))")
    if kind == "b":
        if not allow_bool:
            raise error(f"{who}{what} is boolean (True/False), which a continuous family does "
                        "not model; pass x.astype(float) if you mean the numbers 0 and 1, or "
                        "use a discrete family (Bernoulli)")
        return arr.astype(np.float64)
    if kind == "c":
        bad = arr.imag != 0
        if np.any(bad):
            i = first_bad_index(bad)
            raise error(f"{who}{what} is complex with a non-zero imaginary part at index {i} "
                        f"({what}[{i}] = {arr[bad][0]}); a likelihood needs real numbers: pass "
                        f"{what}.real or abs({what}) if that is what you mean")
        return np.ascontiguousarray(arr.real, dtype=np.float64)
    if kind == "O":
        flat = arr.ravel()
        for i, e in enumerate(flat):
            why = None
            if isinstance(e, (str, bytes)):
                why = f"text ({e!r})"
            elif isinstance(e, (bool, np.bool_)) and not allow_bool:
                why = "a boolean (True/False), which a continuous family does not model"
            elif isinstance(e, (complex, np.complexfloating)) and e.imag != 0:
                why = f"a complex number with a non-zero imaginary part ({e})"
            elif isinstance(e, (_dt.date, _dt.timedelta, np.datetime64, np.timedelta64)):
                why = f"a date or duration ({e!r})"
            if why is not None:
                idx = np.unravel_index(i, arr.shape) if arr.ndim > 1 else (i,)
                where = str(idx[0]) if len(idx) == 1 else str(tuple(int(j) for j in idx))
                raise error(f"{who}{what} must be numeric: {what}[{where}] is {why}, not a "
                            "real number; convert the data to numbers first")
        if any(isinstance(e, (complex, np.complexfloating)) for e in flat):
            flat = np.array([e.real if isinstance(e, (complex, np.complexfloating)) else e
                             for e in flat], dtype=object)
            arr = flat.reshape(arr.shape)
    return as_float_array(arr, what=f"{who}{what}" if who else what, error=error)


@dataclass(frozen=True)
class Parameter:
    """One parameter of a family.

    Attributes
    ----------
    name : textbook name used in the API (``mu``, ``sigma``, ``p``, ``rate``)
    domain : where the parameter lives; validates and reparameterises it
    latex : its symbol in derivations (``\\mu``)
    event_ndim : trailing axes that belong to one parameter value (1 for a
        probability vector, 2 for a covariance matrix)
    estimable : False for parameters that are known, not fitted (Binomial ``n``)
    """

    name: str
    domain: Domain
    latex: str
    event_ndim: int = 0
    estimable: bool = True


@dataclass(frozen=True)
class SymbolicDensity:
    """A density as SymPy objects: ``expr`` is p(x; θ) in the symbol ``x``."""

    expr: Any
    x: Any
    params: dict[str, Any]
    log_expr: Any = None  # log p, when simpler to state directly (avoids log of products)
    display: tuple[Any, ...] | None = None
    """The density as a textbook writes it, for typesetting derivations: its factors in
    order (built with ``evaluate=False`` where SymPy would reorder them), e.g. the Normal's
    ``(1/(σ√(2π)), exp(-(x-μ)²/(2σ²)))``. Their product must equal ``expr`` (a registry
    test checks it); ``None``: ``expr`` is printed as SymPy orders it."""

    @property
    def logdensity(self):
        import sympy

        if self.log_expr is not None:
            return self.log_expr
        return sympy.expand_log(sympy.log(self.expr), force=True)


@dataclass(frozen=True)
class LocationShift:
    r"""How a conditional model moves a vector parameter, for :func:`mlekit.derive.derive`
    (:attr:`Family.derivation_shift`): every entry moves by the same linear predictor,
    :math:`\theta_j \to \theta_j - \eta_i`, :math:`\eta_i = w^\top x_i`, and the link
    chooses the latent distribution :math:`F` (the cumulative link model:
    :math:`P(Y_i < j \mid x_i) = F(\theta_j - \eta_i)`), instead of an inverse link
    replacing one parameter.

    Attributes
    ----------
    parameter : the vector parameter that moves (the Ordinal's cut points ``theta``)
    links : the links that may choose F (the regression's allowed links)
    linked : what the link is applied to, in words (the derivation's title)
    loss_name : the derived NLL's name, ``{link}`` filled in
    """

    parameter: str
    links: tuple[str, ...]
    linked: str
    loss_name: str


# Set by mlekit.estimate at import time (estimate sits on a higher floor than the
# families, so a family may not import it; mlekit/__init__ always imports it).
_FIT_BACKEND: Callable[..., Any] | None = None


def _set_fit_backend(fn: Callable[..., Any]) -> None:
    global _FIT_BACKEND
    _FIT_BACKEND = fn


class Family:
    """A parametric family of distributions (a singleton per distribution).

    Subclasses set the class attributes and implement :meth:`logpdf`,
    :meth:`sample`, :meth:`_symbolic`, and any closed forms they know.

    Examples
    --------
    >>> import mlekit as mk
    >>> mk.Gamma, mk.Gamma.param_names
    (<family Gamma(shape, rate)>, ('shape', 'rate'))
    >>> mk.Gamma(shape=2.0, rate=0.5)                # freeze a member: a Distribution
    Gamma(shape=2, rate=0.5)
    >>> res = mk.Gamma.fit([1.2, 0.7, 3.1, 2.2, 1.9])
    >>> sorted(res.params)
    ['rate', 'shape']
    """

    name: ClassVar[str] = "family"  # registry key, lower case
    title: ClassVar[str] = "Family"  # display name
    parameters: ClassVar[tuple[Parameter, ...]] = ()
    support: ClassVar[Domain]
    discrete: ClassVar[bool] = False
    event_ndim: ClassVar[int] = 0  # axes of one data point (1 for a multivariate family)
    #: the parameter a regression models through its link (None: not a GLM family)
    mean_parameter: ClassVar[str | None] = None
    canonical_link: ClassVar[str | None] = None
    #: optional hand-written fast path of a regression: a ``families._rowmodel.RowModel``
    #: subclass (the per-row NLL, gradient and Hessian in link space, written beside the
    #: density and held to the generic engine by ``tests/regression/test_engine_binding``);
    #: None: a regression uses the generic engine derived from the density
    row_model: ClassVar[type | None] = None
    #: the parameter a plain ``link="..."`` string of a regression refers to, when the
    #: family has no mean parameter (Weibull: ``scale``); None: the mean parameter, else
    #: the mean of a ``"mean"`` parametrisation, else the first real-valued parameter
    location_parameter: ClassVar[str | None] = None
    #: alternative coordinates a regression may use (``{"mean": Parametrisation}``:
    #: Gamma in (mean, shape)); see :mod:`mlekit.families._parametrisation`
    parametrisations: ClassVar[dict[str, Any]] = {}
    #: a regression on this family is a classifier (y are class labels, coded 0..k-1):
    #: ``"binary"`` (two classes) or ``"multiclass"``; None: y are values of the support
    classifier: ClassVar[str | None] = None
    #: the parameter that is a per-row count of trials in a regression (Binomial ``n``):
    #: given as ``trials=`` data, or y as two columns (successes, failures)
    trials_parameter: ClassVar[str | None] = None
    #: which edges of the mean's domain the data can sit on, so that a regression's MLE
    #: may not exist (coefficients running to ±∞): ``("lower",)`` for counts (y = 0 is
    #: the mean's edge μ = 0), ``("lower", "upper")`` for proportions (y = 0 and y = 1 or
    #: the trials); () when no data value is an edge of the mean's domain
    mean_edges_in_data: ClassVar[tuple[str, ...]] = ()
    #: with nothing held fixed, the free parameters can move all of the probability above,
    #: or below, any point of the support (a location or a scale that runs off): all
    #: right- (or all left-) censored data then have no MLE (``estimate.censored``)
    censored_mass_escapes: ClassVar[bool] = False
    #: … and can also concentrate it in any interval around any point of the support (a
    #: scale → 0 or a shape → ∞ with the centre free): intervals that share a point, or
    #: exact values all equal, have no MLE
    censored_mass_concentrates: ClassVar[bool] = False
    #: the largest power of the data its log-density forms (variances and deviances: 2;
    #: the inverse Gaussian's (x − μ)²/(μ² x) reaches 3): a regression refuses ``|y|`` whose
    #: power overflows the sums over rows
    y_power: ClassVar[int] = 2
    #: the family's GLM dispersion, for a regression's Pearson convention: ``(parameter,
    #: power)`` with ``Var(y) = φ V(μ)`` and ``φ = parameter ** power`` (Normal
    #: ``("sigma", 2)``: φ = σ²; Gamma ``("shape", -1)``: φ = 1/k; inverse Gaussian
    #: ``("lam", -1)``: φ = 1/λ). The Pearson scale ``φ̂ = Σ w (y − μ̂)² / V(μ̂) / (n − p)``
    #: then stands in for the ML one (R's ``summary.glm``); None: no dispersion
    dispersion_parameter: ClassVar[tuple[str, int] | None] = None
    #: extra exact representations a member may carry (Bernoulli keeps its ``logits``
    #: so that log-probabilities stay exact where p rounds to 0 or 1)
    aux_names: ClassVar[tuple[str, ...]] = ()
    #: parameters the support depends on (Uniform low/high, Pareto scale): the likelihood
    #: is not smooth in them, so the generic gradient path does not apply
    support_parameters: ClassVar[tuple[str, ...]] = ()

    #: does the location's linear predictor get its own intercept in a regression? False
    #: where other parameters carry it (Ordinal: the thresholds; an intercept in x'β would
    #: shift them all and is not identified)
    location_intercept: ClassVar[bool] = True
    #: why a regression on this family is not available, said by ``Regression`` (None:
    #: the engine's own checks decide); a mixture: EM from several starts is not run there
    regression_refusal: ClassVar[str | None] = None

    def fit_options(self, **options: Any) -> Any:
        """A context manager under which fits of this family use ``options`` (keyword
        arguments of ``mk.fit`` beyond the common ones: a mixture's ``n_starts`` and
        ``rng``). The default takes none and names what it was given."""
        if options:
            raise ParameterError(f"{self.title}: fit() takes no option(s) "
                                 f"{', '.join(sorted(options))}")
        import contextlib

        return contextlib.nullcontext()

    def support_regular(self, params: Mapping[str, Any]) -> bool:
        """Is the MLE at ``params`` a regular interior maximum although a support parameter
        (:attr:`support_parameters`) is free? Then the observed information gives its
        standard errors as for any parameter; False (the default): the estimate is an order
        statistic or otherwise non-regular, and ``estimate.fit`` uses ``mle_covariance``
        or reports no Wald errors. (A threshold: regular when the density vanishes fast
        enough at it, see :mod:`mlekit.families.combinators._shifted`.)"""
        return False

    #: ``mle(x)`` (no weights, nothing fixed) raises or returns a non-finite estimate
    #: whenever some x is NaN, ±inf or off the support (its sufficient statistics prove
    #: the data valid): ``mlekit.estimate.fit`` may then skip its own pass over large data
    mle_checks_support: ClassVar[bool] = False
    #: the label ``mlekit.estimate.fit`` gives a fit by the family's own :meth:`mle`
    #: (``FitResult.method``) unless its ``details`` name one ("damped Newton …")
    mle_method: ClassVar[str] = "closed form"
    #: optional capability ``mle_covariance(params, nobs) -> array | None``: the covariance
    #: of the MLE in closed form over the flattened estimable parameters (order of
    #: :attr:`estimable_names`), from the estimates ``params`` (all parameters) and the
    #: weighted number of observations; a ``None`` result means "not at this point".
    #: ``mlekit.estimate.fit`` uses it, with every parameter free, where the information is
    #: not the right tool: a support parameter (Uniform's ends: the sampling covariance
    #: of the order statistics, Var = (b−a)² n/((n+1)²(n+2))), or where inverting the
    #: information loses every digit (Gamma at shape > 1e6). ``None``: the family has none
    mle_covariance: ClassVar[Callable[..., np.ndarray | None] | None] = None
    #: optional capability ``scaled_information(x, weights, params) -> (info_u, scale)``,
    #: the observed information of standardised data u = (x − m)/c, for data near 1e±300:
    #: ``info_u[(a, b)] = −Σ w ∂²log p(u)/∂a∂b`` and ``scale[name] = c``, so that the
    #: information on the data's scale is info_u[(a, b)] / (c_a c_b) (see
    #: ``families._mle_tools.scaled_information``); ``mlekit.estimate.fit`` uses it where
    #: n/σ² under- or overflows. ``None``: the family has none
    scaled_information: ClassVar[Callable[..., tuple[dict, dict]] | None] = None
    #: a typical valid member, used by registry-driven tests and examples
    example_params: ClassVar[dict[str, Any]] = {}
    #: points of the support that carry probability in a family declared continuous (a
    #: mixed distribution: Tweedie's P(Y = 0) = e^{−λ}). ``logpdf`` there is the log of the
    #: point mass, and an expectation is Σ_a P(a) g(a) + ∫ p(x) g(x) dx over the rest:
    #: quadrature (tests, ``divergence``'s quad fallback) must add the atoms
    atoms: ClassVar[tuple[float, ...]] = ()
    #: False where no closed SymPy density exists (an infinite series: Tweedie):
    #: ``sympy_density`` raises NotImplementedForFamily (torch and the combinators refuse
    #: by name; ``derive`` uses the family's ``derivation_density()`` where it declares
    #: one), the score and Hessian must be written numerically, and symbolic checks do
    #: not apply
    has_symbolic_density: ClassVar[bool] = True
    #: a conditional model that shifts a vector parameter by the linear predictor (a
    #: :class:`LocationShift`; the Ordinal's cut points), which ``derive(family,
    #: link=...)`` derives from ``derivation_density(link=name, shift=eta)``, the density
    #: with F chosen by the link and every entry moved by the SymPy symbol ``eta``.
    #: ``None``: a link replaces a parameter by the inverse link of eta, as usual
    derivation_shift: ClassVar[LocationShift | None] = None
    #: the name ``derive`` gives this family's derived NLL where no loss template matches
    #: it: the Ordinal's "cumulative-logit NLL", a combinator's from what it is built of
    #: ("zero-inflated Poisson NLL", "two-component Normal mixture NLL"); None: the
    #: derivation says "no named loss"
    derivation_loss_name: ClassVar[str | None] = None

    # ------------------------------------------------------------------ basics
    @property
    def param_names(self) -> tuple[str, ...]:
        return tuple(p.name for p in self.parameters)

    @property
    def estimable_names(self) -> tuple[str, ...]:
        return tuple(p.name for p in self.parameters if p.estimable)

    def parameter(self, name: str) -> Parameter:
        for p in self.parameters:
            if p.name == name:
                return p
        raise ParameterError(
            f"{self.title} has no parameter {name!r} "
            f"(its parameters: {', '.join(self.param_names)})"
        )

    def __repr__(self) -> str:
        return f"<family {self.title}({', '.join(self.param_names)})>"

    def __call__(self, *args: Any, **params: Any) -> Distribution:
        """Freeze a member: ``Normal(0, 1)`` or ``Normal(mu=0, sigma=1)``."""
        if args:
            if len(args) > len(self.parameters):
                raise ParameterError(
                    f"{self.title} takes at most {len(self.parameters)} positional parameters "
                    f"({', '.join(self.param_names)}); got {len(args)}"
                )
            for p, value in zip(self.parameters, args, strict=False):
                if p.name in params:
                    raise ParameterError(f"{self.title}: parameter {p.name} given twice")
                params[p.name] = value
        params = self._convert_params(params)
        aux = {k: params.pop(k) for k in self.aux_names if k in params}
        return Distribution(self, self.validate_params(params), aux)

    def _convert_params(self, params: dict[str, Any]) -> dict[str, Any]:
        """Hook for alternative parameterisations (``logits=`` …). Default: none."""
        return params

    def validate_params(self, params: Mapping[str, Any]) -> dict[str, np.ndarray]:
        """Check names and domains; return float arrays (not yet broadcast)."""
        unknown = set(params) - set(self.param_names)
        if unknown:
            raise ParameterError(
                f"{self.title} has no parameter {sorted(unknown)[0]!r} "
                f"(its parameters: {', '.join(self.param_names)})"
            )
        missing = [n for n in self.param_names if n not in params]
        if missing:
            raise ParameterError(f"{self.title}: missing parameter(s) {', '.join(missing)}")
        out = {}
        for p in self.parameters:
            out[p.name] = p.domain.check(params[p.name], what=p.name, owner=self.title,
                                         error=ParameterError)
        self._check_joint(out)
        return out

    def _check_joint(self, params: dict[str, np.ndarray]) -> None:
        """Hook for constraints between parameters (Uniform: low < high)."""

    def batch_shape(self, params: Mapping[str, np.ndarray]) -> tuple[int, ...]:
        shapes = []
        for p in self.parameters:
            arr = np.asarray(params[p.name])
            shapes.append(arr.shape[: arr.ndim - p.event_ndim] if p.event_ndim else arr.shape)
        try:
            return np.broadcast_shapes(*shapes)
        except ValueError:
            raise ParameterError(
                f"{self.title}: parameter shapes {', '.join(map(str, shapes))} do not broadcast"
            ) from None

    # ------------------------------------------------------------------ data
    def support_of(self, **params: Any) -> Domain:
        """The support of the data (may depend on parameters, e.g. Binomial n)."""
        return self.support

    def check_data(self, x: Any, what: str = "x", **params: Any) -> np.ndarray:
        """Validate data against the support; errors name the first bad index."""
        return self.support_of(**params).check(x, what=what, owner=self.title,
                                               error=SupportError)

    # ------------------------------------------------------------------ numerics
    def logpdf(self, x: np.ndarray, **params: np.ndarray) -> np.ndarray:
        """log p(x; θ) elementwise (log-pmf for discrete families); −inf off the support."""
        raise NotImplementedForFamily(f"{self.title} has no numeric log-density")

    def cdf(self, x: np.ndarray, **params: np.ndarray) -> np.ndarray:
        raise NotImplementedForFamily(f"{self.title} has no closed-form CDF")

    def logsf(self, x: np.ndarray, **params: np.ndarray) -> np.ndarray:
        """log P(X > x); default ``log1p(-cdf)``."""
        return np.log1p(-self.cdf(x, **params))

    def logcdf(self, x: np.ndarray, **params: np.ndarray) -> np.ndarray:
        r"""log F(x) = log P(X ≤ x), stable in both tails.

        Default, from :meth:`cdf` and :meth:`logsf`:

        .. math:: \log F(x) = \begin{cases} \log F(x) & F(x) < 1/2 \\
                  \operatorname{log1p}(-e^{\log S(x)}) & \text{otherwise} \end{cases}

        A family overrides it where F itself underflows (Normal's ``log_ndtr``); censored
        likelihoods (``mlekit.estimate``) and ``Distribution.logcdf`` call it.
        """
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            cdf = np.asarray(self.cdf(x, **params), float)
            logsf = np.asarray(self.logsf(x, **params), float)
            low = np.log(np.where(cdf > 0, cdf, 1.0)) + np.where(cdf > 0, 0.0, -np.inf)
            return np.where(cdf < 0.5, low, np.log1p(-np.exp(logsf)))

    def ppf(self, q: np.ndarray, **params: np.ndarray) -> np.ndarray:
        raise NotImplementedForFamily(f"{self.title} has no closed-form quantile function")

    def sample(self, size: tuple[int, ...], rng: np.random.Generator,
               **params: np.ndarray) -> np.ndarray:
        raise NotImplementedForFamily(f"{self.title} has no sampler")

    def mean(self, **params: np.ndarray) -> np.ndarray:
        raise NotImplementedForFamily(f"{self.title} has no closed-form mean")

    def var(self, **params: np.ndarray) -> np.ndarray:
        raise NotImplementedForFamily(f"{self.title} has no closed-form variance")

    def entropy(self, **params: np.ndarray) -> np.ndarray:
        raise NotImplementedForFamily(f"{self.title} has no closed-form entropy")

    # ------------------------------------------------------------------ closed forms
    def mle(self, x: np.ndarray, weights: np.ndarray | None = None,
            fixed: Mapping[str, float] | None = None) -> dict[str, float] | None:
        """Closed-form MLE, or ``None`` if the family has none (for these ``fixed``).

        The result is a plain ``{name: value}`` dict of estimates. A specialised solver
        may return an :class:`~mlekit.families._mle_tools.MLEstimate` (a dict subclass)
        whose ``details`` are read by :func:`mlekit.estimate.fit`: ``method`` (label),
        ``converged``, ``nit``, ``message``, ``boundary`` (e.g. ``"nu = 1e10 (cap; the
        likelihood rises towards nu = inf)"``, an edge the parameter domain does not
        show, reported in ``FitResult.at_boundary`` with a ``BoundaryWarning``), ``llf``
        (the maximised log-likelihood) and ``information`` (the observed information
        ``{(a, b): −∂²ℓ/∂a∂b}``) or ``information_u`` (−∂²ℓ/∂u∂uᵀ as a matrix in the
        unconstrained coordinates of the free parameters, in their order; for vector
        parameters such as a mixture's ``weights``).
        """
        return None

    def fisher_information(self, **params: np.ndarray) -> np.ndarray | None:
        """Expected information of ONE observation, shape (..., k, k) in the order of
        :attr:`estimable_names`; ``None`` when not known in closed form."""
        return None

    def mle_boundary(self, estimates: Mapping[str, np.ndarray]) -> tuple[str, ...]:
        """Edges of the parameter space that the domains do not show, at which
        ``estimates`` (the free parameters) lie, as ``"name = value (why)"`` strings.

        Default: none. StudentT caps ν: at the cap the likelihood still rises towards
        ν = ∞; ``mlekit.estimate.fit`` reports these in ``FitResult.at_boundary`` with a
        ``BoundaryWarning`` and gives no Wald standard error there.
        """
        return ()

    # ------------------------------------------------------------------ derivatives
    def score(self, x: np.ndarray, **params: np.ndarray) -> dict[str, np.ndarray]:
        """∂ log p(x; θ) / ∂θ_j per observation, for every estimable θ_j.

        Default: the symbolic derivative of :meth:`sympy_density`, lambdified once.
        """
        fns = _symbolic_derivatives(self)
        return {n: np.broadcast_to(f(x, **params), np.broadcast(x, *params.values()).shape)
                for n, f in fns["score"].items()}

    def hessian(self, x: np.ndarray, **params: np.ndarray) -> dict[tuple[str, str], np.ndarray]:
        """∂² log p / ∂θ_a ∂θ_b per observation (keys ``(a, b)`` with a ≤ b in order)."""
        fns = _symbolic_derivatives(self)
        shape = np.broadcast(x, *params.values()).shape
        return {k: np.broadcast_to(f(x, **params), shape) for k, f in fns["hessian"].items()}

    # ------------------------------------------------------------------ symbolic
    def sympy_density(self) -> SymbolicDensity:
        """The density as a SymPy expression (cached; SymPy imported here, lazily)."""
        return _cached_symbolic(self)

    def _symbolic(self) -> SymbolicDensity:
        raise NotImplementedForFamily(f"{self.title} declares no symbolic density")

    #: a nuisance whose edge is another family, ``(nuisance, family name)``: the
    #: NegativeBinomial's ``alpha -> 0`` is the Poisson. A regression whose nuisance runs to
    #: that edge is checked with :meth:`edge_score` (``regression._diagnostics``)
    nuisance_edge: ClassVar[tuple[str, str] | None] = None

    def edge_score(self, x: np.ndarray, **params: np.ndarray) -> np.ndarray:
        """Per observation: ∂ log p / ∂(the :attr:`nuisance_edge` parameter) at its edge,
        at the other parameters given; its sum ≤ 0 says the likelihood rises towards the
        edge (for the NegativeBinomial: ((x − μ)² − x)/2, the overdispersion score)."""
        raise NotImplementedForFamily(f"{self.title} declares no nuisance edge")

    def unit_deviance(self, x: np.ndarray, **params: np.ndarray) -> np.ndarray | None:
        r"""The scale-free unit deviance :math:`d(x, \mu)` of an exponential dispersion
        model at these parameters (statsmodels' GLM convention: the deviance is
        :math:`\sum_i w_i d(x_i, \mu_i)`), read by the generic regression engine for a
        fit's deviance and null deviance. None (the default): the family declares none,
        and its regressions report no deviance (a fast-path row model may have its own)."""
        return None

    def separable_mean_model(self, link: Any, fixed: dict, y: np.ndarray,
                             w: np.ndarray | None) -> Any:
        """The row model of the mean alone, for the regression pipeline's separable route:
        an exponential dispersion model whose mean coefficients do not depend on the
        dispersion (Tweedie at a fixed power) fits the mean on it and the dispersion after
        it by :meth:`dispersion_fit`. None (the default): the joint fit runs."""
        return None

    def dispersion_fit(self, y: np.ndarray, w: np.ndarray | None, mu: np.ndarray,
                       power: float) -> tuple[float, float, float] | None:
        """``(log φ̂, nll, d²nll/du²)`` at the fitted means ``mu`` for the separable route
        (:meth:`separable_mean_model`); None: no finite fit."""
        return None

    def derivation_density(self) -> SymbolicDensity:
        r"""The SymPy density :func:`mlekit.derive.derive` works from: :meth:`sympy_density`,
        unless the family writes one for ``derive`` only (Tweedie's, its series kept as an
        opaque function :math:`a(y, \phi, p)`; the Ordinal's, for a fixed number of
        classes), which torch, the combinators and the symbolic checks do not see."""
        return self.sympy_density()

    def symbols(self) -> dict[str, Any]:
        """SymPy symbols of the parameters, with the assumptions of their domains."""
        return dict(self.sympy_density().params)

    def _make_symbols(self):
        """Helper for subclasses: (sympy, x, {name: Symbol}) with domain assumptions."""
        import sympy

        x = sympy.Symbol("x", **self.support.sympy_assumptions)
        # Greek names ("mu", "sigma") print as μ, σ in SymPy's text and LaTeX output
        syms = {p.name: sympy.Symbol(p.name, **p.domain.sympy_assumptions)
                for p in self.parameters}
        return sympy, x, syms

    # ------------------------------------------------------------------ fitting
    def fit(self, x: Any, weights: Any = None, **kwargs: Any):
        """Maximum-likelihood fit; see :func:`mlekit.fit`. Returns a ``FitResult``."""
        if _FIT_BACKEND is None:  # pragma: no cover - mlekit/__init__ installs it
            raise NotImplementedForFamily("import mlekit to enable fitting")
        return _FIT_BACKEND(x, self, weights=weights, **kwargs)


@functools.cache
def _cached_symbolic(family: Family) -> SymbolicDensity:
    return family._symbolic()


@functools.cache
def _symbolic_derivatives(family: Family) -> dict[str, dict]:
    """Lambdified score and Hessian of the symbolic log-density (once per family)."""
    import sympy

    sd = family.sympy_density()
    logp = sd.logdensity
    names = list(family.estimable_names)
    args = [sd.x, *[sd.params[n] for n in family.param_names]]
    # DiracDelta appears in derivatives of |x - mu| (Laplace); it is zero almost everywhere
    modules = [{"gamma": _gamma, "loggamma": _loggamma, "polygamma": _polygamma,
                "DiracDelta": lambda *a: 0.0}, "scipy", "numpy"]

    def lam(expr):
        f = sympy.lambdify(args, expr, modules=modules)

        def call(x, **params):
            with np.errstate(divide="ignore", invalid="ignore"):
                return np.asarray(f(x, *[params[n] for n in family.param_names]), dtype=float)

        return call

    score = {n: lam(sympy.diff(logp, sd.params[n])) for n in names}
    hess = {}
    for i, a in enumerate(names):
        for b in names[i:]:
            hess[(a, b)] = lam(sympy.diff(logp, sd.params[a], sd.params[b]))
    return {"score": score, "hessian": hess, "logpdf": lam(logp)}


def _gamma(x):
    from scipy.special import gamma

    return gamma(x)


def _loggamma(x):
    from scipy.special import gammaln

    return gammaln(x)


def _polygamma(n, x):
    from scipy.special import polygamma

    return polygamma(n, x)


class Distribution:
    """A frozen member (or a batch of members) of a :class:`Family`.

    Created by calling the family: ``mk.Normal(mu=0, sigma=1)``. Parameters are
    stored as float arrays; ``batch_shape`` is their broadcast shape.

    **Arguments of the numeric methods** (``logpdf``/``pdf``, ``cdf``/``logcdf``,
    ``sf``/``logsf``, ``ppf``/``isf``), the rule NumPy and SciPy follow:

    * NaN in, NaN out: a NaN argument gives NaN in that position (no error, no warning),
      so missing values propagate as in NumPy;
    * a value outside the support is not an error: ``logpdf`` is −inf there
      (``pdf`` 0), ``cdf`` 0 below and 1 above the support, ``logsf`` 0 below it;
    * a probability outside [0, 1] given to ``ppf``/``isf`` (also ±inf) is a
      :class:`~mlekit.errors.DataError` naming the index, never a silent NaN;
    * complex values with a non-zero imaginary part, text, dates, and booleans (for a
      continuous family) are a ``DataError`` (see :func:`as_real_array`);
    * ``sample(size, rng)``: ``size`` a non-negative int or tuple of them, at most 1e9
      values in all (checked before allocating); ``rng`` None, a seed or a Generator;
      anything else is a :class:`~mlekit.errors.ParameterError` naming it.

    Examples
    --------
    >>> import numpy as np, mlekit as mk
    >>> d = mk.Normal(mu=[0.0, 1.0], sigma=2.0)      # a batch of two members
    >>> d.batch_shape, len(d)
    ((2,), 2)
    >>> np.round(d.logpdf(0.0), 4)
    array([-1.6121, -1.7371])
    >>> d[1]
    Normal(mu=1, sigma=2)
    >>> float(d[1].mean), float(d[1].std)
    (1.0, 2.0)
    >>> round(d[0].nll([1.0, -1.0]), 4)               # sum of -log p(x_i)
    3.4742
    >>> d.sample(3, rng=0).shape
    (3, 2)
    """

    __array_priority__ = 100

    def __init__(self, family: Family, params: Mapping[str, np.ndarray],
                 aux: Mapping[str, np.ndarray] | None = None):
        self.family = family
        self.params: dict[str, np.ndarray] = dict(params)
        self.aux: dict[str, np.ndarray] = dict(aux or {})
        self.batch_shape: tuple[int, ...] = family.batch_shape(self.params)

    # -- representation
    def __repr__(self) -> str:
        def fmt(v):
            v = np.asarray(v)
            if v.ndim == 0:
                return f"{float(v):.6g}"
            return np.array2string(v, precision=4, separator=", ", threshold=6)

        inner = ", ".join(f"{k}={fmt(v)}" for k, v in self.params.items())
        return f"{self.family.title}({inner})"

    def __getattr__(self, name: str) -> Any:
        params = self.__dict__.get("params")
        if params is not None and name in params:
            v = params[name]
            return float(v) if np.ndim(v) == 0 else v
        raise AttributeError(f"{type(self).__name__} has no attribute {name!r}")

    # -- numerics (delegate to the family)
    def _arg(self, x: Any, what: str = "x") -> np.ndarray:
        return as_real_array(x, what=what, owner=self.family.title,
                             allow_bool=self.family.discrete)

    def _nan_through(self, x: np.ndarray, out: Any,
                     limits: tuple[float, float] | None = None) -> np.ndarray:
        """NaN in, NaN out (NumPy's rule), whatever the family's formula gives for NaN;
        ``limits``: the values at x = −inf and +inf, the limits every distribution
        shares (a density → 0, F → 0 and 1), set exactly (formulas may give inf − inf)."""
        out = np.asarray(out, dtype=float)
        nd = self.family.event_ndim
        if limits is not None and not nd and np.any(np.isinf(x)):
            out = np.where(np.isneginf(x), limits[0], np.where(np.isposinf(x), limits[1], out))
        nan = np.isnan(x)
        if nd and nan.ndim >= nd:
            nan = nan.any(axis=tuple(range(-nd, 0)))
        if np.any(nan):
            out = np.where(nan, np.nan, out)
        return out

    def _probability(self, q: Any, method: str) -> np.ndarray:
        """A probability argument: NaN passes (NaN out); a finite or infinite value outside
        [0, 1] is an error naming the index."""
        q = self._arg(q, "q")
        bad = (q < 0) | (q > 1)
        if np.any(bad):
            where = f"q[{first_bad_index(bad)}] = {q[bad][0]:g}" if q.ndim else f"q = {q:g}"
            raise DataError(f"{self.family.title}.{method}: q must be a probability in [0, 1]; "
                            f"{where} is not (NaN is passed through as NaN)")
        return q

    def logpdf(self, x: Any) -> np.ndarray:
        """log p(x) (log-pmf for discrete families); −inf off the support, NaN for NaN."""
        x = self._arg(x)
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            return self._nan_through(x, self.family.logpdf(x, **self.params, **self.aux),
                                     (-np.inf, -np.inf))

    logpmf = logpdf

    def pdf(self, x: Any) -> np.ndarray:
        """p(x) (the pmf for discrete families); 0 off the support, NaN for NaN."""
        return np.exp(self.logpdf(x))

    pmf = pdf

    def cdf(self, x: Any) -> np.ndarray:
        """F(x) = P(X ≤ x): 0 below the support, 1 above it, NaN for NaN."""
        x = self._arg(x)
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            return self._nan_through(x, self.family.cdf(x, **self.params), (0.0, 1.0))

    def logsf(self, x: Any) -> np.ndarray:
        """log S(x) = log P(X > x), exact where S underflows; NaN for NaN."""
        x = self._arg(x)
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            return self._nan_through(x, self.family.logsf(x, **self.params), (0.0, -np.inf))

    def sf(self, x: Any) -> np.ndarray:
        """S(x) = P(X > x) = exp(logsf(x))."""
        return np.exp(self.logsf(x))

    def logcdf(self, x: Any) -> np.ndarray:
        """log F(x), stable in both tails: the family's own ``logcdf`` if it declares one,
        else log F where F < 1/2 and log1p(−S) above (S = exp(logsf))."""
        x = self._arg(x)
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            own = getattr(self.family, "logcdf", None)
            if callable(own):
                out = own(x, **self.params)
            else:
                cdf = np.asarray(self.family.cdf(x, **self.params), float)
                logsf = np.asarray(self.family.logsf(x, **self.params), float)
                out = np.where(cdf < 0.5, np.log(cdf), np.log1p(-np.exp(logsf)))
            return self._nan_through(x, out, (-np.inf, 0.0))

    def ppf(self, q: Any) -> np.ndarray:
        """Quantile function F⁻¹(q) = min{x in the support: F(x) ≥ q} for q in [0, 1] (NaN
        for NaN; q outside [0, 1] is a DataError naming the index). ``ppf(0)`` is the
        support's lower end for every family, as R's ``q*`` functions give it (0 for
        counts, where scipy's convention gives −1)."""
        q = self._probability(q, "ppf")
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            out = self._nan_through(q, self.family.ppf(q, **self.params))
        if self.family.discrete and not self.family.event_ndim and np.any(q == 0):
            out = np.where(q == 0, self._support_low(), out)
        return out

    def _support_low(self) -> Any:
        """The support's lower end (per member where it depends on the parameters)."""
        try:
            dom = self.family.support_of(**self.params)
        except (TypeError, KeyError, ValueError):
            dom = self.family.support
        bounds = dom.bounds
        return np.asarray(bounds[0] if bounds is not None else dom.edges[0], float)

    def isf(self, q: Any) -> np.ndarray:
        """Inverse survival function S⁻¹(q) = F⁻¹(1 − q): the family's own ``isf`` if it
        declares one, else ``ppf(1 − q)`` (which resolves q only down to ~1e-16)."""
        q = self._probability(q, "isf")
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            own = getattr(self.family, "isf", None)
            out = own(q, **self.params) if callable(own) else \
                self.family.ppf(1.0 - q, **self.params)
            return self._nan_through(q, out)

    def _sample_shape(self, size: Any) -> tuple[int, ...]:
        """``size`` as a tuple of non-negative ints, checked before anything is allocated."""
        title = self.family.title
        if size is None:
            return ()
        items = (size,) if np.ndim(size) == 0 and not isinstance(size, (tuple, list)) \
            else size
        try:
            items = tuple(items)
        except TypeError:
            items = None  # type: ignore[assignment]
        out: list[int] = []
        for s in items if items is not None else (size,):
            try:
                if isinstance(s, (bool, np.bool_)) or items is None:
                    raise TypeError
                n = operator.index(s)
            except TypeError:
                raise ParameterError(
                    f"{title}.sample: size must be a non-negative integer or a tuple of them; "
                    f"got {size!r} ({type(s).__name__})") from None
            if n < 0:
                raise ParameterError(f"{title}.sample: size must be >= 0; got {size!r}")
            out.append(int(n))
        event = 1
        for p in self.family.parameters:
            if p.event_ndim:
                shp = np.shape(self.params[p.name])
                event = max(event, int(shp[-1]) if shp else 1)
        count = math.prod(out) * math.prod(self.batch_shape) * event
        if count > MAX_SAMPLE_VALUES:
            raise ParameterError(
                f"{title}.sample: size {tuple(out)} asks for {count:.3g} values, more than "
                f"the limit of {MAX_SAMPLE_VALUES:.0e} in one call; draw in batches")
        return tuple(out)

    def sample(self, size: int | tuple[int, ...] | None = None,
               rng: np.random.Generator | int | None = None) -> np.ndarray:
        """Draw samples of shape ``size + batch_shape (+ event shape)``.

        ``size``: None, a non-negative int or a tuple of them (at most 1e9 values in all,
        checked before allocating); ``rng``: None, a non-negative integer seed, a
        ``numpy.random.Generator``, ``BitGenerator`` or ``SeedSequence``. Anything else is
        a :class:`~mlekit.errors.ParameterError` naming it.
        """
        shape = self._sample_shape(size)
        try:
            gen = np.random.default_rng(rng)
        except (TypeError, ValueError) as exc:
            raise ParameterError(
                f"{self.family.title}.sample: rng must be None, a non-negative integer seed or "
                f"a numpy.random.Generator; got {rng!r} ({exc})") from None
        try:
            return self._guarded("sample", lambda: self.family.sample(shape, gen, **self.params))
        except ValueError as exc:  # NumPy's samplers refuse e.g. Poisson rates above ~1e19
            if isinstance(exc, MlekitError):
                raise
            raise ParameterError(
                f"{self!r}.sample: NumPy's sampler cannot draw from these parameters "
                f"({exc}); rescale the parameters") from None

    def _guarded(self, what: str, compute: Callable[[], Any]) -> Any:
        """Run ``compute`` without NumPy floating-point warnings; a non-finite result from
        finite parameters becomes one :class:`~mlekit.errors.NumericalWarning` naming the
        member and the method (the value itself is kept: ±inf is the IEEE answer)."""
        import warnings

        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # e.g. casts inside samplers
            out = compute()
        arr = np.asarray(out)
        if arr.dtype.kind in "fc" and not np.all(np.isfinite(arr)):
            finite = all(np.all(np.isfinite(np.asarray(v, dtype=float)))
                         for v in self.params.values()
                         if np.asarray(v).dtype.kind in "fiub")
            if finite:
                from ..errors import NumericalWarning

                warnings.warn(
                    f"{self!r}.{what} is not finite: the value exceeds (or underflows) "
                    "double precision at these parameters", NumericalWarning, stacklevel=3)
        return out

    def nll(self, x: Any) -> float:
        """Negative log-likelihood Σ −log p(x_i) of the data under this member."""
        x = self.family.check_data(self._arg(x), **self.params)
        return float(self._guarded("nll", lambda: -np.sum(self.logpdf(x))))

    @property
    def mean(self) -> np.ndarray:
        return self._guarded("mean", lambda: self.family.mean(**self.params))

    @property
    def var(self) -> np.ndarray:
        return self._guarded("var", lambda: self.family.var(**self.params))

    @property
    def std(self) -> np.ndarray:
        return self._guarded("std", lambda: np.sqrt(self.family.var(**self.params)))

    def entropy(self) -> np.ndarray:
        """Differential (continuous) or Shannon (discrete) entropy in nats."""
        return self._guarded("entropy", lambda: self.family.entropy(**self.params))

    def __getitem__(self, index: Any) -> Distribution:
        """Select members of a batch: ``d[0]``, ``d[1:3]``."""
        if not self.batch_shape:
            raise IndexError(f"{self!r} is a single distribution, not a batch")
        out = {}
        for p in self.family.parameters:
            arr = np.asarray(self.params[p.name])
            full = np.broadcast_to(arr, self.batch_shape + arr.shape[arr.ndim - p.event_ndim:])
            out[p.name] = np.array(full[index])
        aux = {k: np.array(np.broadcast_to(v, np.shape(v))[index]) for k, v in self.aux.items()}
        return Distribution(self.family, out, aux)

    def __len__(self) -> int:
        if not self.batch_shape:
            raise TypeError("a single distribution has no len()")
        return self.batch_shape[0]

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Distribution) or other.family is not self.family:
            return NotImplemented
        return all(np.array_equal(self.params[k], other.params[k]) for k in self.params)

    __hash__ = None  # type: ignore[assignment]
