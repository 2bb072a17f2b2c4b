r"""Torch versions of the inverse links of :mod:`mlekit.links`, and the heads built on them.

A *head* maps one raw network output ``eta`` (the linear predictor of the
parameter, "link space", STYLE.md §1) to the parameter's domain through the
inverse of a registered link, ``theta = g^{-1}(eta)``. A :class:`HeadValue`
keeps ``eta`` next to ``theta`` so that log-densities can use the exact
link-space forms instead of taking the log of a rounded value:

===============  =====================  ==================================
link             ``theta = g^-1(eta)``  exact pieces kept
===============  =====================  ==================================
identity         ``eta``                —
log              ``exp(eta)``           ``log theta = eta``
logit            ``sigmoid(eta)``       ``log theta = logsigmoid(eta)``,
                                        ``log(1-theta) = logsigmoid(-eta)``
probit           ``Phi(eta)``           ``log_ndtr(±eta)``
cloglog          ``1 - exp(-e^eta)``    ``log(1-theta) = -e^eta``
inverse          ``1/eta``              ``log theta = -log eta``
inverse_squared  ``eta^(-1/2)``         ``log theta = -log(eta)/2``
sqrt             ``eta^2``              ``log theta = 2 log|eta|``
softmax          ``softmax(eta)``       ``log theta = log_softmax(eta)``
softplus *       ``log(1 + e^eta)``     ``log theta`` exact for eta → −∞
ordered *        ``cumsum(eta_1,        —
                 e^eta_2, …)``
===============  =====================  ==================================

``*`` ``softplus`` and ``ordered`` are torch-only heads (not links of the registry).
``softplus`` (its inverse ``log(e^theta - 1)`` is rarely used as a GLM link) is offered
because it is the usual positive head in deep learning; ``ordered`` maps a vector of free
outputs to increasing cut points (the Ordinal's ``theta``), by the map of the domain
:data:`~mlekit.domains.Ordered`. A head may also be any
callable ``eta -> theta`` (e.g. ``lambda e: 2 + F.softplus(e)`` for a Student-t
``df > 2``).

With a logit head, logits of ±1000 give finite, exact log-probabilities and
finite gradients (``logsigmoid`` never forms ``log(0)``).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import torch
import torch.nn.functional as F

from ..errors import did_you_mean
from ..links import LINKS, Link

__all__ = ["HEADS", "HeadValue", "inverse_link", "torch_head_names"]


def _safe_where(cond: torch.Tensor, safe_value: float, x: torch.Tensor) -> torch.Tensor:
    """``x`` where ``cond`` is False, ``safe_value`` elsewhere: keeps the unused branch of a
    later ``torch.where`` finite so that its gradient (0 · inf) is not NaN."""
    return torch.where(cond, torch.full_like(x, safe_value), x)


def _log_softplus(eta: torch.Tensor) -> torch.Tensor:
    """log(log1p(e^eta)), exact as eta → −∞ (where it is eta − e^eta/2 + O(e^{2eta}))."""
    small = eta < -20.0
    far = eta - 0.5 * torch.exp(torch.minimum(eta, torch.full_like(eta, -20.0)))
    near = torch.log(F.softplus(_safe_where(small, 0.0, eta)))
    return torch.where(small, far, near)


def _log_cloglog(eta: torch.Tensor) -> torch.Tensor:
    """log(1 − exp(−e^eta)) without cancellation: log(−expm1(−e^eta))."""
    return torch.log(-torch.expm1(-torch.exp(eta)))


def _ordered(eta: torch.Tensor) -> torch.Tensor:
    r"""Increasing cut points from free outputs along the last axis (the domain
    :data:`~mlekit.domains.Ordered`'s own map): :math:`\theta_1 = \eta_1`,
    :math:`\theta_j = \theta_{j-1} + e^{\eta_j}`."""
    return torch.cumsum(torch.cat([eta[..., :1], torch.exp(eta[..., 1:])], dim=-1), dim=-1)


# name -> (inverse, log of inverse or None, log(1 - inverse) or None)
_Fn = Callable[[torch.Tensor], torch.Tensor]
HEADS: dict[str, tuple[_Fn, _Fn | None, _Fn | None]] = {
    "identity": (lambda e: e, None, None),
    "log": (torch.exp, lambda e: e, None),
    "logit": (torch.sigmoid, F.logsigmoid, lambda e: F.logsigmoid(-e)),
    "probit": (torch.special.ndtr, torch.special.log_ndtr,
               lambda e: torch.special.log_ndtr(-e)),
    "cloglog": (lambda e: -torch.expm1(-torch.exp(e)), _log_cloglog,
                lambda e: -torch.exp(e)),
    "inverse": (torch.reciprocal, lambda e: -torch.log(e), None),
    "inverse_squared": (torch.rsqrt, lambda e: -0.5 * torch.log(e), None),
    "sqrt": (torch.square, lambda e: 2.0 * torch.log(torch.abs(e)), None),
    "softmax": (lambda e: torch.softmax(e, dim=-1), lambda e: torch.log_softmax(e, dim=-1), None),
    "softplus": (F.softplus, _log_softplus, None),
    "ordered": (lambda e: _ordered(e), None, None),
}


def torch_head_names() -> list[str]:
    """Registered head names: every link of :data:`mlekit.links.LINKS` plus ``softplus``
    and ``ordered``.

    Examples
    --------
    >>> import mlekit.torch as mkt
    >>> names = mkt.torch_head_names()
    >>> "softplus" in names, "logit" in names
    (True, True)
    """
    return sorted(set(LINKS) | set(HEADS))


def _resolve(head: str | Link) -> str:
    name = head.name if isinstance(head, Link) else str(head).lower().replace("-", "_")
    if name not in HEADS:
        raise did_you_mean(head, torch_head_names(), what="head (link)")
    return name


def inverse_link(head: str | Link, eta: torch.Tensor) -> torch.Tensor:
    """``g⁻¹(eta)`` in torch for a registered link name (or ``softplus``).

    Examples
    --------
    >>> import torch, mlekit.torch as mkt
    >>> eta = torch.tensor([0.0, 1.0], dtype=torch.float64)
    >>> mkt.inverse_link("log", eta)   # exp
    tensor([1.0000, 2.7183], dtype=torch.float64)
    >>> mkt.inverse_link("logit", eta)  # sigmoid
    tensor([0.5000, 0.7311], dtype=torch.float64)
    """
    return HEADS[_resolve(head)][0](eta)


class HeadValue:
    """A parameter value, optionally with the raw output ``eta`` and head it came from.

    Log-densities ask for :meth:`log` and :meth:`log1m` rather than taking
    ``torch.log(value)``, so that link-space heads stay exact at the extremes.

    Parameters
    ----------
    value : the parameter in its domain (computed from ``eta`` when omitted)
    eta : raw network output (link space)
    head : a registered head name, a :class:`mlekit.links.Link`, or a callable

    Examples
    --------
    >>> import torch
    >>> from mlekit.torch import HeadValue
    >>> hv = HeadValue(eta=torch.tensor([-40.0, 0.0]), head="logit")   # p = sigmoid(eta)
    >>> hv.value
    tensor([4.2484e-18, 5.0000e-01])
    >>> hv.log()                       # log p from eta: exact where p underflows
    tensor([-40.0000,  -0.6931])
    """

    __slots__ = ("_fn", "_value", "eta", "head")

    def __init__(self, value: torch.Tensor | None = None, eta: torch.Tensor | None = None,
                 head: str | Link | Callable[[torch.Tensor], torch.Tensor] | None = None):
        self.eta = eta
        self._value = value
        if head is None or (callable(head) and not isinstance(head, (str, Link))):
            self.head = None if head is None else getattr(head, "__name__", "custom")
            self._fn = None if head is None else (head, None, None)
        else:
            self.head = _resolve(head)
            self._fn = HEADS[self.head]

    @property
    def value(self) -> torch.Tensor:
        """The parameter θ in its domain."""
        if self._value is None:
            self._value = self._fn[0](self.eta)
        return self._value

    def log(self) -> torch.Tensor:
        """log θ, exact in link space when the head knows it."""
        if self.eta is not None and self._fn is not None and self._fn[1] is not None:
            return self._fn[1](self.eta)
        return torch.log(self.value)

    def log1m(self) -> torch.Tensor:
        """log(1 − θ), exact in link space when the head knows it."""
        if self.eta is not None and self._fn is not None and self._fn[2] is not None:
            return self._fn[2](self.eta)
        return torch.log1p(-self.value)

    @property
    def exact_logs(self) -> bool:
        """True when :meth:`log` comes from the link rather than from ``log(value)``."""
        return self.eta is not None and self._fn is not None and self._fn[1] is not None

    def __repr__(self) -> str:
        return f"HeadValue(head={self.head!r}, shape={tuple(self.value.shape)})"


def as_tensor(v: Any, like: torch.Tensor | None = None) -> torch.Tensor:
    """A float tensor from ``v`` (dtype/device of ``like``, else float64 on CPU)."""
    if isinstance(v, torch.Tensor):
        if not v.is_floating_point():
            v = v.to(like.dtype if like is not None and like.is_floating_point()
                     else torch.float64)
        return v
    dtype = like.dtype if like is not None and like.is_floating_point() else torch.float64
    device = like.device if like is not None else None
    return torch.as_tensor(v, dtype=dtype, device=device)


LOG_2PI = math.log(2.0 * math.pi)
