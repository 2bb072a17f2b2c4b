r"""Torch log-densities from a family's own NumPy ``logpdf`` and analytic ``score``.

Some families have neither a torch closed form nor a symbolic density: Tweedie (a
compound Poisson–Gamma whose density is the Dunn–Smyth series) and any family whose
file writes its log-density and score numerically. For them, :func:`numpy_log_density`
wraps the family file itself in a :class:`torch.autograd.Function`:

.. math::

    \text{forward: } \ell_i = \log p(y_i;\,\theta_i) \text{ (the family's ``logpdf``)},
    \qquad
    \text{backward: } \frac{\partial L}{\partial \theta_{k,i}} =
        \frac{\partial L}{\partial \ell_i}\,
        \frac{\partial \log p(y_i;\theta_i)}{\partial \theta_{k,i}}
        \text{ (its ``score``)},

so nothing of the density is written twice: the values and the gradients are those the
fits use (held to finite differences by the family's own tests). The parameters'
heads (``log``, ``logit`` …) stay in torch, so autograd chains through them as usual.
Computed in float64 on the CPU (tensors on another device are copied there and back);
first derivatives only (a second ``backward`` through it is refused by torch).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch

from ..errors import NotImplementedForFamily
from ..families.base import Family
from ._links import HeadValue

__all__ = ["has_numpy_score", "numpy_log_density"]


def has_numpy_score(family: Family) -> bool:
    """Does the family's file write its own score (not the symbolic default)?"""
    return type(family).score is not Family.score


def _numpy(t: torch.Tensor) -> np.ndarray:
    return t.detach().to("cpu", torch.float64).numpy()


class _FamilyLogProb(torch.autograd.Function):
    """``log p(y; θ)`` and its gradient from the family's ``logpdf`` and ``score``."""

    @staticmethod
    def forward(ctx, family: Family, names: tuple[str, ...], y: torch.Tensor,
                *values: torch.Tensor) -> torch.Tensor:
        ctx.family, ctx.names = family, names
        ctx.save_for_backward(y, *values)
        params = {n: _numpy(v) for n, v in zip(names, values, strict=True)}
        with np.errstate(all="ignore"):
            out = np.asarray(family.logpdf(_numpy(y), **params), float)
        ref = values[0] if values else y
        return torch.as_tensor(out, dtype=ref.dtype, device=ref.device)

    @staticmethod
    def backward(ctx, grad_out: torch.Tensor):
        y, *values = ctx.saved_tensors
        params = {n: _numpy(v) for n, v in zip(ctx.names, values, strict=True)}
        with np.errstate(all="ignore"):
            score = ctx.family.score(_numpy(y), **params)
        g = _numpy(grad_out)
        grads = []
        for n, v in zip(ctx.names, values, strict=True):
            if not ctx.needs_input_grad[3 + len(grads)]:
                grads.append(None)
                continue
            d = g * np.asarray(score[n], float)
            # a parameter broadcast over the rows gets the sum over what it was broadcast to
            while d.ndim > v.dim():
                d = d.sum(axis=0)
            for ax, size in enumerate(v.shape):
                if size == 1 and d.shape[ax] != 1:
                    d = d.sum(axis=ax, keepdims=True)
            grads.append(torch.as_tensor(d, dtype=v.dtype, device=v.device))
        return (None, None, None, *grads)


def numpy_log_density(family: Family) -> Callable[[torch.Tensor, dict[str, HeadValue]],
                                                  torch.Tensor]:
    """The family's NumPy log-density as a torch function of ``(y, {name: HeadValue})``
    whose gradients are the family's analytic score (module docstring).

    Examples
    --------
    >>> import torch, mlekit as mk, mlekit.torch as mkt
    >>> f = mkt.numpy_log_density(mk.Tweedie)
    >>> mu = torch.tensor([2.0], dtype=torch.float64, requires_grad=True)
    >>> P = {"mu": mkt.HeadValue(mu), "phi": mkt.HeadValue(torch.tensor([1.5])),
    ...      "power": mkt.HeadValue(torch.tensor([1.4]))}
    >>> lp = f(torch.tensor([3.0], dtype=torch.float64), P)
    >>> lp.backward(); round(float(mu.grad[0]), 6)   # (y - mu) / (phi mu^p)
    0.252619
    """
    if not has_numpy_score(family):
        raise NotImplementedForFamily(
            f"{family.title} has no torch closed form, no symbolic density and no analytic "
            "score of its own; give the family a score() or a SymPy density")
    names = family.param_names
    if any(family.parameter(n).event_ndim for n in names):
        raise NotImplementedForFamily(
            f"{family.title}: the NumPy bridge to torch takes scalar parameters only "
            f"({', '.join(n for n in names if family.parameter(n).event_ndim)} is a vector)")

    def logpdf(y: torch.Tensor, P: dict[str, HeadValue]) -> torch.Tensor:
        values = [P[n].value for n in names]
        shape = torch.broadcast_shapes(y.shape, *[v.shape for v in values])
        return _FamilyLogProb.apply(family, names, y, *values).expand(shape)

    return logpdf
