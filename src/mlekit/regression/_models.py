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
(``regression/_sums.py``), so canonical pairs can be specialised here
(Bernoulli-logit: ``ell = log(1 + e^eta) - y eta`` via ``logaddexp``, exact at
``eta = ±1000``) while other links use the chain rule

.. math::

    \frac{\partial \ell}{\partial \eta} = \frac{\partial \ell}{\partial \mu}\,\mu', \qquad
    \frac{\partial^2 \ell}{\partial \eta^2} = \frac{\partial^2 \ell}{\partial \mu^2}\,\mu'^2
        + \frac{\partial \ell}{\partial \mu}\,\mu'' ,

with ``mu' = link.inverse_deriv(eta)`` and ``mu'' = link.inverse_deriv2(eta)``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np
from scipy.special import (
    digamma,
    expit,
    gammaln,
    log_expit,
    log_ndtr,
    logsumexp,
    polygamma,
    xlogy,
)

from ..errors import NotImplementedForFamily, ParameterError, SupportError
from ..families import FAMILIES, Family, get_family
from ..links import Link, get_link

__all__ = ["MODELS", "Cumulant", "RowModel", "Slot", "make_model"]

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


class _LogitCumulant(Cumulant):
    r"""Bernoulli-logit: ``a(η) = log(1 + e^η)``, ``a' = expit(η)``, ``a'' = q (1 - q)``
    with ``q = expit(-|η|) <= 1/2`` (no cancellation at ``|η|`` large), ``c = 0``."""

    def mean(self, eta, out):
        return expit(eta, out=out)

    def value_sum(self, eta, mean, w, out):
        # log(1 + e^η) = max(η, 0) + log1p(e^{-|η|}), finite for every finite η, summed
        # without temporaries: Σ w max(η, 0) = (Σ w η + Σ w |η|) / 2
        def total(v):
            return float(np.sum(v)) if w is None else float(w @ v)

        np.abs(eta, out=out)
        positive = 0.5 * (total(eta) + total(out))
        np.negative(out, out=out)
        np.exp(out, out=out)
        np.log1p(out, out=out)
        return positive + total(out)

    def variance(self, eta, mean, out):
        np.abs(eta, out=out)
        np.negative(out, out=out)
        expit(out, out=out)  # q = expit(-|η|) in (0, 1/2]
        out *= 1.0 - out
        return out

    def const(self, y):
        return None


class _LogCumulant(Cumulant):
    r"""Poisson-log: ``a(η) = a'(η) = a''(η) = e^η``, ``c(y) = log y!``."""

    value_is_free = True

    def mean(self, eta, out):
        with np.errstate(over="ignore"):  # e^η = inf: the NLL is +inf and the step backtracks
            return np.exp(eta, out=out)

    def value_sum(self, eta, mean, w, out):
        if mean is None:
            mean = self.mean(eta, out=out)
        return float(np.sum(mean)) if w is None else float(w @ mean)

    def variance(self, eta, mean, out):
        out[...] = mean
        return out

    def const(self, y):
        return gammaln(y + 1.0)


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
    #: can the mean slot take a separate design (heteroscedastic)?
    exact: ClassVar[bool] = False
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


# ---------------------------------------------------------------------- Normal
@dataclass
class NormalModel(RowModel):
    r"""Normal: ``y ~ N(mu, sigma^2)``, ``g(mu) = eta``, ``u = log sigma`` a nuisance slot.

    .. math:: \ell = \frac{(y-\mu)^2}{2\sigma^2} + \log\sigma + \tfrac12\log 2\pi

    With ``heteroscedastic=True`` the slot ``log sigma`` has the full design:
    ``log sigma_i = x_i^T gamma``.
    """

    heteroscedastic: bool = False
    nuisance_names: ClassVar[tuple[str, ...]] = ("sigma",)
    allowed_links: ClassVar[tuple[str, ...]] = ("identity", "log", "inverse")

    @property
    def slots(self) -> list[Slot]:
        if "sigma" in self.fixed:
            return [Slot("mu", "X")]
        return [Slot("mu", "X"), Slot("log(sigma)", "X" if self.heteroscedastic else "1",
                                      "sigma")]

    @property
    def exact(self) -> bool:  # type: ignore[override]
        return self.link.name == "identity" and not self.heteroscedastic

    def init_eta(self, y, w, aux):
        mz, vz, s = _scaled_moments(y, w)
        mu = s * mz
        log_sd = np.log(s) + 0.5 * np.log(vz) if vz > 0 else 0.0  # log sd, sd = s sqrt(v_z)
        if self.link.name == "log" and mu <= 0:
            mu = max(float(np.mean(np.abs(y))), 1e-3)
        eta0 = float(self.link.link(np.asarray(mu)))
        return np.array([eta0] + ([log_sd] if "sigma" not in self.fixed else []))

    def rows(self, y, eta, aux, order=2):
        mu = self.link.inverse(eta[:, 0])
        if "sigma" in self.fixed:
            u = np.full_like(mu, np.log(self.fixed["sigma"]))
        else:
            u = eta[:, 1]
        r = y - mu
        inv_s2 = np.exp(-2.0 * u)
        z2 = r * r * inv_s2
        ll = -0.5 * z2 - u - _LOG_SQRT_2PI
        if order == 0:
            return -ll, None, None
        d1, d2, m1 = _chain(r * inv_s2, -inv_s2, self.link, eta[:, 0])
        expected = self.information == "expected"
        if expected:
            d2 = -m1 * m1 * inv_s2
        grads, hess = [d1], {(0, 0): d2}
        if "sigma" not in self.fixed:
            grads.append(z2 - 1.0)
            hess[(0, 1)] = np.zeros_like(r) if expected else -2.0 * r * inv_s2 * m1
            hess[(1, 1)] = np.full_like(r, -2.0) if expected else -2.0 * z2
        return _pack(ll, grads, hess, order)

    def distribution_params(self, eta, aux):
        sig = self.fixed.get("sigma")
        sigma = np.exp(eta[:, 1]) if sig is None else np.full(eta.shape[0], sig)
        return {"mu": self.link.inverse(eta[:, 0]), "sigma": sigma}

    def unit_deviance(self, y, eta, aux):
        return (y - self.link.inverse(eta[:, 0])) ** 2


# ---------------------------------------------------------------------- Bernoulli
@dataclass
class BernoulliModel(RowModel):
    r"""Bernoulli: ``P(y=1) = F(eta)`` with ``F`` the inverse link (logit, probit, cloglog).

    .. math:: \ell = -y\log F(\eta) - (1-y)\log(1-F(\eta))

    ``log F`` and ``log(1-F)`` are computed exactly: ``log_expit`` (logit),
    ``log_ndtr`` (probit), ``log(-expm1(-e^eta))`` and ``-e^eta`` (cloglog).
    For the canonical logit this is ``logaddexp(0, eta) - y eta``.
    """

    classification: ClassVar[bool] = True
    allowed_links: ClassVar[tuple[str, ...]] = ("logit", "probit", "cloglog", "log")

    def check_y(self, y, aux):
        return y  # labels are encoded (and checked) by the estimator

    def cumulant(self):
        return _LogitCumulant() if self.link.name == "logit" else None

    def init_eta(self, y, w, aux):
        p = float(np.clip(np.sum(w * y) / np.sum(w), 0.01, 0.99))
        return np.array([float(self.link.link(np.asarray(p)))])

    def _logs(self, eta):
        """(log F, log(1-F), a = F'/F, b = F'/(1-F), r = F''/F')."""
        name = self.link.name
        with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
            if name == "logit":
                return (log_expit(eta), log_expit(-eta), expit(-eta), expit(eta),
                        1.0 - 2.0 * expit(eta))
            if name == "probit":
                lf, l1f = log_ndtr(eta), log_ndtr(-eta)
                lphi = -0.5 * eta * eta - _LOG_SQRT_2PI
                return lf, l1f, np.exp(lphi - lf), np.exp(lphi - l1f), -eta
            if name == "cloglog":
                e = np.exp(np.minimum(eta, 700.0))
                # log F = log(1 - exp(-e)) = eta + log1p(-e/2 + e^2/6 - ...): for eta < -30
                # (e < 1e-13) eta - e/2 is exact to double precision and stays finite where
                # e underflows to 0 (eta < -745); above, log(-expm1(-e)) is accurate.
                lf = np.where(eta < -30.0, eta - 0.5 * e, np.log(-np.expm1(-e)))
                return lf, -e, np.exp(eta - e - lf), e, 1.0 - e
            mu = self.link.inverse(eta)
            m1, m2 = self.link.inverse_deriv(eta), self.link.inverse_deriv2(eta)
            return np.log(mu), np.log1p(-mu), m1 / mu, m1 / (1.0 - mu), m2 / m1

    def rows(self, y, eta, aux, order=2):
        e = eta[:, 0]
        if self.link.name == "logit":  # canonical pair: exact and cheap
            # one exponential serves all: z = e^{-|η|} in (0, 1] never overflows,
            # log(1 + e^η) = max(η, 0) + log1p(z), expit(η) = 1/(1+z) or z/(1+z)
            z = np.exp(-np.abs(e))
            nll = np.maximum(e, 0.0) + np.log1p(z) - y * e
            if order == 0:
                return nll, None, None
            r = 1.0 / (1.0 + z)
            p = np.where(e >= 0, r, z * r)
            g = (p - y)[:, None]
            if order == 1:
                return nll, g, None
            return nll, g, (z * r * r)[:, None, None]  # p (1 - p) = z / (1 + z)²
        lf, l1f, a, b, r = self._logs(e)
        ll = _xmul(y, lf) + _xmul(1.0 - y, l1f)
        if order == 0:
            return -ll, None, None
        with np.errstate(all="ignore"):
            d1 = _xmul(y, a, log=False) - _xmul((1.0 - y), b, log=False)
            d2 = (_xmul(y, a * r - a * a, log=False)
                  - _xmul((1.0 - y), b * r + b * b, log=False))
            if self.information == "expected":
                d2 = -a * b  # E: -F'^2 / (F (1 - F))
        return _pack(ll, [d1], {(0, 0): d2}, order)

    def mean(self, eta):
        if self.link.name == "logit":
            return expit(eta[:, 0])
        return self.link.inverse(eta[:, 0])

    def distribution_params(self, eta, aux):
        if self.link.name == "logit":
            return {"logits": eta[:, 0]}
        return {"p": self.mean(eta)}

    def unit_deviance(self, y, eta, aux):
        return 2.0 * self.rows(y, eta, aux, order=0)[0]

    saturated_zero: ClassVar[bool] = True

    def saturated_nll(self, y, aux):
        return np.zeros_like(y)  # the observed class has probability 1: log-likelihood 0


# ---------------------------------------------------------------------- Categorical
@dataclass
class CategoricalModel(RowModel):
    r"""Categorical with softmax link: multinomial logistic regression.

    Class 0 is the reference (its logit is 0, as in statsmodels' MNLogit); slots
    ``1 … k-1`` hold the logits of the other classes.

    .. math:: \ell = \operatorname{logsumexp}(0, \eta_1, \dots, \eta_{k-1}) - \eta_{y}
    """

    n_classes: int = 2
    classification: ClassVar[bool] = True
    allowed_links: ClassVar[tuple[str, ...]] = ("softmax",)

    @property
    def slots(self) -> list[Slot]:
        return [Slot(f"y={j}", "X") for j in range(1, self.n_classes)]

    @property
    def mean_slots(self) -> list[Slot]:
        return self.slots

    def check_y(self, y, aux):
        return y

    def init_eta(self, y, w, aux):
        counts = np.bincount(y.astype(np.intp), weights=w, minlength=self.n_classes) + 0.5
        return np.log(counts[1:] / counts[0])

    def _full(self, eta):
        return np.concatenate([np.zeros((eta.shape[0], 1)), eta], axis=1)

    def rows(self, y, eta, aux, order=2):
        full = self._full(eta)
        lse = logsumexp(full, axis=1)
        yi = y.astype(np.intp)
        nll = lse - np.take_along_axis(full, yi[:, None], axis=1)[:, 0]
        if order == 0:
            return nll, None, None
        p = np.exp(full[:, 1:] - lse[:, None])
        onehot = (yi[:, None] == np.arange(1, self.n_classes)[None, :]).astype(float)
        g = p - onehot
        if order == 1:
            return nll, g, None
        h = -p[:, :, None] * p[:, None, :]
        idx = np.arange(self.n_classes - 1)
        h[:, idx, idx] += p
        return nll, g, h

    def mean(self, eta):
        full = self._full(eta)
        return np.exp(full - logsumexp(full, axis=1, keepdims=True))

    def distribution_params(self, eta, aux):
        return {"logits": self._full(eta)}

    def unit_deviance(self, y, eta, aux):
        return 2.0 * self.rows(y, eta, aux, order=0)[0]

    saturated_zero: ClassVar[bool] = True

    def saturated_nll(self, y, aux):
        return np.zeros_like(y)  # the observed class has probability 1: log-likelihood 0


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


def _fd_column(fn, v: np.ndarray, h: float = 1e-5):
    """Central difference of a per-row vector function along one per-row variable."""
    return (fn(v + h) - fn(v - h)) / (2.0 * h)


# ---------------------------------------------------------------------- Poisson
@dataclass
class PoissonModel(_MeanModel):
    r"""Poisson: ``ell = mu - y log mu + log y!``; log link: ``ell = e^eta - y eta + log y!``."""

    default_link: ClassVar[str | None] = "log"
    allowed_links: ClassVar[tuple[str, ...]] = ("log", "identity", "sqrt")
    mean_domain: ClassVar[str] = "positive"

    def cumulant(self):
        return _LogCumulant() if self.link.name == "log" else None

    def init_eta(self, y, w, aux):
        return np.array([float(self.link.link(np.asarray(max(np.sum(w * y) / np.sum(w),
                                                                 1e-3))))])

    def _canonical(self, y, e, nu, aux, order):
        if self.link.name != "log":
            return None
        with np.errstate(over="ignore"):
            mu = np.exp(e)
        ll = y * e - mu - gammaln(y + 1.0)
        return ll, [y - mu], {(0, 0): -mu}

    def _loglik(self, y, mu, nu, aux, order):
        ll = xlogy(y, mu) - mu - gammaln(y + 1.0)
        return ll, [y / mu - 1.0], {(0, 0): -y / mu**2}

    def distribution_params(self, eta, aux):
        return {"rate": self.mean(eta)}

    def unit_deviance(self, y, eta, aux):
        mu = self.mean(eta)
        return 2.0 * (xlogy(y, y) - xlogy(y, mu) - y + mu)

    def saturated_nll(self, y, aux):
        return y - xlogy(y, y) + gammaln(y + 1.0)  # ℓ at mu = y

    def expected_mu_information(self, mu, nu, aux):
        return 1.0 / mu


# ---------------------------------------------------------------------- Binomial
@dataclass
class BinomialModel(BernoulliModel):
    r"""Binomial with ``trials`` n_i per row: ``y`` successes out of ``n_i``.

    .. math:: \ell = -\log\binom{n}{y} - y\log F(\eta) - (n-y)\log(1-F(\eta))

    Canonical logit: ``n logaddexp(0, eta) - y eta - log C(n, y)``.
    """

    classification: ClassVar[bool] = False
    saturated_zero: ClassVar[bool] = False

    def cumulant(self):
        return None  # a(η) = n log(1 + e^η) needs the trials: the general path

    def check_y(self, y, aux):
        owner = "Binomial regression"
        if "trials" not in aux:
            from ..errors import DataError

            raise DataError("Binomial regression needs the number of trials per row: "
                            "fit(X, y, trials=n) or y as (successes, failures) columns")
        n = aux["trials"]
        bad = ~((n == np.floor(n)) & (n >= 1))
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise SupportError(f"{owner}: trials must be integers >= 1; found {n[i]:g} at row {i}")
        bad = ~((y == np.floor(y)) & (y >= 0) & (y <= n))
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise SupportError(f"{owner}: y must satisfy value in {{0, 1, ..., n}} "
                               f"(BoundedCounts); found {y[i]:g} at row {i} with n = {n[i]:g}")
        return y

    def init_eta(self, y, w, aux):
        n = aux["trials"]
        p = float(np.clip(np.sum(w * y) / np.sum(w * n), 0.01, 0.99))
        return np.array([float(self.link.link(np.asarray(p)))])

    def rows(self, y, eta, aux, order=2):
        n = aux["trials"]
        e = eta[:, 0]
        logc = gammaln(n + 1.0) - gammaln(y + 1.0) - gammaln(n - y + 1.0)
        if self.link.name == "logit":
            nll = n * np.logaddexp(0.0, e) - y * e - logc
            if order == 0:
                return nll, None, None
            p = expit(e)
            g = (n * p - y)[:, None]
            if order == 1:
                return nll, g, None
            return nll, g, (n * p * expit(-e))[:, None, None]
        lf, l1f, a, b, r = self._logs(e)
        ll = logc + _xmul(y, lf) + _xmul(n - y, l1f)
        if order == 0:
            return -ll, None, None
        with np.errstate(all="ignore"):
            d1 = _xmul(y, a, log=False) - _xmul((n - y), b, log=False)
            d2 = (_xmul(y, a * r - a * a, log=False)
                  - _xmul((n - y), b * r + b * b, log=False))
            if self.information == "expected":
                d2 = -n * a * b
        return _pack(ll, [d1], {(0, 0): d2}, order)

    def distribution_params(self, eta, aux):
        n = aux.get("trials")
        if n is None:
            raise NotImplementedForFamily("Binomial predict_distribution needs trials=")
        if self.link.name == "logit":
            return {"n": n, "logits": eta[:, 0]}
        return {"n": n, "p": self.mean(eta)}

    def unit_deviance(self, y, eta, aux):
        n = aux["trials"]
        mu = self.mean(eta)
        with np.errstate(divide="ignore", invalid="ignore"):
            return 2.0 * (xlogy(y, y / (n * mu)) + xlogy(n - y, (n - y) / (n - n * mu)))

    def saturated_nll(self, y, aux):
        return None  # the deviance is summed row by row (map_rows)


# ---------------------------------------------------------------------- Gamma
@dataclass
class GammaModel(_MeanModel):
    r"""Gamma with mean ``mu`` and shape ``k`` (dispersion ``1/k``; nuisance ``u = log k``).

    .. math:: \ell = -k\log k + k\log\mu - (k-1)\log y + k y/\mu + \log\Gamma(k)
    """

    nuisance_names: ClassVar[tuple[str, ...]] = ("shape",)
    default_link: ClassVar[str | None] = "inverse"
    allowed_links: ClassVar[tuple[str, ...]] = ("inverse", "log", "identity")
    mean_domain: ClassVar[str] = "positive"

    def init_eta(self, y, w, aux):
        mz, vz, s = _scaled_moments(y, w)
        start = [float(self.link.link(np.asarray(s * mz)))]
        if "shape" not in self.fixed:  # moment shape m²/v = m_z²/v_z (scale-free)
            start.append(np.log(max(mz * mz / vz, 1e-3)) if vz > 0 else 0.0)
        return np.array(start)

    def _loglik(self, y, mu, nu, aux, order):
        k = nu["shape"]
        ll = k * np.log(k) - k * np.log(mu) + (k - 1.0) * np.log(y) - k * y / mu - gammaln(k)
        dmu = k * (y - mu) / mu**2
        grads = [dmu]
        hess = {(0, 0): k / mu**2 - 2.0 * k * y / mu**3}
        if "shape" not in self.fixed:
            dk = np.log(k) + 1.0 - np.log(mu) + np.log(y) - y / mu - digamma(k)
            grads.append(k * dk)
            hess[(1, 1)] = k * dk + k * k * (1.0 / k - polygamma(1, k))
            hess[(0, 1)] = dmu
        return ll, grads, hess

    def check_y(self, y, aux):
        from ..domains import Positive

        return Positive.check(y, what="y", owner="Gamma regression", error=SupportError)

    def distribution_params(self, eta, aux):
        mu = self.mean(eta)
        k = self.nuisance_values(eta)["shape"] * np.ones_like(mu)
        return {"shape": k, "rate": k / mu}

    def unit_deviance(self, y, eta, aux):
        mu = self.mean(eta)
        return 2.0 * (-np.log(y / mu) + (y - mu) / mu)

    def expected_mu_information(self, mu, nu, aux):
        return nu["shape"] / mu**2


# ---------------------------------------------------------------------- Inverse Gaussian
@dataclass
class InverseGaussianModel(_MeanModel):
    r"""Inverse Gaussian with mean ``mu`` and shape ``lam`` (nuisance ``u = log lam``).

    .. math:: \ell = -\tfrac12\log\lambda + \tfrac12\log(2\pi y^3)
              + \frac{\lambda (y-\mu)^2}{2\mu^2 y}
    """

    nuisance_names: ClassVar[tuple[str, ...]] = ("lam",)
    default_link: ClassVar[str | None] = "inverse_squared"
    allowed_links: ClassVar[tuple[str, ...]] = ("inverse_squared", "log", "identity",
                                                "inverse")
    mean_domain: ClassVar[str] = "positive"

    def init_eta(self, y, w, aux):
        mz, _, s = _scaled_moments(y, w)
        start = [float(self.link.link(np.asarray(s * mz)))]
        if "lam" not in self.fixed:
            # 1/λ = mean (y - m)² / (m² y) = q_z / s with z = y / s (no y² or m² y formed)
            z = y / s
            qz = float(np.sum(w * ((z - mz) / mz) ** 2 / z) / np.sum(w))
            start.append(np.log(s) - np.log(qz) if qz > 0 else 0.0)
        return np.array(start)

    def check_y(self, y, aux):
        from ..domains import Positive

        return Positive.check(y, what="y", owner="InverseGaussian regression",
                              error=SupportError)

    def _loglik(self, y, mu, nu, aux, order):
        lam = nu["lam"]
        q = (y - mu) ** 2 / (mu * mu * y)
        ll = 0.5 * np.log(lam) - 0.5 * np.log(2.0 * np.pi * y**3) - 0.5 * lam * q
        dmu = lam * (y - mu) / mu**3
        grads = [dmu]
        hess = {(0, 0): lam * (2.0 / mu**3 - 3.0 * y / mu**4)}
        if "lam" not in self.fixed:
            grads.append(0.5 - 0.5 * lam * q)
            hess[(1, 1)] = -0.5 * lam * q
            hess[(0, 1)] = dmu
        return ll, grads, hess

    def distribution_params(self, eta, aux):
        mu = self.mean(eta)
        lam = self.nuisance_values(eta)["lam"] * np.ones_like(mu)
        names = self.family.param_names
        other = [n for n in names if n not in ("mu", "mean")]
        return {names[0] if names[0] in ("mu", "mean") else "mu": mu, other[0]: lam}

    def unit_deviance(self, y, eta, aux):
        mu = self.mean(eta)
        return (y - mu) ** 2 / (mu * mu * y)

    def expected_mu_information(self, mu, nu, aux):
        return nu["lam"] / mu**3


# ---------------------------------------------------------------------- Negative binomial
@dataclass
class NegativeBinomialModel(_MeanModel):
    r"""Negative binomial (NB2): ``Var y = mu + alpha mu^2``; nuisance ``u = log alpha``.

    With ``r = 1/alpha``:

    .. math:: \ell = -\log\Gamma(y+r) + \log\Gamma(r) + \log y!
              - r\log\frac{r}{r+\mu} - y\log\frac{\mu}{r+\mu}

    ``fixed={"alpha": a}`` holds the dispersion fixed (a GLM); otherwise it is
    estimated jointly by maximum likelihood (like statsmodels' NegativeBinomial).
    """

    nuisance_names: ClassVar[tuple[str, ...]] = ("alpha",)
    default_link: ClassVar[str | None] = "log"
    allowed_links: ClassVar[tuple[str, ...]] = ("log", "identity", "sqrt")
    mean_domain: ClassVar[str] = "positive"

    def init_eta(self, y, w, aux):
        mz, vz, s = _scaled_moments(y, w)
        m = max(s * mz, 1e-3)
        start = [float(self.link.link(np.asarray(m)))]
        if "alpha" not in self.fixed:  # moment α = (v - m)/m² = v_z/m_z² - 1/m
            ratio = vz / (mz * mz) - 1.0 / m if mz > 0 else 0.0
            start.append(np.log(max(ratio, 0.05)))
        return np.array(start)

    def check_y(self, y, aux):
        from ..domains import Counts

        return Counts.check(y, what="y", owner="NegativeBinomial regression",
                            error=SupportError)

    def _loglik(self, y, mu, nu, aux, order):
        alpha = nu["alpha"]
        r = 1.0 / alpha
        ll = (gammaln(y + r) - gammaln(r) - gammaln(y + 1.0)
              + r * np.log(r / (r + mu)) + xlogy(y, mu / (r + mu)))
        dmu = y / mu - (y + r) / (r + mu)
        grads = [dmu]
        hess = {(0, 0): -y / mu**2 + (y + r) / (r + mu) ** 2}
        if "alpha" not in self.fixed:
            dr = digamma(y + r) - digamma(r) + np.log(r / (r + mu)) + 1.0 - (r + y) / (r + mu)
            d2r = (polygamma(1, y + r) - polygamma(1, r) + 1.0 / r - 1.0 / (r + mu)
                   - (mu - y) / (r + mu) ** 2)
            grads.append(-r * dr)
            hess[(1, 1)] = r * r * d2r + r * dr
            hess[(0, 1)] = -r * (y - mu) / (r + mu) ** 2
        return ll, grads, hess

    def distribution_params(self, eta, aux):
        mu = self.mean(eta)
        alpha = self.nuisance_values(eta)["alpha"] * np.ones_like(mu)
        names = set(self.family.param_names)
        if {"mu", "alpha"} <= names:
            return {"mu": mu, "alpha": alpha}
        if {"n", "p"} <= names:
            r = 1.0 / alpha
            return {"n": r, "p": r / (r + mu)}
        raise NotImplementedForFamily(
            f"cannot map (mu, alpha) to {self.family.title}'s parameters {sorted(names)}")

    def unit_deviance(self, y, eta, aux):
        mu = self.mean(eta)
        r = 1.0 / self.nuisance_values(eta)["alpha"]
        return 2.0 * (xlogy(y, y / mu) - (y + r) * np.log((y + r) / (mu + r)))

    def expected_mu_information(self, mu, nu, aux):
        return 1.0 / (mu + nu["alpha"] * mu * mu)


# ---------------------------------------------------------------------- Student t
@dataclass
class StudentTModel(_MeanModel):
    r"""Student t errors (robust regression): ``y = mu + sigma t_nu``.

    Nuisance slots ``log sigma`` and ``log nu`` (``fixed={"nu": 4}`` holds nu).
    With ``r = y - mu`` and ``D = nu sigma^2 + r^2``:

    .. math:: \ell = -\log\Gamma(\tfrac{\nu+1}{2}) + \log\Gamma(\tfrac{\nu}{2})
              + \tfrac12\log(\nu\pi) + \log\sigma + \tfrac{\nu+1}{2}\log(1 + r^2/(\nu\sigma^2))

    Every first and second derivative, those in ``log nu`` included, is analytic.
    """

    nuisance_names: ClassVar[tuple[str, ...]] = ("sigma", "nu")
    default_link: ClassVar[str | None] = "identity"
    allowed_links: ClassVar[tuple[str, ...]] = ("identity", "log")

    def init_eta(self, y, w, aux):
        med = float(np.median(y))
        mad = float(np.median(np.abs(y - med))) * 1.4826 or 1.0
        start = [float(self.link.link(np.asarray(med if self.link.name == "identity"
                                                 else max(med, 1e-3))))]
        if "sigma" not in self.fixed:
            start.append(np.log(mad))
        if "nu" not in self.fixed:
            start.append(np.log(5.0))
        return np.array(start)

    def _parts(self, y, mu, sigma, nu, order):
        """ll and first derivatives in (mu, log sigma, log nu) for per-row arrays."""
        r = y - mu
        s2 = sigma * sigma
        D = nu * s2 + r * r
        ll = (gammaln(0.5 * (nu + 1.0)) - gammaln(0.5 * nu) - 0.5 * np.log(nu * np.pi)
              - np.log(sigma) - 0.5 * (nu + 1.0) * np.log1p(r * r / (nu * s2)))
        dmu = (nu + 1.0) * r / D
        du = -1.0 + (nu + 1.0) * r * r / D
        dnu = (0.5 * digamma(0.5 * (nu + 1.0)) - 0.5 * digamma(0.5 * nu) - 0.5 / nu
               - 0.5 * np.log1p(r * r / (nu * s2)) + 0.5 * (nu + 1.0) * r * r / (nu * D))
        return ll, dmu, du, nu * dnu, r, s2, D

    def _loglik(self, y, mu, nu_vals, aux, order):
        sigma, nu = nu_vals["sigma"], nu_vals["nu"]
        ll, dmu, du, dv, r, s2, D = self._parts(y, mu, sigma, nu, order)
        est = self._estimated()
        grads = [dmu]
        idx = {}
        for name in est:
            idx[name] = len(grads)
            grads.append(du if name == "sigma" else dv)
        if order < 2:
            return ll, grads, {}
        hess = {(0, 0): (nu + 1.0) * (r * r - nu * s2) / D**2}
        if "sigma" in idx:
            a = idx["sigma"]
            hess[(a, a)] = -(nu + 1.0) * r * r * 2.0 * nu * s2 / D**2
            hess[(0, a)] = -(nu + 1.0) * r * 2.0 * nu * s2 / D**2
        if "nu" in idx:
            # exact, with v = log nu, r2 = r^2, G = nu D = nu^2 s2 + nu r2:
            #   d2l/dnu2 = psi'((nu+1)/2)/4 - psi'(nu/2)/4 + 1/(2 nu^2) + r2/(2 nu D)
            #              + r2 (G - (nu+1) dG/dnu) / (2 G^2),     dG/dnu = 2 nu s2 + r2
            #   d2l/dv2 = nu^2 d2l/dnu2 + nu dl/dnu;  d/dv (dl/dmu) = nu (r/D - (nu+1) r s2/D^2)
            #   d/dv (dl/dlog sigma) = nu (r2/D - (nu+1) r2 s2/D^2)
            b = idx["nu"]
            r2 = r * r
            G = nu * D
            d2nu = (0.25 * polygamma(1, 0.5 * (nu + 1.0)) - 0.25 * polygamma(1, 0.5 * nu)
                    + 0.5 / (nu * nu) + 0.5 * r2 / G
                    + 0.5 * r2 * (G - (nu + 1.0) * (2.0 * nu * s2 + r2)) / (G * G))
            hess[(b, b)] = nu * nu * d2nu + dv
            hess[(0, b)] = nu * (r / D - (nu + 1.0) * r * s2 / D**2)
            if "sigma" in idx:
                hess[(idx["sigma"], b)] = nu * (r2 / D - (nu + 1.0) * r2 * s2 / D**2)
        return ll, grads, hess

    def distribution_params(self, eta, aux):
        mu = self.mean(eta)
        v = self.nuisance_values(eta)
        return {"nu": v["nu"] * np.ones_like(mu), "mu": mu, "sigma": v["sigma"] * np.ones_like(mu)}


# ---------------------------------------------------------------------- Beta
@dataclass
class BetaModel(_MeanModel):
    r"""Beta regression (Ferrari & Cribari-Neto): mean ``mu`` in (0,1), precision ``phi``.

    ``alpha = mu phi``, ``beta = (1 - mu) phi``; nuisance ``u = log phi``.

    .. math:: \ell = -\log\Gamma(\phi) + \log\Gamma(\mu\phi) + \log\Gamma((1-\mu)\phi)
              - (\mu\phi - 1)\log y - ((1-\mu)\phi - 1)\log(1-y)
    """

    nuisance_names: ClassVar[tuple[str, ...]] = ("phi",)
    default_link: ClassVar[str | None] = "logit"
    allowed_links: ClassVar[tuple[str, ...]] = ("logit", "probit", "cloglog")
    mean_domain: ClassVar[str] = "unit"

    def check_y(self, y, aux):
        from ..domains import UnitInterval

        return UnitInterval.check(y, what="y", owner="Beta regression", error=SupportError)

    def init_eta(self, y, w, aux):
        m = float(np.sum(w * y) / np.sum(w))
        v = float(np.sum(w * (y - m) ** 2) / np.sum(w))
        start = [float(self.link.link(np.asarray(m)))]
        if "phi" not in self.fixed:
            start.append(np.log(max(m * (1 - m) / v - 1.0, 0.5)) if v > 0 else 0.0)
        return np.array(start)

    def _loglik(self, y, mu, nu, aux, order):
        phi = nu["phi"]
        a, b = mu * phi, (1.0 - mu) * phi
        ly, l1y = np.log(y), np.log1p(-y)
        ll = (gammaln(phi) - gammaln(a) - gammaln(b) + (a - 1.0) * ly + (b - 1.0) * l1y)
        ystar = ly - l1y
        mustar = digamma(a) - digamma(b)
        dmu = phi * (ystar - mustar)
        grads = [dmu]
        t1a, t1b = polygamma(1, a), polygamma(1, b)
        hess = {(0, 0): -phi * phi * (t1a + t1b)}
        if "phi" not in self.fixed:
            dphi = digamma(phi) + mu * (ystar - mustar) + l1y - digamma(b)
            d2phi = polygamma(1, phi) - mu * mu * t1a - (1.0 - mu) ** 2 * t1b
            grads.append(phi * dphi)
            hess[(1, 1)] = phi * dphi + phi * phi * d2phi
            hess[(0, 1)] = phi * ((ystar - mustar) - phi * (mu * t1a - (1.0 - mu) * t1b))
        return ll, grads, hess

    def distribution_params(self, eta, aux):
        mu = self.mean(eta)
        phi = self.nuisance_values(eta)["phi"]
        return {"alpha": mu * phi, "beta": (1.0 - mu) * phi}


# ---------------------------------------------------------------------- Laplace
@dataclass
class LaplaceModel(_MeanModel):
    r"""Laplace errors: median (least absolute deviations) regression, scale ``b``.

    .. math:: \ell = |y - \mu|/b + \log(2b)

    Not smooth in ``mu``: the coefficients are found exactly by a linear
    program (``_estimator``: HiGHS), then ``b = Σ w|r| / Σ w``. The "Hessian"
    here is the expected information (``1/b²`` per row for mu), which is what
    the asymptotic covariance of the LAD estimator uses under Laplace errors.
    """

    nuisance_names: ClassVar[tuple[str, ...]] = ("b",)
    default_link: ClassVar[str | None] = "identity"
    allowed_links: ClassVar[tuple[str, ...]] = ("identity",)

    @property
    def exact(self) -> bool:  # type: ignore[override]
        return True

    def init_eta(self, y, w, aux):
        med = float(np.median(y))
        start = [med]
        if "b" not in self.fixed:
            start.append(np.log(max(float(np.mean(np.abs(y - med))), 1e-12)))
        return np.array(start)

    def _loglik(self, y, mu, nu, aux, order):
        b = nu["b"]
        r = y - mu
        ll = -np.abs(r) / b - np.log(2.0 * b)
        grads = [np.sign(r) / b]
        hess = {(0, 0): -np.ones_like(r) / b**2}  # expected information
        if "b" not in self.fixed:
            grads.append(np.abs(r) / b - 1.0)
            hess[(1, 1)] = -np.ones_like(r)  # expected: E|r|/b = 1
            hess[(0, 1)] = np.zeros_like(r)
        return ll, grads, hess

    def distribution_params(self, eta, aux):
        mu = self.mean(eta)
        return {"mu": mu, "b": self.nuisance_values(eta)["b"] * np.ones_like(mu)}

    def unit_deviance(self, y, eta, aux):
        return np.abs(y - self.mean(eta))


# ---------------------------------------------------------------------- registry
#: family name -> row-model class (families without an entry use the generic path)
MODELS: dict[str, type[RowModel]] = {
    "normal": NormalModel,
    "bernoulli": BernoulliModel,
    "categorical": CategoricalModel,
    "binomial": BinomialModel,
    "poisson": PoissonModel,
    "gamma": GammaModel,
    "inversegaussian": InverseGaussianModel,
    "negativebinomial": NegativeBinomialModel,
    "studentt": StudentTModel,
    "beta": BetaModel,
    "laplace": LaplaceModel,
}


def has_fast_path(family: str | Family) -> bool:
    """Does ``family`` have a hand-written row model here (else: the generic engine)?"""
    return get_family(family).name.replace("_", "") in MODELS


def make_model(family: str | Family, link: str | Link | None = None,
               fixed: Mapping[str, float] | None = None, **options: Any) -> RowModel:
    """Build the row model of ``family`` with ``link`` (canonical when None)."""
    fam = get_family(family)
    key = fam.name.replace("_", "")
    if key not in MODELS:
        supported = sorted(n for n in FAMILIES if n.replace("_", "") in MODELS)
        raise NotImplementedForFamily(
            f"regression is not available for the {fam.title} family "
            f"(families with a regression model: {', '.join(supported)})"
        )
    cls = MODELS[key]
    lk = get_link(link if link is not None
                  else (cls.default_link or fam.canonical_link or "identity"))
    return cls(fam, lk, dict(fixed or {}), **options)
