r"""Alternative parametrisations a family file declares for regression.

A regression often wants a family in other coordinates than its textbook ones:
a Gamma(shape k, rate r) regresses on its mean :math:`m = k / r` (a GLM), a
Beta(α, β) on its mean and precision :math:`(m, \phi)` with
:math:`\alpha = m\phi`, :math:`\beta = (1 - m)\phi` (Ferrari & Cribari-Neto).
A :class:`Parametrisation` is the map :math:`\theta = T(\varphi)` from the new
parameters :math:`\varphi` to the family's own :math:`\theta`, with its first and
second derivatives, so that the score and Hessian of the family carry over by
the chain rule:

.. math::

    \frac{\partial \ell}{\partial \varphi_a} = \sum_k \frac{\partial \ell}{\partial \theta_k}
        \frac{\partial \theta_k}{\partial \varphi_a}, \qquad
    \frac{\partial^2 \ell}{\partial \varphi_a \partial \varphi_b}
        = \sum_{k,l} \frac{\partial \theta_k}{\partial \varphi_a}
          \frac{\partial^2 \ell}{\partial \theta_k \partial \theta_l}
          \frac{\partial \theta_l}{\partial \varphi_b}
        + \sum_k \frac{\partial \ell}{\partial \theta_k}
          \frac{\partial^2 \theta_k}{\partial \varphi_a \partial \varphi_b} .

The density itself is never written again: the family's own ``logpdf``,
``score`` and ``hessian`` are evaluated at :math:`T(\varphi)`. A registry-driven
test holds every declared map's derivatives against finite differences.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np

__all__ = ["Parametrisation"]


@dataclass(frozen=True)
class Parametrisation:
    """The map ``θ = T(φ)`` from new parameters ``φ`` to a family's own ``θ``.

    Attributes
    ----------
    name : how a user selects it (``"mean"``)
    parameters : the new parameters ``φ``, in order (``Parameter`` objects with domains)
    to_base : ``φ`` (a dict of arrays) -> ``θ`` (a dict over the family's parameters)
    jacobian : ``φ`` -> ``{(θ_k, φ_a): ∂θ_k/∂φ_a}`` (missing keys are zero)
    second : ``φ`` -> ``{(θ_k, φ_a, φ_b): ∂²θ_k/∂φ_a∂φ_b}`` with ``a <= b`` in order
        (missing keys are zero)
    from_base : ``θ`` -> ``φ``, the inverse map (start values from an unconditional fit)
    mean_parameter : the new parameter that is the distribution's mean
    """

    name: str
    parameters: tuple
    to_base: Callable[..., dict[str, np.ndarray]]
    jacobian: Callable[..., dict[tuple[str, str], np.ndarray]]
    second: Callable[..., dict[tuple[str, str, str], np.ndarray]]
    from_base: Callable[..., dict[str, np.ndarray]]
    mean_parameter: str | None = None

    @property
    def param_names(self) -> tuple[str, ...]:
        return tuple(p.name for p in self.parameters)

    def parameter(self, name: str):
        for p in self.parameters:
            if p.name == name:
                return p
        raise KeyError(name)

    def chain(self, phi: Mapping[str, np.ndarray], score: Mapping[str, np.ndarray],
              hessian: Mapping[tuple[str, str], np.ndarray] | None, base_names: tuple[str, ...]
              ) -> tuple[dict[str, np.ndarray], dict[tuple[str, str], np.ndarray] | None]:
        """Score and Hessian in ``φ`` from those in ``θ`` (the module's chain rule).

        ``hessian`` holds ``(θ_k, θ_l)`` keys with ``k <= l`` in ``base_names`` order; the
        result holds ``(φ_a, φ_b)`` keys with ``a <= b`` in :attr:`param_names` order.
        """
        J = self.jacobian(**phi)
        names = self.param_names
        s_phi = {}
        for a in names:
            tot = 0.0
            for k in base_names:
                d = J.get((k, a))
                if d is not None:
                    tot = tot + score[k] * d
            s_phi[a] = np.asarray(tot, float)
        if hessian is None:
            return s_phi, None

        def h(k: str, l_: str):
            key = (k, l_) if base_names.index(k) <= base_names.index(l_) else (l_, k)
            return hessian.get(key)

        S = self.second(**phi)
        h_phi = {}
        for i, a in enumerate(names):
            for b in names[i:]:
                tot = 0.0
                for k in base_names:
                    dka = J.get((k, a))
                    if dka is None:
                        continue
                    for l_ in base_names:
                        dlb = J.get((l_, b))
                        hk = h(k, l_)
                        if dlb is not None and hk is not None:
                            tot = tot + dka * hk * dlb
                for k in base_names:
                    d2 = S.get((k, a, b))
                    if d2 is not None:
                        tot = tot + score[k] * d2
                h_phi[(a, b)] = np.asarray(tot, float)
        return s_phi, h_phi

    def chain_information(self, phi: Mapping[str, np.ndarray], info: np.ndarray,
                          base_names: tuple[str, ...]) -> np.ndarray:
        """Expected information in ``φ``: ``Jᵀ I(θ) J`` (shape (..., k, k))."""
        J = self.jacobian(**phi)
        names = self.param_names
        shape = info.shape[:-2]
        Jm = np.zeros((*shape, len(base_names), len(names)))
        for (k, a), v in J.items():
            Jm[..., base_names.index(k), names.index(a)] = v
        return np.einsum("...ka,...kl,...lb->...ab", Jm, info, Jm)
