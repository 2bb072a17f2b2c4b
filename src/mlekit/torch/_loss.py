r"""``NLLLoss``: the negative log-likelihood of any family as a PyTorch loss module.

A network predicts, for each observation, one raw output per free parameter
(its linear predictor η, "link space"); a *head* maps it into the parameter's
domain through an inverse link, ``θ = g⁻¹(η)``; the loss is

.. math::

    \mathcal{L} = -\frac{1}{\sum_i w_i}\sum_i w_i \log p(y_i;\, \theta_i)
    \quad(\text{reduction="mean"}),

the full NLL (no constants dropped), so it is the negative log-likelihood
itself and its minimiser is the conditional maximum-likelihood estimate
(DESIGN.md, idea 2).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
import torch
from torch import nn

from ..errors import DataError, ParameterError, SupportError
from ..families import get_family
from ..families.base import Distribution, Family
from ..links import Link
from ._links import HeadValue, _resolve, as_tensor
from ._logprob import resolve_log_density

__all__ = ["NLLLoss", "default_head", "log_prob", "nll"]

HeadSpec = str | Link | Callable[[torch.Tensor], torch.Tensor]
_REDUCTIONS = ("mean", "sum", "none")


def default_head(family: Family, name: str) -> str:
    """The default head of a parameter, chosen from its domain.

    ``Real → identity``, ``Positive/NonNegative → log``, unit interval → ``logit``,
    ``Simplex → softmax``, ``Ordered → ordered`` (increasing cut points). Other domains
    (``Interval``, ``GreaterThan``) need an explicit head, e.g. a callable.

    Examples
    --------
    >>> import mlekit as mk, mlekit.torch as mkt
    >>> [mkt.default_head(mk.Normal, p) for p in ("mu", "sigma")]
    ['identity', 'log']
    >>> mkt.default_head(mk.Bernoulli, "p"), mkt.default_head(mk.Categorical, "p")
    ('logit', 'softmax')
    """
    domain = family.parameter(name).domain
    dom = domain.name
    table = {"Real": "identity", "Positive": "log", "NonNegative": "log",
             "UnitInterval": "logit", "ClosedUnitInterval": "logit", "Simplex": "softmax",
             "Ordered": "ordered"}
    if (getattr(domain, "low", None), getattr(domain, "high", None)) == (0.0, 1.0):
        return "logit"  # any flavour of the unit interval: (0, 1], [0, 1) …
    if dom not in table:
        raise ParameterError(
            f"{family.title}: parameter {name!r} lives in {dom}, which has no default head; "
            f"pass heads={{{name!r}: <link name or callable eta -> {name}>}}"
        )
    return table[dom]


class NLLLoss(nn.Module):
    r"""Negative log-likelihood of a mlekit family, from raw network outputs.

    Parameters
    ----------
    family : registry name (``"normal"``, ``"poisson"`` …) or a :class:`~mlekit.Family`
        (including a custom family built from a formula).
    heads : ``{parameter: head}`` for the parameters the network predicts. A head is a
        registered link name of :mod:`mlekit.links` (its *inverse* is applied:
        ``"identity"``, ``"log"`` → exp, ``"logit"`` → sigmoid, ``"probit"``,
        ``"cloglog"``, ``"inverse"``, ``"inverse_squared"``, ``"sqrt"``,
        ``"softmax"``), the torch-only ``"softplus"``, or any callable
        ``eta -> theta``. Estimable parameters that are neither in ``heads`` nor in
        ``fixed`` get :func:`default_head` (``Real → identity``, ``Positive → log``,
        unit interval → ``logit``, ``Simplex → softmax``, ``Ordered → ordered``).
    fixed : ``{parameter: value}`` for parameters held fixed (a float or a tensor that
        broadcasts against the target), e.g. ``{"sigma": 1.0}`` for least squares or
        ``{"n": 10}`` for a Binomial.
    reduction : ``"mean"`` (default; weighted mean when ``weight`` is given), ``"sum"``
        or ``"none"`` (elementwise NLL with the target's shape).
    method : ``"auto"`` (torch closed form when mlekit has one, else the family's SymPy
        log-density compiled to torch), ``"closed form"`` or ``"symbolic"``. The path
        taken is in :attr:`method_used`.
    validate : check the target against the family's support (``SupportError`` naming
        the first bad index). Costs a device → host copy; pass ``False`` in hot loops.

    Notes
    -----
    Inputs of ``loss(input, target, weight=None)``:

    * ``input``: either a dict ``{parameter: raw tensor}``, or one tensor whose **last
      axis is split across the heads in parameter order** (one column per scalar
      parameter; a vector parameter such as Categorical ``p`` takes the remaining
      columns). With a single scalar head the tensor may also have the target's shape
      (like ``MSELoss``) or the target's shape plus a trailing 1.
    * ``target``: observations; it fixes the batch shape, and the parameters must
      broadcast to it (a ``(N, 1)`` output against a ``(N,)`` target is an error, not a
      silent ``(N, N)`` broadcast). Categorical targets are class indices.
    * ``weight``: optional per-observation weights with the target's shape.

    Examples
    --------
    >>> import torch, mlekit.torch as mkt
    >>> loss = mkt.NLLLoss("normal", heads={"mu": "identity", "sigma": "log"})
    >>> out = torch.zeros(4, 2, requires_grad=True)   # columns: mu, log sigma
    >>> y = torch.tensor([0.0, 1.0, -1.0, 0.5])
    >>> value = loss(out, y); value.backward()
    >>> round(float(value), 6)   # 0.5 log 2π + mean(y²)/2
    1.200189
    """

    def __init__(self, family: str | Family = "normal",
                 heads: Mapping[str, HeadSpec] | None = None,
                 fixed: Mapping[str, Any] | None = None, reduction: str = "mean",
                 method: str = "auto", validate: bool = True):
        super().__init__()
        self.family: Family = get_family(family)
        if reduction not in _REDUCTIONS:
            raise ParameterError(
                f"reduction must be one of {', '.join(_REDUCTIONS)}; got {reduction!r}"
            )
        self.reduction = reduction
        self.validate = validate
        fam = self.family
        fixed = dict(fixed or {})
        heads = dict(heads or {})
        for name in [*fixed, *heads]:
            fam.parameter(name)  # raises ParameterError listing the parameters
        both = set(fixed) & set(heads)
        if both:
            raise ParameterError(
                f"{fam.title}: parameter {sorted(both)[0]!r} is both fixed and predicted"
            )
        missing = [p.name for p in fam.parameters if not p.estimable and p.name not in fixed]
        if missing:
            raise ParameterError(
                f"{fam.title}: parameter {missing[0]!r} is not estimated; give it in fixed="
            )
        self.heads: dict[str, HeadSpec] = {}
        for p in fam.parameters:
            if p.name in fixed:
                continue
            h = heads.get(p.name, None)
            if h is None:
                h = default_head(fam, p.name)
            elif isinstance(h, (str, Link)):
                h = _resolve(h)
            self.heads[p.name] = h
        if not self.heads:
            raise ParameterError(f"{fam.title}: every parameter is fixed; nothing to predict")
        self.fixed = fixed
        self._logpdf, self.method_used = resolve_log_density(
            fam, {k: v for k, v in self.heads.items() if isinstance(v, str)}, method=method
        )

    # ------------------------------------------------------------------ helpers
    def extra_repr(self) -> str:
        heads = ", ".join(f"{k}: {v if isinstance(v, str) else 'custom'}"
                          for k, v in self.heads.items())
        fixed = f", fixed={sorted(self.fixed)}" if self.fixed else ""
        return (f"family={self.family.name}, heads={{{heads}}}{fixed}, "
                f"reduction={self.reduction}, method={self.method_used}")

    def _vector(self, name: str) -> bool:
        return self.family.parameter(name).event_ndim > 0

    def split(self, input: torch.Tensor | Mapping[str, torch.Tensor],
              target: torch.Tensor | None = None) -> dict[str, torch.Tensor]:
        """Raw outputs per head: ``{parameter: eta}`` (see the class docstring for the rules)."""
        names = list(self.heads)
        if isinstance(input, Mapping):
            extra = set(input) - set(names)
            lacking = [n for n in names if n not in input]
            if extra or lacking:
                raise ParameterError(
                    f"{self.family.title}: input dict must have exactly the keys "
                    f"{', '.join(names)} (missing: {lacking}, unexpected: {sorted(extra)})"
                )
            return {n: input[n] for n in names}
        if not isinstance(input, torch.Tensor):
            raise DataError(f"input must be a tensor or a dict of tensors; got {type(input)}")
        if len(names) == 1:
            n = names[0]
            if (not self._vector(n) and target is not None and input.dim() == target.dim() + 1
                    and input.shape[-1] == 1):
                return {n: input.squeeze(-1)}
            return {n: input}
        vectors = [n for n in names if self._vector(n)]
        n_scalar = len(names) - len(vectors)
        width = input.shape[-1] if input.dim() else 0
        if len(vectors) > 1 or (not vectors and width != n_scalar) or width < n_scalar + (
                1 if vectors else 0):
            raise DataError(
                f"{self.family.title}: input's last axis has {width} columns but the heads "
                f"({', '.join(names)}) need {n_scalar}"
                + (" plus the class columns" if vectors else "")
                + "; or pass a dict {parameter: tensor}"
            )
        out, col = {}, 0
        rest = width - n_scalar
        for n in names:
            if self._vector(n):
                out[n] = input[..., col:col + rest]
                col += rest
            else:
                out[n] = input[..., col]
                col += 1
        return out

    def _head_values(self, raw: Mapping[str, torch.Tensor],
                     like: torch.Tensor) -> dict[str, HeadValue]:
        P = {n: HeadValue(eta=raw[n], head=self.heads[n]) for n in self.heads}
        ref = next(iter(raw.values()))
        for n, v in self.fixed.items():
            P[n] = HeadValue(value=as_tensor(v, ref if ref.is_floating_point() else like))
        return P

    def params(self, input: torch.Tensor | Mapping[str, torch.Tensor],
               target: torch.Tensor | None = None) -> dict[str, torch.Tensor]:
        """The parameters θ (in their domains) that the raw outputs stand for."""
        raw = self.split(input, target)
        P = self._head_values(raw, next(iter(raw.values())))
        return {n: P[n].value for n in self.family.param_names}

    def distribution(self, input: torch.Tensor | Mapping[str, torch.Tensor],
                     target: torch.Tensor | None = None) -> Distribution:
        """A (batched, NumPy) mlekit :class:`~mlekit.Distribution` for the outputs:
        ``loss.distribution(out).ppf(0.975)`` gives predictive quantiles."""
        raw = self.split(input, target)
        fam = self.family
        only = list(self.heads)
        if ("logits" in fam.aux_names and len(only) == 1
                and self.heads[only[0]] in ("logit", "softmax")):
            logits = raw[only[0]].detach().cpu().double().numpy()
            return fam(logits=logits, **{k: np.asarray(torch.as_tensor(v).detach().cpu())
                                         for k, v in self.fixed.items()})
        P = self._head_values(raw, next(iter(raw.values())))
        return fam(**{n: P[n].value.detach().cpu().double().numpy()
                      for n in fam.param_names})

    def _check_target(self, y: torch.Tensor, raw: Mapping[str, torch.Tensor]) -> None:
        fam = self.family
        kw: dict[str, Any] = {k: np.asarray(torch.as_tensor(v).detach().cpu(), dtype=float)
                              for k, v in self.fixed.items()}
        for n, eta in raw.items():
            if self._vector(n):
                k = eta.shape[-1]
                kw[n] = np.full(k, 1.0 / k)
        try:
            domain = fam.support_of(**kw)
        except (TypeError, KeyError, ValueError):
            domain = fam.support
        domain.check(y.detach().cpu().double().numpy(), what="target", owner=fam.title,
                     error=SupportError)

    # ------------------------------------------------------------------ forward
    def log_prob(self, input: torch.Tensor | Mapping[str, torch.Tensor],
                 target: torch.Tensor) -> torch.Tensor:
        """Elementwise ``log p(target; θ(input))`` with the target's shape."""
        raw = self.split(input, target)
        if not isinstance(target, torch.Tensor):
            target = torch.as_tensor(target)
        if self.validate:
            self._check_target(target, raw)
        ref = next(iter(raw.values()))
        y = target if not target.is_floating_point() and any(
            self._vector(n) for n in self.heads) else as_tensor(target, ref)
        P = self._head_values(raw, ref)
        lp = self._logpdf(y, P)
        if lp.shape != target.shape:
            raise DataError(
                f"{self.family.title}: the parameters (batch shape {tuple(lp.shape)}) do not "
                f"match the target's shape {tuple(target.shape)}; check the network output's "
                "trailing axis (one column per head)"
            )
        return lp

    def forward(self, input: torch.Tensor | Mapping[str, torch.Tensor],
                target: torch.Tensor, weight: torch.Tensor | None = None) -> torch.Tensor:
        """NLL of ``target`` under the parameters the raw ``input`` stands for."""
        loss = -self.log_prob(input, target)
        if weight is not None:
            w = as_tensor(weight, loss)
            loss = loss * w
            if self.reduction == "mean":
                return loss.sum() / w.expand_as(loss).sum()
        if self.reduction == "mean":
            return loss.mean()
        if self.reduction == "sum":
            return loss.sum()
        return loss


def nll(input: torch.Tensor | Mapping[str, torch.Tensor], target: torch.Tensor,
        family: str | Family = "normal", heads: Mapping[str, HeadSpec] | None = None,
        fixed: Mapping[str, Any] | None = None, reduction: str = "mean",
        weight: torch.Tensor | None = None, **kwargs: Any) -> torch.Tensor:
    """Functional form of :class:`NLLLoss`: ``nll(out, y, "poisson", heads={"rate": "log"})``.

    Examples
    --------
    >>> import torch, mlekit.torch as mkt
    >>> out = torch.tensor([0.0, 1.0, 2.0], dtype=torch.float64)    # raw outputs: log rates
    >>> y = torch.tensor([1.0, 2.0, 9.0], dtype=torch.float64)
    >>> loss = mkt.nll(out, y, "poisson", heads={"rate": "log"})
    >>> round(float(loss), 6)          # mean of exp(eta) - y eta + log y!
    1.534104
    >>> exact = torch.nn.PoissonNLLLoss(log_input=True)(out, y) + torch.lgamma(y + 1).mean()
    >>> round(float(exact), 6)
    1.534104
    """
    return NLLLoss(family, heads=heads, fixed=fixed, reduction=reduction, **kwargs)(
        input, target, weight)


def log_prob(family: str | Family, target: torch.Tensor,
             params: Mapping[str, Any], method: str = "auto") -> torch.Tensor:
    """``log p(target; params)`` in torch, with parameters given in their domains.

    ``params`` maps parameter names to tensors (or floats). For Bernoulli and
    Categorical, ``logits=`` may be given instead of ``p`` (exact at the extremes).

    Examples
    --------
    >>> import torch, mlekit.torch as mkt
    >>> y = torch.tensor([0.0, 2.0], dtype=torch.float64)
    >>> mkt.log_prob("normal", y, {"mu": 0.0, "sigma": 2.0})   # as torch.distributions.Normal
    tensor([-1.6121, -2.1121], dtype=torch.float64)
    >>> torch.distributions.Normal(0.0, 2.0).log_prob(y.float())
    tensor([-1.6121, -2.1121])
    >>> mkt.log_prob("bernoulli", torch.tensor([1.0]), {"logits": torch.tensor([-800.0])})
    tensor([-800.])
    """
    fam = get_family(family)
    params = dict(params)
    target = torch.as_tensor(target)
    ref = next((v for v in params.values() if isinstance(v, torch.Tensor)), None)
    P: dict[str, HeadValue] = {}
    if "logits" in params:
        head = "softmax" if fam.parameter(fam.param_names[0]).event_ndim else "logit"
        P[fam.param_names[0]] = HeadValue(eta=as_tensor(params.pop("logits"), ref), head=head)
    for k, v in params.items():
        fam.parameter(k)
        P[k] = HeadValue(value=as_tensor(v, ref))
    heads = {n: ("logit" if P[n].head == "logit" else None) for n in P}
    fn, _ = resolve_log_density(fam, {k: v for k, v in heads.items() if v}, method=method)
    y = target if not target.is_floating_point() and fam.event_ndim == 0 and any(
        fam.parameter(n).event_ndim for n in P) else as_tensor(target, ref)
    return fn(y, P)

