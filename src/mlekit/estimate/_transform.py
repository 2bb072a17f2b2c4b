r"""Packing free parameters into one unconstrained vector, with analytic Jacobians.

The generic optimiser works on :math:`u \in \mathbb{R}^m`; each free parameter
:math:`\theta_j` is :math:`g_j(u_j)` with ``g_j = domain.from_unconstrained``.
The gradient of the log-likelihood in ``u`` is the chain rule

.. math:: \nabla_u \ell = J^\top \nabla_\theta \ell, \qquad J = \partial\theta/\partial u,

with :math:`J` computed **analytically** per domain (no numerical derivative of
the bijection):

=====================  ==========================  =============================
domain                 :math:`\theta = g(u)`        :math:`d\theta/du`
=====================  ==========================  =============================
Real                   :math:`u`                    1
Positive, NonNegative  :math:`e^u`                  :math:`\theta`
GreaterThan(l)         :math:`l + e^u`              :math:`\theta - l`
Interval(a, b)         :math:`a + (b-a)\sigma(u)`   :math:`(\theta-a)(b-\theta)/(b-a)`
Simplex (k classes)    softmax of :math:`(u, 0)`    :math:`p_j(\delta_{jl} - p_l)`
=====================  ==========================  =============================
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..domains import GreaterThan, Interval, NonNegative, Positive, Real, Simplex
from ..errors import NotImplementedForFamily

__all__ = ["FreeParam", "Packer", "domain_supported"]

_SIMPLEX_TYPE = type(Simplex)


def _kind(domain) -> str | None:
    if isinstance(domain, type(Real)):
        return "real"
    if isinstance(domain, (type(Positive), type(NonNegative))):
        return "exp"
    if isinstance(domain, GreaterThan):
        return "shift_exp"
    if isinstance(domain, Interval):
        return "interval"
    if isinstance(domain, _SIMPLEX_TYPE):
        return "simplex"
    return None


def domain_supported(domain) -> bool:
    """True when the generic path has an analytic Jacobian for ``domain``."""
    return _kind(domain) is not None


def _dtheta_du(domain, theta: np.ndarray) -> np.ndarray:
    """Diagonal of dθ/du for an elementwise domain, written in terms of θ."""
    kind = _kind(domain)
    if kind == "real":
        return np.ones_like(theta)
    if kind == "exp":
        return theta.copy()
    if kind == "shift_exp":
        return theta - np.asarray(domain.lower, float)
    if kind == "interval":
        a, b = float(domain.low), float(domain.high)
        return (theta - a) * (b - theta) / (b - a)
    raise NotImplementedForFamily(f"no analytic Jacobian for domain {domain!r}")


@dataclass(frozen=True)
class FreeParam:
    """One free parameter: name, domain, its shape and the size of its ``u`` block."""

    name: str
    domain: object
    shape: tuple[int, ...]

    @property
    def size(self) -> int:
        return math.prod(self.shape)  # not np.prod: this runs often on tiny tuples

    @property
    def usize(self) -> int:
        if _kind(self.domain) == "simplex":
            return self.size - 1
        return self.size

    @property
    def labels(self) -> list[str]:
        if not self.shape:
            return [self.name]
        return [f"{self.name}[{', '.join(map(str, i))}]" if len(i) > 1 else f"{self.name}[{i[0]}]"
                for i in np.ndindex(*self.shape)]


class Packer:
    """Map between a dict of free parameters and the flat unconstrained vector ``u``."""

    def __init__(self, free: list[FreeParam]):
        for fp in free:
            if not domain_supported(fp.domain):
                raise NotImplementedForFamily(
                    f"the generic MLE path has no bijection for parameter {fp.name!r} with "
                    f"domain {fp.domain!r}; give a closed-form mle or fix the parameter"
                )
            if _kind(fp.domain) == "simplex" and len(fp.shape) != 1:
                raise NotImplementedForFamily(
                    f"the generic MLE path fits one probability vector {fp.name!r}, not a batch"
                )
        self.free = free
        self.usize = sum(fp.usize for fp in free)
        self.size = sum(fp.size for fp in free)
        self.labels = [lab for fp in free for lab in fp.labels]
        self.has_simplex = any(_kind(fp.domain) == "simplex" for fp in free)

    # -- u <-> theta ----------------------------------------------------------------
    def theta(self, u: np.ndarray) -> dict[str, np.ndarray]:
        out, i = {}, 0
        for fp in self.free:
            block = np.asarray(u[i:i + fp.usize], float)
            i += fp.usize
            val = fp.domain.from_unconstrained(block)
            out[fp.name] = np.asarray(val, float).reshape(fp.shape)
        return out

    def u(self, theta: dict[str, np.ndarray]) -> np.ndarray:
        parts = []
        for fp in self.free:
            val = np.asarray(theta[fp.name], float).reshape(fp.shape)
            with np.errstate(divide="ignore"):
                parts.append(np.ravel(fp.domain.to_unconstrained(val)))
        return np.concatenate(parts) if parts else np.zeros(0)

    def flat(self, theta: dict[str, np.ndarray]) -> np.ndarray:
        """θ flattened in the order of :attr:`labels`."""
        parts = [np.ravel(np.asarray(theta[fp.name], float)) for fp in self.free]
        return np.concatenate(parts) if parts else np.zeros(0)

    def unflat(self, vec: np.ndarray) -> dict[str, np.ndarray]:
        out, i = {}, 0
        for fp in self.free:
            out[fp.name] = np.asarray(vec[i:i + fp.size], float).reshape(fp.shape)
            i += fp.size
        return out

    # -- Jacobian dθ/du (size x usize), analytic -------------------------------------
    def jacobian(self, theta: dict[str, np.ndarray]) -> np.ndarray:
        jac = np.zeros((self.size, self.usize))
        r = c = 0
        for fp in self.free:
            val = np.ravel(np.asarray(theta[fp.name], float))
            if _kind(fp.domain) == "simplex":
                p = val
                # p = softmax(u, 0): dp_j/du_l = p_j (δ_jl − p_l), l < k−1
                block = np.diag(p)[:, :-1] - np.outer(p, p[:-1])
                jac[r:r + fp.size, c:c + fp.usize] = block
            else:
                jac[r:r + fp.size, c:c + fp.usize] = np.diag(_dtheta_du(fp.domain, val))
            r += fp.size
            c += fp.usize
        return jac

    def grad_u(self, theta: dict[str, np.ndarray], grad_theta: np.ndarray) -> np.ndarray:
        """Chain rule ∇_u = Jᵀ ∇_θ."""
        return self.jacobian(theta).T @ grad_theta

    def in_domain(self, theta: dict[str, np.ndarray]) -> bool:
        for fp in self.free:
            val = np.asarray(theta[fp.name], float)
            if not np.all(np.isfinite(val)):
                return False
            if _kind(fp.domain) == "simplex":
                continue
            if not np.all(fp.domain.contains(val)):
                return False
        return True
