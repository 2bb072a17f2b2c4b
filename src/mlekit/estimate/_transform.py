r"""Packing free parameters into one unconstrained vector, with analytic Jacobians.

The generic optimiser works on :math:`u \in \mathbb{R}^m`; each free parameter
:math:`\theta_j` is :math:`g_j(u_j)` with ``g_j = domain.from_unconstrained``.
The gradient of the log-likelihood in ``u`` is the chain rule

.. math:: \nabla_u \ell = J^\top \nabla_\theta \ell, \qquad J = \partial\theta/\partial u,

with :math:`J` computed **analytically** by the domain itself
(:meth:`~mlekit.domains.Domain.jacobian`, from its elementwise
:meth:`~mlekit.domains.Domain.dtheta_du`; no numerical derivative of the
bijection, and no switch over domain types here):

=====================  ==========================  =============================
domain                 :math:`\theta = g(u)`        :math:`d\theta/du`
=====================  ==========================  =============================
Real                   :math:`u`                    1
Positive, NonNegative  :math:`e^u`                  :math:`\theta`
GreaterThan(l)         :math:`l + e^u`              :math:`\theta - l`
Interval(a, b)         :math:`a + (b-a)\sigma(u)`   :math:`(\theta-a)(b-\theta)/(b-a)`
Simplex (k classes)    softmax of :math:`(u, 0)`    :math:`p_j(\delta_{jl} - p_l)`
=====================  ==========================  =============================

A simplex parameter has one coordinate fewer than entries
(:meth:`~mlekit.domains.Domain.unconstrained_size`) and a full k × (k − 1) block.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..errors import NotImplementedForFamily

__all__ = ["FreeParam", "Packer", "domain_centre", "domain_supported", "is_vector_domain"]


def domain_supported(domain) -> bool:
    """True when the generic path can move a parameter in ``domain``: the domain
    declares a bijection with the reals and its analytic Jacobian
    (:attr:`~mlekit.domains.Domain.has_bijection`)."""
    return bool(domain.has_bijection)


def is_vector_domain(domain) -> bool:
    """True for a domain with a bijection whose values are vectors (Simplex): its
    entries are reparameterised jointly, not elementwise."""
    return bool(domain.has_bijection and domain.event_ndim)


def domain_centre(domain, shape: tuple[int, ...]) -> np.ndarray:
    r"""The point :math:`g(0)` that the domain's own bijection maps ``u = 0`` to, as an
    array of ``shape``: 0 on the reals, 1 on the positives, :math:`l + 1` above ``l``,
    the midpoint of an interval, the uniform vector :math:`(1/k, …, 1/k)` on a simplex.

    Read from the domain (:meth:`~mlekit.domains.Domain.from_unconstrained` and
    :meth:`~mlekit.domains.Domain.unconstrained_size`), so a new domain has a centre
    without any change here.
    """
    u = np.zeros(domain.unconstrained_size(tuple(shape)))
    if not domain.event_ndim:
        u = u.reshape(shape)
    return np.asarray(domain.from_unconstrained(u), dtype=float).reshape(shape)


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
        """Unconstrained coordinates (a domain without a bijection counts its entries)."""
        if not self.domain.has_bijection:
            return self.size
        return self.domain.unconstrained_size(self.shape)

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
            if is_vector_domain(fp.domain) and len(fp.shape) != 1:
                raise NotImplementedForFamily(
                    f"the generic MLE path fits one probability vector {fp.name!r}, not a batch"
                )
        self.free = free
        self.usize = sum(fp.usize for fp in free)
        self.size = sum(fp.size for fp in free)
        self.labels = [lab for fp in free for lab in fp.labels]
        self.has_simplex = any(is_vector_domain(fp.domain) for fp in free)

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
            jac[r:r + fp.size, c:c + fp.usize] = fp.domain.jacobian(val)
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
            if is_vector_domain(fp.domain):
                continue
            if not np.all(fp.domain.contains(val)):
                return False
        return True
