r"""Row models: a family and a link turned into a loss on the linear predictors (link space).

A *row model* says, for one row ``i``, what the negative log-likelihood is as a
function of the raw linear predictors ``eta_i`` (STYLE.md §1: losses live in link
space, like scikit-learn's ``raw_prediction``), and returns its first and second
derivatives with respect to them:

.. math::

    \ell_i(\eta_i) = -\log p(y_i \mid \eta_i), \qquad
    g_{ia} = \partial \ell_i / \partial \eta_{ia}, \qquad
    h_{iab} = \partial^2 \ell_i / \partial \eta_{ia} \partial \eta_{ib} .

A model has ``m`` *slots* (linear predictors). Slot 0 drives the mean parameter
through the link, ``mu = g^{-1}(eta_0)``; nuisance parameters (sigma, shape,
dispersion, nu, precision) are further slots on an unconstrained scale
(``u = log sigma``), with an intercept-only design unless the model makes them
depend on ``X`` (heteroscedastic Normal: ``log sigma = X gamma``). Categorical
has ``k - 1`` slots (softmax logits against the reference class 0).

The solver never sees the family: it sees sums over rows of these quantities
(``regression/_sums.py``), so canonical pairs can be specialised in a family's row
model (Bernoulli-logit: ``ell = log(1 + e^eta) - y eta`` via ``logaddexp``, exact at
``eta = ±1000``) while other links use the chain rule

.. math::

    \frac{\partial \ell}{\partial \eta} = \frac{\partial \ell}{\partial \mu}\,\mu', \qquad
    \frac{\partial^2 \ell}{\partial \eta^2} = \frac{\partial^2 \ell}{\partial \mu^2}\,\mu'^2
        + \frac{\partial \ell}{\partial \mu}\,\mu'' ,

with ``mu' = link.inverse_deriv(eta)`` and ``mu'' = link.inverse_deriv2(eta)``.

Each family with a hand-written fast path declares it beside its density
(``row_model = PoissonModel`` in ``families/poisson.py``); this module holds what
those kernels share: :class:`Cumulant`, :class:`Slot`, the :class:`RowModel` base,
the GLM chain-rule base ``_MeanModel`` and the small helpers. The generic engine
(``regression/_engine.py``) builds the same quantities from the family's own
log-density and score for every family, and a registry-driven test
(``tests/regression/test_engine_binding.py``) holds every declared fast path
against it to 1e-10 on the NLL, gradient and Hessian.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np

from ..errors import NotImplementedForFamily, ParameterError, SupportError
from ..links import Link, get_link
from ._registry import get_family
from .base import Family

__all__ = ["Cumulant", "RowModel", "Slot"]

_LOG_SQRT_2PI = 0.5 * float(np.log(2.0 * np.pi))


def _scaled_moments(y: np.ndarray, w: np.ndarray) -> tuple[float, float, float]:
    r"""Weighted mean and variance of ``y`` in units of its largest magnitude ``s``.

    Returns ``(m_z, v_z, s)`` with ``z = y / s``, ``s = max |y|`` (1 if every y is 0),
    ``m_z = Σ w z / Σ w`` and ``v_z = Σ w (z - m_z)² / Σ w``; the moments of y are
    ``m = s m_z`` and ``v = s² v_z``. Squaring ``z`` (``|z| <= 1``) cannot overflow
    where ``y²`` would (``|y| ~ 1e300``), so a start value such as ``log sd`` or a
    coefficient of variation ``v / m²`` is formed from ``m_z, v_z`` and ``log s``
    without an overflow or a division of two infinities.
    """
    s = float(np.max(np.abs(y))) if y.size else 0.0
    if not np.isfinite(s) or s == 0.0:
        s = 1.0
    z = y / s
    sw = float(np.sum(w))
    mz = float(np.sum(w * z) / sw)
    vz = float(np.sum(w * (z - mz) ** 2) / sw)
    return mz, vz, s


class Cumulant:
    r"""A one-slot canonical pair written through its cumulant function ``a``.

    .. math:: \ell_i(\eta_i) = a(\eta_i) - y_i\,\eta_i + c(y_i), \qquad
        \partial_\eta \ell_i = a'(\eta_i) - y_i, \qquad
        \partial^2_\eta \ell_i = a''(\eta_i) \;(\text{observed} = \text{expected}).

    ``c(y)`` does not depend on the parameters: the row-sum backend adds ``Σ w c(y)``
    once instead of on every pass, and a pass that only needs the gradient skips
    ``a`` (for the logit, the one ``log1p`` per row). Subclasses write into
    caller-owned buffers (``out``), so a pass over cache-sized chunks allocates nothing.
    """

    #: is ``a(η)`` free once the mean is known (``a = a'``: Poisson-log)? Then passes
    #: compute the NLL even when the caller could do without it
    value_is_free: bool = False

    def mean(self, eta: np.ndarray, out: np.ndarray) -> np.ndarray:
        """``a'(η)`` (the mean) into ``out``."""
        raise NotImplementedError

    def value_sum(self, eta: np.ndarray, mean: np.ndarray | None, w: np.ndarray | None,
                  out: np.ndarray) -> float:
        """``Σ w a(η)`` (``mean``: ``a'(η)`` if already computed, else None; ``out``: a free
        buffer of η's shape)."""
        raise NotImplementedError

    def variance(self, eta: np.ndarray, mean: np.ndarray, out: np.ndarray) -> np.ndarray:
        """``a''(η) >= 0`` (the variance function) into ``out``."""
        raise NotImplementedError

    def const(self, y: np.ndarray) -> np.ndarray | None:
        """``c(y)`` per row (None: ``c = 0``)."""
        raise NotImplementedError



@dataclass(frozen=True)
class Slot:
    """One linear predictor of a row model.

    name : label used in parameter names (``"mu"``, ``"log(sigma)"``, ``"y=2"``)
    design : ``"X"`` (columns of the design matrix) or ``"1"`` (intercept only)
    nuisance : the natural-scale nuisance parameter this slot carries, if any
    transform : the link that maps it (``"log"``: param = exp(slot))
    columns : with ``design="X"``, the indices of the columns of ``X`` this slot uses
        (None: all of them); the intercept, when the fit has one, comes first
    """

    name: str
    design: str = "X"
    nuisance: str | None = None
    transform: str = "log"
    columns: tuple[int, ...] | None = None

    def size(self, p: int, intercept: bool) -> int:
        """Coefficients of this slot when ``X`` has ``p`` columns (intercept excluded)."""
        if self.design != "X":
            return 1
        return (p if self.columns is None else len(self.columns)) + bool(intercept)

    def take(self, X: np.ndarray) -> np.ndarray:
        """The columns of ``X`` this slot uses (``X`` itself when all)."""
        return X if self.columns is None else X[:, list(self.columns)]


@dataclass
class RowModel:
    """Base class: per-row NLL and its derivatives in link space.

    Subclasses implement :meth:`rows`. ``fixed`` holds nuisance parameters held
    fixed (natural scale); their slots are then dropped.
    """

    family: Family
    link: Link
    fixed: dict[str, float] = field(default_factory=dict)
    #: "observed" (Hessian of the NLL) or "expected" (Fisher information) second derivatives
    information: str = "observed"

    #: nuisance parameters this model can estimate (natural-scale names), in slot order
    nuisance_names: ClassVar[tuple[str, ...]] = ()
    classification: ClassVar[bool] = False
    allowed_links: ClassVar[tuple[str, ...]] = ()
    #: link used when none is given (None: the family's canonical link)
    default_link: ClassVar[str | None] = None
    #: the exact solver that finds this model's MLE, when one does (no Newton):
    #: ``"least squares"`` (Normal-identity) or ``"linear program"`` (Laplace: median
    #: regression); None: Newton on the likelihood
    exact: ClassVar[str | None] = None
    #: the information its standard errors must use whatever the user asks for (Laplace:
    #: ``"expected"``, as ``|y − μ|`` has no curvature); None: the one asked for
    information_kind: ClassVar[str | None] = None
    #: is the saturated NLL zero for every row (a class observed has probability 1)?
    saturated_zero: ClassVar[bool] = False

    def __post_init__(self) -> None:
        if self.allowed_links and self.link.name not in self.allowed_links:
            raise ParameterError(
                f"{self.family.title} regression supports the links "
                f"{', '.join(self.allowed_links)}; got {self.link.name!r}"
            )
        unknown = set(self.fixed) - set(self.nuisance_names)
        if unknown:
            raise ParameterError(
                f"{self.family.title} regression: cannot fix {sorted(unknown)[0]!r} "
                f"(nuisance parameters: {', '.join(self.nuisance_names) or 'none'})"
            )

    # ------------------------------------------------------------------ pickling
    def __getstate__(self) -> dict[str, Any]:
        """Pickle family and link by registry name (links hold lambdas)."""
        state = dict(self.__dict__)
        state["family"] = self.family.name
        state["link"] = self.link.name
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        state = dict(state)
        state["family"] = get_family(state["family"])
        state["link"] = get_link(state["link"])
        self.__dict__.update(state)

    # ------------------------------------------------------------------ layout
    @property
    def mean_slots(self) -> list[Slot]:
        return [Slot("mu", "X")]

    @property
    def slots(self) -> list[Slot]:
        return self.mean_slots + [Slot(f"log({n})", "1", n) for n in self.nuisance_names
                                  if n not in self.fixed]

    @property
    def n_slots(self) -> int:
        return len(self.slots)

    def nuisance_values(self, eta: np.ndarray) -> dict[str, np.ndarray]:
        """Natural-scale nuisance parameters from the slot values (fixed ones included)."""
        out = {k: np.asarray(v, float) for k, v in self.fixed.items()}
        for j, s in enumerate(self.slots):
            if s.nuisance is not None:
                out[s.nuisance] = np.exp(eta[:, j])
        return out

    def cumulant(self) -> Cumulant | None:
        """The canonical form ``ℓ = a(η) - yη + c(y)`` when the model is one mean slot on a
        canonical link with no nuisance slots and no per-row extras; else None.

        The row-sum backend then runs its lean passes (``_sums.py``)."""
        return None

    # ------------------------------------------------------------------ data
    def check_y(self, y: np.ndarray, aux: Mapping[str, np.ndarray]) -> np.ndarray:
        """Validate y against the support; SupportError names the first bad index."""
        return self.family.support.check(y, what="y", owner=f"{self.family.title} regression",
                                         error=SupportError)

    def init_eta(self, y: np.ndarray, w: np.ndarray, aux: Mapping[str, np.ndarray]) -> np.ndarray:
        """Starting values of the slots (intercept-only fit), shape (m,)."""
        raise NotImplementedError

    # ------------------------------------------------------------------ the loss
    def rows(self, y: np.ndarray, eta: np.ndarray, aux: Mapping[str, np.ndarray],
             order: int = 2) -> tuple[np.ndarray, np.ndarray | None, np.ndarray | None]:
        """Per-row NLL (n,), gradient (n, m) and Hessian (n, m, m) w.r.t. the slots.

        ``order`` 0 returns only the NLL (line search), 1 adds the gradient.
        """
        raise NotImplementedError

    # ------------------------------------------------------------------ outputs
    def mean(self, eta: np.ndarray) -> np.ndarray:
        """E[y | x]: shape (n,), or (n, k) class probabilities for Categorical."""
        return self.link.inverse(eta[:, 0])

    def distribution_params(self, eta: np.ndarray, aux: Mapping[str, np.ndarray]) -> dict:
        """Keyword arguments of ``family(**params)`` for the rows."""
        raise NotImplementedForFamily(
            f"predict_distribution is not available for {self.family.title} regression"
        )

    #: why this model is fitted in memory only (a start or an existence check that needs
    #: every row, not the first block the Dask backend probes); None: any backend
    in_memory_only: ClassVar[str | None] = None

    @property
    def edge(self) -> tuple[str, str] | None:
        """The family's :attr:`~mlekit.families.base.Family.nuisance_edge` (the NB's
        ``("alpha", "poisson")``), checked by the regression's ``check_nuisance_edge``."""
        return self.family.nuisance_edge

    def edge_score(self, y: np.ndarray, eta: np.ndarray,
                   aux: Mapping[str, np.ndarray]) -> np.ndarray:
        """Per row: the family's :meth:`~mlekit.families.base.Family.edge_score` at the
        row's parameters."""
        return self.family.edge_score(y, **self.distribution_params(eta, aux))

    def check_existence(self, X: np.ndarray, y: np.ndarray, w: np.ndarray | None,
                        names: list[str]) -> None:
        """Raise NoMaximumError where this model's MLE does not exist for the data (an
        exact check the model knows, e.g. the Ordinal's linear program); the pipeline's
        own screens (counts, proportions, classes) run besides. Default: nothing."""
        return None

    def unit_deviance(self, y: np.ndarray, eta: np.ndarray,
                      aux: Mapping[str, np.ndarray]) -> np.ndarray | None:
        """Scale-free unit deviance d(y, mu) (statsmodels GLM convention), or None."""
        return None

    def saturated_nll(self, y: np.ndarray, aux: Mapping[str, np.ndarray]) -> np.ndarray | None:
        r"""Per-row NLL of the saturated model (``mu_i = y_i``), or None.

        Given only for one-parameter families, whose unit deviance is
        ``d_i = 2 (ℓ_i(η_i) - ℓ_i^{sat})``: the deviance is then ``2 (f(θ̂) - Σ w ℓ^{sat})``,
        a sum over ``y`` alone (no pass over ``X``).
        """
        return None


def _chain(d1: np.ndarray, d2: np.ndarray, link: Link, eta: np.ndarray):
    """Map derivatives w.r.t. mu (d1 (n,), d2 (n,)) to derivatives w.r.t. eta."""
    m1 = link.inverse_deriv(eta)
    m2 = link.inverse_deriv2(eta)
    return d1 * m1, d2 * m1 * m1 + d1 * m2, m1


def _xmul(c: np.ndarray, v: np.ndarray, log: bool = True) -> np.ndarray:
    """``c * v`` with ``0 * (±inf) = 0`` (the xlogy convention, on a log already taken)."""
    return np.where(c == 0, 0.0, c * np.where(c == 0, 0.0, v))


def _pack(ll: np.ndarray, grads: list[np.ndarray], hess: dict[tuple[int, int], np.ndarray],
          order: int):
    """Turn log-likelihood pieces into NLL arrays (sign flip) of shape (n,), (n,m), (n,m,m)."""
    nll = -ll
    if order == 0:
        return nll, None, None
    g = -np.stack(grads, axis=1)
    if order == 1:
        return nll, g, None
    m = len(grads)
    h = np.empty((ll.shape[0], m, m))
    for (a, b), v in hess.items():
        h[:, a, b] = -v
        h[:, b, a] = -v
    return nll, g, h


# ---------------------------------------------------------------------- GLM chain rule
@dataclass
class _MeanModel(RowModel):
    r"""A family with one mean slot (through the link) and intercept-only nuisance slots.

    Subclasses implement :meth:`_loglik` with derivatives w.r.t. ``mu`` and the
    log-nuisances ``u_k`` (index 0 = mu, 1.. = estimated nuisances in slot order);
    this class applies the chain rule to ``eta``. Rows where ``mu`` leaves the
    family's mean domain get NLL = +inf (the line search then backtracks).
    """

    #: mean must be > 0 (Poisson, Gamma …) or in (0, 1) (Binomial, Beta)
    mean_domain: ClassVar[str] = "real"

    def _valid_mu(self, mu: np.ndarray) -> np.ndarray:
        if self.mean_domain == "positive":
            return mu > 0
        if self.mean_domain == "unit":
            return (mu > 0) & (mu < 1)
        return np.isfinite(mu)

    def _nu(self, eta: np.ndarray) -> dict[str, np.ndarray]:
        return self.nuisance_values(eta)

    def _estimated(self) -> list[str]:
        return [n for n in self.nuisance_names if n not in self.fixed]

    def _loglik(self, y, mu, nu, aux, order):
        """Return (ll (n,), grads [d_mu, d_u1, …], hess {(a, b): …}) on the (mu, u) scale."""
        raise NotImplementedError

    def _canonical(self, y, e, nu, aux, order):
        """Optional exact link-space form for the canonical pair; None to use the chain rule."""
        return None

    def rows(self, y, eta, aux, order=2):
        e = eta[:, 0]
        nu = self._nu(eta)
        out = self._canonical(y, e, nu, aux, order)
        if out is not None:
            ll, grads, hess = out
            return _pack(ll, grads, hess, order)
        with np.errstate(all="ignore"):
            mu = self.link.inverse(e)
            ok = self._valid_mu(mu)
            mu_safe = np.where(ok, mu, 0.5 if self.mean_domain == "unit" else 1.0)
            ll, grads, hess = self._loglik(y, mu_safe, nu, aux, order)
            ll = np.where(ok, ll, -np.inf)
            if order == 0:
                return -ll, None, None
            m1 = self.link.inverse_deriv(e)
            m2 = self.link.inverse_deriv2(e) if order >= 2 else None
        d1 = grads[0]
        grads = [d1 * m1, *grads[1:]]
        if order >= 2:
            hess = dict(hess)
            info = (self.expected_mu_information(mu_safe, nu, aux)
                    if self.information == "expected" else None)
            if info is not None:
                # Fisher scoring: E[d2 ll/d eta2] = -m1^2 I_mu; E[cross] = 0 (orthogonal)
                hess[(0, 0)] = -info * m1 * m1
                for k in range(1, len(grads)):
                    hess[(0, k)] = np.zeros_like(d1)
            else:
                hess[(0, 0)] = hess[(0, 0)] * m1 * m1 + d1 * m2
                for k in range(1, len(grads)):
                    hess[(0, k)] = hess[(0, k)] * m1
        return _pack(ll, grads, hess, order)

    def expected_mu_information(self, mu, nu, aux):  # pragma: no cover - per family
        """E[-d²ll/dmu²] per row (for expected information), or None."""
        return None
